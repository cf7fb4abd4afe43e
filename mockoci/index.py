"""A tenancy's records of one kind by id, with each compartment's kept sorted, so a list page is a cursor walk.

Every OCI resource mockoci stores has `id`, `compartment_id`, `display_name` and `time_created`, the keys of
OCI's two list orders (TIMECREATED, DISPLAYNAME), and each stored version a `region`. A compartment's records
are kept per region, in both orders, as (sort value, id) key tuples; besides those two orders, a region keeps a
group per value of each field its kind indexes (a backup's volume, source backup and state), so that a page
with filters walks the smallest group among them instead of the whole compartment. A group shares the key
tuples of its region's orders: an entry costs a list slot, not a tuple.

- A group of up to `SMALL_GROUP` records is a plain list of its time keys, sorted; a page in name order sorts
  its name keys there and then. A bigger group keeps both orders in `SortedList`s.
- A display name needs no group while few records bear it: they are a run of the name order. A name borne by
  more than `SMALL_GROUP` records of a region gets a group of its own.
- A page of the plain endpoint (every region) merges its regions' walks, which are in the same order.
"""

from __future__ import annotations

import heapq
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar

from sortedcontainers import SortedList

TIME_KEY_FORMAT = "%Y-%m-%dT%H:%M:%S.%f"
SMALL_GROUP = 64  # records a group holds in a plain list before it keeps both orders in SortedLists


def is_descending(sort_by: str, sort_order: str | None) -> bool:
    """OCI's list order: as `sort_order` says; without one, TIMECREATED newest first and DISPLAYNAME ascending."""
    if sort_order is not None:
        return sort_order == "DESC"
    return sort_by == "TIMECREATED"


class Listed(Protocol):
    """What the index reads of a resource."""

    @property
    def id(self) -> str: ...
    @property
    def compartment_id(self) -> str: ...
    @property
    def display_name(self) -> str: ...
    @property
    def time_created(self) -> datetime: ...


V = TypeVar("V")
Cursor = tuple[str, str]  # (the sort value, as text, of the last record on a page; its id)
Key = tuple[Any, str]  # (time created or display name, id): one record's place in one order


class _Orders:
    """Records in both list orders, as (sort value, id) key tuples."""

    __slots__ = ("by_name", "by_time")

    def __init__(self, by_time: Iterable[Key] = (), by_name: Iterable[Key] = ()) -> None:
        self.by_time: SortedList = SortedList(by_time)
        self.by_name: SortedList = SortedList(by_name)

    def __len__(self) -> int:
        return len(self.by_time)

    def add(self, time_key: Key, name_key: Key) -> None:
        self.by_time.add(time_key)
        self.by_name.add(name_key)

    def remove(self, time_key: Key, name_key: Key) -> None:
        self.by_time.remove(time_key)
        self.by_name.remove(name_key)

    def copy(self) -> _Orders:
        clone = _Orders.__new__(_Orders)
        clone.by_time, clone.by_name = self.by_time.copy(), self.by_name.copy()
        return clone


Group = list[Key] | _Orders  # a small group: its time keys in a sorted list


class _Region(_Orders):
    """One compartment's records in one region: both orders, a group per value of each indexed field
    (`groups[field][value]`), and a group for each display name borne by more than SMALL_GROUP records."""

    __slots__ = ("groups", "names")

    def __init__(self, fields: Iterable[str]) -> None:
        super().__init__()
        self.groups: dict[str, dict[Any, Group]] = {field: {} for field in fields}
        self.names: dict[str, _Orders] = {}

    def copy(self) -> _Region:
        clone = _Region(())
        clone.by_time, clone.by_name = self.by_time.copy(), self.by_name.copy()
        clone.groups = {field: {value: group.copy() for value, group in groups.items()}
                        for field, groups in self.groups.items()}
        clone.names = {name: group.copy() for name, group in self.names.items()}
        return clone

    def name_run(self, name: str) -> tuple[int, int]:
        """Where the records named `name` are in the name order: (name,) sorts before every (name, id), and
        (name + NUL,) after them and before every other name."""
        return self.by_name.bisect_left((name,)), self.by_name.bisect_left((name + "\0",))

    def shared_keys(self, model: Listed) -> tuple[Key, Key]:
        """The key tuples of a record already in the orders (the ones groups share)."""
        time_key, name_key = (model.time_created, model.id), (model.display_name, model.id)
        return self.by_time[self.by_time.bisect_left(time_key)], self.by_name[self.by_name.bisect_left(name_key)]


class RecordIndex(MutableMapping[str, V]):
    """Records by id that keeps each compartment's records sorted by time created and by name, per region, and
    grouped by the values of `fields` (attributes of the resources); a record's resource is its `model` and
    its region its `region` (`_resource` and `_region` say otherwise in a subclass).

    Replacing a record with a new version re-sorts it only if its compartment, region, name or creation time
    changed, and moves it between groups only for the indexed fields that changed.
    """

    @staticmethod
    def _resource(value: Any) -> Listed:
        model: Listed = value.model
        return model

    @staticmethod
    def _region(value: Any) -> Any:
        return value.region

    def __init__(self, fields: Iterable[str] = ()) -> None:
        self._fields = tuple(fields)
        self._by_id: dict[str, V] = {}
        self._compartments: dict[str, dict[Any, _Region]] = {}  # compartment id -> region -> its records

    def __getitem__(self, record_id: str) -> V:
        return self._by_id[record_id]

    def __setitem__(self, record_id: str, value: V) -> None:
        old = self._by_id.get(record_id)
        self._by_id[record_id] = value
        if old is not None:
            before, after = self._resource(old), self._resource(value)
            region = self._region(value)
            if (before.compartment_id, self._region(old), before.display_name, before.time_created) == (
                after.compartment_id, region, after.display_name, after.time_created
            ):
                changed = [field for field in self._fields if getattr(before, field) != getattr(after, field)]
                if changed:
                    self._move(self._compartments[after.compartment_id][region], before, after, changed)
                return
            self._unindex(old)
        self._index(value)

    def __delitem__(self, record_id: str) -> None:
        self._unindex(self._by_id.pop(record_id))

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_id)

    def __len__(self) -> int:
        return len(self._by_id)

    def clear(self) -> None:
        self._by_id.clear()
        self._compartments.clear()

    def copy(self) -> RecordIndex[V]:
        """An index of the same records (the values are shared, not copied)."""
        clone: RecordIndex[V] = type(self)(self._fields)
        clone._by_id = dict(self._by_id)
        clone._compartments = {
            compartment_id: {region: records.copy() for region, records in regions.items()}
            for compartment_id, regions in self._compartments.items()
        }
        return clone

    # -- keeping the orders and groups ------------------------------------------------------------------------

    def _index(self, value: V) -> None:
        model = self._resource(value)
        regions = self._compartments.setdefault(model.compartment_id, {})
        region = self._region(value)
        records = regions.get(region)
        if records is None:
            records = regions[region] = _Region(self._fields)
        time_key, name_key = (model.time_created, model.id), (model.display_name, model.id)
        records.add(time_key, name_key)
        for field in self._fields:
            self._join(records, field, getattr(model, field), time_key, name_key)
        named = records.names.get(model.display_name)
        if named is not None:
            named.add(time_key, name_key)
        else:
            low, high = records.name_run(model.display_name)
            if high - low > SMALL_GROUP:
                run = records.by_name[low:high]
                records.names[model.display_name] = _Orders(
                    (records.shared_keys(self._resource(self._by_id[record_id]))[0] for _, record_id in run), run
                )

    def _unindex(self, value: V) -> None:
        model = self._resource(value)
        regions = self._compartments[model.compartment_id]
        region = self._region(value)
        records = regions[region]
        time_key, name_key = (model.time_created, model.id), (model.display_name, model.id)
        for field in self._fields:
            self._leave(records, field, getattr(model, field), time_key, name_key)
        named = records.names.get(model.display_name)
        if named is not None:
            named.remove(time_key, name_key)
            if not named:
                del records.names[model.display_name]
        records.remove(time_key, name_key)
        if not records:
            del regions[region]
            if not regions:
                del self._compartments[model.compartment_id]

    def _move(self, records: _Region, before: Listed, after: Listed, fields: list[str]) -> None:
        """Move a record between the groups of the fields whose values changed (it keeps its key tuples)."""
        time_key, name_key = records.shared_keys(after)
        for field in fields:
            self._leave(records, field, getattr(before, field), time_key, name_key)
            self._join(records, field, getattr(after, field), time_key, name_key)

    def _join(self, records: _Region, field: str, value: Any, time_key: Key, name_key: Key) -> None:
        if value is None:
            return  # a filter never asks for "no value": None is not grouped
        groups = records.groups[field]
        group = groups.get(value)
        if group is None:
            groups[value] = [time_key]
        elif isinstance(group, _Orders):
            group.add(time_key, name_key)
        elif len(group) < SMALL_GROUP:
            group.insert(bisect_left(group, time_key), time_key)
        else:
            names = (records.shared_keys(self._resource(self._by_id[record_id]))[1] for _, record_id in group)
            promoted = groups[value] = _Orders(group, names)
            promoted.add(time_key, name_key)

    def _leave(self, records: _Region, field: str, value: Any, time_key: Key, name_key: Key) -> None:
        if value is None:
            return
        groups = records.groups[field]
        group = groups[value]
        if isinstance(group, _Orders):
            group.remove(time_key, name_key)
        else:
            del group[bisect_left(group, time_key)]
        if not group:
            del groups[value]

    # -- pages --------------------------------------------------------------------------------------------

    def page(
        self,
        *,
        compartment_id: str,
        sort_by: str,
        descending: bool,
        limit: int,
        after: Cursor | None = None,
        region: Any = None,
        where: Mapping[str, Any] | None = None,
        matches: Callable[[V], bool] = lambda _: True,
    ) -> tuple[list[V], Cursor | None]:
        """Up to `limit` records of a compartment (of `region` only, if given) that come after `after` in the
        order asked for, whose fields equal `where`'s values (a value None: any) and that `matches`; and the
        cursor of the last one if more match. `where` names `display_name` or fields the index groups by."""
        regions = self._compartments.get(compartment_id)
        if regions is None:
            return [], None
        filters = [(field, value) for field, value in (where or {}).items() if value is not None]
        unknown = {field for field, _ in filters} - {"display_name", *self._fields}
        if unknown:
            raise ValueError(f"the index does not group by {sorted(unknown)}")
        by_name = sort_by == "DISPLAYNAME"
        start = None if after is None else (after[0] if by_name else _parse_time(after[0]), after[1])
        chosen: Iterable[_Region] = regions.values() if region is None else filter(None, [regions.get(region)])
        walks = [_walk(self._candidates(records, filters, by_name), start, descending) for records in chosen]
        walk = walks[0] if len(walks) == 1 else heapq.merge(*walks, reverse=descending)
        items: list[V] = []
        for _, record_id in walk:
            item = self._by_id[record_id]
            model = self._resource(item)
            if all(getattr(model, field) == value for field, value in filters) and matches(item):
                if len(items) == limit:
                    return items, _cursor(self._resource(items[-1]), by_name)
                items.append(item)
        return items, None

    def _candidates(self, records: _Region, filters: list[tuple[str, Any]], by_name: bool) -> Sequence[Key]:
        """The keys, in the order asked for, of the smallest set of a region's records that holds every match:
        the smallest group among the filters', else the whole region."""
        best: Sequence[Key] | _Orders | None = None
        best_size = len(records) + 1
        run: tuple[int, int] | None = None  # the best is a run of the name order
        for field, value in filters:
            if field == "display_name":
                group: Sequence[Key] | _Orders | None = records.names.get(value)
                if group is None:
                    low, high = records.name_run(value)
                    if high - low < best_size:
                        best, best_size, run = None, high - low, (low, high)
                    continue
            else:
                group = records.groups[field].get(value)
            if group is None:
                return []
            if len(group) < best_size:
                best, best_size, run = group, len(group), None
        if run is not None:
            names: list[Key] = records.by_name[run[0]:run[1]]
            return names if by_name else sorted(self._keys(names, by_name=False))
        if best is None:
            best = records
        if isinstance(best, _Orders):
            keys: Sequence[Key] = best.by_name if by_name else best.by_time
            return keys
        return sorted(self._keys(best, by_name=True)) if by_name else best

    def _keys(self, keys: Iterable[Key], *, by_name: bool) -> Iterator[Key]:
        """The same records' keys in the other order (made afresh: for a small group's page only)."""
        for _, record_id in keys:
            model = self._resource(self._by_id[record_id])
            yield (model.display_name if by_name else model.time_created), record_id


def _walk(keys: Sequence[Key], start: Key | None, descending: bool) -> Iterator[Key]:
    """The keys after `start` (all without one), in ascending order or, if `descending`, descending."""
    if isinstance(keys, SortedList):
        if start is None:
            walk: Iterator[Key] = keys.irange(reverse=descending)
        elif descending:
            walk = keys.irange(maximum=start, inclusive=(True, False), reverse=True)
        else:
            walk = keys.irange(minimum=start, inclusive=(False, True))
        return walk
    if start is None:
        return reversed(keys) if descending else iter(keys)
    if descending:
        return reversed(keys[:bisect_left(keys, start)])
    return iter(keys[bisect_right(keys, start):])


def _cursor(backup: Listed, by_name: bool) -> Cursor:
    if by_name:
        return backup.display_name, backup.id
    created = backup.time_created  # the year padded by hand: %Y gives "2" for the year 2 on glibc
    return f"{created.year:04d}" + created.strftime(TIME_KEY_FORMAT.removeprefix("%Y")), backup.id


def _parse_time(text: str) -> datetime:
    return datetime.strptime(text, TIME_KEY_FORMAT).replace(tzinfo=UTC)


class BackupIndex(RecordIndex[V]):
    """An index of values that hold their resource as `backup` (as the first index did)."""

    @staticmethod
    def _resource(value: Any) -> Listed:
        model: Listed = value.backup
        return model
