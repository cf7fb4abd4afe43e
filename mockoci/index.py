"""A tenancy's records of one kind by id, with each compartment's kept sorted, so a list page is a cursor walk.

Every OCI resource mockoci stores has `id`, `compartment_id`, `display_name` and `time_created`, the keys of
OCI's two list orders (TIMECREATED, DISPLAYNAME), and each stored version a `region`. A compartment's records
are kept per region, in both orders, as (sort value, id) key tuples; besides those two orders, a region keeps a
group per value of each field its kind indexes (a backup's volume, source backup and state, and the pair of
volume and state), so that a page with filters walks the smallest group among them instead of the whole
compartment. A group shares the key tuples of its region's orders: an entry costs a list slot, not a tuple.

- A group of up to `SMALL_GROUP` records is a plain list of its time keys, sorted; a page in name order sorts
  its name keys there and then. A bigger group keeps both orders in `SortedList`s.
- A display name needs no group while few records bear it: they are a run of the name order. A name borne by
  more than `SMALL_GROUP` records of a region gets a region of its own (its orders and groups), so that a
  shared name with other filters walks the name's group of the other fields.
- A page of the plain endpoint (every region) merges its regions' walks, which are in the same order.

What is left: filters on two fields whose groups are both large but rarely meet walk the smaller group, unless
the kind indexes the pair (backups index volume and state together).
"""

from __future__ import annotations

import heapq
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping, Sequence, ValuesView
from datetime import UTC, datetime
from functools import cache
from operator import attrgetter
from typing import Any, Protocol, TypeVar

from sortedcontainers import SortedList

from .collector import dismantle, drain

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
Fields = tuple[str, ...]  # one field, or fields grouped together (a group per combination of their values)
ModelOf = Callable[[str], Listed]  # a record's resource, by id


@cache
def _getter(fields: Fields) -> Callable[[Any], Any]:
    return attrgetter(*fields)


def _values(model: Listed, fields: Fields) -> Any:
    """The key of a record's group among `fields`' groups: the field's value, or the tuple of the fields'
    values; None (no group) if one of them has no value, as a filter never asks for "no value"."""
    values = _getter(fields)(model)
    return None if values is None or (len(fields) > 1 and None in values) else values


def _wanted(filters: Mapping[str, Any], fields: Fields) -> Any:
    """The key of the group of `fields` that holds every match of `filters` (which filter them all)."""
    return filters[fields[0]] if len(fields) == 1 else tuple(filters[field] for field in fields)


class _Region(_Orders):
    """One compartment's records in one region: both orders, a group per value of each indexed field
    (`groups[fields][value]`, a tuple of values for several fields), and a region of their own for each display
    name borne by more than SMALL_GROUP records (`names`; a name's region has no names)."""

    __slots__ = ("groups", "names")

    def __init__(self, indexed: Iterable[Fields]) -> None:
        super().__init__()
        self.groups: dict[Fields, dict[Any, Group]] = {fields: {} for fields in indexed}
        self.names: dict[str, _Region] = {}

    def copy(self) -> _Region:
        clone = _Region(())
        clone.by_time, clone.by_name = self.by_time.copy(), self.by_name.copy()
        clone.groups = {fields: {values: group.copy() for values, group in groups.items()}
                        for fields, groups in self.groups.items()}
        clone.names = {name: named.copy() for name, named in self.names.items()}
        return clone

    def name_run(self, name: str) -> tuple[int, int]:
        """Where the records named `name` are in the name order: (name,) sorts before every (name, id), and
        (name + NUL,) after them and before every other name."""
        return self.by_name.bisect_left((name,)), self.by_name.bisect_left((name + "\0",))

    def shared_keys(self, model: Listed) -> tuple[Key, Key]:
        """The key tuples of a record already in the orders (the ones groups share)."""
        time_key, name_key = (model.time_created, model.id), (model.display_name, model.id)
        return self.by_time[self.by_time.bisect_left(time_key)], self.by_name[self.by_name.bisect_left(name_key)]

    def join(self, model: Listed, time_key: Key, name_key: Key, model_of: ModelOf) -> None:
        self.add(time_key, name_key)
        for fields, groups in self.groups.items():
            self._join(groups, _values(model, fields), time_key, name_key, model_of)

    def leave(self, model: Listed, time_key: Key, name_key: Key) -> None:
        for fields, groups in self.groups.items():
            self._leave(groups, _values(model, fields), time_key, name_key)
        self.remove(time_key, name_key)

    def move(self, before: Listed, after: Listed, changed: set[str], model_of: ModelOf) -> None:
        """Move a record between the groups of the fields whose values changed (it keeps its key tuples)."""
        time_key, name_key = self.shared_keys(after)
        for fields, groups in self.groups.items():
            if changed.intersection(fields):
                self._leave(groups, _values(before, fields), time_key, name_key)
                self._join(groups, _values(after, fields), time_key, name_key, model_of)

    def _join(self, groups: dict[Any, Group], values: Any, time_key: Key, name_key: Key, model_of: ModelOf) -> None:
        if values is None:
            return
        group = groups.get(values)
        if group is None:
            groups[values] = [time_key]
        elif isinstance(group, _Orders):
            group.add(time_key, name_key)
        elif len(group) < SMALL_GROUP:
            group.insert(bisect_left(group, time_key), time_key)
        else:
            names = (self.shared_keys(model_of(record_id))[1] for _, record_id in group)
            promoted = groups[values] = _Orders(group, names)
            promoted.add(time_key, name_key)

    @staticmethod
    def _leave(groups: dict[Any, Group], values: Any, time_key: Key, name_key: Key) -> None:
        if values is None:
            return
        group = groups[values]
        if isinstance(group, _Orders):
            group.remove(time_key, name_key)
        else:
            del group[bisect_left(group, time_key)]
        if not group:
            del groups[values]


class RecordIndex(MutableMapping[str, V]):
    """Records by id that keeps each compartment's records sorted by time created and by name, per region, and
    grouped by the values of each `indexed` entry (an attribute of the resources, or a tuple of them); a
    record's resource is its `model` and its region its `region` (`_resource` and `_region` say otherwise in a
    subclass).

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

    def __init__(self, indexed: Iterable[str | Fields] = ()) -> None:
        self._indexed = tuple((entry,) if isinstance(entry, str) else tuple(entry) for entry in indexed)
        self._fields = frozenset(field for fields in self._indexed for field in fields)
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
                changed = {field for field in self._fields if getattr(before, field) != getattr(after, field)}
                if changed:
                    records = self._compartments[after.compartment_id][region]
                    records.move(before, after, changed, self._model_of)
                    named = records.names.get(after.display_name)
                    if named is not None:
                        named.move(before, after, changed, self._model_of)
                return
            self._unindex(old)
        self._index(value)

    def __delitem__(self, record_id: str) -> None:
        self._unindex(self._by_id.pop(record_id))

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_id)

    def __len__(self) -> int:
        return len(self._by_id)

    def values(self) -> ValuesView[V]:
        """The records, in the dict's own view (the mapping mixin's reads each by key: 30x slower)."""
        return self._by_id.values()

    def clear(self) -> None:
        self._by_id.clear()
        self._compartments.clear()

    def take_apart(self) -> Iterator[None]:
        """Empties the index a piece at a time (collector.drain and dismantle), for freeing in the background
        (free_later)."""
        by_id, compartments = self._by_id, self._compartments
        self._by_id, self._compartments = {}, {}
        yield from drain(by_id)  # the records
        yield from dismantle(compartments)  # the sort keys, whatever holds them

    def copy(self) -> RecordIndex[V]:
        """An index of the same records (the values are shared, not copied)."""
        clone: RecordIndex[V] = type(self)(self._indexed)
        clone._by_id = dict(self._by_id)
        clone._compartments = {
            compartment_id: {region: records.copy() for region, records in regions.items()}
            for compartment_id, regions in self._compartments.items()
        }
        return clone

    # -- keeping the orders and groups ------------------------------------------------------------------------

    def _model_of(self, record_id: str) -> Listed:
        return self._resource(self._by_id[record_id])

    def _index(self, value: V) -> None:
        model = self._resource(value)
        regions = self._compartments.setdefault(model.compartment_id, {})
        region = self._region(value)
        records = regions.get(region)
        if records is None:
            records = regions[region] = _Region(self._indexed)
        time_key, name_key = (model.time_created, model.id), (model.display_name, model.id)
        records.join(model, time_key, name_key, self._model_of)
        named = records.names.get(model.display_name)
        if named is not None:
            named.join(model, time_key, name_key, self._model_of)
            return
        low, high = records.name_run(model.display_name)
        if high - low > SMALL_GROUP:  # the name's records get a region of their own
            named = records.names[model.display_name] = _Region(self._indexed)
            for shared_name_key in records.by_name[low:high]:
                bearer = self._model_of(shared_name_key[1])
                named.join(bearer, records.shared_keys(bearer)[0], shared_name_key, self._model_of)

    def _unindex(self, value: V) -> None:
        model = self._resource(value)
        regions = self._compartments[model.compartment_id]
        region = self._region(value)
        records = regions[region]
        time_key, name_key = (model.time_created, model.id), (model.display_name, model.id)
        named = records.names.get(model.display_name)
        if named is not None:
            named.leave(model, time_key, name_key)
            if not named:
                del records.names[model.display_name]
        records.leave(model, time_key, name_key)
        if not records:
            del regions[region]
            if not regions:
                del self._compartments[model.compartment_id]

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
        filters = {field: value for field, value in (where or {}).items() if value is not None}
        unknown = filters.keys() - {"display_name", *self._fields}
        if unknown:
            raise ValueError(f"the index does not group by {sorted(unknown)}")
        by_name = sort_by == "DISPLAYNAME"
        start = None if after is None else (after[0] if by_name else _parse_time(after[0]), after[1])
        chosen: Iterable[_Region] = regions.values() if region is None else filter(None, [regions.get(region)])
        walks = [_walk(self._candidates(records, filters, by_name), start, descending) for records in chosen]
        walk = walks[0] if len(walks) == 1 else heapq.merge(*walks, reverse=descending)
        checks = list(filters.items())
        items: list[V] = []
        for _, record_id in walk:
            item = self._by_id[record_id]
            model = self._resource(item)
            if all(getattr(model, field) == value for field, value in checks) and matches(item):
                if len(items) == limit:
                    return items, _cursor(self._resource(items[-1]), by_name)
                items.append(item)
        return items, None

    def _candidates(self, records: _Region, filters: dict[str, Any], by_name: bool) -> Sequence[Key]:
        """The keys, in the order asked for, of the smallest set of a region's records that holds every match:
        a name's own region's (if it has one, refined by the other filters), else the smallest group among the
        filters' or the name's run, else the whole region."""
        name = filters.get("display_name")
        if name is not None and name in records.names:
            rest = {field: value for field, value in filters.items() if field != "display_name"}
            return self._candidates(records.names[name], rest, by_name)
        best: Sequence[Key] | _Orders = records
        run: tuple[int, int] | None = None  # the best is a run of the name order
        if name is not None:
            run = records.name_run(name)
        best_size = len(records) if run is None else run[1] - run[0]
        for fields, groups in records.groups.items():
            if all(field in filters for field in fields):
                group = groups.get(_wanted(filters, fields))
                if group is None:
                    return []
                if len(group) < best_size:
                    best, best_size, run = group, len(group), None
        if run is not None:
            names: list[Key] = records.by_name[run[0]:run[1]]
            return names if by_name else sorted(self._keys(names, by_name=False))
        if isinstance(best, _Orders):
            keys: Sequence[Key] = best.by_name if by_name else best.by_time
            return keys
        return sorted(self._keys(best, by_name=True)) if by_name else best

    def _keys(self, keys: Iterable[Key], *, by_name: bool) -> Iterator[Key]:
        """The same records' keys in the other order (made afresh: for a small group's page only)."""
        for _, record_id in keys:
            model = self._model_of(record_id)
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
