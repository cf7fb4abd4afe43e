"""Shared test fixtures: real mockoci servers on free ports, and real `oci` SDK clients pointed at them."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import oci
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from mockoci.server import MockOCIServer
from mockoci.settings import Settings

if TYPE_CHECKING:
    from mockoci.testing import MockOCI

FIXTURES_DIR = Path(__file__).parent.parent / "fixtures"
TENANCY = "ocid1.tenancy.oc1..aaaaaaaatesttenancy"
USER = "ocid1.user.oc1..aaaaaaaatestuser"
COMPARTMENT = TENANCY  # backups of unknown volumes land in the caller's root compartment


@pytest.fixture(scope="session")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def fingerprint_of(key: rsa.RSAPrivateKey) -> str:
    der = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return ":".join(f"{b:02x}" for b in hashlib.md5(der).digest())


@pytest.fixture(scope="session")
def oci_config(rsa_key: rsa.RSAPrivateKey) -> dict[str, Any]:
    pem = rsa_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    ).decode()
    config = {
        "user": USER,
        "tenancy": TENANCY,
        "fingerprint": fingerprint_of(rsa_key),
        "key_content": pem,
        "region": "us-ashburn-1",
    }
    oci.config.validate_config(config)
    return config


@pytest.fixture(scope="session")
def start_server() -> Iterator[Callable[..., MockOCIServer]]:
    """Starts servers with the given settings; all are stopped at the end of the session. Backups of volumes the
    server does not know are accepted (`unknown_volumes="accept"`) unless a test asks otherwise: most tests are
    about backups, not volumes."""
    servers: list[MockOCIServer] = []

    def start(**settings: Any) -> MockOCIServer:
        server = MockOCIServer(Settings(**{"port": 0, "unknown_volumes": "accept", **settings})).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture(scope="session")
def instant_server(start_server: Callable[..., MockOCIServer]) -> MockOCIServer:
    """A server whose backups are AVAILABLE (and deleted ones TERMINATED) at once."""
    return start_server(lifecycle_delay=0, seed=7)


@pytest.fixture
def server(instant_server: MockOCIServer) -> MockOCIServer:
    instant_server.store.reset()
    return instant_server


def make_client(config: dict[str, Any], url: str, **kwargs: Any) -> Any:
    kwargs.setdefault("circuit_breaker_strategy", oci.circuit_breaker.NoCircuitBreakerStrategy())
    return oci.core.BlockstorageClient(config, service_endpoint=url, **kwargs)


@pytest.fixture
def client(server: MockOCIServer, oci_config: dict[str, Any]) -> Any:
    """An unmodified oci.core.BlockstorageClient pointed at `server`."""
    return make_client(oci_config, server.url)


@pytest.fixture
def create_backup(client: Any) -> Callable[..., Any]:
    """Creates a backup through the SDK and returns its VolumeBackup model."""

    def create(volume_id: str = "ocid1.volume.oc1.iad.testvolume", **details: Any) -> Any:
        body = oci.core.models.CreateVolumeBackupDetails(volume_id=volume_id, **details)
        return client.create_volume_backup(body).data

    return create


@pytest.fixture
def raw(server: MockOCIServer, oci_config: dict[str, Any]) -> Callable[..., Any]:
    """Sends a request signed by the SDK's own signer, with any method, path, body and headers."""
    import requests

    signer = oci.signer.Signer(
        oci_config["tenancy"], oci_config["user"], oci_config["fingerprint"], None,
        private_key_content=oci_config["key_content"],
    )
    session = requests.Session()

    def send(method: str, path: str, *, body: bytes | str | None = None, signed: bool = True,
             headers: dict[str, str] | None = None, params: Any = None) -> requests.Response:
        all_headers = {"content-type": "application/json", "accept": "application/json", **(headers or {})}
        if method in ("POST", "PUT") and body is None:
            body = b""
        return session.request(method, server.url + path, data=body, headers=all_headers, params=params,
                               auth=signer if signed else None, timeout=10)

    return send


def assert_oci_error(response: Any, status: int, code: str) -> dict[str, Any]:
    """`response` is OCI's error body with `opc-request-id`; returns the body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.headers.get("opc-request-id")
    body: dict[str, Any] = response.json()
    assert set(body) == {"code", "message"}, body
    assert body["code"] == code, body
    assert isinstance(body["message"], str) and body["message"]
    return body


@pytest.fixture(scope="session")
def public_key_file(rsa_key: rsa.RSAPrivateKey, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The session key's public half, as `oci_api_key_public.pem`."""
    path = tmp_path_factory.mktemp("keys") / "oci_api_key_public.pem"
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    path.write_bytes(rsa_key.public_key().public_bytes(serialization.Encoding.PEM, spki))
    return path


@pytest.fixture(scope="session")
def verify_instance(start_server: Callable[..., MockOCIServer], public_key_file: Path) -> MockOCIServer:
    """A server in `--auth verify` mode that accepts the session key (`--public-key`) for any tenancy."""
    return start_server(auth="verify", public_key=[public_key_file], lifecycle_delay=0, seed=11)


@pytest.fixture
def verify_server(verify_instance: MockOCIServer) -> MockOCIServer:
    verify_instance.store.reset()
    return verify_instance


@pytest.fixture
def mock(server: MockOCIServer) -> Iterator[MockOCI]:
    """The admin API of `server`, acting on TENANCY; the whole server (journal and faults too) is reset before
    and after the test."""
    from mockoci.testing import AdminClient, MockOCI

    handle = MockOCI(AdminClient(server.url), TENANCY)
    handle.admin.request("POST", "/reset")
    yield handle
    handle.admin.request("POST", "/reset")
