"""The checks every request passes before an operation runs, in order, as one pure ASGI middleware.

`RequestGate` sits inside the journal (and the admin token, when one is set) and outside the dispatcher:

1. the sizes (mockoci.limits): a header block over `max_header_bytes` is 431; on OCI paths the body is read
   here, whole, and one over `max_body_bytes` is 413 before the rest is read (`--auth verify` hashes it next);
2. on OCI paths, the signature: its presence, or verified against the registered keys (`auth`); 401;
3. the fault rules (mockoci.faults), on every path but mockoci's own, knowing the caller's tenancy;
4. on OCI paths, the shape (mockoci.limits): an encoded `/`, a repeated parameter, a body not declared JSON.

Each refusal is OCI's error body with the request's id. The checks are one layer, so that their order is
read in one place and the body read in step 1 is the one step 2 hashes.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from . import errors
from .faults import FaultRules, answer_fault
from .handlers import error_response, logger, request_id_of
from .keys import KeyRegistry
from .limits import BODY_KEY, misshapen, oversized_headers, read_body, replay_body, too_large
from .operations import is_admin_path, operation_of
from .request_headers import HeaderLists, request_headers
from .settings import AuthMode
from .signing import SignatureError, SignatureParams, check_presence, parse_authorization, verify_request
from .store import DEFAULT_TENANCY

OCI_PREFIX = "/20160918"
TENANCY_KEY = "mockoci.tenancy"
AUTH_FAILURE_KEY = "mockoci.auth_failure"  # {"reason": str, "signing_string": str | None}, for a journal


class RequestGate:
    """The checks before routing (see the module's docstring); the caller's tenancy goes into the scope
    (TENANCY_KEY) once the signature names it."""

    def __init__(
        self, app: ASGIApp, *, auth: AuthMode, max_body_bytes: int, max_header_bytes: int,
        keys: KeyRegistry | None = None, rules: FaultRules | None = None, now: Callable[[], float] = time.time,
    ) -> None:
        self.app = app
        self.auth = auth
        self.max_body_bytes = max_body_bytes
        self.max_header_bytes = max_header_bytes
        self.keys = keys if keys is not None else KeyRegistry()
        self.rules = rules if rules is not None else FaultRules()
        self.now = now

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        error = oversized_headers(scope, self.max_header_bytes)
        if error is not None:
            await _refuse(error, scope, receive, send)
            return
        operation_path = path.startswith(OCI_PREFIX + "/")
        body: bytes | None = None  # read on OCI paths only (mockoci's own API is trusted: its imports are large)
        if operation_path:
            body = await read_body(scope, receive, self.max_body_bytes)
            if body is None:
                await _refuse(too_large(self.max_body_bytes), scope, receive, send, {"connection": "close"})
                return
            scope[BODY_KEY] = body  # for the dispatcher; the replay for anything else (FastAPI's 404s, 405s)
            receive = replay_body(body, receive)
        if operation_path or path == OCI_PREFIX:
            if body is None and self.auth == "verify":  # `/20160918` itself, whose body was not read above
                body, receive = await _buffer_body(receive)
                if body is None:  # the client went away before sending its whole body
                    return
            refusal = self._check_signature(scope, body or b"")
            if refusal is not None:
                await refusal(scope, receive, send)
                return
        if self.rules and not is_admin_path(path):
            fault = self.rules.strike(
                method=scope["method"], path=path, operation=operation_of(scope), tenancy=scope.get(TENANCY_KEY)
            )
            if fault is not None and await answer_fault(fault, scope, receive, send):
                return
        if operation_path and body is not None:  # (it is: read above)
            error = misshapen(scope, body)
            if error is not None:
                await _refuse(error, scope, receive, send)
                return
        await self.app(scope, receive, send)

    def _check_signature(self, scope: Scope, body: bytes) -> Response | None:
        """None for a request whose signature passes (its tenancy in the scope); else the 401 to send."""
        scope[TENANCY_KEY] = DEFAULT_TENANCY
        try:
            if self.auth == "presence":
                scope[TENANCY_KEY] = check_presence(scope["method"], request_headers(scope)).tenancy
            elif self.auth == "verify":
                scope[TENANCY_KEY] = self._verify(scope, HeaderLists(scope), body).tenancy
        except SignatureError as exc:
            scope[TENANCY_KEY] = _claimed_tenancy(scope)
            request_id = request_id_of(scope)
            if self.auth == "presence":
                return error_response(errors.NotAuthenticated(f"Not authenticated: {exc}."), request_id)
            _record_failure(scope, exc, request_id)
            return error_response(errors.NotAuthenticated(), request_id)
        return None

    def _verify(self, scope: Scope, headers: HeaderLists, body: bytes) -> SignatureParams:
        raw_path: bytes = scope.get("raw_path") or scope["path"].encode()
        query: bytes = scope.get("query_string", b"")
        target = raw_path.decode("latin-1") + ("?" + query.decode("latin-1") if query else "")
        return verify_request(
            method=scope["method"], target=target, headers=headers, body=body, resolve=self.keys.resolve,
            now=self.now(),
        )


async def _refuse(
    error: errors.OCIError, scope: Scope, receive: Receive, send: Send, headers: dict[str, str] | None = None
) -> None:
    await error_response(error, request_id_of(scope), headers)(scope, receive, send)


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
