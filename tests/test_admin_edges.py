"""The admin API where a new user trips: operation names that match nothing, JSON sent with another declared
type (`curl -d`), and force-state looking in the wrong tenancy."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import requests
from conftest import TENANCY, assert_oci_error

from mockoci.server import MockOCIServer
from mockoci.store import DEFAULT_TENANCY


def oci_operations(server: MockOCIServer) -> list[str]:
    """The OCI operationIds in the server's own OpenAPI document."""
    document = requests.get(server.url + "/_mockoci/openapi.json", timeout=10).json()
    return sorted(
        operation["operationId"]
        for path, item in document["paths"].items() if not path.startswith("/_mockoci")
        for operation in item.values()
    )


def test_the_known_operations_come_from_the_routes(server: MockOCIServer) -> None:
    from mockoci.operations import oci_operations as known

    operations = oci_operations(server)
    assert known(server.app) == operations
    assert {"ListVolumeBackups", "CreateVolumeBackup", "UpdateVolumeBackup"} <= set(operations)


def test_a_fault_for_an_unknown_operation_is_refused_naming_the_known_ones(server: MockOCIServer) -> None:
    answer = requests.post(server.url + "/_mockoci/faults", json={"operation": "ListBackups", "status": 503},
                           timeout=10)
    body = assert_oci_error(answer, 400, "InvalidParameter")
    assert body["message"] == (
        f"Invalid fault: unknown operation 'ListBackups'; the operations are {', '.join(oci_operations(server))}."
    )
    assert requests.get(server.url + "/_mockoci/faults", timeout=10).json() == []
    known = requests.post(server.url + "/_mockoci/faults", json={"operation": "ListVolumeBackups", "status": 503},
                          timeout=10)
    assert known.status_code == 201, known.text
    requests.delete(server.url + "/_mockoci/faults", timeout=10)


def test_the_journal_filter_refuses_an_unknown_operation(server: MockOCIServer) -> None:
    answer = requests.get(server.url + "/_mockoci/journal", params={"operation": "GetBackup"}, timeout=10)
    body = assert_oci_error(answer, 400, "InvalidParameter")
    assert body["message"].startswith("Invalid operation: unknown operation 'GetBackup'; the operations are ")
    assert "GetVolumeBackup" in body["message"]
    known = requests.get(server.url + "/_mockoci/journal", params={"operation": "GetVolumeBackup"}, timeout=10)
    assert known.status_code == 200, known.text  # the session's server: other tests' GETs may be in it
    assert all(entry["operation"] == "GetVolumeBackup" for entry in known.json())


@pytest.mark.parametrize(
    "content_type", ["application/x-www-form-urlencoded", "text/plain", None, "application/json; charset=utf-8"]
)
def test_admin_routes_take_json_whatever_its_declared_type(server: MockOCIServer, content_type: str | None) -> None:
    headers = {"content-type": content_type} if content_type else {}
    if content_type is None:  # requests adds no type to a bytes body; check that none went out
        prepared = requests.Request("POST", server.url, data=b"{}").prepare()
        assert "content-type" not in {name.lower() for name in prepared.headers}
    generated = requests.post(
        server.url + "/_mockoci/backups/generate", params={"tenancy": TENANCY},
        data=b'{"count": 2, "seed": 5}', headers=headers, timeout=10,
    )
    assert generated.status_code == 201, generated.text
    assert len(generated.json()) == 2
    lifecycle = requests.put(server.url + "/_mockoci/lifecycle", params={"tenancy": TENANCY},
                             data=b'{"mode": "manual"}', headers=headers, timeout=10)
    assert lifecycle.status_code == 200, lifecycle.text
    assert lifecycle.json()["mode"] == "manual"


def test_a_body_that_is_not_json_is_named_as_such(server: MockOCIServer) -> None:
    answer = requests.post(server.url + "/_mockoci/clock/advance", data="seconds=5", timeout=10,
                           headers={"content-type": "application/x-www-form-urlencoded"})
    body = assert_oci_error(answer, 400, "CannotParseRequest")
    assert body["message"] == "The request body is not valid JSON."


def test_force_state_says_which_tenancy_it_searched(
    server: MockOCIServer, create_backup: Callable[..., Any]
) -> None:
    backup = create_backup()  # in TENANCY, the one the SDK signs for
    url = f"{server.url}/_mockoci/backups/{backup.id}/state"
    unqualified = requests.post(url, json={"lifecycleState": "FAULTY"}, timeout=10)
    message = assert_oci_error(unqualified, 404, "NotAuthorizedOrNotFound")["message"]
    assert message == (
        f"No volume backup {backup.id} in tenancy {DEFAULT_TENANCY} (the default: pass ?tenancy= with the tenancy "
        "OCID your client signs for)."
    )
    other = "ocid1.tenancy.oc1..aaaaaaaaanother"
    elsewhere = requests.post(url, params={"tenancy": other}, json={"lifecycleState": "FAULTY"}, timeout=10)
    assert assert_oci_error(elsewhere, 404, "NotAuthorizedOrNotFound")["message"] == (
        f"No volume backup {backup.id} in tenancy {other}."
    )
    found = requests.post(url, params={"tenancy": TENANCY}, json={"lifecycleState": "FAULTY"}, timeout=10)
    assert found.status_code == 200 and found.json()["lifecycleState"] == "FAULTY"
