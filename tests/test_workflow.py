"""Integration: the whole backup workflow against `mockoci serve` (default settings: unknown volumes refused), with
the Python SDK and its composite operations. The same workflow with the oci CLI and the Node SDK is in
tests/test_workflow_clients.py (marker `clients`).

Create a volume, back it up and wait, copy the backup to another region and wait on the work request, see the
copy only in its region, restore a volume from the backup and wait for hydration, refuse a locked deletion,
delete."""

from __future__ import annotations

from typing import Any

import oci
import pytest
from conftest import TENANCY, make_client
from test_fixtures_and_cli import serve

from mockoci.testing import AdminClient

models = oci.core.models
AD = "Uocm:US-ASHBURN-AD-1"
WAIT: dict[str, Any] = {"max_wait_seconds": 30, "max_interval_seconds": 0.2}
DAY = 86400


def test_the_sdk_workflow(oci_config: dict[str, Any]) -> None:
    with serve("--lifecycle-delay", "0.2") as url:
        ashburn = make_client(oci_config, url + "/us-ashburn-1")
        phoenix = make_client({**oci_config, "region": "us-phoenix-1"}, url + "/us-phoenix-1")
        composite = oci.core.BlockstorageClientCompositeOperations(ashburn)
        with pytest.raises(oci.exceptions.ServiceError) as unknown:  # the default: OCI's answer
            ashburn.create_volume_backup(models.CreateVolumeBackupDetails(volume_id="ocid1.volume.oc1.iad.nope"))
        assert (unknown.value.status, unknown.value.code) == (404, "NotAuthorizedOrNotFound")

        volume = composite.create_volume_and_wait_for_state(
            models.CreateVolumeDetails(compartment_id=TENANCY, availability_domain=AD, size_in_gbs=120,
                                       freeform_tags={"app": "db"}),
            wait_for_states=["AVAILABLE"], waiter_kwargs=WAIT,
        ).data
        backup = composite.create_volume_backup_and_wait_for_state(
            models.CreateVolumeBackupDetails(
                volume_id=volume.id, display_name="nightly", type="FULL",
                retention_period=models.RetentionDuration(retention_time_unit="DAYS", retention_time_amount=1),
                is_retention_lock_enabled=True,
            ),
            wait_for_states=["AVAILABLE"], waiter_kwargs=WAIT,
        ).data
        assert (backup.compartment_id, backup.size_in_gbs, backup.freeform_tags) == (TENANCY, 120, {"app": "db"})

        request = composite.copy_volume_backup_and_wait_for_work_request(
            backup.id, models.CopyVolumeBackupDetails(destination_region="us-phoenix-1", display_name="dr"),
            waiter_kwargs=WAIT,
        ).data
        assert (request.status, request.percent_complete) == ("SUCCEEDED", 100.0)
        [copy_id] = [r.identifier for r in request.resources if r.action_type == "CREATED"]
        with pytest.raises(oci.exceptions.ServiceError) as from_source:
            ashburn.get_volume_backup(copy_id)
        assert from_source.value.status == 404
        copy = phoenix.get_volume_backup(copy_id).data
        assert (copy.lifecycle_state, copy.source_volume_backup_id, copy.display_name) == (
            "AVAILABLE", backup.id, "dr")
        assert [b.id for b in phoenix.list_volume_backups(TENANCY).data] == [copy_id]

        restored = composite.create_volume_and_wait_for_state(
            models.CreateVolumeDetails(
                compartment_id=TENANCY, availability_domain=AD, display_name="restored",
                source_details=models.VolumeSourceFromVolumeBackupDetails(id=backup.id),
            ),
            wait_for_states=["AVAILABLE"], waiter_kwargs=WAIT,
        ).data
        assert (restored.size_in_gbs, restored.source_details.id) == (120, backup.id)
        hydrated = oci.wait_until(ashburn, ashburn.get_volume(restored.id), "is_hydrated", True, **WAIT).data
        assert hydrated.is_hydrated is True

        with pytest.raises(oci.exceptions.ServiceError) as locked:
            ashburn.delete_volume_backup(backup.id)
        assert (locked.value.status, locked.value.code) == (409, "Conflict")
        AdminClient(url).request("POST", "/clock/advance", body={"seconds": DAY + 1})  # the lock expires
        composite.delete_volume_backup_and_wait_for_state(backup.id, wait_for_states=["TERMINATED"],
                                                          waiter_kwargs=WAIT)
        phoenix.delete_volume_backup(copy_id)
        composite.delete_volume_and_wait_for_state(restored.id, wait_for_states=["TERMINATED"], waiter_kwargs=WAIT)
        composite.delete_volume_and_wait_for_state(volume.id, wait_for_states=["TERMINATED"], waiter_kwargs=WAIT)
        journal = AdminClient(url).request("GET", "/journal")
        operations = {entry["operation"] for entry in journal}
        assert {"CreateVolume", "GetVolume", "CopyVolumeBackup", "GetWorkRequest", "DeleteVolume"} <= operations
