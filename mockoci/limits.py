"""What a request may be before it is routed: header and body size, body media type, single-valued queries.

Two pure ASGI middlewares. The size limits come first: the body is read there, counted as it streams in, and
handed on whole only when it fits, so an oversized body is refused as soon as its `content-length` or its
running count says so, without reading the rest. The shape checks come after the signature check.
"""

from __future__ import annotations

import functools
from email.message import Message as MIMEMessage
from itertools import chain
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import errors
from .handlers import REQUEST_ID_KEY, error_response, new_request_id
from .request_headers import request_headers

OCI_PREFIX = "/20160918/"
BODY_LENGTH_KEY = "mockoci.body_length"


@functools.lru_cache(maxsize=64)  # a client sends the same one or two; parsing one is ~2 us
def is_json_media_type(content_type: str) -> bool:
    """`application/json`, `application/<anything>+json`, with any parameters (`; charset=utf-8`)."""
    message = MIMEMessage()
    message["content-type"] = content_type
    subtype = message.get_content_subtype()
    is_json = subtype == "json" or subtype.endswith("+json")
    return message.get_content_maintype() == "application" and is_json


def header_bytes(scope: Scope) -> int:
    """The size of the request's header block as sent: names, values, `: ` and CRLF."""
    headers = scope["headers"]
    return sum(map(len, chain.from_iterable(headers))) + 4 * len(headers)  # no Python frame per header


def query_pairs(query_string: bytes) -> list[tuple[str, str]]:
    """The query's (name, value) pairs as `parse_qsl(query, keep_blank_values=True)` gives them; a query with
    nothing to decode (no `%`, no `+`, as clients send OCIDs and numbers) is split without it, 5x faster."""
    query = query_string.decode("latin-1")
    if "%" in query or "+" in query:
        return parse_qsl(query, keep_blank_values=True)
    return [(name, value) for name, _, value in (part.partition("=") for part in query.split("&") if part)]


def repeated_parameter(query_string: bytes) -> str | None:
    """The first query parameter given more than once, if any."""
    if not query_string:
        return None
    seen: set[str] = set()
    for name, _ in query_pairs(query_string):
        if name in seen:
            return name
        seen.add(name)
    return None


class RequestLimitsMiddleware:
    """Refuses, with OCI's error body, requests too big to read; it sits outside the signature check, which
    reads the whole body:

    - a header block over `max_header_bytes`: 431 RequestHeaderFieldsTooLarge;
    - on OCI paths, a body over `max_body_bytes`: 413 PayloadTooLarge, before the whole body is read
      (mockoci's own API under /_mockoci/ is trusted: its state imports may be larger).
    """

    def __init__(self, app: ASGIApp, *, max_body_bytes: int, max_header_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_header_bytes = max_header_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if header_bytes(scope) > self.max_header_bytes:
            message = f"The request headers are larger than {self.max_header_bytes} bytes."
            await _refuse(errors.RequestHeaderFieldsTooLarge(message), scope, receive, send)
            return
        if not scope["path"].startswith(OCI_PREFIX):
            await self.app(scope, receive, send)
            return
        length = request_headers(scope).get("content-length", "")
        body = None if length.isdigit() and int(length) > self.max_body_bytes else await self._read_body(receive)
        if body is None:
            too_large = errors.PayloadTooLarge(f"The request body is larger than {self.max_body_bytes} bytes.")
            await _refuse(too_large, scope, receive, send, {"connection": "close"})
            return
        scope[BODY_LENGTH_KEY] = len(body)
        await self.app(scope, replay_body(body, receive), send)

    async def _read_body(self, receive: Receive) -> bytes | None:
        """The whole body, counted as it streams in; None as soon as it is over the limit."""
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
                return None
            chunks.append(chunk)
            more = message.get("more_body", False)
        return b"".join(chunks)


class RequestShapeMiddleware:
    """Refuses, with OCI's error body, OCI requests of a shape no operation accepts; it sits inside the
    signature check, so an unauthenticated request gets 401 first:

    - a non-empty body that is not declared JSON: 415 UnsupportedMediaType;
    - a query parameter given twice (every OCI parameter is single-valued): 400 InvalidParameter;
    - an encoded `/` (`%2F`) in the path, which no OCID holds: 404 NotAuthorizedOrNotFound.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        error = self._check(scope) if scope["type"] == "http" and scope["path"].startswith(OCI_PREFIX) else None
        if error is not None:
            await _refuse(error, scope, receive, send)
            return
        await self.app(scope, receive, send)

    @staticmethod
    def _check(scope: Scope) -> errors.OCIError | None:
        raw_path: bytes = scope.get("raw_path") or b""
        if b"%2f" in raw_path.lower():
            return errors.NotAuthorizedOrNotFound()
        name = repeated_parameter(scope.get("query_string", b""))
        if name is not None:
            return errors.InvalidParameter(f"The query parameter {name} is given more than once.")
        headers = request_headers(scope)
        length = scope.get(BODY_LENGTH_KEY)
        has_body = length > 0 if isinstance(length, int) else headers.get("content-length", "0") != "0"
        content_type = headers.get("content-type", "")
        if has_body and not is_json_media_type(content_type):
            declared = content_type or "untyped"
            return errors.UnsupportedMediaType(
                f"The request body must be JSON (Content-Type: application/json), not {declared}."
            )
        return None


async def _refuse(
    error: errors.OCIError, scope: Scope, receive: Receive, send: Send, headers: dict[str, str] | None = None
) -> None:
    # Outside the middleware that sets the request id, take the client's own, as that middleware would.
    request_id = scope.get(REQUEST_ID_KEY) or request_headers(scope).get("opc-request-id") or new_request_id()
    await error_response(error, request_id, headers)(scope, receive, send)


def replay_body(body: bytes, receive: Receive) -> Receive:
    """A `receive` that yields the already-read body once, then the real channel's messages (disconnects)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
