"""What happens to OCI requests before routing: their signature is checked (its presence, or verified)."""

from __future__ import annotations

import time
from collections.abc import Callable

from starlette.types import ASGIApp, Receive, Scope, Send

from . import errors
from .handlers import error_response, logger, request_id_of
from .keys import KeyRegistry
from .limits import replay_body
from .request_headers import HeaderLists, request_headers
from .settings import AuthMode
from .signing import SignatureError, SignatureParams, check_presence, parse_authorization, verify_request
from .store import DEFAULT_TENANCY

OCI_PREFIX = "/20160918"
TENANCY_KEY = "mockoci.tenancy"
AUTH_FAILURE_KEY = "mockoci.auth_failure"  # {"reason": str, "signing_string": str | None}, for a journal


class OCIRequestMiddleware:
    """Checks OCI requests' signature headers before anything reads or changes state, and keeps the tenancy a
    request is signed for in the scope (TENANCY_KEY). The request's `opc-request-id` is given outside it, by the
    journal (mockoci.journal)."""

    def __init__(
        self, app: ASGIApp, *, auth: AuthMode, keys: KeyRegistry | None = None,
        now: Callable[[], float] = time.time,
    ) -> None:
        self.app = app
        self.auth = auth
        self.keys = keys if keys is not None else KeyRegistry()
        self.now = now

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope["path"] if scope["type"] == "http" else ""
        if path == OCI_PREFIX or path.startswith(OCI_PREFIX + "/"):
            scope[TENANCY_KEY] = DEFAULT_TENANCY
            if self.auth == "presence":
                try:
                    scope[TENANCY_KEY] = check_presence(scope["method"], request_headers(scope)).tenancy
                except SignatureError as exc:
                    scope[TENANCY_KEY] = _claimed_tenancy(scope)
                    error = errors.NotAuthenticated(f"Not authenticated: {exc}.")
                    await error_response(error, request_id_of(scope))(scope, receive, send)
                    return
            elif self.auth == "verify":
                body, receive = await _buffer_body(receive)
                if body is None:  # the client went away before sending its whole body
                    return
                try:
                    scope[TENANCY_KEY] = self._verify(scope, HeaderLists(scope), body).tenancy
                except SignatureError as exc:
                    scope[TENANCY_KEY] = _claimed_tenancy(scope)
                    request_id = request_id_of(scope)
                    _record_failure(scope, exc, request_id)
                    await error_response(errors.NotAuthenticated(), request_id)(scope, receive, send)
                    return
        await self.app(scope, receive, send)

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
