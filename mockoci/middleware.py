"""What happens to every request before routing: its opc-request-id and, on OCI paths, its signature."""

from __future__ import annotations

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import errors
from .handlers import REQUEST_ID_KEY, error_response, new_request_id
from .settings import AuthMode
from .signing import SignatureError, check_presence
from .store import DEFAULT_TENANCY

OCI_PREFIX = "/20160918"
TENANCY_KEY = "mockoci.tenancy"


class OCIRequestMiddleware:
    """Gives every response an `opc-request-id` (the client's own if it sent one) and checks OCI requests'
    signature headers before anything reads or changes state."""

    def __init__(self, app: ASGIApp, *, auth: AuthMode) -> None:
        self.app = app
        self.auth = auth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        request_id = headers.get("opc-request-id") or new_request_id()
        scope[REQUEST_ID_KEY] = request_id
        path: str = scope["path"]
        if path == OCI_PREFIX or path.startswith(OCI_PREFIX + "/"):
            scope[TENANCY_KEY] = DEFAULT_TENANCY
            if self.auth != "off":
                try:
                    scope[TENANCY_KEY] = check_presence(scope["method"], headers).tenancy
                except SignatureError as exc:
                    response = error_response(errors.NotAuthenticated(f"Not authenticated: {exc}."), request_id)
                    await response(scope, receive, send)
                    return

        async def send_with_request_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                response_headers = MutableHeaders(scope=message)
                if "opc-request-id" not in response_headers:
                    response_headers.append("opc-request-id", request_id)
            await send(message)

        await self.app(scope, receive, send_with_request_id)
