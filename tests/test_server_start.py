"""Starting a server: `MockOCIServer.start` reports a failed start at once, a WebSocket upgrade gets mockoci's
own answer, and importing mockoci's plugin or package does not load the server."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
import requests
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


def test_a_server_that_checks_presence_does_not_load_the_rsa_modules() -> None:
    """cryptography's RSA modules are ~7 ms of a start-up: loaded by the first verification or key, not before."""
    code = (
        "import sys; from mockoci.server import MockOCIServer; from mockoci.settings import Settings; "
        "import urllib.request as u; s = MockOCIServer(Settings(port=0)).start(); "
        "u.urlopen(s.url + '/_mockoci/health').read(); s.stop(); "
        "print(sorted(m for m in sys.modules if m.startswith('cryptography.hazmat.primitives.asymmetric')))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


ADMIN_API_BUILT = (
    "import json, sys, urllib.error, urllib.request as u; from mockoci.server import MockOCIServer; "
    "from mockoci.settings import Settings; s = MockOCIServer(Settings(port=0, auth='off')).start(); "
    "built = lambda: sorted(m for m in ('mockoci.routes.admin', 'mockoci.routes.dashboard', 'pydantic.v1') "
    "if m in sys.modules); answers = []; "
    "answers.append((u.urlopen(s.url + '/_mockoci/health').status, built())); "
    "answers.append((u.urlopen(s.url + '/20160918/volumeBackups?compartmentId=ocid1.compartment.oc1..a').status, "
    "built())); "
    "answers.append((json.load(u.urlopen(s.url + '/_mockoci/stats'))['backups'], built())); "
    "s.stop(); print(json.dumps(answers))"
)


def test_the_admin_api_is_built_by_its_first_request_not_by_the_start() -> None:
    """mockoci's own API is ~50 ms of a start: a new server, its health probe and OCI requests build none of it
    (nor import pydantic.v1); the first admin request does, and is answered."""
    result = subprocess.run([sys.executable, "-c", ADMIN_API_BUILT], capture_output=True, text=True, check=True)
    health, listed, stats = json.loads(result.stdout)
    assert health == [200, []]
    assert listed == [200, []]
    assert stats == [0, ["mockoci.routes.admin", "mockoci.routes.dashboard", "pydantic.v1"]]


def test_stopping_answers_the_request_in_flight_and_then_refuses_connections() -> None:
    """`stop` returns without uvicorn's fixed pauses, but only once what is in flight is answered: a request
    slowed by a fault rule still gets its 200 and its opc-request-id, and the port no longer takes connections."""
    server = MockOCIServer(Settings(port=0, auth="off")).start()
    rule = requests.post(server.url + "/_mockoci/faults", json={"operation": "ListVolumeBackups", "latency": 0.5})
    assert rule.status_code == 201, rule.text
    answered: list[requests.Response] = []

    def list_slowly() -> None:
        answered.append(requests.get(server.url + "/20160918/volumeBackups?compartmentId=ocid1.compartment.oc1..a"))

    caller = threading.Thread(target=list_slowly)
    caller.start()
    deadline = time.monotonic() + 5
    while not any(rule.hits for rule in server.app.state.faults.list()) and time.monotonic() < deadline:
        time.sleep(0.01)  # until the rule struck: the request is in its 0.5 s of latency
    assert not answered
    port = server.port
    server.stop()
    caller.join(5)
    assert [response.status_code for response in answered] == [200]
    assert answered[0].json() == [] and answered[0].headers["opc-request-id"]
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
