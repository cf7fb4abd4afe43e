"""Unit: what a reset forgets is freed in the background, a piece at a time, while the store starts afresh."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from mockoci import collector, engine
from mockoci.models import VolumeBackup
from mockoci.store import ListQuery, VolumeBackupStore

COMPARTMENT = "ocid1.compartment.oc1..aaaaaaaacollector"


def backups(count: int, prefix: str) -> list[VolumeBackup]:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    return [VolumeBackup(id=f"ocid1.volumebackup.oc1.iad.{prefix}{n:05d}", compartment_id=COMPARTMENT,
                         display_name=f"{prefix}-{n:05d}", lifecycle_state="REQUEST_RECEIVED", type="FULL",
                         time_created=start + timedelta(seconds=n)) for n in range(count)]


def names(store: VolumeBackupStore, tenancy: str) -> list[str]:
    page = store.list_volume_backups(tenancy=tenancy, query=ListQuery(COMPARTMENT, sort_by="DISPLAYNAME"), limit=5)
    return [stored.backup.display_name for stored in page.items]


@pytest.fixture
def handed_over(monkeypatch: pytest.MonkeyPatch) -> list[Iterator[object]]:
    """What the store hands to the background freer, kept here instead of freed."""
    kept: list[Iterator[object]] = []
    monkeypatch.setattr(engine, "free_later", kept.append)
    monkeypatch.setattr(collector, "FREE_BATCH", 100)
    return kept


def test_a_reset_starts_afresh_at_once_and_hands_the_old_state_over_in_pieces(
    handed_over: list[Iterator[object]],
) -> None:
    store = VolumeBackupStore(lifecycle_mode="manual")
    store.set_baseline(backups(3, "fixture"))
    handed_over.clear()
    store.seed(tenancy="t1", backups=backups(1_000, "mine"))
    store.seed(tenancy="t2", backups=backups(10, "theirs"))
    old = store.get_volume_backup(tenancy="t1", backup_id="ocid1.volumebackup.oc1.iad.mine00000")

    store.reset()
    assert names(store, "t1") == ["fixture-00000", "fixture-00001", "fixture-00002"]  # the fixtures, at once
    counts = store.counts()
    assert (counts["backups"], counts["tenancies"], counts["transitions"]) == (3, 1, 6)  # t1's, just made
    [pieces] = handed_over
    assert len(list(pieces)) > 20  # 1,013 records, 2,000 pending transitions, 100 references a piece
    assert old.backup.display_name == "mine-00000"  # a reader's reference stays good

    store.seed(tenancy="t2", backups=backups(5, "again"))
    store.reset(tenancy="t2")  # one tenancy: its partition is handed over the same way
    assert len(handed_over) == 2 and len(list(handed_over[1])) > 1
    assert names(store, "t2") == ["fixture-00000", "fixture-00001", "fixture-00002"]
    assert names(store, "t1") == ["fixture-00000", "fixture-00001", "fixture-00002"]


def test_a_taken_apart_index_is_empty_and_the_baseline_it_was_copied_from_is_whole(
    handed_over: list[Iterator[object]],
) -> None:
    store = VolumeBackupStore(lifecycle_mode="manual")
    store.set_baseline(backups(250, "fixture"))
    store.seed(tenancy="t1", backups=backups(300, "mine"))
    table = store._partitions["t1"].tables["backups"]
    store.import_state({})  # an import starts from nothing too
    for _ in handed_over[-1]:
        pass
    assert len(table) == 0 and list(table) == []
    assert len(store._baseline_tables["backups"]) == 250
    assert names(store, "t1") == [f"fixture-{n:05d}" for n in range(5)]


def test_free_later_runs_the_pieces_in_a_background_thread() -> None:
    ran: list[str] = []
    done = threading.Event()

    def pieces() -> Iterator[None]:
        for _ in range(3):
            ran.append(threading.current_thread().name)
            yield
        done.set()

    collector.free_later(pieces())
    assert done.wait(10)
    assert ran == ["mockoci-freer"] * 3

