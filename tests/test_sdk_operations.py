"""Integration: every volume-backup operation through the real `oci` Python SDK against a real server."""

from __future__ import annotations

import re
from typing import Any

import oci
import pytest
from conftest import COMPARTMENT, TENANCY

from mockoci.server import MockOCIServer

models = oci.core.models
DATETIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def test_create_fills_what_the_client_did_not_send(client: Any, server: MockOCIServer) -> None:
    response = client.create_volume_backup(
        models.CreateVolumeBackupDetails(volume_id="ocid1.volume.oc1.iad.vol1", freeform_tags={"team": "a"})
    )
    assert response.status == 200
    assert response.headers["etag"]
    assert response.headers["opc-request-id"]
    backup = response.data
    assert backup.id.startswith("ocid1.volumebackup.oc1.iad.")
    assert backup.type == "INCREMENTAL"
    assert backup.volume_id == "ocid1.volume.oc1.iad.vol1"
    assert backup.compartment_id == COMPARTMENT
    assert backup.freeform_tags == {"team": "a"}
    assert backup.defined_tags == {}
    assert backup.source_type == "MANUAL"
    assert backup.size_in_gbs > 0 and backup.size_in_mbs == backup.size_in_gbs * 1024
    assert 0 < backup.unique_size_in_gbs <= backup.size_in_gbs
    assert backup.display_name.startswith("volumebackup")
    assert backup.time_created is not None and backup.time_request_received is not None
    stored = server.store.get_volume_backup(tenancy=TENANCY, backup_id=backup.id)
    assert stored.backup.display_name == backup.display_name


def test_create_keeps_every_optional_field(client: Any) -> None:
    details = models.CreateVolumeBackupDetails(
        volume_id="ocid1.volume.oc1.iad.vol1",
        display_name="nightly",
        type="FULL",
        kms_key_id="ocid1.key.oc1.iad.k",
        defined_tags={"Operations": {"CostCenter": "42"}},
        freeform_tags={"a": "b"},
        retention_period=models.RetentionDuration(retention_time_unit="DAYS", retention_time_amount=7),
        is_prevent_deletion_enabled=False,
        is_retention_lock_enabled=False,
        is_indefinite_retention_enabled=False,
    )
    backup = client.create_volume_backup(details).data
    fetched = client.get_volume_backup(backup.id).data
    for item in (backup, fetched):
        assert item.display_name == "nightly"
        assert item.type == "FULL"
        assert item.kms_key_id == "ocid1.key.oc1.iad.k"
        assert item.defined_tags == {"Operations": {"CostCenter": "42"}}
        assert item.retention_period.retention_time_unit == "DAYS"
        assert item.retention_period.retention_time_amount == 7
        assert (item.time_retention_expires_at - item.time_created).days == 7
        assert item.is_prevent_deletion_enabled is False


def test_datetimes_are_oci_formatted(raw: Any, create_backup: Any) -> None:
    backup = create_backup()
    body = raw("GET", f"/20160918/volumeBackups/{backup.id}").json()
    assert DATETIME.match(body["timeCreated"])
    assert DATETIME.match(body["timeRequestReceived"])
    assert "uniqueSizeInMbs" in body and "sizeInMBs" in body and "sizeInGBs" in body


def test_get_returns_the_current_etag(client: Any, create_backup: Any) -> None:
    backup = create_backup()
    first = client.get_volume_backup(backup.id)
    again = client.get_volume_backup(backup.id)
    assert first.headers["etag"] == again.headers["etag"]
    assert first.data.id == backup.id


def test_get_unknown_id_is_not_authorized_or_not_found(client: Any) -> None:
    with pytest.raises(oci.exceptions.ServiceError) as caught:
        client.get_volume_backup("ocid1.volumebackup.oc1.iad.nope")
    assert caught.value.status == 404
    assert caught.value.code == "NotAuthorizedOrNotFound"
    assert caught.value.request_id


def test_client_request_id_is_echoed(client: Any, raw: Any, create_backup: Any) -> None:
    backup = create_backup()
    response = client.change_volume_backup_compartment(
        backup.id, models.ChangeVolumeBackupCompartmentDetails(compartment_id=COMPARTMENT),
        opc_request_id="MYREQUEST1234",
    )
    assert response.headers["opc-request-id"] == "MYREQUEST1234"
    with pytest.raises(oci.exceptions.ServiceError) as caught:
        client.copy_volume_backup(
            "ocid1.volumebackup.oc1.iad.nope", models.CopyVolumeBackupDetails(destination_region="us-phoenix-1"),
            opc_request_id="MYREQUEST5678",
        )
    assert caught.value.request_id == "MYREQUEST5678"
    assert caught.value.headers["opc-request-id"] == "MYREQUEST5678"
    got = raw("GET", f"/20160918/volumeBackups/{backup.id}", headers={"opc-request-id": "RAW-ID-1"})
    assert got.headers["opc-request-id"] == "RAW-ID-1"


def test_update_replaces_tags_and_changes_etag(client: Any, create_backup: Any) -> None:
    backup = create_backup(freeform_tags={"a": "1", "b": "2"}, defined_tags={"ns": {"k": "v"}})
    etag = client.get_volume_backup(backup.id).headers["etag"]
    response = client.update_volume_backup(
        backup.id, models.UpdateVolumeBackupDetails(display_name="renamed", freeform_tags={"c": "3"}), if_match=etag
    )
    assert response.status == 200
    assert response.data.display_name == "renamed"
    assert response.data.freeform_tags == {"c": "3"}  # replaced, not merged
    assert response.data.defined_tags == {"ns": {"k": "v"}}  # not sent: unchanged
    assert response.headers["etag"] != etag
    fetched = client.get_volume_backup(backup.id)
    assert fetched.headers["etag"] == response.headers["etag"]
    assert fetched.data.display_name == "renamed"


def test_update_with_stale_etag_is_412_and_changes_nothing(client: Any, create_backup: Any) -> None:
    backup = create_backup(display_name="before")
    stale = client.get_volume_backup(backup.id).headers["etag"]
    client.update_volume_backup(backup.id, models.UpdateVolumeBackupDetails(display_name="first"), if_match=stale)
    current = client.get_volume_backup(backup.id)
    with pytest.raises(oci.exceptions.ServiceError) as caught:
        client.update_volume_backup(backup.id, models.UpdateVolumeBackupDetails(display_name="second"), if_match=stale)
    assert caught.value.status == 412
    assert caught.value.code == "NoEtagMatch"
    after = client.get_volume_backup(backup.id)
    assert after.data.display_name == "first"
    assert after.headers["etag"] == current.headers["etag"]


def test_if_match_star_matches_any_existing_backup(client: Any, create_backup: Any) -> None:
    backup = create_backup()
    response = client.update_volume_backup(backup.id, models.UpdateVolumeBackupDetails(display_name="x"), if_match="*")
    assert response.data.display_name == "x"


def test_unknown_id_is_404_before_the_etag_check(client: Any) -> None:
    with pytest.raises(oci.exceptions.ServiceError) as caught:
        client.update_volume_backup(
            "ocid1.volumebackup.oc1.iad.nope", models.UpdateVolumeBackupDetails(display_name="x"), if_match="bad"
        )
    assert (caught.value.status, caught.value.code) == (404, "NotAuthorizedOrNotFound")
    with pytest.raises(oci.exceptions.ServiceError) as caught:
        client.delete_volume_backup("ocid1.volumebackup.oc1.iad.nope", if_match="bad")
    assert (caught.value.status, caught.value.code) == (404, "NotAuthorizedOrNotFound")


def test_delete_answers_204_with_empty_body_and_terminates(client: Any, raw: Any, create_backup: Any) -> None:
    backup = create_backup()
    response = raw("DELETE", f"/20160918/volumeBackups/{backup.id}")
    assert response.status_code == 204
    assert response.content == b""
    assert response.headers["opc-request-id"]
    # the same keep-alive connection still works afterwards (a `null` body would break it)
    assert raw("GET", f"/20160918/volumeBackups/{backup.id}").json()["lifecycleState"] == "TERMINATED"
    sdk_backup = create_backup()
    deleted = client.delete_volume_backup(sdk_backup.id)
    assert deleted.status == 204 and deleted.data is None
    assert client.get_volume_backup(sdk_backup.id).data.lifecycle_state == "TERMINATED"


def test_delete_with_stale_etag_is_412(client: Any, create_backup: Any) -> None:
    backup = create_backup()
    stale = client.get_volume_backup(backup.id).headers["etag"]
    client.update_volume_backup(backup.id, models.UpdateVolumeBackupDetails(display_name="x"))
    with pytest.raises(oci.exceptions.ServiceError) as caught:
        client.delete_volume_backup(backup.id, if_match=stale)
    assert (caught.value.status, caught.value.code) == (412, "NoEtagMatch")
    assert client.get_volume_backup(backup.id).data.lifecycle_state == "AVAILABLE"
    current = client.get_volume_backup(backup.id).headers["etag"]
    client.delete_volume_backup(backup.id, if_match=current)
    assert client.get_volume_backup(backup.id).data.lifecycle_state == "TERMINATED"


def test_delete_twice_is_idempotent(client: Any, create_backup: Any) -> None:
    backup = create_backup()
    client.delete_volume_backup(backup.id)
    etag = client.get_volume_backup(backup.id).headers["etag"]
    assert client.delete_volume_backup(backup.id).status == 204
    assert client.get_volume_backup(backup.id).headers["etag"] == etag


def test_delete_refused_while_deletion_prevented(client: Any, create_backup: Any) -> None:
    backup = create_backup(is_prevent_deletion_enabled=True)
    with pytest.raises(oci.exceptions.ServiceError) as caught:
        client.delete_volume_backup(backup.id)
    assert (caught.value.status, caught.value.code) == (409, "Conflict")
    assert client.get_volume_backup(backup.id).data.lifecycle_state == "AVAILABLE"
    client.update_volume_backup(backup.id, models.UpdateVolumeBackupDetails(is_prevent_deletion_enabled=False))
    assert client.delete_volume_backup(backup.id).status == 204


def test_copy_makes_a_new_backup_in_the_destination_region(client: Any, create_backup: Any) -> None:
    source = create_backup(display_name="src", type="FULL")
    response = client.copy_volume_backup(
        source.id, models.CopyVolumeBackupDetails(destination_region="us-phoenix-1", kms_key_id="ocid1.key.oc1.phx.k")
    )
    copy = response.data
    assert response.status == 200
    assert response.headers["etag"]
    assert copy.id.startswith("ocid1.volumebackup.oc1.phx.")
    assert copy.id != source.id
    assert copy.source_volume_backup_id == source.id
    assert copy.display_name == "src"
    assert copy.kms_key_id == "ocid1.key.oc1.phx.k"
    assert copy.type == "FULL" and copy.size_in_gbs == source.size_in_gbs
    assert response.headers["location"].endswith(f"/20160918/volumeBackups/{copy.id}")
    assert response.headers["opc-work-request-id"].startswith("ocid1.coreservicesworkrequest.oc1.iad.")
    assert client.get_volume_backup(source.id).data.source_volume_backup_id is None
    named = client.copy_volume_backup(
        source.id, models.CopyVolumeBackupDetails(destination_region="eu-frankfurt-1", display_name="dr")
    ).data
    assert named.display_name == "dr" and ".fra." in named.id
    listed = client.list_volume_backups(COMPARTMENT, source_volume_backup_id=source.id).data
    assert {item.id for item in listed} == {copy.id, named.id}


def test_change_compartment_moves_the_backup(client: Any, create_backup: Any) -> None:
    backup = create_backup()
    etag = client.get_volume_backup(backup.id).headers["etag"]
    response = client.change_volume_backup_compartment(
        backup.id, models.ChangeVolumeBackupCompartmentDetails(compartment_id="ocid1.compartment.oc1..other")
    )
    assert response.status == 200
    assert response.data is None
    assert response.headers["etag"] and response.headers["etag"] != etag
    fetched = client.get_volume_backup(backup.id)
    assert fetched.data.compartment_id == "ocid1.compartment.oc1..other"
    assert fetched.headers["etag"] == response.headers["etag"]
    assert [b.id for b in client.list_volume_backups("ocid1.compartment.oc1..other").data] == [backup.id]
    assert client.list_volume_backups(COMPARTMENT).data == []


def test_retry_token_makes_create_idempotent(client: Any, server: MockOCIServer) -> None:
    details = models.CreateVolumeBackupDetails(volume_id="ocid1.volume.oc1.iad.v", display_name="once")
    first = client.create_volume_backup(details, opc_retry_token="token-1")
    second = client.create_volume_backup(details, opc_retry_token="token-1")
    assert first.data.id == second.data.id
    assert len(client.list_volume_backups(COMPARTMENT).data) == 1
    other = models.CreateVolumeBackupDetails(volume_id="ocid1.volume.oc1.iad.v", display_name="different")
    with pytest.raises(oci.exceptions.ServiceError) as caught:
        client.create_volume_backup(other, opc_retry_token="token-1")
    assert (caught.value.status, caught.value.code) == (409, "InvalidatedRetryToken")
    assert len(client.list_volume_backups(COMPARTMENT).data) == 1
    third = client.create_volume_backup(details, opc_retry_token="token-2")
    assert third.data.id != first.data.id


def test_retry_token_makes_copy_idempotent(client: Any, create_backup: Any) -> None:
    source = create_backup()
    details = models.CopyVolumeBackupDetails(destination_region="us-phoenix-1")
    first = client.copy_volume_backup(source.id, details, opc_retry_token="copy-1")
    second = client.copy_volume_backup(source.id, details, opc_retry_token="copy-1")
    assert first.data.id == second.data.id


def test_create_with_sdk_retry_strategy_sends_a_token_and_works(server: MockOCIServer, oci_config: Any) -> None:
    from conftest import make_client

    client = make_client(oci_config, server.url, retry_strategy=oci.retry.DEFAULT_RETRY_STRATEGY)
    backup = client.create_volume_backup(models.CreateVolumeBackupDetails(volume_id="v")).data
    assert client.get_volume_backup(backup.id).data.id == backup.id


def test_known_volume_gives_compartment_and_size(client: Any, server: MockOCIServer) -> None:
    from mockoci.store import VolumeSpec

    server.store.register_volume(
        tenancy=TENANCY, volume_id="ocid1.volume.oc1.iad.known",
        volume=VolumeSpec(compartment_id="ocid1.compartment.oc1..vols", size_in_gbs=321),
    )
    backup = client.create_volume_backup(models.CreateVolumeBackupDetails(volume_id="ocid1.volume.oc1.iad.known")).data
    assert backup.compartment_id == "ocid1.compartment.oc1..vols"
    assert backup.size_in_gbs == 321
