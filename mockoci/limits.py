"""What a request may be before it is routed: header and body size, body media type, single-valued queries.

A pure ASGI middleware. The body is read here, counted as it streams in, and handed on whole only when it
fits: an oversized body is refused as soon as its `content-length` or its running count says so, without
reading the rest.
"""

from __future__ import annotations

from email.message import Message as MIMEMessage
from urllib.parse import parse_qsl

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import errors
from .handlers import REQUEST_ID_KEY, error_response, new_request_id

OCI_PREFIX = "/20160918/"


def is_json_media_type(content_type: str) -> bool:
    """`application/json`, `application/<anything>+json`, with any parameters (`; charset=utf-8`)."""
    message = MIMEMessage()
    message["content-type"] = content_type
    subtype = message.get_content_subtype()
    is_json = subtype == "json" or subtype.endswith("+json")
    return message.get_content_maintype() == "application" and is_json


def header_bytes(scope: Scope) -> int:
    """The size of the request's header block as sent: names, values, `: ` and CRLF."""
    return sum(len(name) + len(value) + 4 for name, value in scope["headers"])


def repeated_parameter(query_string: bytes) -> str | None:
    """The first query parameter given more than once, if any."""
    seen: set[str] = set()
    for name, _ in parse_qsl(query_string.decode("latin-1"), keep_blank_values=True):
        if name in seen:
            return name
        seen.add(name)
    return None


class RequestLimitsMiddleware:
    """Refuses, with OCI's error body, requests that no OCI operation accepts:

    - a header block over `max_header_bytes`: 431 RequestHeaderFieldsTooLarge;

    and on OCI paths (mockoci's own API under /_mockoci/ is trusted and exempt):

    - a body over `max_body_bytes`: 413 PayloadTooLarge, before the whole body is read;
    - a non-empty body that is not declared JSON: 415 UnsupportedMediaType;
    - a query parameter given twice (every OCI parameter is single-valued): 400 InvalidParameter;
    - an encoded `/` (`%2F`) in the path, which no OCID holds: 404 NotAuthorizedOrNotFound.
    """

    def __init__(self, app: ASGIApp, *, max_body_bytes: int, max_header_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_header_bytes = max_header_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        error = self._check_head(scope)
        if error is None and not scope["path"].startswith(OCI_PREFIX):
            await self.app(scope, receive, send)  # mockoci's own API: trusted, its state imports may be large
            return
        body = b""
        if error is None:
            body, error = await self._read_body(scope, receive)
        if error is not None:
            request_id = scope.get(REQUEST_ID_KEY) or new_request_id()
            headers = {"connection": "close"} if error.status == 413 else None
            response = error_response(error, request_id, headers)
            await response(scope, receive, send)
            return
        await self.app(scope, _replay(body, receive), send)

    def _check_head(self, scope: Scope) -> errors.OCIError | None:
        if header_bytes(scope) > self.max_header_bytes:
            return errors.RequestHeaderFieldsTooLarge(
                f"The request headers are larger than {self.max_header_bytes} bytes."
            )
        if not scope["path"].startswith(OCI_PREFIX):
            return None
        length = Headers(scope=scope).get("content-length", "")
        if length.isdigit() and int(length) > self.max_body_bytes:
            return self._too_large()
        raw_path: bytes = scope.get("raw_path") or b""
        if b"%2f" in raw_path.lower():
            return errors.NotAuthorizedOrNotFound()
        name = repeated_parameter(scope.get("query_string", b""))
        if name is not None:
            return errors.InvalidParameter(f"The query parameter {name} is given more than once.")
        return None

    def _too_large(self) -> errors.OCIError:
        return errors.PayloadTooLarge(f"The request body is larger than {self.max_body_bytes} bytes.")

    async def _read_body(self, scope: Scope, receive: Receive) -> tuple[bytes, errors.OCIError | None]:
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                break  # the client went away; the app sees an empty body and the disconnect is not resent
            chunk: bytes = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                return b"", self._too_large()
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        content_type = Headers(scope=scope).get("content-type", "")
        if body and not is_json_media_type(content_type):
            declared = content_type or "untyped"
            return body, errors.UnsupportedMediaType(
                f"The request body must be JSON (Content-Type: application/json), not {declared}."
            )
        return body, None


def _replay(body: bytes, receive: Receive) -> Receive:
    """A `receive` that yields the already-read body once, then the real channel's messages (disconnects)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
