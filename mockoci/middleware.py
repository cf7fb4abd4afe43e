"""What happens to every request before routing: its opc-request-id and, on OCI paths, its signature."""

from __future__ import annotations

import time
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import errors
from .handlers import REQUEST_ID_KEY, error_response, logger, new_request_id
from .keys import KeyRegistry
from .limits import replay_body
from .request_headers import HeaderLists, request_headers, response_header
from .settings import AuthMode
from .signing import SignatureError, SignatureParams, check_presence, parse_authorization, verify_request
from .store import DEFAULT_TENANCY

OCI_PREFIX = "/20160918"
TENANCY_KEY = "mockoci.tenancy"
AUTH_FAILURE_KEY = "mockoci.auth_failure"  # {"reason": str, "signing_string": str | None}, for a journal


class OCIRequestMiddleware:
    """Gives every response an `opc-request-id` (the client's own if it sent one) and checks OCI requests'
    signature headers before anything reads or changes state."""

    def __init__(
        self, app: ASGIApp, *, auth: AuthMode, keys: KeyRegistry | None = None,
        now: Callable[[], float] = time.time,
    ) -> None:
        self.app = app
        self.auth = auth
        self.keys = keys if keys is not None else KeyRegistry()
        self.now = now

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_headers(scope).get("opc-request-id") or new_request_id()
        scope[REQUEST_ID_KEY] = request_id
        path: str = scope["path"]
        if path == OCI_PREFIX or path.startswith(OCI_PREFIX + "/"):
            scope[TENANCY_KEY] = DEFAULT_TENANCY
            if self.auth == "presence":
                try:
                    scope[TENANCY_KEY] = check_presence(scope["method"], request_headers(scope)).tenancy
                except SignatureError as exc:
                    scope[TENANCY_KEY] = _claimed_tenancy(scope)
                    response = error_response(errors.NotAuthenticated(f"Not authenticated: {exc}."), request_id)
                    await response(scope, receive, send)
                    return
            elif self.auth == "verify":
                body, receive = await _buffer_body(receive)
                if body is None:  # the client went away before sending its whole body
                    return
                try:
                    scope[TENANCY_KEY] = self._verify(scope, HeaderLists(scope), body).tenancy
                except SignatureError as exc:
                    scope[TENANCY_KEY] = _claimed_tenancy(scope)
                    _record_failure(scope, exc, request_id)
                    await error_response(errors.NotAuthenticated(), request_id)(scope, receive, send)
                    return

        raw_request_id = request_id.encode("latin-1")

        async def send_with_request_id(message: Message) -> None:
            is_start = message["type"] == "http.response.start"
            if is_start and response_header(message, b"opc-request-id") is None:
                message["headers"] = [*message.get("headers", ()), (b"opc-request-id", raw_request_id)]
            await send(message)

        await self.app(scope, receive, send_with_request_id)

    def _verify(self, scope: Scope, headers: HeaderLists, body: bytes) -> SignatureParams:
        raw_path: bytes = scope.get("raw_path") or scope["path"].encode()
        query: bytes = scope.get("query_string", b"")
        target = raw_path.decode("latin-1") + ("?" + query.decode("latin-1") if query else "")
        return verify_request(
            method=scope["method"], target=target, headers=headers, body=body, resolve=self.keys.resolve,
            now=self.now(),
        )


async def _buffer_body(receive: Receive) -> tuple[bytes | None, Receive]:
    """Read the whole request body (None if the client disconnects), and a `receive` that hands the same
    body to the app."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return None, receive
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    body = b"".join(chunks)
    return body, replay_body(body, receive)


def _claimed_tenancy(scope: Scope) -> str:
    """The tenancy a refused request claims in its keyId, so that its journal entry is that tenancy's to read
    (nothing else uses it: a refused request reaches no state)."""
    try:
        return parse_authorization(request_headers(scope).get("authorization")).tenancy
    except SignatureError:
        return DEFAULT_TENANCY


def _record_failure(scope: Scope, exc: SignatureError, request_id: str) -> None:
    scope[AUTH_FAILURE_KEY] = {"reason": exc.reason, "signing_string": exc.signing_string}
    computed = (
        "\n  signing string computed by the server:\n    " + exc.signing_string.replace("\n", "\n    ")
        if exc.signing_string is not None
        else ""
    )
    logger.warning(
        "401 NotAuthenticated for %s %s (opc-request-id %s): %s%s",
        scope["method"], scope["path"], request_id, exc.reason, computed,
    )
