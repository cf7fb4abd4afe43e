"""Unit: datetimes on the wire and in list order keep four-digit years, whatever the year."""

from __future__ import annotations

from datetime import UTC, datetime

from mockoci.models import VolumeBackup, format_datetime
from mockoci.store import ListQuery


def test_years_before_1000_keep_four_digits() -> None:
    assert format_datetime(datetime(2, 3, 4, 5, 6, 7, 8000, tzinfo=UTC)) == "0002-03-04T05:06:07.008Z"
    assert format_datetime(datetime(2026, 11, 27, tzinfo=UTC)) == "2026-11-27T00:00:00.000Z"


def test_list_order_of_early_and_late_years() -> None:
    def backup(year: int) -> VolumeBackup:
        return VolumeBackup(compartment_id="c", display_name="n", id=f"id{year}", lifecycle_state="AVAILABLE",
                            type="FULL", time_created=datetime(year, 1, 1, tzinfo=UTC))

    query = ListQuery(compartment_id="c", sort_order="ASC")
    keys = [query.sort_key(backup(year)) for year in (2, 999, 1000, 2026)]
    assert keys == sorted(keys)
