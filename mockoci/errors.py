"""OCI's errors, as data: each class carries the HTTP status, the OCI code and a default message."""

from __future__ import annotations

from typing import ClassVar


class OCIError(Exception):
    """An error OCI answers with `{"code": ..., "message": ...}`."""

    status: ClassVar[int] = 500
    code: ClassVar[str] = "InternalServerError"
    default_message: ClassVar[str] = "Internal error."

    def __init__(self, message: str | None = None) -> None:
        self.message = message or self.default_message
        super().__init__(self.message)


class CannotParseRequest(OCIError):
    status, code = 400, "CannotParseRequest"
    default_message = "The request is incorrectly formatted."


class InvalidParameter(OCIError):
    status, code = 400, "InvalidParameter"
    default_message = "A parameter is invalid."


class InvalidPathParameter(OCIError):
    """A path component (an id) that cannot be an OCID; OCI answers these with 404 InvalidParameter."""

    status, code = 404, "InvalidParameter"
    default_message = "A parameter in the path is invalid."


class MissingParameter(OCIError):
    status, code = 400, "MissingParameter"
    default_message = "A required parameter is missing."


class RelatedResourceNotAuthorizedOrNotFound(OCIError):
    status, code = 400, "RelatedResourceNotAuthorizedOrNotFound"
    default_message = "A resource named in the request body was not found or you are not authorized to use it."


class NotAuthenticated(OCIError):
    status, code = 401, "NotAuthenticated"
    default_message = "The required information to complete authentication was not provided or was incorrect."


class NotAuthorizedOrNotFound(OCIError):
    status, code = 404, "NotAuthorizedOrNotFound"
    default_message = "Authorization failed or requested resource not found."


class NotFound(OCIError):
    status, code = 404, "NotFound"
    default_message = "There is no operation at this path."


class MethodNotAllowed(OCIError):
    status, code = 405, "MethodNotAllowed"
    default_message = "This method is not allowed on this resource."


class Conflict(OCIError):
    status, code = 409, "Conflict"
    default_message = "The resource is in a state that does not allow this operation."


class IncorrectState(OCIError):
    status, code = 409, "IncorrectState"
    default_message = "The resource is not in a state that allows this operation yet; retry later."


class InvalidatedRetryToken(OCIError):
    status, code = 409, "InvalidatedRetryToken"
    default_message = "The opc-retry-token was already used for a request with different parameters."


class NoEtagMatch(OCIError):
    status, code = 412, "NoEtagMatch"
    default_message = "The ETag specified in the request does not match the ETag for the resource."


class PayloadTooLarge(OCIError):
    status, code = 413, "PayloadTooLarge"
    default_message = "The request body is too large."


class UnsupportedMediaType(OCIError):
    status, code = 415, "UnsupportedMediaType"
    default_message = "The request body must be JSON (Content-Type: application/json)."


class RequestHeaderFieldsTooLarge(OCIError):
    status, code = 431, "RequestHeaderFieldsTooLarge"
    default_message = "The request headers are too large."


class TooManyRequests(OCIError):
    status, code = 429, "TooManyRequests"
    default_message = "Too many requests for the tenancy."


class InternalServerError(OCIError):
    status, code = 500, "InternalServerError"
    default_message = "Internal error."


class ServiceUnavailable(OCIError):
    status, code = 503, "ServiceUnavailable"
    default_message = "The service is currently unavailable."


class LimitExceeded(OCIError):
    status, code = 400, "LimitExceeded"
    default_message = "Fulfilling this request exceeds a limit."
