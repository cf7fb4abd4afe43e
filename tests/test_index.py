"""Unit: BackupIndex pages agree with a sort of everything, whatever was added, changed or removed, with filters
and regions too (the groups a page walks)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest.mock import patch

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mockoci import index as index_module
from mockoci.index import TIME_KEY_FORMAT, BackupIndex
from mockoci.models import VolumeBackup

START = datetime(2026, 1, 1, tzinfo=UTC)
COMPARTMENTS = ("ocid1.compartment.oc1..a", "ocid1.compartment.oc1..b")


@dataclass
class Item:
    backup: VolumeBackup
    region: str | None = None


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
    min_size=5,  # Hypothesis's lists are short on average (about 7 items here without it)
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


# -- groups: the filters' fields, display names and regions ---------------------------------------------------

FIELDS = ("volume_id", "source_volume_backup_id", "lifecycle_state", ("volume_id", "lifecycle_state"))
VOLUME_IDS = ("ocid1.volume.oc1..a", "ocid1.volume.oc1..b")
STATES = ("AVAILABLE", "AVAILABLE", "TERMINATED", "CREATING")
REGIONS = ("us-ashburn-1", "us-phoenix-1")


def record(n: int, *, name: str = "alpha", second: int = 0, volume: str = VOLUME_IDS[0], state: str = "AVAILABLE",
           source: str | None = None, region: str | None = REGIONS[0], compartment: str = COMPARTMENTS[0]) -> Item:
    backup = make(n, compartment=compartment, name=name, second=second).backup.model_copy(
        update={"volume_id": volume, "lifecycle_state": state, "source_volume_backup_id": source}
    )
    return Item(backup, region)


def grouped() -> BackupIndex[Item]:
    return BackupIndex(FIELDS)


def pages(index: BackupIndex[Item], limit: int, **query: Any) -> list[str]:
    """Every page of a query, following the cursors, checking each page is full while more follow."""
    ids: list[str] = []
    after = None
    while True:
        page, after = index.page(compartment_id=COMPARTMENTS[0], limit=limit, after=after, **query)
        ids.extend(item.backup.id for item in page)
        if after is None:
            return ids
        assert len(page) == limit


def expected(truth: dict[str, Item], sort_by: str, descending: bool, region: str | None,
             where: dict[str, str | None]) -> list[str]:
    def key(item: Item) -> tuple[object, str]:
        return (item.backup.display_name if sort_by == "DISPLAYNAME" else item.backup.time_created), item.backup.id

    chosen = [
        item for item in truth.values()
        if item.backup.compartment_id == COMPARTMENTS[0] and region in (None, item.region)
        and all(value is None or getattr(item.backup, field) == value for field, value in where.items())
    ]
    return [item.backup.id for item in sorted(chosen, key=key, reverse=descending)]


versions = st.lists(
    st.tuples(
        st.sampled_from(["put", "put", "put", "put", "delete"]),
        st.integers(0, 40),
        st.fixed_dictionaries({
            "name": st.sampled_from(["alpha", "beta", "beta", "gamma", "alph"]),
            "second": st.integers(0, 4),
            "volume": st.sampled_from(VOLUME_IDS),
            "state": st.sampled_from(STATES),
            "source": st.none() | st.sampled_from(["ocid1.volumebackup.oc1..s1", "ocid1.volumebackup.oc1..s2"]),
            "region": st.sampled_from(REGIONS),
            "compartment": st.sampled_from([COMPARTMENTS[0], COMPARTMENTS[0], COMPARTMENTS[1]]),
        }),
    ),
    min_size=10,  # Hypothesis's lists are short on average (about 6 items here without it)
    max_size=120,
)
filters = st.fixed_dictionaries({
    "volume_id": st.none() | st.sampled_from(VOLUME_IDS),
    "display_name": st.none() | st.sampled_from(["alpha", "beta", "alph", "nobody"]),
    "source_volume_backup_id": st.none() | st.sampled_from(["ocid1.volumebackup.oc1..s1", "ocid1.volumebackup.oc1..x"]),
    "lifecycle_state": st.none() | st.sampled_from(["AVAILABLE", "TERMINATED"]),
})


@settings(max_examples=300, deadline=None)
@given(versions, filters, st.none() | st.sampled_from(REGIONS), st.sampled_from(["TIMECREATED", "DISPLAYNAME"]),
       st.booleans(), st.integers(1, 6), st.sampled_from([1, 2, 5, 64]))
def test_filtered_pages_walk_the_matches_in_order_whatever_the_versions(
    ops: list[tuple[str, int, dict[str, Any]]], where: dict[str, str | None], region: str | None, sort_by: str,
    descending: bool, limit: int, small: int,
) -> None:
    """Groups small and promoted (SMALL_GROUP as low as 1), records moving between them, regions merged."""
    with patch.object(index_module, "SMALL_GROUP", small):
        index, truth = grouped(), {}
        for operation, n, fields in ops:
            item = record(n, **fields)
            if operation == "put":
                index[item.backup.id] = truth[item.backup.id] = item
            elif item.backup.id in truth:
                del index[item.backup.id], truth[item.backup.id]
        query = {"sort_by": sort_by, "descending": descending, "region": region, "where": where}
        assert pages(index, limit, **query) == expected(truth, sort_by, descending, region, where)
        for item in list(truth.values()):
            del index[item.backup.id]
        assert index._compartments == {}  # nothing left behind: no empty group, region or compartment


def test_a_state_change_moves_a_record_between_groups_and_keeps_its_key_tuples() -> None:
    index = grouped()
    for n in range(3):
        index[make(n).backup.id] = record(n, second=n)
    deleted = record(1, second=1, state="TERMINATED")
    index[deleted.backup.id] = deleted
    by_state = {"sort_by": "TIMECREATED", "descending": True, "region": None}
    assert pages(index, 10, where={"lifecycle_state": "AVAILABLE"}, **by_state) == [
        make(2).backup.id, make(0).backup.id
    ]
    assert pages(index, 10, where={"lifecycle_state": "TERMINATED"}, **by_state) == [deleted.backup.id]
    [records] = index._compartments[COMPARTMENTS[0]].values()
    state = records.groups[("lifecycle_state",)]
    assert state["TERMINATED"][0] is records.by_time[1]  # shared, not a copy
    assert records.groups[("volume_id", "lifecycle_state")][(VOLUME_IDS[0], "TERMINATED")][0] is records.by_time[1]
    del index[deleted.backup.id]
    assert pages(index, 10, where={"lifecycle_state": "TERMINATED"}, **by_state) == []
    assert "TERMINATED" not in state  # the page brought the groups up to date


def test_combined_filters_in_both_orders_page_on_from_a_cursor_through_promoted_groups() -> None:
    index = grouped()
    count = index_module.SMALL_GROUP * 3  # the volume's group and the shared name's group are promoted
    for n in range(count):
        volume = VOLUME_IDS[n % 2]
        name = "shared" if n % 3 else f"unique-{n:04d}"
        index[make(n).backup.id] = record(n, name=name, second=count - n, volume=volume)
    matching = [n for n in range(count) if n % 2 == 0 and n % 3]
    where = {"volume_id": VOLUME_IDS[0], "display_name": "shared", "lifecycle_state": "AVAILABLE"}
    newest_first = pages(index, 7, sort_by="TIMECREATED", descending=True, region=None, where=where)
    assert newest_first == [make(n).backup.id for n in matching]  # created later the lower n
    by_name = pages(index, 7, sort_by="DISPLAYNAME", descending=False, region=None, where=where)
    assert by_name == sorted(make(n).backup.id for n in matching)  # one name: ties break by id
    by_name_desc = pages(index, 5, sort_by="DISPLAYNAME", descending=True, region=None, where=where)
    assert by_name_desc == by_name[::-1]
    [records] = index._compartments[COMPARTMENTS[0]].values()
    assert isinstance(records.groups[("volume_id",)][VOLUME_IDS[0]], index_module._Orders)
    shared = records.names["shared"]  # the name's own time order and groups (its name order: its run of the region's)
    assert len(shared.groups[("volume_id",)][VOLUME_IDS[0]]) == len(matching)
    assert ("lifecycle_state",) not in shared.groups  # a state, which transitions change, is not grouped by name
    assert all(key is records.by_time[records.by_time.index(key)] for key in shared.by_time)  # shared, not copies
    named_volume = shared.groups[("volume_id",)][VOLUME_IDS[0]]
    assert all(key is records.by_time[records.by_time.index(key)] for key in named_volume)
    assert "unique-0000" not in records.names  # a name few bear is a run of the name order, no group
    assert pages(index, 3, sort_by="TIMECREATED", descending=False, region=None,
                 where={"display_name": "unique-0003"}) == [make(3).backup.id]


def test_a_region_lists_its_own_and_the_plain_endpoint_merges_every_region_in_order() -> None:
    index = grouped()
    for n in range(6):
        index[make(n).backup.id] = record(n, second=n, region=REGIONS[n % 2], name=f"n{5 - n}")
    assert pages(index, 2, sort_by="TIMECREATED", descending=False, region=REGIONS[1], where={}) == [
        make(n).backup.id for n in (1, 3, 5)
    ]
    assert pages(index, 4, sort_by="TIMECREATED", descending=True, region=None, where={}) == [
        make(n).backup.id for n in range(5, -1, -1)
    ]
    assert pages(index, 4, sort_by="DISPLAYNAME", descending=False, region=None, where={}) == [
        make(n).backup.id for n in range(5, -1, -1)
    ]
    assert pages(index, 4, sort_by="DISPLAYNAME", descending=False, region="eu-frankfurt-1", where={}) == []
    moved = record(1, second=1, region=REGIONS[0], name="n4")  # a new version in another region moves
    index[moved.backup.id] = moved
    assert pages(index, 9, sort_by="TIMECREATED", descending=False, region=REGIONS[0], where={}) == [
        make(n).backup.id for n in (0, 1, 2, 4)
    ]


def test_a_copy_has_its_own_groups_and_a_filter_the_index_does_not_group_by_is_refused() -> None:
    index = grouped()
    index[make(0).backup.id] = record(0)
    clone = index.copy()
    clone[make(0).backup.id] = record(0, state="TERMINATED")
    by_time = {"sort_by": "TIMECREATED", "descending": True, "region": None}
    assert pages(index, 5, where={"lifecycle_state": "TERMINATED"}, **by_time) == []
    assert pages(clone, 5, where={"lifecycle_state": "TERMINATED"}, **by_time) == [make(0).backup.id]
    with pytest.raises(ValueError, match="kms_key_id"):
        index.page(compartment_id=COMPARTMENTS[0], limit=5, where={"kms_key_id": "k"}, **by_time)


# -- deferred indexing: writes pend, reads bring the orders and groups up to date ------------------------------

def consistent(index: BackupIndex[Item], truth: dict[str, Item]) -> None:
    """The orders and groups (brought up to date) hold exactly the current records: each region's two orders,
    each group's records (whatever its form), each shared name's records and groups, nothing empty."""
    compartments = index._compartments
    assert not index._pending
    held: dict[tuple[str, Any], list[VolumeBackup]] = {}
    for item in truth.values():
        held.setdefault((item.backup.compartment_id, item.region), []).append(item.backup)
    assert {(compartment, region) for compartment, regions in compartments.items() for region in regions} == held.keys()
    for (compartment, region), backups in held.items():
        records = compartments[compartment][region]
        assert list(records.by_time) == sorted((backup.time_created, backup.id) for backup in backups)
        assert list(records.by_name) == sorted((backup.display_name, backup.id) for backup in backups)
        same_groups(records.groups, backups)
        shared = {name for name in {backup.display_name for backup in backups}
                  if sum(backup.display_name == name for backup in backups) > index_module.SMALL_GROUP}
        assert shared <= records.names.keys()
        for name, named in records.names.items():
            bearers = [backup for backup in backups if backup.display_name == name]
            assert list(named.by_time) == sorted((backup.time_created, backup.id) for backup in bearers)
            same_groups(named.groups, bearers)
            assert ("lifecycle_state",) not in named.groups


def same_groups(groups: dict[Any, dict[Any, Any]], backups: list[VolumeBackup]) -> None:
    for fields, by_value in groups.items():
        wanted: dict[Any, list[VolumeBackup]] = {}
        for backup in backups:
            value = index_module._values(backup, fields)
            if value is not None:
                wanted.setdefault(value, []).append(backup)
        assert by_value.keys() == wanted.keys()
        for value, group in by_value.items():
            members = wanted[value]
            times = sorted((backup.time_created, backup.id) for backup in members)
            if isinstance(group, index_module._Orders):
                assert list(group.by_time) == times
                assert list(group.by_name) == sorted((backup.display_name, backup.id) for backup in members)
            else:
                assert group == times


NAMES = ("alpha", "beta", "alph", "shared")
changes = st.lists(
    st.one_of(
        st.tuples(st.just("new"), st.integers(0, 12), st.fixed_dictionaries({
            "name": st.sampled_from(NAMES), "second": st.integers(0, 4), "volume": st.sampled_from(VOLUME_IDS),
            "state": st.sampled_from(STATES), "region": st.sampled_from(REGIONS),
            "compartment": st.sampled_from([COMPARTMENTS[0], COMPARTMENTS[0], COMPARTMENTS[1]]),
        })),
        # a new version of a record that changes one thing (renamed, a state change, moved, another volume)
        st.tuples(st.just("change"), st.integers(0, 12), st.one_of(
            st.fixed_dictionaries({"display_name": st.sampled_from(NAMES)}),
            st.fixed_dictionaries({"lifecycle_state": st.sampled_from(STATES)}),
            st.fixed_dictionaries({"compartment_id": st.sampled_from(COMPARTMENTS)}),
            st.fixed_dictionaries({"volume_id": st.sampled_from(VOLUME_IDS)}),
            st.fixed_dictionaries({"time_created": st.integers(0, 4).map(lambda s: START + timedelta(seconds=s))}),
        )),
        st.tuples(st.just("delete"), st.integers(0, 12), st.just({})),
        st.tuples(st.just("read"), st.integers(1, 6), filters),
    ),
    min_size=20,  # Hypothesis's lists are short on average: a few writes pend before most reads
    max_size=100,
)


@settings(max_examples=200, deadline=None)
@given(changes, st.sampled_from([0, 1, 2, 3, 1024]), st.sampled_from([1, 2, 3, 64]),
       st.sampled_from(["TIMECREATED", "DISPLAYNAME"]), st.booleans(), st.none() | st.sampled_from(REGIONS))
def test_pages_between_writes_agree_with_a_sort_whatever_is_pending(
    ops: list[tuple[str, int, dict[str, Any]]], bound: int, small: int, sort_by: str, descending: bool,
    region: str | None,
) -> None:
    """Writes, deletes and reads interleaved, with as few as 0 to 3 records pending at most (the one pending
    longest brought up to date mid-sequence) and groups promoted (SMALL_GROUP as low as 1) while others pend."""
    with patch.object(index_module, "SMALL_GROUP", small):
        index, truth = BackupIndex(FIELDS, pending=bound), {}
        for operation, n, fields in ops:
            item_id = make(n).backup.id
            if operation == "new":
                index[item_id] = truth[item_id] = record(n, **fields)
            elif operation == "change" and item_id in truth:
                current = truth[item_id]
                index[item_id] = truth[item_id] = Item(current.backup.model_copy(update=fields), current.region)
            elif operation == "delete" and item_id in truth:
                del index[item_id], truth[item_id]
            elif operation == "read":
                query = {"sort_by": sort_by, "descending": descending, "region": region, "where": fields}
                assert pages(index, n, **query) == expected(truth, sort_by, descending, region, fields)
                consistent(index, truth)
            assert len(index._pending) <= bound
            assert dict(index) == truth  # the records by id: at once
        consistent(index, truth)
        for item_id in list(truth):
            del index[item_id]
        assert index._compartments == {}


def test_writes_pend_until_a_read_or_the_bound_and_the_one_pending_longest_goes_first() -> None:
    index = BackupIndex(FIELDS, pending=2)
    first, second, third = (record(n, second=n) for n in range(3))
    index[first.backup.id], index[second.backup.id] = first, second
    assert index._sorted == {} and len(index) == 2 and index[first.backup.id] is first  # by id: at once
    index[third.backup.id] = third  # three pending: the first is brought up to date
    [records] = index._sorted[COMPARTMENTS[0]].values()
    assert list(records.by_time) == [(first.backup.time_created, first.backup.id)]
    assert list(index._pending) == [second.backup.id, third.backup.id]
    assert pages(index, 5, sort_by="TIMECREATED", descending=False, region=None, where={}) == [
        item.backup.id for item in (first, second, third)
    ]
    assert not index._pending


def test_a_load_sorts_each_record_in_as_it_is_written_and_leaves_the_bound_as_it_was() -> None:
    index = BackupIndex(FIELDS, pending=2)
    first, second, third = (record(n, second=n) for n in range(3))
    index[first.backup.id] = first  # pending, before the load
    with index.loading():
        index[second.backup.id] = second
        assert not index._pending  # the first write brought everything up to date, itself included
        [records] = index._sorted[COMPARTMENTS[0]].values()
        assert len(records.by_time) == 2
    index[third.backup.id] = third
    assert list(index._pending) == [third.backup.id]  # pending again, as the bound says


def test_a_record_written_three_times_between_reads_is_sorted_in_once_and_one_deleted_meanwhile_never() -> None:
    """A backup's create: REQUEST_RECEIVED, then CREATING, then AVAILABLE before the next page."""
    index = grouped()
    calls: list[str] = []
    join, leave, move = index_module._Region.join, index_module._Region.leave, index_module._Region.move
    with patch.multiple(index_module._Region, join=lambda *a: (calls.append("join"), join(*a))[1],
                        leave=lambda *a: (calls.append("leave"), leave(*a))[1],
                        move=lambda *a: (calls.append("move"), move(*a))[1]):
        for state in ("REQUEST_RECEIVED", "CREATING", "AVAILABLE"):
            index[make(0).backup.id] = record(0, state=state)
            index[make(1).backup.id] = record(1, state=state)
        del index[make(1).backup.id]  # created and deleted between two reads
        assert calls == []
        assert pages(index, 5, sort_by="TIMECREATED", descending=False, region=None,
                     where={"lifecycle_state": "AVAILABLE"}) == [make(0).backup.id]
        assert calls == ["join"]
        index[make(0).backup.id] = record(0, state="TERMINATED")
        del index[make(0).backup.id]  # changed, then deleted: taken out from the version the groups hold
        assert pages(index, 5, sort_by="TIMECREATED", descending=False, region=None, where={}) == []
        assert calls == ["join", "leave"]
    assert index._compartments == {}


def test_a_group_promoted_while_its_records_pend_renamed_finds_them_under_their_old_names() -> None:
    """A volume's group reaches SMALL_GROUP and becomes SortedLists, looking up each record's name key, while some
    of its records pend renamed (and one deleted): the name order still holds their old names."""
    renamed = 3
    index = BackupIndex(FIELDS, pending=renamed + 1)
    truth = {}
    for n in range(index_module.SMALL_GROUP):
        truth[make(n).backup.id] = index[make(n).backup.id] = record(n, name=f"old-{n:03d}", second=n)
    consistent(index, truth)
    newcomer = record(100, name="newcomer")
    truth[newcomer.backup.id] = index[newcomer.backup.id] = newcomer  # pending longest: brought up first
    for n in range(renamed):
        truth[make(n).backup.id] = index[make(n).backup.id] = record(n, name=f"new-{n:03d}", second=n)
    del index[make(renamed).backup.id], truth[make(renamed).backup.id]  # the bound passed: the newcomer joins
    [records] = index._sorted[COMPARTMENTS[0]].values()
    assert isinstance(records.groups[("volume_id",)][VOLUME_IDS[0]], index_module._Orders)
    assert len(index._pending) == renamed + 1
    assert pages(index, 10, sort_by="DISPLAYNAME", descending=False, region=None,
                 where={"volume_id": VOLUME_IDS[0]}) == expected(truth, "DISPLAYNAME", False, None,
                                                                 {"volume_id": VOLUME_IDS[0]})
    consistent(index, truth)


def test_a_shared_name_promoted_while_its_bearers_pend_changed_finds_their_old_versions() -> None:
    """A display name borne by more than SMALL_GROUP records gets its own time order and groups, walking its
    bearers, while some of them pend with another volume, another creation time, or deleted."""
    index = BackupIndex(FIELDS, pending=3)
    truth = {}
    for n in range(index_module.SMALL_GROUP):
        truth[make(n).backup.id] = index[make(n).backup.id] = record(n, name="shared", second=n)
    consistent(index, truth)
    newcomer = record(100, name="shared")
    truth[newcomer.backup.id] = index[newcomer.backup.id] = newcomer  # pending longest: brought up first
    truth[make(0).backup.id] = index[make(0).backup.id] = record(0, name="shared", volume=VOLUME_IDS[1])
    truth[make(1).backup.id] = index[make(1).backup.id] = record(1, name="shared", second=1000)
    del index[make(2).backup.id], truth[make(2).backup.id]  # the bound passed: the newcomer joins
    assert "shared" in index._sorted[COMPARTMENTS[0]][REGIONS[0]].names
    for where in ({"display_name": "shared", "volume_id": VOLUME_IDS[0]}, {"display_name": "shared"}):
        assert pages(index, 10, sort_by="TIMECREATED", descending=True, region=None, where=where) == expected(
            truth, "TIMECREATED", True, None, where
        )
    consistent(index, truth)


def test_newest_and_taking_apart_see_the_writes_pending() -> None:
    index = grouped()
    for n in range(4):
        index[make(n).backup.id] = record(n, second=n)
    index.page(compartment_id=COMPARTMENTS[0], sort_by="TIMECREATED", descending=True, limit=1)
    moved = record(0, second=10, compartment=COMPARTMENTS[1])  # now the newest, in another compartment
    index[moved.backup.id] = moved
    del index[make(3).backup.id]
    index[make(9).backup.id] = record(9, second=5)
    assert [item.backup.id for item in index.newest(3)] == [make(n).backup.id for n in (0, 9, 2)]
    index[make(1).backup.id] = record(1, second=20)
    for _ in index.take_apart():
        pass
    assert len(index) == 0 and index._compartments == {} and index.newest(3) == []
    index[make(1).backup.id] = record(1)  # usable again, nothing of before pending
    assert pages(index, 5, sort_by="TIMECREATED", descending=False, region=None, where={}) == [make(1).backup.id]
