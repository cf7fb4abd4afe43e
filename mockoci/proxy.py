"""mockoci as an HTTPS proxy, so that a client told nothing but `HTTPS_PROXY` and a CA bundle reaches it.

A client with `HTTPS_PROXY=http://127.0.0.1:PORT` opens its connection to OCI's real host through the proxy:
`CONNECT iaas.us-ashburn-1.oraclecloud.com:443`. For a Core Services host of a real region (regions.py) the
proxy answers 200, takes the client's TLS handshake itself with a certificate for that host signed by
mockoci's CA (tls.py), and relays the decrypted bytes, unchanged, to mockoci's own HTTP listener on
loopback. The app so sees each request exactly as the client sent it, with OCI's real `Host` header, which
the request signature covers (`--auth verify` works over the proxy). Anything else is refused with a
message naming what was asked and what mockoci emulates: a CONNECT to another host or port (403), a
plain-HTTP proxy request (403). A request to the proxy itself, `GET /ca.pem`, returns the CA certificate,
so a container's clients can fetch what to trust.

The proxy is an asyncio server on uvicorn's event loop, started and stopped with the app (app.py's lifespan).
Libraries looked at: mitmproxy (a whole intercepting proxy with dozens of dependencies), proxy.py (TLS
interception through plugins, its certificates made by running the `openssl` command), pproxy (tunnels, no
TLS termination). asyncio's `start_tls` does all that is needed here, so the proxy is this module.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import ssl
from urllib.parse import urlsplit

from .regions import region_from_host
from .tls import CertificateAuthority

logger = logging.getLogger("mockoci.proxy")
EMULATES = "it emulates OCI's Core Services API only, over HTTPS (CONNECT iaas.<region>.<realm domain>:443)"
HEAD_LIMIT = 16_384  # bytes of a request line and headers
HEAD_TIMEOUT = 30.0  # seconds a client may take to send them
CHUNK = 65_536


class ProxyServer:
    """The proxy listening on `sock` (bound by its owner), relaying to the HTTP listener at `upstream`."""

    def __init__(
        self,
        sock: socket.socket,
        authority: CertificateAuthority,
        upstream: tuple[str, int],
        upstream_tls: bool = False,
    ) -> None:
        self.socket = sock
        self.authority = authority
        self.upstream = upstream
        # The loopback hop to mockoci's own HTTPS listener: the same process, nothing to verify.
        self._upstream_ssl: ssl.SSLContext | None = None
        if upstream_tls:
            self._upstream_ssl = ssl.create_default_context()
            self._upstream_ssl.check_hostname = False
            self._upstream_ssl.verify_mode = ssl.CERT_NONE
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    @property
    def port(self) -> int:
        port: int = self.socket.getsockname()[1]
        return port

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, sock=self.socket, limit=HEAD_LIMIT)

    async def close(self) -> None:
        """Stops listening and ends every open tunnel."""
        if self._server is not None:
            self._server.close()
        for writer in list(self._writers):
            writer.close()
        self._server = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            await self._answer(reader, writer)
        except (ConnectionError, TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass  # the client went away or sent too little or too much: nothing to answer
        finally:
            self._writers.discard(writer)
            writer.close()

    async def _answer(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), HEAD_TIMEOUT)
        method, target, *_ = [*head.split(b"\r\n", 1)[0].decode("latin-1").split(" "), "", ""]
        if method == "CONNECT":
            host, _, port = target.rpartition(":")
            if port == "443" and region_from_host(host) is not None:
                await self._tunnel(host.lower(), reader, writer)
                return
            await _refuse(writer, 403, f"mockoci does not proxy CONNECT {target}: {EMULATES}")
        elif target.startswith("/"):  # a request to the proxy itself, not through it
            if method == "GET" and target == "/ca.pem":
                await _respond(writer, 200, "OK", self.authority.cert_path.read_bytes(), "application/x-pem-file")
            else:
                await _refuse(writer, 404, "this is mockoci's HTTPS proxy: set HTTPS_PROXY to it; GET /ca.pem: its CA")
        else:
            host = urlsplit(target).netloc or target
            await _refuse(writer, 403, f"mockoci does not proxy plain-HTTP requests (to {host}): {EMULATES}")

    async def _tunnel(self, host: str, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        context = await asyncio.to_thread(self.authority.server_context, host)  # the first one takes a few ms
        # Read nothing more until TLS takes over: the client's hello must reach the TLS layer, not this reader.
        writer.transport.pause_reading()  # type: ignore[attr-defined]
        writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        await writer.drain()
        try:
            await writer.start_tls(context)
        except (ssl.SSLError, ConnectionError, TimeoutError) as exc:
            logger.warning("TLS handshake for %s failed (does the client trust %s?): %r",
                           host, self.authority.cert_path, exc)
            return
        upstream_reader, upstream_writer = await asyncio.open_connection(
            *self.upstream, ssl=self._upstream_ssl, server_hostname="" if self._upstream_ssl else None
        )
        self._writers.add(upstream_writer)
        try:
            pumps = {asyncio.ensure_future(_pump(reader, upstream_writer)),
                     asyncio.ensure_future(_pump(upstream_reader, writer))}
            # Either side closing ends the tunnel (a TLS stream cannot be half-closed).
            _, pending = await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
            for pump in pending:
                pump.cancel()
        finally:
            self._writers.discard(upstream_writer)
            upstream_writer.close()


async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(ConnectionError, ssl.SSLError):
        while data := await reader.read(CHUNK):
            writer.write(data)
            await writer.drain()


async def _refuse(writer: asyncio.StreamWriter, status: int, message: str) -> None:
    """Refuses with the message as the reason phrase too: clients put that in their error (`Tunnel connection
    failed: 403 mockoci emulates ...`), where a body after a failed CONNECT is never shown."""
    logger.warning("proxy: %s", message)
    await _respond(writer, status, message, (message + "\n").encode(), "text/plain; charset=utf-8")


async def _respond(writer: asyncio.StreamWriter, status: int, reason: str, body: bytes, content_type: str) -> None:
    writer.write(
        f"HTTP/1.1 {status} {reason}\r\ncontent-type: {content_type}\r\ncontent-length: {len(body)}\r\n"
        "connection: close\r\n\r\n".encode("latin-1", "replace") + body
    )
    await writer.drain()
