"""mockoci's pytest plugin (entry point `pytest11`): a mockoci server per test session, reset for each test.

Only fixtures and options live here; imports are lazy so that merely installing mockoci costs pytest nothing.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

    from .server import MockOCIServer
    from .testing import AdminClient, MockOCI

LIFECYCLE_MODES = ("immediate", "delay", "manual")
USER = "ocid1.user.oc1..aaaaaaaamockociuser"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("mockoci", "mockoci: a local emulator of OCI volume backups")
    group.addoption(
        "--mockoci-url", metavar="URL", default=None,
        help="use the mockoci server at URL (a container, say) instead of starting one in-process "
        "(default: $MOCKOCI_URL)",
    )
    group.addoption(
        "--mockoci-lifecycle", choices=LIFECYCLE_MODES, default=None,
        help="lifecycle mode every test starts in (default: the mockoci_lifecycle ini value, else immediate)",
    )
    group.addoption(
        "--mockoci-timeout", type=float, metavar="SECONDS", default=30.0,
        help="how long to wait for the server at --mockoci-url to be healthy (default 30)",
    )
    group.addoption(
        "--mockoci-admin-token", metavar="TOKEN", default=None,
        help="the admin token of the server at --mockoci-url, if it has one (default: $MOCKOCI_ADMIN_TOKEN)",
    )
    parser.addini("mockoci_lifecycle", "lifecycle mode every test starts in (immediate, delay, manual)",
                  default="immediate")


class MockOCIService:
    """The session's mockoci server: its URL, its admin API, and the in-process server if the plugin started
    it."""

    def __init__(self, admin: AdminClient, server: MockOCIServer | None = None) -> None:
        self.admin = admin
        self.server = server

    @property
    def url(self) -> str:
        return self.admin.url


@pytest.fixture(scope="session")
def mockoci_settings() -> dict[str, Any]:
    """Settings (`mockoci.settings.Settings` fields) for the in-process server the plugin starts; override
    this fixture in your conftest.py to change them, e.g. `return {"auth": "off"}`. Unused with --mockoci-url.
    """
    return {}


@pytest.fixture(scope="session")
def mockoci_server(
    request: pytest.FixtureRequest, mockoci_settings: dict[str, Any]
) -> Iterator[MockOCIService]:
    """The mockoci server of this test session (of this xdist worker): started in-process (uvicorn in a
    thread, free port) before the first test that needs it and stopped at the end, or, with --mockoci-url URL
    or $MOCKOCI_URL, the server already running there (a container), waited for through /_mockoci/health.
    Has `.url` and `.admin` (the admin API client)."""
    from .testing import AdminClient

    url = request.config.getoption("mockoci_url") or os.environ.get("MOCKOCI_URL")
    if url:
        token = request.config.getoption("mockoci_admin_token") or os.environ.get("MOCKOCI_ADMIN_TOKEN")
        admin = AdminClient(url, token=token)
        timeout = float(request.config.getoption("mockoci_timeout"))
        try:
            admin.wait_until_healthy(timeout)
        except TimeoutError as exc:
            pytest.fail(f"mockoci: {exc}", pytrace=False)
        yield MockOCIService(admin)
        return
    from .server import MockOCIServer
    from .settings import Settings

    server = MockOCIServer(Settings(**{"host": "127.0.0.1", **mockoci_settings, "port": 0})).start()
    secret = server.settings.admin_token  # from mockoci_settings or $MOCKOCI_ADMIN_TOKEN, as Settings reads it
    try:
        yield MockOCIService(AdminClient(server.url, token=secret.get_secret_value() if secret else None), server)
    finally:
        server.stop()


@pytest.fixture(scope="session")
def mockoci_tenancy() -> str:
    """The tenancy OCID of this test session (one per xdist worker, random per run), so that workers sharing
    one server never see nor reset each other's backups, journal or faults."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main").lower().replace("-", "")
    return f"ocid1.tenancy.oc1..aaaaaaaamockoci{worker}{secrets.token_hex(6)}"


@pytest.fixture
def mockoci(request: pytest.FixtureRequest, mockoci_server: MockOCIService, mockoci_tenancy: str) -> MockOCI:
    """The mockoci server for one test, with this session's tenancy reset before the test (backups, journal,
    fault rules) and its lifecycle mode set (--mockoci-lifecycle, ini mockoci_lifecycle; default immediate).

    Has `.url` and helpers that all go through the admin API: `seed(backups)`, `generate(n, seed=)`,
    `force_state(id, state)`, `set_lifecycle(mode, delay=)`, `settle(id=None)`, `advance_clock(seconds)`,
    `inject_fault(operation=, status=, code=, latency=, times=, probability=)`, `faults()`,
    `remove_fault(id)`, `journal(operation=None)`. See docs/pytest-plugin.md."""
    from .testing import MockOCI

    handle = MockOCI(mockoci_server.admin, mockoci_tenancy)
    handle.reset()
    mode = request.config.getoption("mockoci_lifecycle") or request.config.getini("mockoci_lifecycle")
    if mode not in LIFECYCLE_MODES:
        choices = ", ".join(LIFECYCLE_MODES)
        raise pytest.UsageError(f"mockoci_lifecycle must be one of {choices}, not {mode!r}")
    handle.set_lifecycle(mode)
    return handle


@pytest.fixture(scope="session")
def mockoci_private_key() -> RSAPrivateKey:
    """A fresh 2048-bit RSA API signing key, generated once per session."""
    from cryptography.hazmat.primitives.asymmetric import rsa

    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def mockoci_oci_config(mockoci: MockOCI, mockoci_private_key: RSAPrivateKey) -> dict[str, Any]:
    """An OCI SDK config dict (`user`, `tenancy`, `fingerprint`, `key_content`, `region`) for this session's
    tenancy and freshly generated key; `oci.config.validate_config` accepts it. The public key is registered
    with the server when it keeps keys (`POST /_mockoci/keys`). Pass it to any `oci` client with
    `service_endpoint=mockoci.url`."""
    from cryptography.hazmat.primitives import serialization

    public_der = mockoci_private_key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    public_pem = mockoci_private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
    private_pem = mockoci_private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()
    mockoci.register_key(public_pem, USER)
    return {
        "user": USER,
        "tenancy": mockoci.tenancy,
        "fingerprint": ":".join(f"{byte:02x}" for byte in hashlib.md5(public_der).digest()),
        "key_content": private_pem,
        "region": "us-ashburn-1",
    }


@pytest.fixture
def mockoci_blockstorage_client(mockoci: MockOCI, mockoci_oci_config: dict[str, Any]) -> Any:
    """An unmodified `oci.core.BlockstorageClient` pointed at the mockoci server, its circuit breaker off (so
    injected faults never trip it across tests) and the SDK's default retry behaviour (none). Needs the `oci`
    SDK: `pip install 'mockoci[pytest]'`."""
    try:
        import oci
    except ModuleNotFoundError as exc:
        if exc.name != "oci":
            raise
        oci = None
    if oci is None:  # said outside the `except`, so that pytest shows this, not the ImportError it replaces
        pytest.fail(
            "mockoci_blockstorage_client needs the oci SDK, which is not installed: "
            "pip install 'mockoci[pytest]' (or pip install oci)", pytrace=False,
        )

    return oci.core.BlockstorageClient(
        mockoci_oci_config,
        service_endpoint=mockoci.url,
        circuit_breaker_strategy=oci.circuit_breaker.NoCircuitBreakerStrategy(),
    )
