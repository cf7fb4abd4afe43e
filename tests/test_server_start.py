"""Starting a server: `MockOCIServer.start` reports a failed start at once, a WebSocket upgrade gets mockoci's
own answer, and importing mockoci's plugin or package does not load the server."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from fastapi import FastAPI

from mockoci.server import MockOCIServer
from mockoci.settings import Settings


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")  # the server thread's error
def test_a_server_whose_app_fails_to_start_raises_from_start() -> None:
    @asynccontextmanager
    async def failing(app: FastAPI) -> AsyncIterator[None]:
        raise RuntimeError("no start")
        yield

    server = MockOCIServer(Settings(port=0), FastAPI(lifespan=failing))
    try:
        # not the TimeoutError of a start that waited for nothing
        with pytest.raises(RuntimeError, match="stopped before it was ready"):
            server.start(timeout=30)
    finally:
        server.stop()


def test_a_websocket_upgrade_is_answered_as_plain_http_with_an_oci_error() -> None:
    with MockOCIServer(Settings(port=0)) as server, socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.sendall(
            b"GET /20160918/volumeBackups HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: Upgrade\r\n"
            b"upgrade: websocket\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\nsec-websocket-version: 13\r\n\r\n"
        )
        answer = b""
        while b"}" not in answer:
            chunk = sock.recv(4096)
            assert chunk, answer
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 401 "), head
    assert b"opc-request-id: " in head.lower()
    assert b'"code": "NotAuthenticated"' in body


@pytest.mark.parametrize("module", ["mockoci", "mockoci.pytest_plugin"])
def test_importing_mockoci_or_its_plugin_does_not_load_the_server(module: str) -> None:
    """The plugin is loaded by every pytest run where mockoci is installed: it must cost nothing."""
    code = f"import sys, {module}; print(sorted(m for m in ('fastapi', 'uvicorn', 'mockoci.app') if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
