"""Connections (issue 9): a client that sends no request, or sends it slowly, is cut off after
`request_timeout`; an idle keep-alive connection after `timeout_keep_alive`; `mockoci serve` raises its open-file
soft limit, so idle sockets do not lock new clients out; over `limit_concurrency`, uvicorn's plain-text 503."""

from __future__ import annotations

import re
import resource
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator

import pytest
import requests

from mockoci.server import MockOCIServer

HEALTH = b"GET /_mockoci/health HTTP/1.1\r\nHost: a\r\n\r\n"


@pytest.fixture(scope="module")
def impatient(start_server: Callable[..., MockOCIServer]) -> MockOCIServer:
    return start_server(auth="off", request_timeout=0.5, timeout_keep_alive=1)


def closed_by_server(sock: socket.socket) -> bool:
    """True when the server closes the connection (within the socket's 10 s timeout), reading what it sends."""
    try:
        while sock.recv(65536):
            pass
    except TimeoutError:
        return False
    return True


def connect(server: MockOCIServer) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), timeout=10)


@pytest.mark.parametrize("sent", [b"", b"GET /_mockoci/health HTTP/1.1\r\nHost:",
                                  b"PUT /20160918/volumeBackups/x HTTP/1.1\r\nHost: a\r\nContent-Length: 9\r\n\r\n{"])
def test_a_request_not_sent_in_time_is_cut_off(impatient: MockOCIServer, sent: bytes) -> None:
    with connect(impatient) as sock:
        sock.sendall(sent)
        assert closed_by_server(sock)
    assert requests.get(impatient.url + "/_mockoci/health", timeout=10).status_code == 200


def test_an_idle_keep_alive_connection_is_closed(impatient: MockOCIServer) -> None:
    with connect(impatient) as sock:
        for _ in range(3):  # each whole request in time: the timer starts again for the next one
            sock.sendall(HEALTH)
            answer = sock.recv(65536)
            assert answer.startswith(b"HTTP/1.1 200 "), answer
        assert closed_by_server(sock)


def test_a_slow_answer_is_not_cut_off(impatient: MockOCIServer) -> None:
    """The timeout is the client's time to send its request; the server's time to answer does not count."""
    from mockoci.testing import AdminClient

    admin = AdminClient(impatient.url)
    admin.request("POST", "/faults", body={"latency": 1.5, "times": 1})
    try:
        answer = requests.get(impatient.url + "/20160918/volumeBackups", params={"compartmentId": "c"}, timeout=10)
        assert answer.status_code == 200
    finally:
        admin.request("DELETE", "/faults")


def test_over_the_concurrency_limit_uvicorn_answers_503(start_server: Callable[..., MockOCIServer]) -> None:
    server = start_server(auth="off", limit_concurrency=2)
    idle = [connect(server) for _ in range(2)]
    try:
        with connect(server) as sock:
            sock.sendall(HEALTH)
            answer = b""
            while not answer.endswith(b"Service Unavailable") and (chunk := sock.recv(65536)):
                answer += chunk  # the head and the body may come in two reads
        assert answer.startswith(b"HTTP/1.1 503 Service Unavailable\r\n"), answer
        assert answer.endswith(b"\r\n\r\nService Unavailable")  # plain text: uvicorn's, not an OCI body
    finally:
        for sock in idle:
            sock.close()


@pytest.fixture
def serve_with_1024_files() -> Iterator[str]:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < 4096:
        pytest.skip(f"the hard open-file limit ({hard}) leaves nothing to raise")
    if soft != resource.RLIM_INFINITY and soft < 2000:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(4096, hard), hard))  # this test's own sockets

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (1024, hard))

    process = subprocess.Popen(
        [sys.executable, "-m", "mockoci", "serve", "--port", "0", "--auth", "off", "--log-level", "info",
         "--request-timeout", "600"],
        stderr=subprocess.PIPE, text=True, preexec_fn=limit,
    )
    try:
        assert process.stderr is not None
        for line in process.stderr:
            found = re.search(r"running on http://127\.0\.0\.1:(\d+)", line)
            if found:
                break
        else:
            raise AssertionError(f"mockoci serve exited with {process.wait()}")
        with open(f"/proc/{process.pid}/limits") as limits:
            soft_now = next(line for line in limits if line.startswith("Max open files")).split()[3]
        assert soft_now == ("unlimited" if hard == resource.RLIM_INFINITY else str(hard))
        yield f"http://127.0.0.1:{found.group(1)}"
    finally:
        process.kill()
        process.wait()
        if process.stderr is not None:
            process.stderr.close()


def test_1100_idle_sockets_do_not_lock_new_clients_out(serve_with_1024_files: str) -> None:
    port = int(serve_with_1024_files.rsplit(":", 1)[1])
    idle = []
    try:
        for _ in range(1100):
            idle.append(socket.create_connection(("127.0.0.1", port), timeout=10))
        assert requests.get(serve_with_1024_files + "/_mockoci/health", timeout=10).status_code == 200
    finally:
        for sock in idle:
            sock.close()
