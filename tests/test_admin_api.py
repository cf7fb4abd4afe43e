"""The admin API under /_mockoci/, integration: set up state and control time, checked with the SDK."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import oci
import pytest
import requests
from conftest import FIXTURES_DIR, TENANCY

from mockoci.server import MockOCIServer
from mockoci.testing import MockOCI, MockOCIAdminError

VOLUME = "ocid1.volume.oc1.iad.adminvolume"
OTHER_TENANCY = "ocid1.tenancy.oc1..aaaaaaaaothertenancy"
Details = oci.core.models.CreateVolumeBackupDetails


def listed(client: Any, compartment: str = TENANCY) -> list[Any]:
    return list(
        oci.pagination.list_call_get_all_results(client.list_volume_backups, compartment_id=compartment).data
    )


def test_the_admin_api_is_in_the_openapi_document(server: MockOCIServer) -> None:
    paths = requests.get(server.url + "/_mockoci/openapi.json", timeout=5).json()["paths"]
    for path in (
        "/_mockoci/health",
        "/_mockoci/reset",
        "/_mockoci/backups",
        "/_mockoci/backups/generate",
        "/_mockoci/backups/{volumeBackupId}/state",
        "/_mockoci/lifecycle",
        "/_mockoci/lifecycle/settle",
        "/_mockoci/clock",
        "/_mockoci/clock/advance",
        "/_mockoci/journal",
        "/_mockoci/faults",
        "/_mockoci/faults/{faultId}",
    ):
        assert path in paths, path


def test_seed_from_a_fixture_document(client: Any, mock: MockOCI) -> None:
    document = json.loads((FIXTURES_DIR / "postman-example.json").read_text())
    seeded = mock.admin.request("POST", "/backups", params={"tenancy": TENANCY}, body=document)
    assert [backup["id"] for backup in seeded] == [document[0]["id"]]
    got = client.get_volume_backup(document[0]["id"]).data
    assert got.display_name == document[0]["displayName"]
    assert got.size_in_gbs == document[0]["sizeInGBs"]
    assert client.get_volume_backup(document[0]["id"]).headers["etag"] == document[0]["etag"]  # the pinned one


def test_seeded_volumes_shape_created_backups(client: Any, mock: MockOCI) -> None:
    mock.seed(
        volumes=[{"id": VOLUME, "compartmentId": "ocid1.compartment.oc1..aaaaaaaaseeded", "sizeInGBs": 77}]
    )
    backup = client.create_volume_backup(Details(volume_id=VOLUME)).data
    assert (backup.compartment_id, backup.size_in_gbs) == ("ocid1.compartment.oc1..aaaaaaaaseeded", 77)


def test_a_bad_seed_is_rejected_whole(mock: MockOCI, client: Any) -> None:
    good = mock.generate(1, seed=1)[0]
    bad = {**good, "id": "ocid1.volumebackup.oc1.iad.other", "lifecycleState": "SLEEPING"}
    with pytest.raises(MockOCIAdminError) as error:
        mock.seed([{**good, "id": "ocid1.volumebackup.oc1.iad.fine"}, bad])
    assert (error.value.status, error.value.code) == (400, "InvalidParameter")
    assert "volumeBackups[1].lifecycleState" in error.value.message
    assert [backup.id for backup in listed(client)] == [good["id"]]


def test_generate_is_reproducible_with_a_seed(client: Any, mock: MockOCI) -> None:
    first = mock.generate(12, seed=5)
    again = MockOCI(mock.admin, OTHER_TENANCY).generate(12, seed=5)
    other = MockOCI(mock.admin, OTHER_TENANCY).generate(12, seed=6)
    assert first == [{**backup, "compartmentId": TENANCY} for backup in again]
    assert {b["id"] for b in first}.isdisjoint(b["id"] for b in other)
    assert sorted(b.id for b in listed(client)) == sorted(b["id"] for b in first)
    assert all(b["lifecycleState"] == "AVAILABLE" and b["sizeInGBs"] >= b["uniqueSizeInGBs"] for b in first)


def test_generate_with_chosen_fields(client: Any, mock: MockOCI) -> None:
    compartment = "ocid1.compartment.oc1..aaaaaaaagenerated"
    made = mock.generate(3, compartmentId=compartment, volumeId=VOLUME, lifecycleState="FAULTY")
    assert {(b["compartmentId"], b["volumeId"], b["lifecycleState"]) for b in made} == {
        (compartment, VOLUME, "FAULTY")
    }
    assert len(listed(client, compartment)) == 3


def test_force_state(client: Any, mock: MockOCI, create_backup: Callable[..., Any]) -> None:
    backup = create_backup()
    etag = client.get_volume_backup(backup.id).headers["etag"]
    forced = mock.force_state(backup.id, "FAULTY")
    assert forced["lifecycleState"] == "FAULTY"
    got = client.get_volume_backup(backup.id)
    assert got.data.lifecycle_state == "FAULTY" and got.headers["etag"] != etag
    with pytest.raises(MockOCIAdminError) as missing:
        mock.force_state("ocid1.volumebackup.oc1.iad.missing", "AVAILABLE")
    assert (missing.value.status, missing.value.code) == (404, "NotAuthorizedOrNotFound")
    with pytest.raises(MockOCIAdminError) as invalid:
        mock.force_state(backup.id, "SLEEPING")
    assert (invalid.value.status, invalid.value.code) == (400, "InvalidParameter")


def test_immediate_mode(client: Any, mock: MockOCI) -> None:
    assert mock.set_lifecycle("immediate") == {"mode": "immediate", "delay": 0.0, "tenancy": TENANCY}
    backup = client.create_volume_backup(Details(volume_id=VOLUME)).data
    assert backup.lifecycle_state == "AVAILABLE"
    client.delete_volume_backup(backup.id)
    assert client.get_volume_backup(backup.id).data.lifecycle_state == "TERMINATED"


def test_delay_mode_follows_the_virtual_clock(client: Any, mock: MockOCI) -> None:
    mock.set_lifecycle("delay", delay=100)
    backup = client.create_volume_backup(Details(volume_id=VOLUME)).data
    state = lambda: client.get_volume_backup(backup.id).data.lifecycle_state  # noqa: E731
    assert backup.lifecycle_state == "REQUEST_RECEIVED"
    mock.advance_clock(50)
    assert state() == "CREATING"
    mock.advance_clock(50)
    assert state() == "AVAILABLE"
    client.delete_volume_backup(backup.id)
    assert state() == "TERMINATING"
    mock.advance_clock(100)
    assert state() == "TERMINATED"


def test_manual_mode_waits_for_settle(client: Any, mock: MockOCI) -> None:
    mock.set_lifecycle("manual")
    first = client.create_volume_backup(Details(volume_id=VOLUME)).data
    second = client.create_volume_backup(Details(volume_id=VOLUME)).data
    mock.advance_clock(10_000)
    assert client.get_volume_backup(first.id).data.lifecycle_state == "REQUEST_RECEIVED"
    settled = mock.settle(first.id)
    assert [(b["id"], b["lifecycleState"]) for b in settled] == [(first.id, "AVAILABLE")]
    assert client.get_volume_backup(second.id).data.lifecycle_state == "REQUEST_RECEIVED"
    client.delete_volume_backup(first.id)
    assert client.get_volume_backup(first.id).data.lifecycle_state == "TERMINATING"
    assert {b["id"]: b["lifecycleState"] for b in mock.settle()} == {
        first.id: "TERMINATED",
        second.id: "AVAILABLE",
    }
    assert mock.settle() == []


def test_changing_the_mode_reschedules_pending_transitions(client: Any, mock: MockOCI) -> None:
    mock.set_lifecycle("manual")
    backup = client.create_volume_backup(Details(volume_id=VOLUME)).data
    mock.set_lifecycle("immediate")
    assert client.get_volume_backup(backup.id).data.lifecycle_state == "AVAILABLE"


def test_the_lifecycle_mode_is_per_tenancy_and_reset_restores_the_default(
    server: MockOCIServer, mock: MockOCI
) -> None:
    other = MockOCI(mock.admin, OTHER_TENANCY)
    default = mock.admin.request("GET", "/lifecycle")
    mock.set_lifecycle("manual")
    assert other.lifecycle()["mode"] == default["mode"]
    assert mock.lifecycle()["mode"] == "manual"
    mock.reset()
    assert mock.lifecycle() == {**default, "tenancy": TENANCY}
    mock.admin.request("PUT", "/lifecycle", body={"mode": "delay", "delay": 3})
    assert other.lifecycle() == {"mode": "delay", "delay": 3, "tenancy": OTHER_TENANCY}
    mock.admin.request("POST", "/reset")
    assert mock.admin.request("GET", "/lifecycle") == default


def test_the_clock(mock: MockOCI) -> None:
    before = mock.admin.request("GET", "/clock")
    after = mock.advance_clock(3600)
    assert after["offset"] == before["offset"] + 3600
    assert after["now"] > before["now"]
    with pytest.raises(MockOCIAdminError) as error:
        mock.advance_clock(-1)
    assert error.value.status == 400


def test_admin_routes_need_no_signature_and_answer_oci_errors(server: MockOCIServer) -> None:
    response = requests.post(server.url + "/_mockoci/backups/generate", json={"count": 0}, timeout=5)
    assert response.status_code == 400
    assert response.headers["opc-request-id"]
    assert set(response.json()) == {"code", "message"}
