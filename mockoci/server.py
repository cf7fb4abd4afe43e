"""MockOCIServer: a real mockoci server on a real port, in a thread of this process."""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType

import uvicorn
from fastapi import FastAPI

from .app import create_app
from .connections import uvicorn_options
from .settings import Settings
from .store import VolumeBackupStore


def bind_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to `host:port` (port 0: a free one) and listening, for uvicorn to serve; raises OSError
    (errno EADDRINUSE when the port is taken) before anything else starts. Connections made before uvicorn
    serves wait in the backlog rather than being refused."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    return sock


def uvicorn_log_level(log_level: str) -> str:
    """uvicorn's own level for mockoci's `log_level`: its start-up chatter only when debugging (mockoci logs one
    line per request and a banner of its own)."""
    return log_level if log_level in ("debug", "error", "critical") else "warning"


class MockOCIServer:
    """Runs mockoci with uvicorn in a daemon thread; port 0 (the default here) picks a free port.

    >>> with MockOCIServer() as server:
    ...     server.url  # 'http://127.0.0.1:54321'
    """

    def __init__(self, settings: Settings | None = None, app: FastAPI | None = None) -> None:
        self.settings = settings or Settings(port=0)
        self.app = app or create_app(self.settings)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None

    @property
    def store(self) -> VolumeBackupStore:
        store: VolumeBackupStore = self.app.state.store
        return store

    @property
    def port(self) -> int:
        if self._socket is None:
            raise RuntimeError("the server is not started")
        port: int = self._socket.getsockname()[1]
        return port

    @property
    def url(self) -> str:
        host = self.settings.host
        host = "127.0.0.1" if host in ("0.0.0.0", "") else host
        return f"http://{host}:{self.port}"

    def start(self, timeout: float = 10.0) -> MockOCIServer:
        sock = bind_socket(self.settings.host, self.settings.port)
        self._socket = sock
        config = uvicorn.Config(
            self.app, log_level=uvicorn_log_level(self.settings.log_level), lifespan="on", timeout_graceful_shutdown=2,
            **uvicorn_options(self.settings),
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, name="mockoci-server", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError("the mockoci server thread stopped before it was ready")
            if time.monotonic() > deadline:
                raise TimeoutError(f"the mockoci server was not ready within {timeout} s")
            time.sleep(0.005)
        return self

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)
        if self._socket is not None:
            self._socket.close()
        self._server = self._thread = None

    def __enter__(self) -> MockOCIServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
