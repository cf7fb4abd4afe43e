"""The admin token: with `--admin-token`, mockoci's own API under /_mockoci/ answers only requests that carry it.

An open admin API lets anyone who can reach the port register signing keys for any tenancy, read every
tenancy's journal and state, inject faults or wipe everything (docs/admin-api.md). The token is sent as
`Authorization: Bearer <token>`; health and the API's own description (`/_mockoci/docs`,
`/_mockoci/openapi.json`, which hold no state) stay open, so that health checks and browsers work.
"""

from __future__ import annotations

import hmac

from starlette.types import ASGIApp, Receive, Scope, Send

from . import errors
from .dashboard.access import is_asset, page_token
from .handlers import REQUEST_ID_KEY, error_response, new_request_id
from .operations import is_admin_path
from .request_headers import request_headers

OPEN_PATHS = frozenset({"/_mockoci/health", "/_mockoci/docs", "/_mockoci/openapi.json"})
HEADER = "authorization"
SCHEME = "bearer"


def bearer_token(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header (the scheme in any case), if that is what it is."""
    if authorization is None:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    return token.strip() if scheme.lower() == SCHEME and token.strip() else None


class AdminTokenMiddleware:
    """Refuses admin requests without the token with 401 NotAuthenticated (OCI's body); OCI paths pass."""

    def __init__(self, app: ASGIApp, *, token: str | None) -> None:
        self.app = app
        self.token = token.encode() if token else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            self.token is None or scope["type"] != "http" or not is_admin_path(scope["path"])
            or scope["path"] in OPEN_PATHS or is_asset(scope["path"])
        ):
            await self.app(scope, receive, send)
            return
        headers = request_headers(scope)
        given = bearer_token(headers.get(HEADER)) or page_token(scope)  # a browser opening the dashboard
        if given is not None and hmac.compare_digest(given.encode("latin-1"), self.token):
            await self.app(scope, receive, send)
            return
        reason = "has a wrong admin token" if given is not None else "has no admin token"
        error = errors.NotAuthenticated(
            f"This admin request {reason}: this server was started with an admin token "
            "(--admin-token, MOCKOCI_ADMIN_TOKEN); send it as 'Authorization: Bearer <token>'."
        )
        request_id = scope.get(REQUEST_ID_KEY) or headers.get("opc-request-id") or new_request_id()
        response = error_response(error, request_id, {"www-authenticate": 'Bearer realm="mockoci admin"'})
        await response(scope, receive, send)
