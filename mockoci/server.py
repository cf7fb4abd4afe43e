"""MockOCIServer: a real mockoci server on a real port, in a thread of this process or in the foreground.

With `tls`, its listener serves HTTPS; with `proxy_port`, it also listens as an HTTPS proxy (proxy.py) on
the same event loop, relaying to that listener.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import threading
from pathlib import Path
from types import TracebackType

import uvicorn
from fastapi import FastAPI

from .app import create_app
from .connections import uvicorn_options
from .proxy import ProxyServer
from .settings import Settings
from .store import VolumeBackupStore
from .tls import CertificateAuthority, check_key_pair, default_tls_dir, write_secret

logger = logging.getLogger("mockoci")
SERVER_CERT = "server.pem"  # in the TLS folder: the listener's key and certificate, made anew at each start


def bind_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to `host:port` (port 0: a free one) and listening, for uvicorn or the proxy to serve;
    raises OSError naming the address (port in use...) before anything else starts. Connections made before
    the server serves wait in the backlog rather than being refused."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        raise OSError(exc.errno, exc.strerror, f"{host}:{port}") from exc  # the address as its filename
    return sock


def uvicorn_log_level(log_level: str) -> str:
    """uvicorn's own level for mockoci's `log_level`: its start-up chatter only when debugging (mockoci logs one
    line per request and a banner of its own)."""
    return log_level if log_level in ("debug", "error", "critical") else "warning"


def _loopback(host: str) -> str:
    """The address a local client dials for a server listening on `host`."""
    return {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "::1"}.get(host, host)


def _url_host(host: str) -> str:
    """`_loopback(host)` as a URL writes it (an IPv6 address in brackets)."""
    local = _loopback(host)
    return f"[{local}]" if ":" in local else local


class _Server(uvicorn.Server):
    """uvicorn's server, which sets `ready` once it serves, or has failed to (`start` waits on it: no polling),
    and stops as soon as it is asked (`request_exit`). uvicorn notices `should_exit` at its next tick, up to 0.1 s
    later, and its shutdown then pauses 0.1 s more whatever is open: a per-test server took ~190 ms to stop. This
    one wakes at once and waits only for what is in flight."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        self._loop, self._wake = asyncio.get_running_loop(), asyncio.Event()
        try:
            await super().startup(sockets=sockets)
        finally:
            self.ready.set()

    def run(self, sockets: list[socket.socket] | None = None) -> None:
        try:
            super().run(sockets=sockets)
        finally:
            self.ready.set()  # it stopped before startup ended: nothing more to wait for

    def request_exit(self) -> None:
        """Stop serving (from any thread): the main loop wakes now rather than at its next tick."""
        self.should_exit = True
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None:
            with contextlib.suppress(RuntimeError):  # its loop has closed: it has stopped already
                loop.call_soon_threadsafe(wake.set)

    async def main_loop(self) -> None:
        """uvicorn's ticks (`on_tick`: the date header once a second, the request limit, `should_exit`), ten a
        second, each wait cut short by `request_exit`."""
        counter = 0
        while not await self.on_tick(counter):
            counter = (counter + 1) % 864_000
            if self._wake is not None:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), 0.1)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        """What uvicorn's shutdown does, without its fixed pauses: stop listening, ask every connection to close
        (an idle one closes at once, a busy one once its response is sent), wait for them and for running tasks
        (at most `timeout_graceful_shutdown` seconds, then cancel the tasks), then the lifespan's shutdown."""
        for server in self.servers:
            server.close()
        for sock in sockets or []:
            sock.close()
        for connection in list(self.server_state.connections):
            connection.shutdown()
        try:
            await asyncio.wait_for(self._drained(), timeout=self.config.timeout_graceful_shutdown)
        except TimeoutError:
            logger.error("cancelling %s running task(s): the graceful shutdown timed out", len(self.server_state.tasks))
            for task in self.server_state.tasks:
                task.cancel()
        if not self.force_exit:
            await self.lifespan.shutdown()

    async def _drained(self) -> None:
        """Until the connections have closed and the tasks ended (or a second Ctrl-C forces the exit)."""
        while (self.server_state.connections or self.server_state.tasks) and not self.force_exit:
            await asyncio.sleep(0.005)
        for server in self.servers:
            await server.wait_closed()


class MockOCIServer:
    """Runs mockoci with uvicorn in a daemon thread (`start`) or in the foreground (`run`); port 0 (the default
    here) picks a free port.

    >>> with MockOCIServer() as server:
    ...     server.url  # 'http://127.0.0.1:54321'
    """

    def __init__(self, settings: Settings | None = None, app: FastAPI | None = None) -> None:
        self.settings = settings or Settings(port=0)
        self.app = app or create_app(self.settings)
        self.authority: CertificateAuthority | None = None  # mockoci's CA, when HTTPS or the proxy uses it
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self._proxy: ProxyServer | None = None

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
        return f"{'https' if self.settings.https else 'http'}://{_url_host(self.settings.host)}:{self.port}"

    @property
    def proxy_port(self) -> int:
        if self._proxy is None:
            raise RuntimeError("the server is not started, or has no proxy_port")
        return self._proxy.port

    @property
    def proxy_url(self) -> str:
        """What a client sets HTTPS_PROXY to."""
        return f"http://{_url_host(self.settings.host)}:{self.proxy_port}"

    @property
    def ca_bundle(self) -> Path | None:
        """The CA certificate a client must trust (REQUESTS_CA_BUNDLE...), when mockoci's CA is in use."""
        return self.authority.cert_path if self.authority is not None else None

    def _prepare(self, timeout_graceful_shutdown: int | None) -> _Server:
        """Binds the listener (and the proxy's), makes the certificates; raises OSError or TLSError."""
        settings = self.settings
        if settings.proxy_port is not None or (settings.tls and settings.tls_cert is None):
            self.authority = CertificateAuthority(settings.tls_dir or default_tls_dir())
        certfile: Path | None = settings.tls_cert
        keyfile: Path | None = settings.tls_key
        if certfile is not None:
            check_key_pair(certfile, keyfile)
        if settings.tls and certfile is None:
            assert self.authority is not None
            names = ["localhost", "127.0.0.1", "::1"]
            if _loopback(settings.host) not in names:
                names.append(_loopback(settings.host))
            certfile = self.authority.directory / SERVER_CERT  # key and certificate in one file
            write_secret(certfile, self.authority.issue(names))
        self._socket = bind_socket(settings.host, settings.port)
        if settings.proxy_port is not None:
            assert self.authority is not None
            try:
                proxy_socket = bind_socket(settings.host, settings.proxy_port)
            except OSError:
                self._socket.close()
                raise
            upstream = (_loopback(settings.host), self.port)
            self._proxy = ProxyServer(proxy_socket, self.authority, upstream, upstream_tls=settings.https)
        self.app.state.proxy = self._proxy  # the app's lifespan starts and stops it on uvicorn's loop
        config = uvicorn.Config(
            self.app,
            log_level=uvicorn_log_level(settings.log_level),
            access_log=False,  # mockoci logs each request itself (journal.py)
            lifespan="on",
            ws="none",  # OCI has no WebSocket API; its libraries (wsproto, h11) cost ~20 ms of start-up
            timeout_graceful_shutdown=timeout_graceful_shutdown,
            ssl_certfile=certfile,
            ssl_keyfile=keyfile,
            **uvicorn_options(settings),
        )
        return _Server(config)

    def start(self, timeout: float = 10.0) -> MockOCIServer:
        self._server = self._prepare(timeout_graceful_shutdown=2)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, name="mockoci-server", daemon=True
        )
        self._thread.start()
        if not self._server.ready.wait(timeout):
            raise TimeoutError(f"the mockoci server was not ready within {timeout} s")
        if not self._server.started:
            raise RuntimeError("the mockoci server thread stopped before it was ready")
        return self

    def bind(self) -> MockOCIServer:
        """Binds the sockets and makes the certificates, for `run` (raises OSError or TLSError)."""
        self._server = self._prepare(timeout_graceful_shutdown=None)
        return self

    def run(self) -> bool:
        """Serves in the foreground until interrupted (after `bind`); False if the server failed to start."""
        if self._server is None:
            self.bind()
        assert self._server is not None
        try:
            self._server.run(sockets=[self._socket] if self._socket is not None else None)
        finally:
            self._close_sockets()
        return bool(self._server.started)

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.request_exit()
            self._thread.join(timeout=10)
        self._close_sockets()
        self._server = self._thread = None

    def _close_sockets(self) -> None:
        if self._socket is not None:
            self._socket.close()
        if self._proxy is not None:
            self._proxy.socket.close()

    def __enter__(self) -> MockOCIServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
