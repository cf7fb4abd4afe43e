"""Integration: the SDK walks a large compartment page by page, in order, while it changes under it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import oci
from conftest import TENANCY

from mockoci.models import VolumeBackup
from mockoci.server import MockOCIServer

COMPARTMENT = "ocid1.compartment.oc1..aaaaaaaalistindex"
START = datetime(2026, 1, 1, tzinfo=UTC)


def seed(server: MockOCIServer, count: int) -> list[VolumeBackup]:
    backups = [
        VolumeBackup(
            id=f"ocid1.volumebackup.oc1.iad.ab{n:05d}",
            compartment_id=COMPARTMENT,
            display_name=f"backup-{(n * 7919) % count:05d}",  # name order differs from creation order
            lifecycle_state="FAULTY" if n % 10 == 0 else "AVAILABLE",
            type="FULL",
            time_created=START + timedelta(seconds=n // 2),  # pairs share a creation time: ties break by id
        )
        for n in range(count)
    ]
    server.store.seed(tenancy=TENANCY, backups=backups)
    return backups


def test_the_sdk_walks_every_page_in_each_order(server: MockOCIServer, client: Any) -> None:
    backups = seed(server, 450)
    everything = oci.pagination.list_call_get_all_results(client.list_volume_backups, COMPARTMENT).data
    newest_first = sorted(backups, key=lambda b: (b.time_created, b.id), reverse=True)
    assert [b.id for b in everything] == [b.id for b in newest_first]
    by_name = oci.pagination.list_call_get_all_results(
        client.list_volume_backups, COMPARTMENT, sort_by="DISPLAYNAME", limit=37
    ).data
    assert [b.display_name for b in by_name] == sorted(b.display_name for b in backups)
    faulty = oci.pagination.list_call_get_all_results(
        client.list_volume_backups, COMPARTMENT, lifecycle_state="FAULTY", sort_order="ASC", limit=7
    ).data
    assert [b.id for b in faulty] == [b.id for b in reversed(newest_first) if b.lifecycle_state == "FAULTY"]


def test_a_backup_renamed_between_pages_moves_to_its_new_place(server: MockOCIServer, client: Any) -> None:
    backups = seed(server, 30)
    names = sorted(b.display_name for b in backups)
    first = client.list_volume_backups(COMPARTMENT, sort_by="DISPLAYNAME", limit=10)
    assert [b.display_name for b in first.data] == names[:10]
    renamed = next(b for b in first.data if b.lifecycle_state == "AVAILABLE")
    details = oci.core.models.UpdateVolumeBackupDetails(display_name="zzz-last")
    client.update_volume_backup(renamed.id, details)
    rest = client.list_volume_backups(COMPARTMENT, sort_by="DISPLAYNAME", limit=100, page=first.next_page)
    assert [b.display_name for b in rest.data] == [*names[10:], "zzz-last"]
    assert rest.next_page is None
    assert client.list_volume_backups("ocid1.compartment.oc1..aaaaaaaaempty").data == []


def test_lists_between_creates_and_their_transitions_see_each_backup_in_its_current_state(
    client: Any, mock: Any, create_backup: Any
) -> None:
    """Each create and transition is sorted in when a list next reads the index: the lists in between see the
    backups in the state, name and place they have now."""
    mock.set_lifecycle("delay", delay=100)
    created = [create_backup(display_name=f"pending-{n}") for n in range(5)]
    ids = [b.id for b in reversed(created)]  # newest first

    def listed(**query: Any) -> list[str]:
        return [b.id for b in oci.pagination.list_call_get_all_results(
            client.list_volume_backups, TENANCY, limit=2, **query).data]

    assert listed(lifecycle_state="REQUEST_RECEIVED") == ids
    mock.advance_clock(50)  # REQUEST_RECEIVED -> CREATING
    assert listed(lifecycle_state="REQUEST_RECEIVED") == []
    assert listed(lifecycle_state="CREATING") == ids
    mock.advance_clock(50)  # CREATING -> AVAILABLE
    client.update_volume_backup(created[0].id, oci.core.models.UpdateVolumeBackupDetails(display_name="zzz-last"))
    client.delete_volume_backup(created[1].id)
    assert listed(lifecycle_state="AVAILABLE", sort_by="DISPLAYNAME", sort_order="ASC") == [
        *(b.id for b in created[2:]), created[0].id
    ]
    assert listed(display_name="zzz-last") == [created[0].id]
    assert listed(lifecycle_state="TERMINATING") == [created[1].id]
