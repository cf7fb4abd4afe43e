"""The one place where errors become HTTP responses: OCI's `{"code", "message"}` body with `opc-request-id`."""

from __future__ import annotations

import json
import logging
import os
import random
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.types import Scope

from . import errors
from .operations import operations
from .responses import JSONBody

logger = logging.getLogger("mockoci")
REQUEST_ID_KEY = "mockoci.request_id"
_STATUS_ERRORS: dict[int, type[errors.OCIError]] = {
    400: errors.CannotParseRequest,  # FastAPI raises it for a body it cannot decode (bad UTF-8, too deep)
    404: errors.NotFound,
    405: errors.MethodNotAllowed,
    413: errors.PayloadTooLarge,
    415: errors.UnsupportedMediaType,
}


# Request ids come from a generator of their own, seeded by the OS (and again in a forked child), so that a test
# that seeds `random` gets ids as unique as ever; not from os.urandom, a system call per request.
_request_ids = random.Random()
os.register_at_fork(after_in_child=_request_ids.seed)


def new_request_id() -> str:
    """An id in the Python SDK's own form: 32 upper-case hex digits."""
    return f"{_request_ids.getrandbits(128):032X}"


def error_response(error: errors.OCIError, request_id: str, headers: dict[str, str] | None = None) -> Response:
    body = json.dumps({"code": error.code, "message": error.message}).encode()
    response = JSONBody(body, headers, status_code=error.status)
    response.headers["opc-request-id"] = request_id
    return response


def request_id_of(scope: Scope) -> str:
    request_id = scope.get(REQUEST_ID_KEY)
    return request_id if isinstance(request_id, str) else new_request_id()


def validation_error(details: Sequence[Any]) -> errors.OCIError:
    """The OCI error for the first problem pydantic found in a request."""
    if not details:
        return errors.InvalidParameter()
    first = details[0]
    kind = first.get("type", "")
    location = [str(part) for part in first.get("loc", ())]
    where, field_path = (location[0], location[1:]) if location else ("body", [])
    name = ".".join(field_path)
    if kind == "json_invalid":
        return errors.CannotParseRequest("The request body is not valid JSON.")
    if where == "body" and not field_path:
        if kind == "missing":
            return errors.CannotParseRequest("The request body is missing.")
        return errors.CannotParseRequest("The request body must be a JSON object.")
    if where == "path":
        return errors.InvalidPathParameter(f"Invalid {name}: it is not an OCID.")
    if kind == "missing":
        return errors.MissingParameter(f"Missing required parameter: {name}.")
    if kind == "extra_forbidden":
        return errors.InvalidParameter(f"Unknown parameter: {name}.")
    reason = str(first.get("msg", "is invalid")).removeprefix("Value error, ")
    return errors.InvalidParameter(f"Invalid {name}: {reason}.")


def exception_response(exc: Exception, scope: Scope) -> Response:
    """The response to a request that raised `exc`: an OCIError as itself, a validation error as its first
    problem, an HTTP error (404, 405 with `allow`, 400 for a body FastAPI cannot decode) as OCI's error of that
    status, and anything else as 500 InternalServerError, logged. FastAPI's exception handlers and the
    dispatcher both answer through it."""
    request_id = request_id_of(scope)
    if isinstance(exc, errors.OCIError):
        return error_response(exc, request_id)
    if isinstance(exc, RequestValidationError):
        return error_response(validation_error(exc.errors()), request_id)
    if isinstance(exc, StarletteHTTPException):
        error_class = _STATUS_ERRORS.get(exc.status_code, errors.InternalServerError)
        error = error_class()
        if error_class is errors.InternalServerError:
            error.message = str(exc.detail)
        headers = {name.lower(): value for name, value in (exc.headers or {}).items()}
        if exc.status_code == 405:
            headers["allow"] = ", ".join(allowed_methods(scope))
        response = error_response(error, request_id, headers)
        response.status_code = exc.status_code
        return response
    # Starlette's ServerErrorMiddleware logs the traceback after this response is sent.
    logger.error("unexpected %s in %s %s (opc-request-id %s)", type(exc).__name__, scope["method"],
                 Request(scope).url.path, request_id)
    return error_response(errors.InternalServerError(), request_id)


def allowed_methods(scope: Scope) -> list[str]:
    """Every method an operation takes at this request's path (Starlette names only one route's)."""
    return operations(scope["app"]).allowed_methods(scope["path"])


async def _exception_handler(request: Request, exc: Exception) -> Response:
    return exception_response(exc, request.scope)


def install(app: FastAPI) -> None:
    """Route every error the app can raise through OCI's error body."""
    for error_class in (errors.OCIError, RequestValidationError, StarletteHTTPException, Exception):
        app.add_exception_handler(error_class, _exception_handler)
