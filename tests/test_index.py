"""Unit: BackupIndex pages agree with a sort of everything, whatever was added, changed or removed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mockoci.index import TIME_KEY_FORMAT, BackupIndex
from mockoci.models import VolumeBackup

START = datetime(2026, 1, 1, tzinfo=UTC)
COMPARTMENTS = ("ocid1.compartment.oc1..a", "ocid1.compartment.oc1..b")


@dataclass
class Item:
    backup: VolumeBackup


def make(n: int, *, compartment: str = COMPARTMENTS[0], name: str | None = None, second: int = 0) -> Item:
    return Item(VolumeBackup(
        id=f"ocid1.volumebackup.oc1.iad.{n:04d}",
        compartment_id=compartment,
        display_name=name or f"backup-{n}",
        lifecycle_state="AVAILABLE",
        type="FULL",
        time_created=START + timedelta(seconds=second),
    ))


def reference(items: dict[str, Item], compartment: str, sort_by: str, descending: bool) -> list[str]:
    """Every backup of the compartment in list order, the slow way."""
    def key(item: Item) -> tuple[object, str]:
        backup = item.backup
        return (backup.display_name if sort_by == "DISPLAYNAME" else backup.time_created), backup.id

    chosen = [item for item in items.values() if item.backup.compartment_id == compartment]
    return [item.backup.id for item in sorted(chosen, key=key, reverse=descending)]


def walk(index: BackupIndex[Item], compartment: str, sort_by: str, descending: bool, limit: int) -> list[str]:
    """Every page, following the cursors, as a client follows opc-next-page."""
    ids: list[str] = []
    after = None
    while True:
        page, after = index.page(
            compartment_id=compartment, sort_by=sort_by, descending=descending, limit=limit, after=after
        )
        ids.extend(item.backup.id for item in page)
        assert len(page) <= limit
        if after is None:
            return ids
        assert len(page) == limit


operations = st.lists(
    st.tuples(
        st.sampled_from(["put", "put", "put", "delete"]),
        st.integers(0, 30),  # which backup
        st.sampled_from(COMPARTMENTS),
        st.sampled_from(["alpha", "beta", "beta", "gamma"]),  # names repeat, so ties break by id
        st.integers(0, 5),  # creation times repeat too
    ),
    max_size=80,
)


@settings(max_examples=150, deadline=None)
@given(operations, st.sampled_from(["TIMECREATED", "DISPLAYNAME"]), st.booleans(), st.integers(1, 7))
def test_pages_walk_the_same_order_as_a_full_sort(
    ops: list[tuple[str, int, str, str, int]], sort_by: str, descending: bool, limit: int
) -> None:
    index: BackupIndex[Item] = BackupIndex()
    truth: dict[str, Item] = {}
    for operation, n, compartment, name, second in ops:
        item = make(n, compartment=compartment, name=name, second=second)
        if operation == "put":
            index[item.backup.id] = truth[item.backup.id] = item
        elif item.backup.id in truth:
            del index[item.backup.id], truth[item.backup.id]
    assert dict(index) == truth
    for compartment in COMPARTMENTS:
        assert walk(index, compartment, sort_by, descending, limit) == reference(
            truth, compartment, sort_by, descending
        )


def test_a_filter_skips_backups_but_a_full_page_still_has_a_cursor_only_if_more_match() -> None:
    index: BackupIndex[Item] = BackupIndex()
    for n in range(10):
        index[make(n).backup.id] = make(n, second=n)
    even = lambda item: int(item.backup.id[-4:]) % 2 == 0  # noqa: E731
    page, after = index.page(compartment_id=COMPARTMENTS[0], sort_by="TIMECREATED", descending=False, limit=4,
                             matches=even)
    assert [item.backup.id[-1] for item in page] == ["0", "2", "4", "6"]
    assert after == ((START + timedelta(seconds=6)).strftime(TIME_KEY_FORMAT), page[-1].backup.id)
    page, after = index.page(compartment_id=COMPARTMENTS[0], sort_by="TIMECREATED", descending=False, limit=4,
                             matches=even, after=after)
    assert [item.backup.id[-1] for item in page] == ["8"]
    assert after is None


def test_renaming_moves_a_backup_in_the_name_order_and_moving_it_changes_its_compartment() -> None:
    index: BackupIndex[Item] = BackupIndex()
    first, renamed = make(1, name="b"), make(1, name="z", compartment=COMPARTMENTS[1])
    index[first.backup.id] = first
    index[renamed.backup.id] = renamed
    by_name = {"sort_by": "DISPLAYNAME", "descending": False, "limit": 5}
    assert index.page(compartment_id=COMPARTMENTS[0], **by_name) == ([], None)
    assert index.page(compartment_id=COMPARTMENTS[1], **by_name) == ([renamed], None)
    index.clear()
    assert len(index) == 0
    with pytest.raises(KeyError):
        del index[first.backup.id]


def test_a_copy_shares_the_backups_but_not_the_order() -> None:
    index: BackupIndex[Item] = BackupIndex()
    for n in range(5):
        index[make(n).backup.id] = make(n, second=n)
    clone = index.copy()
    renamed = make(0, name="zzz", second=0)
    clone[renamed.backup.id] = renamed
    del clone[make(1).backup.id]
    by_name = {"compartment_id": COMPARTMENTS[0], "sort_by": "DISPLAYNAME", "descending": False, "limit": 10}
    def names(of: BackupIndex[Item]) -> list[str]:
        return [item.backup.display_name for item in of.page(**by_name)[0]]

    assert names(index) == [f"backup-{n}" for n in range(5)]
    assert names(clone) == ["backup-2", "backup-3", "backup-4", "zzz"]
