"""Unit: the store's memory is bounded: retry tokens and TERMINATED backups have caps, oldest first out."""

from __future__ import annotations

from mockoci.clock import Clock
from mockoci.models import CreateVolumeBackupDetails
from mockoci.server import MockOCIServer
from mockoci.store import ListQuery, VolumeBackupStore

TENANCY = "ocid1.tenancy.oc1..aaaaaaaalimits"


def create(store: VolumeBackupStore, name: str, token: str | None = None) -> str:
    details = CreateVolumeBackupDetails(volume_id="ocid1.volume.oc1..v", display_name=name)
    return store.create_volume_backup(tenancy=TENANCY, details=details, retry_token=token).backup.id


def names(store: VolumeBackupStore, state: str | None = None) -> list[str]:
    query = ListQuery(compartment_id=TENANCY, lifecycle_state=state, sort_by="DISPLAYNAME")
    page = store.list_volume_backups(tenancy=TENANCY, query=query, limit=1000)
    return [stored.backup.display_name for stored in page.items]


def test_retry_tokens_beyond_the_cap_are_forgotten_oldest_first() -> None:
    store = VolumeBackupStore(lifecycle_delay=0, max_retry_tokens=3)
    first = [create(store, f"b{i}", token=f"t{i}") for i in range(5)]
    assert store.counts()["retry_tokens"] == 3
    assert create(store, "b4", token="t4") == first[4]  # still remembered: a replay
    assert create(store, "b0", token="t0") != first[0]  # forgotten: a new backup
    assert store.counts()["retry_tokens"] == 3
    assert len(names(store)) == 6


def test_expired_retry_tokens_are_dropped_when_new_ones_come() -> None:
    clock = Clock()
    store = VolumeBackupStore(lifecycle_delay=0, retry_token_ttl=10, clock=clock)
    for i in range(4):
        create(store, f"b{i}", token=f"old{i}")
    clock.advance(11)
    create(store, "new", token="new")
    assert store.counts()["retry_tokens"] == 1


def test_terminated_backups_beyond_the_cap_are_forgotten_oldest_first() -> None:
    store = VolumeBackupStore(lifecycle_delay=0, max_terminated_backups=2)
    ids = [create(store, f"b{i}") for i in range(5)]
    for backup_id in ids[:4]:
        store.delete_volume_backup(tenancy=TENANCY, backup_id=backup_id)
    assert names(store, "TERMINATED") == ["b2", "b3"]
    assert names(store) == ["b2", "b3", "b4"]
    assert store.counts()["terminated"] == 2


def test_a_cap_of_zero_forgets_terminated_backups_at_once() -> None:
    store = VolumeBackupStore(lifecycle_delay=0, max_terminated_backups=0)
    store.delete_volume_backup(tenancy=TENANCY, backup_id=create(store, "gone"))
    assert names(store) == []
    assert store.counts()["terminated"] == 0


def test_retention_still_forgets_terminated_backups_under_the_cap() -> None:
    clock = Clock()
    store = VolumeBackupStore(lifecycle_delay=0, terminated_retention=60, clock=clock)
    store.delete_volume_backup(tenancy=TENANCY, backup_id=create(store, "gone"))
    assert names(store, "TERMINATED") == ["gone"]
    clock.advance(61)
    assert names(store) == []
    assert store.counts()["terminated"] == 0


def test_stats_endpoint_reports_the_counts(server: MockOCIServer) -> None:
    import requests

    store = server.store
    for i in range(3):
        create(store, f"s{i}", token=f"stats{i}")
    answer = requests.get(server.url + "/_mockoci/stats", timeout=10)
    assert answer.status_code == 200
    expected = {
        "fixtures": 0, "tenancies": 1, "backups": 3, "volumes": 0, "work_requests": 0, "terminated": 0,
        "retry_tokens": 3, "transitions": 0, "backup_policies": 0, "policy_assignments": 0,
        "scheduled_backups_made": 0,
    }
    assert answer.json() == expected
