"""Unit: datetimes on the wire and in list order keep four-digit years, whatever the year."""

from __future__ import annotations

from datetime import UTC, datetime

from mockoci.models import VolumeBackup, format_datetime
from mockoci.store import ListQuery, VolumeBackupStore


def test_years_before_1000_keep_four_digits() -> None:
    assert format_datetime(datetime(2, 3, 4, 5, 6, 7, 8000, tzinfo=UTC)) == "0002-03-04T05:06:07.008Z"
    assert format_datetime(datetime(2026, 11, 27, tzinfo=UTC)) == "2026-11-27T00:00:00.000Z"


def test_list_order_and_page_cursors_of_early_and_late_years() -> None:
    def backup(year: int) -> VolumeBackup:
        return VolumeBackup(compartment_id="c", display_name="n", id=f"id{year}", lifecycle_state="AVAILABLE",
                            type="FULL", time_created=datetime(year, 1, 1, tzinfo=UTC))

    store = VolumeBackupStore()
    store.seed(tenancy="t", backups=[backup(year) for year in (2026, 2, 1000, 999)])
    query = ListQuery(compartment_id="c", sort_order="ASC")
    ids, after = [], None
    while True:  # one backup per page: every cursor is written and read back
        page = store.list_volume_backups(tenancy="t", query=query, limit=1, after=after)
        ids += [stored.backup.id for stored in page.items]
        if page.next_cursor is None:
            break
        after = page.next_cursor
    assert ids == ["id2", "id999", "id1000", "id2026"]
