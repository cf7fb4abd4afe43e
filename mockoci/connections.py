"""Connections: how long a client may take, how many may be open, and enough file descriptors for them.

uvicorn times out an idle keep-alive connection (`timeout_keep_alive`), but not a connection that never sends a
request, or sends it slowly: `RequestTimeoutProtocol` closes a connection whose request (head and body) is not
whole `request_timeout` seconds after its first byte, or after the connection opened. It also answers what the
HTTP parser refuses (a malformed request line or header, a bad Content-Length, a method it does not know) with
OCI's error body instead of uvicorn's plain text. Each open socket is a file descriptor, so `mockoci serve`
raises its soft limit on them to the hard limit at start.
"""

from __future__ import annotations

import asyncio
import json
import logging
import resource
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from .handlers import new_request_id
from .settings import Settings

logger = logging.getLogger("mockoci")
WANTED_OPEN_FILES = 1_048_576  # when the hard limit is unlimited (the kernel's usual nr_open)


UNPARSABLE = "The request is not valid HTTP/1.1 (its request line, a header or its framing cannot be parsed)."


class RequestTimeoutProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, closing a connection that takes over `request_timeout` seconds to send
    one request (from connecting, or from the request's first byte, to its last byte), and answering a request
    the parser refuses with 400 CannotParseRequest in OCI's body.

    A request only notes its deadline; one timer per connection, armed when none is, checks it when it is due
    (and re-arms for a later deadline). A timer armed and cancelled for every request cost more than the rest
    of this protocol's work on a GET."""

    request_timeout: float = 30.0
    _request_timer: asyncio.TimerHandle | None = None
    _deadline: float | None = None  # when the request being received must be whole; None between requests

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._expect_request()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._request_timer is not None:
            self._request_timer.cancel()
            self._request_timer = None
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._expect_request()

    def on_message_complete(self) -> None:
        self._deadline = None
        super().on_message_complete()

    def send_400_response(self, msg: str) -> None:
        """What uvicorn answers, as plain text, to bytes httptools cannot parse: OCI's body instead (the same
        status, `connection: close`, as the connection cannot be read further)."""
        body = json.dumps({"code": "CannotParseRequest", "message": UNPARSABLE}).encode()
        head = [b"HTTP/1.1 400 Bad Request\r\n"]
        head += [name + b": " + value + b"\r\n" for name, value in self.server_state.default_headers]
        head += [
            b"content-type: application/json\r\n",
            b"content-length: " + str(len(body)).encode() + b"\r\n",
            b"opc-request-id: " + new_request_id().encode() + b"\r\n",
            b"connection: close\r\n\r\n",
        ]
        self.transport.write(b"".join(head) + body)
        self.transport.close()

    def _expect_request(self) -> None:
        self._deadline = self.loop.time() + self.request_timeout
        if self._request_timer is None:
            self._request_timer = self.loop.call_at(self._deadline, self._check_deadline)

    def _check_deadline(self) -> None:
        self._request_timer = None
        if self._deadline is None or self.transport.is_closing():
            return
        if self.loop.time() < self._deadline:  # a later request's: check again when it is due
            self._request_timer = self.loop.call_at(self._deadline, self._check_deadline)
            return
        logger.info("closing a connection from %s: no whole request within %s s", self.client, self.request_timeout)
        self.transport.close()


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """The uvicorn settings that bound connections, from mockoci's settings (for uvicorn.run and Config)."""
    protocol = type(
        "RequestTimeoutProtocol", (RequestTimeoutProtocol,), {"request_timeout": settings.request_timeout}
    )
    return {
        "http": protocol,
        "timeout_keep_alive": settings.timeout_keep_alive,
        "limit_concurrency": settings.limit_concurrency,
    }


def raise_open_file_limit() -> tuple[int, int]:
    """Raises this process's soft limit on open files to its hard limit (a system without limits: to
    WANTED_OPEN_FILES); returns the (old, new) soft limit. Never fails: a refusal leaves the limit as it was."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = WANTED_OPEN_FILES if hard == resource.RLIM_INFINITY else hard
    if soft != resource.RLIM_INFINITY and soft < wanted:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
        except (ValueError, OSError):
            return soft, soft
        return soft, wanted
    return soft, soft
