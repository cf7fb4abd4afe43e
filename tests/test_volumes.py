"""Integration: volumes through the real SDK (create, get, list, update, delete, restore from a backup), and
backups that know their volume (compartment, tags, size; an unknown or deleted volume is OCI's 404)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import oci
import pytest
import requests
from conftest import TENANCY, make_client

from mockoci.server import MockOCIServer
from mockoci.testing import AdminClient, MockOCI

models = oci.core.models
AD = "Uocm:US-ASHBURN-AD-1"
COMPARTMENT = "ocid1.compartment.oc1..aaaaaaaavolumes"
WAIT: dict[str, Any] = {"max_wait_seconds": 10, "max_interval_seconds": 0.1}


@pytest.fixture(scope="module")
def strict_server(start_server: Callable[..., MockOCIServer]) -> MockOCIServer:
    """A server with the default `unknown_volumes=reject`, in delay mode with a short delay."""
    return start_server(unknown_volumes="reject", lifecycle_delay=0.2, seed=5)


@pytest.fixture
def mock(strict_server: MockOCIServer) -> Iterator[MockOCI]:
    handle = MockOCI(AdminClient(strict_server.url), TENANCY)
    handle.admin.request("POST", "/reset")
    yield handle
    handle.admin.request("POST", "/reset")


@pytest.fixture
def client(strict_server: MockOCIServer, oci_config: dict[str, Any], mock: MockOCI) -> Any:
    return make_client(oci_config, strict_server.url)


def new_volume(client: Any, **details: Any) -> Any:
    body = models.CreateVolumeDetails(**{"compartment_id": COMPARTMENT, "availability_domain": AD, **details})
    return client.create_volume(body)


def service_error(call: Callable[[], Any]) -> oci.exceptions.ServiceError:
    with pytest.raises(oci.exceptions.ServiceError) as raised:
        call()
    return raised.value


def test_a_volume_is_provisioned_then_available_and_deleted(client: Any) -> None:
    created = new_volume(client, display_name="data", size_in_gbs=100, freeform_tags={"team": "a"}).data
    assert created.lifecycle_state == "PROVISIONING"
    assert created.id.startswith("ocid1.volume.oc1.iad.")
    assert (created.size_in_gbs, created.size_in_mbs, created.is_hydrated) == (100, 100 * 1024, True)
    assert created.availability_domain == AD and created.compartment_id == COMPARTMENT
    assert created.source_details is None and created.vpus_per_gb == 10
    available = oci.wait_until(client, client.get_volume(created.id), "lifecycle_state", "AVAILABLE", **WAIT)
    assert available.headers["etag"]
    client.delete_volume(created.id, if_match=available.headers["etag"])
    assert client.get_volume(created.id).data.lifecycle_state == "TERMINATING"
    oci.wait_until(client, client.get_volume(created.id), "lifecycle_state", "TERMINATED", **WAIT)
    client.delete_volume(created.id)  # deleting again changes nothing


def test_sizes_default_and_limits(client: Any) -> None:
    assert new_volume(client).data.size_in_gbs == 1024  # OCI's default
    assert new_volume(client, size_in_mbs=51200).data.size_in_gbs == 50
    error = service_error(lambda: new_volume(client, size_in_gbs=10))
    assert (error.status, error.code) == (400, "InvalidParameter")
    error = service_error(lambda: client.create_volume(models.CreateVolumeDetails(availability_domain=AD)))
    assert (error.status, error.code) == (400, "MissingParameter")


def test_update_needs_the_etag_and_only_grows(client: Any, mock: MockOCI) -> None:
    mock.set_lifecycle("immediate")
    created = new_volume(client, size_in_gbs=60)
    etag = created.headers["etag"]
    updated = client.update_volume(
        created.data.id, models.UpdateVolumeDetails(display_name="renamed", size_in_gbs=80), if_match=etag
    )
    assert (updated.data.display_name, updated.data.size_in_gbs, updated.data.size_in_mbs) == ("renamed", 80, 81920)
    stale = service_error(lambda: client.update_volume(
        created.data.id, models.UpdateVolumeDetails(display_name="x"), if_match=etag))
    assert (stale.status, stale.code) == (412, "NoEtagMatch")
    shrink = service_error(lambda: client.update_volume(created.data.id, models.UpdateVolumeDetails(size_in_gbs=70)))
    assert (shrink.status, shrink.code) == (400, "InvalidParameter")


def test_list_pages_sorts_and_filters(client: Any, mock: MockOCI) -> None:
    mock.set_lifecycle("immediate")
    made = [new_volume(client, display_name=f"v{n:02d}").data for n in range(12)]
    everything = oci.pagination.list_call_get_all_results(
        client.list_volumes, compartment_id=COMPARTMENT, sort_by="DISPLAYNAME", sort_order="ASC", limit=5
    ).data
    assert [v.display_name for v in everything] == [f"v{n:02d}" for n in range(12)]
    newest = client.list_volumes(compartment_id=COMPARTMENT, limit=3).data
    assert [v.id for v in newest] == [v.id for v in reversed(made)][:3]
    assert [v.id for v in client.list_volumes(compartment_id=COMPARTMENT, display_name="v03").data] == [made[3].id]
    assert client.list_volumes(compartment_id=COMPARTMENT, lifecycle_state="TERMINATED").data == []
    assert client.list_volumes(compartment_id=COMPARTMENT, availability_domain="other").data == []
    other = make_client({**client.base_client.config, "tenancy": "ocid1.tenancy.oc1..aaaaaaaaother"},
                        client.base_client.endpoint)
    assert other.list_volumes(compartment_id=COMPARTMENT).data == []  # tenancies are apart


def test_a_backup_lands_in_its_volumes_compartment_with_its_tags_and_size(client: Any, mock: MockOCI) -> None:
    mock.set_lifecycle("immediate")
    volume = new_volume(client, size_in_gbs=321, freeform_tags={"team": "a", "env": "dev"},
                        defined_tags={"ops": {"owner": "x", "cost": "1"}}).data
    backup = client.create_volume_backup(models.CreateVolumeBackupDetails(
        volume_id=volume.id, freeform_tags={"env": "prod"}, defined_tags={"ops": {"cost": "2"}},
    )).data
    assert backup.compartment_id == COMPARTMENT
    assert (backup.size_in_gbs, backup.size_in_mbs) == (321, 321 * 1024)
    assert backup.freeform_tags == {"team": "a", "env": "prod"}  # the request's tags on top
    assert backup.defined_tags == {"ops": {"owner": "x", "cost": "2"}}
    found = client.list_volume_backups(COMPARTMENT, volume_id=volume.id).data
    assert [b.id for b in found] == [backup.id]  # found where tools look: the volume's compartment


def test_an_unknown_or_deleted_volume_is_ocis_404(client: Any, mock: MockOCI) -> None:
    mock.set_lifecycle("immediate")
    unknown = "ocid1.volume.oc1.iad.abunknown"
    error = service_error(lambda: client.create_volume_backup(models.CreateVolumeBackupDetails(volume_id=unknown)))
    assert (error.status, error.code) == (404, "NotAuthorizedOrNotFound")
    assert error.message == f"Available volume matching id {unknown} not found, or not authorized for the current user."
    volume = new_volume(client).data
    client.delete_volume(volume.id)
    error = service_error(lambda: client.create_volume_backup(models.CreateVolumeBackupDetails(volume_id=volume.id)))
    assert (error.status, error.code) == (404, "NotAuthorizedOrNotFound")
    assert mock.journal("CreateVolumeBackup")[-1]["errorCode"] == "NotAuthorizedOrNotFound"


def test_a_volume_not_yet_available_cannot_be_backed_up(client: Any, mock: MockOCI) -> None:
    mock.set_lifecycle("manual")
    volume = new_volume(client).data
    error = service_error(lambda: client.create_volume_backup(models.CreateVolumeBackupDetails(volume_id=volume.id)))
    assert (error.status, error.code) == (409, "IncorrectState")
    error = service_error(lambda: client.delete_volume(volume.id))
    assert (error.status, error.code) == (409, "IncorrectState")
    mock.settle()
    assert client.get_volume(volume.id).data.lifecycle_state == "AVAILABLE"


def test_restore_from_a_backup_hydrates_on_the_clock(client: Any, mock: MockOCI, oci_config: dict[str, Any],
                                                     strict_server: MockOCIServer) -> None:
    mock.set_lifecycle("manual")
    source = mock.create_volume(compartmentId=COMPARTMENT, sizeInGBs=200)
    backup = client.create_volume_backup(models.CreateVolumeBackupDetails(volume_id=source["id"])).data
    mock.settle()
    restored = new_volume(client, source_details=models.VolumeSourceFromVolumeBackupDetails(id=backup.id)).data
    assert restored.source_details.id == backup.id and restored.source_details.type == "volumeBackup"
    assert (restored.size_in_gbs, restored.is_hydrated, restored.lifecycle_state) == (200, False, "PROVISIONING")
    raw = requests.get(f"{strict_server.url}/20160918/volumes/{restored.id}", timeout=10,
                       auth=oci.signer.Signer(TENANCY, oci_config["user"], oci_config["fingerprint"], None,
                                              private_key_content=oci_config["key_content"]))
    assert raw.json()["sourceDetails"] == {"type": "volumeBackup", "id": backup.id}
    mock.set_lifecycle("delay", 0.2)  # AVAILABLE after one delay, hydrated after two
    hydrated = oci.wait_until(client, client.get_volume(restored.id), "is_hydrated", True, **WAIT).data
    assert hydrated.lifecycle_state == "AVAILABLE"
    larger = new_volume(client, size_in_gbs=300, source_details=models.VolumeSourceFromVolumeBackupDetails(
        id=backup.id)).data
    assert larger.size_in_gbs == 300
    smaller = service_error(lambda: new_volume(
        client, size_in_gbs=100, source_details=models.VolumeSourceFromVolumeBackupDetails(id=backup.id)))
    assert (smaller.status, smaller.code) == (400, "InvalidParameter")
    missing = service_error(lambda: new_volume(
        client, source_details=models.VolumeSourceFromVolumeBackupDetails(id="ocid1.volumebackup.oc1.iad.abnone")))
    assert (missing.status, missing.code) == (404, "NotAuthorizedOrNotFound")


def test_the_sdk_composite_restore_waits(client: Any, mock: MockOCI) -> None:
    mock.set_lifecycle("delay", 0.1)
    source = mock.create_volume(compartmentId=COMPARTMENT, sizeInGBs=50)
    composite = oci.core.BlockstorageClientCompositeOperations(client)
    backup = composite.create_volume_backup_and_wait_for_state(
        models.CreateVolumeBackupDetails(volume_id=source["id"]), wait_for_states=["AVAILABLE"],
        waiter_kwargs=WAIT).data
    volume = composite.create_volume_and_wait_for_state(
        models.CreateVolumeDetails(compartment_id=COMPARTMENT, availability_domain=AD,
                                   source_details=models.VolumeSourceFromVolumeBackupDetails(id=backup.id)),
        wait_for_states=["AVAILABLE"], waiter_kwargs=WAIT).data
    assert volume.lifecycle_state == "AVAILABLE" and volume.source_details.id == backup.id


def test_a_clone_takes_its_source_volumes_size(client: Any, mock: MockOCI) -> None:
    mock.set_lifecycle("immediate")
    source = new_volume(client, size_in_gbs=75).data
    clone = new_volume(client, source_details=models.VolumeSourceFromVolumeDetails(id=source.id)).data
    assert (clone.size_in_gbs, clone.source_details.type, clone.source_details.id) == (75, "volume", source.id)


def test_the_admin_helpers_make_and_force_volumes(client: Any, mock: MockOCI) -> None:
    volume = mock.create_volume(sizeInGBs=64, displayName="seeded", freeformTags={"k": "v"})
    assert (volume["lifecycleState"], volume["compartmentId"], volume["isHydrated"]) == ("AVAILABLE", TENANCY, True)
    assert client.get_volume(volume["id"]).data.display_name == "seeded"
    forced = mock.force_volume_state(volume["id"], "FAULTY")
    assert forced["lifecycleState"] == "FAULTY"
    error = service_error(lambda: client.create_volume_backup(
        models.CreateVolumeBackupDetails(volume_id=volume["id"])))
    assert (error.status, error.code) == (409, "Conflict")
    assert [entry["operation"] for entry in mock.journal()] == ["GetVolume", "CreateVolumeBackup"]


def test_volumes_survive_a_state_snapshot_and_fixtures_hold_them(
    client: Any, mock: MockOCI, strict_server: MockOCIServer
) -> None:
    mock.set_lifecycle("immediate")
    volume = new_volume(client, display_name="kept").data
    snapshot = mock.admin.request("GET", "/state")
    [saved] = snapshot["tenancies"][TENANCY]["volumes"]
    assert saved["id"] == volume.id and saved["displayName"] == "kept"
    mock.reset()
    assert service_error(lambda: client.get_volume(volume.id)).status == 404
    mock.admin.request("PUT", "/state", body=snapshot)
    assert client.get_volume(volume.id).data.display_name == "kept"
    seeded = mock.seed([], volumes=[{**saved, "id": "ocid1.volume.oc1.iad.abfixture"},
                                    {"id": "ocid1.volume.oc1.iad.abshort", "compartmentId": COMPARTMENT,
                                     "sizeInGBs": 77}])
    assert seeded == []
    assert client.get_volume("ocid1.volume.oc1.iad.abshort").data.size_in_gbs == 77
    backup = client.create_volume_backup(
        models.CreateVolumeBackupDetails(volume_id="ocid1.volume.oc1.iad.abfixture")).data
    assert backup.compartment_id == COMPARTMENT


def test_unknown_volumes_accept_keeps_the_old_behaviour(
    start_server: Callable[..., MockOCIServer], oci_config: dict[str, Any]
) -> None:
    lenient = make_client(oci_config, start_server(unknown_volumes="accept", lifecycle_delay=0).url)
    backup = lenient.create_volume_backup(models.CreateVolumeBackupDetails(volume_id="ocid1.volume.oc1.iad.x")).data
    assert backup.compartment_id == TENANCY and backup.size_in_gbs


def test_faults_and_the_journal_know_the_volume_operations(client: Any, mock: MockOCI) -> None:
    mock.set_lifecycle("immediate")
    volume = new_volume(client).data
    mock.inject_fault(operation="GetVolume", status=503, code="ServiceUnavailable", times=1)
    error = service_error(lambda: client.get_volume(volume.id))
    assert (error.status, error.code) == (503, "ServiceUnavailable")
    assert client.get_volume(volume.id).data.id == volume.id
    assert [(entry["operation"], entry["status"]) for entry in mock.journal()] == [
        ("CreateVolume", 200), ("GetVolume", 503), ("GetVolume", 200)]
    document = mock.admin.request("GET", "/openapi.json")
    operations = {op["operationId"] for item in document["paths"].values() for op in item.values()
                  if isinstance(op, dict) and "operationId" in op}
    assert {"CreateVolume", "GetVolume", "ListVolumes", "UpdateVolume", "DeleteVolume", "GetWorkRequest",
            "ListWorkRequests", "ListWorkRequestErrors", "ListWorkRequestLogs"} <= operations


def test_list_volumes_refuses_an_unknown_or_empty_state(strict_server: MockOCIServer, oci_config: dict[str, Any],
                                                        mock: MockOCI) -> None:
    signer = oci.signer.Signer(TENANCY, oci_config["user"], oci_config["fingerprint"], None,
                               private_key_content=oci_config["key_content"])
    for state in ("", "CREATING"):
        answer = requests.get(f"{strict_server.url}/20160918/volumes", auth=signer, timeout=10,
                              params={"compartmentId": COMPARTMENT, "lifecycleState": state})
        assert (answer.status_code, answer.json()["code"]) == (400, "InvalidParameter")
    answer = requests.get(f"{strict_server.url}/20160918/volumes", auth=signer, timeout=10,
                          params={"compartmentId": COMPARTMENT, "lifecycleState": "available"})
    assert answer.status_code == 200  # compared without regard to case, as for backups
