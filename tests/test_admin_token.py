"""The admin token (issue 9): with --admin-token, /_mockoci/ answers only requests that carry it, as
`Authorization: Bearer <token>`; health and the API description stay open; OCI requests are not concerned."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
import requests
from conftest import COMPARTMENT, assert_oci_error, make_client

from mockoci.server import MockOCIServer
from mockoci.testing import AdminClient, MockOCI, MockOCIAdminError

pytest_plugins = ["pytester"]
TOKEN = "correct-horse-battery-staple"
BASE = "/20160918/volumeBackups"
PEM = "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA\n-----END PUBLIC KEY-----\n"
# every kind of thing an open admin API allows (docs/admin-api.md): read, change, wipe, register a key
GUARDED = [
    ("GET", "/_mockoci/state", None), ("GET", "/_mockoci/journal", None), ("GET", "/_mockoci/stats", None),
    ("GET", "/_mockoci/faults", None), ("GET", "/_mockoci/clock", None), ("GET", "/_mockoci/lifecycle", None),
    ("POST", "/_mockoci/reset", b""), ("POST", "/_mockoci/faults", b'{"status": 503}'),
    ("POST", "/_mockoci/backups/generate", b'{"count": 1}'), ("PUT", "/_mockoci/state", b"{}"),
    ("POST", "/_mockoci/clock/advance", b'{"seconds": 1}'), ("DELETE", "/_mockoci/journal", None),
    ("POST", "/_mockoci/keys?tenancy=t&user=u", PEM.encode()), ("GET", "/_mockoci/nothing-here", None),
]


@pytest.fixture(scope="module")
def guarded(start_server: Callable[..., MockOCIServer]) -> MockOCIServer:
    return start_server(auth="verify", admin_token=TOKEN, lifecycle_delay=0)


@pytest.mark.parametrize(("method", "path", "body"), GUARDED, ids=[f"{m} {p}" for m, p, _ in GUARDED])
@pytest.mark.parametrize("authorization", [None, "Bearer wrong", f"Basic {TOKEN}", "Bearer", TOKEN,
                                           f"Bearer {TOKEN}x"])
def test_without_the_token_nothing_is_read_or_changed(
    guarded: MockOCIServer, method: str, path: str, body: bytes | None, authorization: str | None
) -> None:
    admin = AdminClient(guarded.url, token=TOKEN)
    before = admin.request("GET", "/state"), admin.request("GET", "/faults"), admin.request("GET", "/clock")
    headers = {"content-type": "application/json", "opc-request-id": "ABC"}
    if authorization is not None:
        headers["authorization"] = authorization
    response = requests.request(method, guarded.url + path, data=body, headers=headers, timeout=10)
    error = assert_oci_error(response, 401, "NotAuthenticated")
    assert "admin token" in error["message"] and "Authorization: Bearer" in error["message"]
    assert response.headers["opc-request-id"] == "ABC"
    assert response.headers["www-authenticate"].startswith("Bearer")
    after = admin.request("GET", "/state"), admin.request("GET", "/faults"), admin.request("GET", "/clock")
    assert after[:2] == before[:2] and after[2]["offset"] == before[2]["offset"]


@pytest.mark.parametrize("path", ["/_mockoci/health", "/_mockoci/docs", "/_mockoci/openapi.json"])
def test_health_and_the_description_stay_open(guarded: MockOCIServer, path: str) -> None:
    assert requests.get(guarded.url + path, timeout=10).status_code == 200


def test_the_openapi_document_says_which_routes_need_the_token(
    guarded: MockOCIServer, server: MockOCIServer
) -> None:
    document = requests.get(guarded.url + "/_mockoci/openapi.json", timeout=10).json()
    assert document["components"]["securitySchemes"]["adminToken"] == {
        "type": "http", "scheme": "bearer", "description": "The server's --admin-token (MOCKOCI_ADMIN_TOKEN).",
    }
    paths = document["paths"]
    assert paths["/_mockoci/state"]["put"]["security"] == [{"adminToken": []}]
    assert "401" in paths["/_mockoci/state"]["put"]["responses"]
    assert "security" not in paths["/_mockoci/health"]["get"]
    assert "security" not in paths["/20160918/volumeBackups"]["get"]
    open_document = requests.get(server.url + "/_mockoci/openapi.json", timeout=10).json()
    assert "securitySchemes" not in open_document.get("components", {})


def test_with_the_token_the_admin_api_works(guarded: MockOCIServer) -> None:
    mock = MockOCI(AdminClient(guarded.url, token=TOKEN), "ocid1.tenancy.oc1..aaaaaaaatokentenancy")
    mock.reset()
    assert len(mock.generate(2, seed=1)) == 2
    assert mock.inject_fault(status=503, times=1)["id"]
    mock.clear_faults()
    scheme_in_any_case = requests.get(guarded.url + "/_mockoci/stats", timeout=10,
                                      headers={"authorization": f"bEaReR {TOKEN}"})
    assert scheme_in_any_case.status_code == 200
    with pytest.raises(MockOCIAdminError) as refused:
        MockOCI(AdminClient(guarded.url), mock.tenancy).reset()
    assert (refused.value.status, refused.value.code) == (401, "NotAuthenticated")


def test_oci_requests_need_no_admin_token(
    start_server: Callable[..., MockOCIServer], oci_config: dict[str, Any]
) -> None:
    server = start_server(admin_token=TOKEN, lifecycle_delay=0)
    client = make_client(oci_config, server.url)
    assert client.list_volume_backups(compartment_id=COMPARTMENT).status == 200
    unsigned = requests.get(server.url + BASE, params={"compartmentId": COMPARTMENT}, timeout=10)
    assert_oci_error(unsigned, 401, "NotAuthenticated")  # the signature check, as without a token
    assert "admin token" not in unsigned.json()["message"]


def test_without_a_token_setting_the_admin_api_is_open(server: MockOCIServer) -> None:
    assert requests.get(server.url + "/_mockoci/stats", timeout=10).status_code == 200


def test_the_plugin_sends_the_token_of_its_own_server(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        f"""
        import pytest

        @pytest.fixture(scope="session")
        def mockoci_settings():
            return {{"admin_token": {TOKEN!r}}}
        """
    )
    pytester.makepyfile(
        """
        import requests

        def test_admin(mockoci_server, mockoci, mockoci_blockstorage_client):
            assert requests.get(mockoci.url + "/_mockoci/stats", timeout=10).status_code == 401
            mockoci.generate(3, seed=1)
            listed = mockoci_blockstorage_client.list_volume_backups(compartment_id=mockoci.tenancy).data
            assert len(listed) == 3
            assert len(mockoci.journal()) == 1
        """
    )
    pytester.runpytest_inprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)


@pytest.mark.parametrize("how", ["option", "environment"])
def test_the_plugin_sends_the_token_to_a_running_server(
    pytester: pytest.Pytester, guarded: MockOCIServer, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    monkeypatch.delenv("MOCKOCI_URL", raising=False)
    pytester.makepyfile(
        """
        def test_admin(mockoci):
            mockoci.generate(2, seed=1)
            assert len(mockoci.faults()) == 0
        """
    )
    if how == "option":
        result = pytester.runpytest_inprocess("--mockoci-url", guarded.url, "--mockoci-admin-token", TOKEN)
    else:
        monkeypatch.setenv("MOCKOCI_ADMIN_TOKEN", TOKEN)
        result = pytester.runpytest_inprocess("--mockoci-url", guarded.url)
    result.assert_outcomes(passed=1)
    monkeypatch.delenv("MOCKOCI_ADMIN_TOKEN", raising=False)
    pytester.runpytest_inprocess("--mockoci-url", guarded.url).assert_outcomes(errors=1)


def test_the_token_is_not_shown_in_settings_and_an_empty_one_is_none(monkeypatch: pytest.MonkeyPatch) -> None:
    from mockoci.settings import Settings

    settings = Settings(admin_token=TOKEN)
    assert TOKEN not in repr(settings) and TOKEN not in json.dumps(settings.model_dump(mode="json"))
    monkeypatch.setenv("MOCKOCI_ADMIN_TOKEN", "")
    assert Settings().admin_token is None
