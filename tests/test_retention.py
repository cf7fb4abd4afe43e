"""Integration: retention settings are enforced as the VolumeBackup model documents them (retention lock, legal
hold, deletion prevention), on the server's clock."""

from __future__ import annotations

from typing import Any

import oci
import pytest

from mockoci.testing import MockOCI

models = oci.core.models
DAY = 86400.0


def days(amount: int) -> Any:
    return models.RetentionDuration(retention_time_unit="DAYS", retention_time_amount=amount)


def refused(call: Any) -> oci.exceptions.ServiceError:
    with pytest.raises(oci.exceptions.ServiceError) as raised:
        call()
    assert (raised.value.status, raised.value.code) == (409, "Conflict"), raised.value
    return raised.value


def test_a_retention_lock_refuses_deletion_and_alteration_until_it_expires(
    client: Any, create_backup: Any, mock: MockOCI
) -> None:
    backup = create_backup(retention_period=days(2), is_retention_lock_enabled=True)
    assert backup.time_retention_expires_at is not None
    assert "retention-locked" in refused(lambda: client.delete_volume_backup(backup.id)).message
    refused(lambda: client.update_volume_backup(
        backup.id, models.UpdateVolumeBackupDetails(is_retention_lock_enabled=False)))
    refused(lambda: client.update_volume_backup(backup.id, models.UpdateVolumeBackupDetails(retention_period=days(1))))
    renamed = client.update_volume_backup(backup.id, models.UpdateVolumeBackupDetails(display_name="kept")).data
    assert renamed.display_name == "kept"  # names and tags are not the backup's data
    extended = client.update_volume_backup(
        backup.id, models.UpdateVolumeBackupDetails(retention_period=days(3))).data
    assert extended.time_retention_expires_at > backup.time_retention_expires_at
    mock.advance_clock(2 * DAY)
    refused(lambda: client.delete_volume_backup(backup.id))  # extended to 3 days
    mock.advance_clock(1 * DAY + 1)
    assert client.delete_volume_backup(backup.id).status == 204


def test_a_lock_that_expired_can_be_removed(client: Any, create_backup: Any, mock: MockOCI) -> None:
    backup = create_backup(retention_period=days(1), is_retention_lock_enabled=True)
    mock.advance_clock(DAY + 1)
    unlocked = client.update_volume_backup(
        backup.id, models.UpdateVolumeBackupDetails(is_retention_lock_enabled=False)).data
    assert unlocked.is_retention_lock_enabled is False


def test_a_legal_hold_refuses_deletion_whatever_the_retention(
    client: Any, create_backup: Any, mock: MockOCI
) -> None:
    backup = create_backup(is_indefinite_retention_enabled=True, retention_period=days(1))
    mock.advance_clock(10 * DAY)
    assert "legal hold" in refused(lambda: client.delete_volume_backup(backup.id)).message
    client.update_volume_backup(backup.id, models.UpdateVolumeBackupDetails(is_indefinite_retention_enabled=False))
    assert client.delete_volume_backup(backup.id).status == 204


def test_deletion_prevention_lasts_the_retention_period(client: Any, create_backup: Any, mock: MockOCI) -> None:
    backup = create_backup(is_prevent_deletion_enabled=True, retention_period=days(1))
    refused(lambda: client.delete_volume_backup(backup.id))
    mock.advance_clock(DAY + 1)
    assert client.delete_volume_backup(backup.id).status == 204
    forever = create_backup(is_prevent_deletion_enabled=True)  # no retention period: until it is turned off
    mock.advance_clock(100 * DAY)
    refused(lambda: client.delete_volume_backup(forever.id))
