"""Lifecycle modes, settle and force_state in the store, unit: no HTTP, the clock moved by hand."""

from __future__ import annotations

import pytest

from mockoci import errors
from mockoci.models import CreateVolumeBackupDetails
from mockoci.store import Lifecycle, VolumeBackupStore

T = "ocid1.tenancy.oc1..aaaaaaaaunit"
U = "ocid1.tenancy.oc1..aaaaaaaaunitother"


def create(store: VolumeBackupStore, tenancy: str = T) -> str:
    details = CreateVolumeBackupDetails(volume_id="ocid1.volume.oc1.iad.unit")
    return store.create_volume_backup(tenancy=tenancy, details=details).backup.id


def state(store: VolumeBackupStore, backup_id: str, tenancy: str = T) -> str:
    return store.get_volume_backup(tenancy=tenancy, backup_id=backup_id).backup.lifecycle_state


@pytest.mark.parametrize(
    ("mode", "expected"),
    [("immediate", "AVAILABLE"), ("delay", "REQUEST_RECEIVED"), ("manual", "REQUEST_RECEIVED")],
)
def test_the_settings_mode_decides_the_first_state(mode: str, expected: str) -> None:
    store = VolumeBackupStore(lifecycle_mode=mode, lifecycle_delay=10)  # type: ignore[arg-type]
    assert state(store, create(store)) == expected


def test_delay_mode_moves_with_the_clock_and_manual_mode_does_not() -> None:
    store = VolumeBackupStore(lifecycle_delay=10)
    store.set_lifecycle(Lifecycle("manual"), U)
    timed, held = create(store), create(store, U)
    store.advance_clock(5)
    assert state(store, timed) == "CREATING"
    store.advance_clock(5)
    assert state(store, timed) == "AVAILABLE"
    store.advance_clock(10_000)
    assert state(store, held, U) == "REQUEST_RECEIVED"


def test_settle_completes_every_pending_transition_of_one_tenancy() -> None:
    store = VolumeBackupStore(lifecycle_mode="manual")
    first, second, elsewhere = create(store), create(store), create(store, U)
    assert [stored.backup.id for stored in store.settle(tenancy=T, backup_id=first)] == [first]
    assert state(store, second) == "REQUEST_RECEIVED"
    assert {stored.backup.id for stored in store.settle(tenancy=T)} == {second}
    assert state(store, elsewhere, U) == "REQUEST_RECEIVED"
    store.delete_volume_backup(tenancy=T, backup_id=first)
    assert [stored.backup.lifecycle_state for stored in store.settle(tenancy=T)] == ["TERMINATED"]
    with pytest.raises(errors.NotAuthorizedOrNotFound):
        store.settle(tenancy=T, backup_id="ocid1.volumebackup.oc1.iad.missing")


def test_settled_terminated_backups_are_forgotten_after_the_retention() -> None:
    store = VolumeBackupStore(lifecycle_mode="manual", terminated_retention=60)
    backup = create(store)
    store.settle(tenancy=T)
    store.delete_volume_backup(tenancy=T, backup_id=backup)
    store.settle(tenancy=T)
    store.advance_clock(61)
    with pytest.raises(errors.NotAuthorizedOrNotFound):
        store.get_volume_backup(tenancy=T, backup_id=backup)


def test_changing_the_mode_reschedules_from_now() -> None:
    store = VolumeBackupStore(lifecycle_mode="manual", lifecycle_delay=10)
    backup = create(store)
    store.advance_clock(100)
    store.set_lifecycle(Lifecycle("delay", 10), T)
    assert state(store, backup) == "REQUEST_RECEIVED"
    store.advance_clock(10)
    assert state(store, backup) == "AVAILABLE"


def test_the_default_mode_changes_only_tenancies_without_their_own() -> None:
    store = VolumeBackupStore(lifecycle_mode="manual")
    store.set_lifecycle(Lifecycle("manual"), U)
    mine, theirs = create(store), create(store, U)
    store.set_lifecycle(Lifecycle("immediate", 0))
    assert (state(store, mine), state(store, theirs, U)) == ("AVAILABLE", "REQUEST_RECEIVED")
    store.reset(U)
    assert store.lifecycle(U) == Lifecycle("immediate", 0)
    store.reset()
    assert store.lifecycle(U) == Lifecycle("manual", 0.5)


def test_a_forced_transient_state_moves_on_as_the_mode_says() -> None:
    store = VolumeBackupStore(lifecycle_mode="manual")
    backup = create(store)
    store.settle(tenancy=T)
    assert (
        store.force_state(tenancy=T, backup_id=backup, state="CREATING").backup.lifecycle_state == "CREATING"
    )
    store.advance_clock(1000)
    assert state(store, backup) == "CREATING"
    store.settle(tenancy=T)
    assert state(store, backup) == "AVAILABLE"
    store.set_lifecycle(Lifecycle("immediate"), T)
    assert (
        store.force_state(tenancy=T, backup_id=backup, state="TERMINATING").backup.lifecycle_state
        == "TERMINATED"
    )
    assert store.force_state(tenancy=T, backup_id=backup, state="FAULTY").backup.lifecycle_state == "FAULTY"
    store.advance_clock(10_000)
    assert state(store, backup) == "FAULTY"
