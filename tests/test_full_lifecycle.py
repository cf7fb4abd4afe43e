"""Integration: the Python SDK's whole volume-backup workflow against `mockoci serve` with default settings."""

from __future__ import annotations

import threading
from typing import Any

import oci
import pytest
from conftest import COMPARTMENT, make_client
from test_fixtures_and_cli import serve

models = oci.core.models
WAIT = {"max_interval_seconds": 1, "max_wait_seconds": 30}


def test_full_lifecycle_against_mockoci_serve(oci_config: dict[str, Any]) -> None:
    with serve() as url:
        # no client-side change but the endpoint (circuit breaker left at the SDK's default)
        client = oci.core.BlockstorageClient(oci_config, service_endpoint=url)
        volume = client.create_volume(models.CreateVolumeDetails(
            compartment_id=COMPARTMENT, availability_domain="Uocm:US-ASHBURN-AD-1", size_in_gbs=50,
        )).data
        oci.wait_until(client, client.get_volume(volume.id), "lifecycle_state", "AVAILABLE", **WAIT)
        created = client.create_volume_backup(
            models.CreateVolumeBackupDetails(volume_id=volume.id, display_name="b0")
        ).data
        assert created.lifecycle_state in ("REQUEST_RECEIVED", "CREATING")
        available = oci.wait_until(client, client.get_volume_backup(created.id), "lifecycle_state", "AVAILABLE", **WAIT)
        for i in range(1, 12):
            client.create_volume_backup(models.CreateVolumeBackupDetails(volume_id=volume.id, display_name=f"b{i}"))
        listed = oci.pagination.list_call_get_all_results(
            client.list_volume_backups, COMPARTMENT, limit=5, sort_by="DISPLAYNAME"
        ).data
        assert [b.display_name for b in listed] == sorted(f"b{i}" for i in range(12))
        etag = available.headers["etag"]
        updated = client.update_volume_backup(
            created.id, models.UpdateVolumeBackupDetails(display_name="renamed"), if_match=etag
        )
        with pytest.raises(oci.exceptions.ServiceError) as stale:
            client.update_volume_backup(created.id, models.UpdateVolumeBackupDetails(display_name="x"), if_match=etag)
        assert (stale.value.status, stale.value.code) == (412, "NoEtagMatch")
        copy = client.copy_volume_backup(
            created.id, models.CopyVolumeBackupDetails(destination_region="us-phoenix-1")
        ).data
        assert copy.source_volume_backup_id == created.id
        oci.wait_until(client, client.get_volume_backup(copy.id), "lifecycle_state", "AVAILABLE", **WAIT)
        moved = client.change_volume_backup_compartment(
            created.id, models.ChangeVolumeBackupCompartmentDetails(compartment_id="ocid1.compartment.oc1..b")
        )
        assert moved.headers["etag"] != updated.headers["etag"]
        assert client.get_volume_backup(created.id).data.compartment_id == "ocid1.compartment.oc1..b"
        client.delete_volume_backup(created.id, if_match=moved.headers["etag"])
        gone = oci.wait_until(client, client.get_volume_backup(created.id), "lifecycle_state", "TERMINATED", **WAIT)
        assert gone.data.display_name == "renamed"


def test_concurrent_writers_with_one_etag_one_wins(client: Any, server: Any, oci_config: dict[str, Any]) -> None:
    backup = client.create_volume_backup(models.CreateVolumeBackupDetails(volume_id="v")).data
    etag = client.get_volume_backup(backup.id).headers["etag"]
    results: list[int] = []
    barrier = threading.Barrier(8)

    def write(n: int) -> None:
        own = make_client(oci_config, server.url)
        barrier.wait()
        try:
            own.update_volume_backup(backup.id, models.UpdateVolumeBackupDetails(display_name=f"w{n}"), if_match=etag)
            results.append(200)
        except oci.exceptions.ServiceError as exc:
            results.append(exc.status)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [200] + [412] * 7
