"""The memory policy (collector.py): what a reset forgets is freed in the background, a piece at a time, while
the store starts afresh; a running server freezes long-lived objects out of the garbage collector."""

from __future__ import annotations

import gc
import subprocess
import sys
import threading
import weakref
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sortedcontainers import SortedList

from mockoci import collector, engine
from mockoci.app import create_app
from mockoci.models import (
    CopyVolumeBackupDetails,
    CreateVolumeBackupDetails,
    UpdateVolumeBackupDetails,
    VolumeBackup,
)
from mockoci.resources.backup_policies import (
    CreateVolumeBackupPolicyAssignmentDetails,
    CreateVolumeBackupPolicyDetails,
)
from mockoci.resources.volumes import CreateVolumeDetails
from mockoci.server import MockOCIServer
from mockoci.settings import Settings
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


def test_dismantle_empties_what_only_it_holds_and_leaves_shared_containers_whole(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(collector, "FREE_BATCH", 10)
    shared = [1, 2, 3]
    inner = SortedList(range(100))
    owned = {"keys": inner, "shared": shared, "nested": [[n] for n in range(50)]}
    structure = {"a": owned}
    del owned, inner
    pieces = len(list(collector.dismantle(structure)))
    assert structure == {} and shared == [1, 2, 3]  # `shared` is held here too: left whole
    # a piece each for the two dicts, 5 for the nested list, 1 for each of its 50 lists, and 10 for the sorted
    # list's 100 keys (in sortedcontainers' own sublist): it was taken apart, not dropped whole
    assert pieces >= 1 + 1 + 5 + 50 + 10


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


# -- the garbage collector's policy ---------------------------------------------------------------------------


def test_a_running_server_freezes_what_survives_a_slow_full_collection_and_unfreezes_at_stop(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(collector, "SLOW_COLLECTION", -1.0)  # every full collection counts as slow
    alone = collector._installed == 0  # no other server of this test process runs (the session's, under xdist)
    gc.unfreeze()
    with MockOCIServer(Settings(port=0)):
        assert collector._after_collection in gc.callbacks
        gc.collect(1)
        assert gc.get_freeze_count() == 0  # a young collection freezes nothing
        gc.collect()
        assert gc.get_freeze_count() > 0
    if alone:
        assert collector._after_collection not in gc.callbacks
        assert gc.get_freeze_count() == 0


def test_python_gc_leaves_the_collector_alone_and_importing_mockoci_installs_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(collector, "SLOW_COLLECTION", -1.0)
    if collector._installed == 0:  # no other server of this test process runs
        with MockOCIServer(Settings(port=0, python_gc=True)):
            assert collector._after_collection not in gc.callbacks
            gc.collect()
            assert gc.get_freeze_count() == 0
    code = ("import gc, mockoci, mockoci.server, mockoci.testing; from mockoci.app import create_app; create_app(); "
            "gc.collect(); print(len(gc.callbacks), gc.get_freeze_count())")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout == "0 0\n"


def test_a_server_started_with_much_loaded_freezes_it_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(collector, "LARGE", 10)
    alone = collector._installed == 0
    gc.unfreeze()
    store = VolumeBackupStore()
    store.seed(tenancy="t", backups=backups(10, "loaded"))
    with MockOCIServer(Settings(port=0), app=create_app(Settings(port=0), store=store)):
        assert gc.get_freeze_count() > 0
    if alone:
        assert gc.get_freeze_count() == 0


def test_stored_records_hold_no_reference_cycles(handed_over: list[Iterator[object]]) -> None:
    """Frozen objects are never collected: every version the store keeps must be freed by reference counting
    alone (the collector off), whatever made it: a create, an update, a copy and its work request, a delete,
    a volume, a policy and its assignment."""
    store = VolumeBackupStore(lifecycle_delay=0)
    volume = store.create_volume(tenancy="t", details=CreateVolumeDetails(
        compartment_id=COMPARTMENT, availability_domain="AD-1", size_in_gbs=50)).model
    created = store.create_volume_backup(tenancy="t", details=CreateVolumeBackupDetails(volume_id=volume.id))
    store.settle(tenancy="t")
    store.update_volume_backup(tenancy="t", backup_id=created.backup.id,
                               details=UpdateVolumeBackupDetails(display_name="renamed", freeform_tags={"a": "b"}))
    store.copy_volume_backup(tenancy="t", backup_id=created.backup.id,
                             details=CopyVolumeBackupDetails(destination_region="us-phoenix-1"))
    store.seed(tenancy="t", backups=backups(3, "seeded"))
    store.settle(tenancy="t")
    store.delete_volume_backup(tenancy="t", backup_id="ocid1.volumebackup.oc1.iad.seeded00000")
    policy = store.create_volume_backup_policy(tenancy="t", details=CreateVolumeBackupPolicyDetails(
        compartment_id=COMPARTMENT, display_name="p"))
    store.create_volume_backup_policy_assignment(tenancy="t", details=CreateVolumeBackupPolicyAssignmentDetails(
        asset_id=volume.id, policy_id=policy.model.id))
    models = [record.model for held in store.snapshot()["t"].values() for record in held]
    assert len(models) >= 8
    alive = [weakref.ref(model) for model in models]
    del models, volume, created, policy
    gc.disable()
    try:
        store.reset()
        for _ in handed_over.pop():
            pass
        assert [ref for ref in alive if ref() is not None] == []
    finally:
        gc.enable()
