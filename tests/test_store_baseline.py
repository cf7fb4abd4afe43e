"""Unit: fixtures (the baseline) are copied into each tenancy, and a reset brings them back unchanged."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from mockoci.models import UpdateVolumeBackupDetails, VolumeBackup
from mockoci.store import ListQuery, VolumeBackupStore

COMPARTMENT = "ocid1.compartment.oc1..aaaaaaaabaseline"


def baseline(count: int) -> list[VolumeBackup]:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    return [
        VolumeBackup(id=f"ocid1.volumebackup.oc1.iad.ab{n:03d}", compartment_id=COMPARTMENT,
                     display_name=f"fixture-{n:03d}", lifecycle_state="AVAILABLE", type="FULL",
                     time_created=start + timedelta(minutes=n))
        for n in range(count)
    ]


def names(store: VolumeBackupStore, tenancy: str) -> list[str]:
    query = ListQuery(COMPARTMENT, sort_by="DISPLAYNAME")
    page = store.list_volume_backups(tenancy=tenancy, query=query, limit=50)
    return [stored.backup.display_name for stored in page.items]


def test_each_tenancy_changes_its_own_copy_and_a_reset_restores_the_fixtures() -> None:
    store = VolumeBackupStore(lifecycle_delay=0)
    fixtures = baseline(5)
    store.set_baseline(fixtures)
    first_id = fixtures[0].id
    original = store.get_volume_backup(tenancy="a", backup_id=first_id)
    assert store.get_volume_backup(tenancy="b", backup_id=first_id).etag == original.etag

    renamed = store.update_volume_backup(tenancy="a", backup_id=first_id,
                                         details=UpdateVolumeBackupDetails(display_name="zz-renamed"),
                                         if_match=original.etag)
    store.delete_volume_backup(tenancy="a", backup_id=fixtures[1].id)
    assert renamed.etag != original.etag
    assert names(store, "a")[-1] == "zz-renamed"
    assert names(store, "b") == [backup.display_name for backup in fixtures]
    untouched = store.get_volume_backup(tenancy="b", backup_id=fixtures[1].id)
    assert untouched.backup.lifecycle_state == "AVAILABLE"

    store.reset()
    assert names(store, "a") == [backup.display_name for backup in fixtures]
    restored = store.get_volume_backup(tenancy="a", backup_id=first_id)
    assert (restored.backup, restored.etag) == (original.backup, original.etag)


def test_stored_backups_share_their_fields_set_without_changing_it() -> None:
    store = VolumeBackupStore(lifecycle_delay=0)
    one, two = baseline(2)
    given = set(one.model_fields_set)
    stored = store.seed(tenancy="a", backups=[one, two])
    assert stored[0].backup.model_fields_set is stored[1].backup.model_fields_set
    assert stored[0].backup.model_fields_set == given
    store.update_volume_backup(tenancy="a", backup_id=one.id,
                               details=UpdateVolumeBackupDetails(freeform_tags={"k": "v"}))
    assert store.get_volume_backup(tenancy="a", backup_id=one.id).backup.freeform_tags == {"k": "v"}
    assert store.get_volume_backup(tenancy="a", backup_id=two.id).backup.model_fields_set == given
    assert "freeform_tags" not in given
