"""A tenancy's records of one kind by id, with each compartment's kept sorted, so a list page is a cursor walk.

Every OCI resource mockoci stores has `id`, `compartment_id`, `display_name` and `time_created`, the keys of
OCI's two list orders (TIMECREATED, DISPLAYNAME), and each stored version a `region`. A compartment's records
are kept per region, in both orders, as (sort value, id) key tuples; besides those two orders, a region keeps a
group per value of each field its kind indexes (a backup's volume, source backup and state, and the pair of
volume and state), so that a page with filters walks the smallest group among them instead of the whole
compartment, and checks only the filters that group does not imply. A group shares the key tuples of its
region's orders: an entry costs a list slot, not a tuple.

- A group of up to `SMALL_GROUP` records is a plain list of its time keys, sorted; a page in name order sorts
  its name keys there and then. A bigger group keeps both orders in `SortedList`s.
- A display name needs nothing of its own while few records bear it: they are a run of the name order. Once
  more than `SMALL_GROUP` records of a region bear it, the name keeps its records' time keys, and a group per
  value of each indexed field but the lifecycle state (STATE), so that a shared name with a volume walks the
  name's records of that volume. The state changes on every transition (twice in a backup's creation); a
  shared name with a state walks the smaller of the two.
- A page of the plain endpoint (every region) merges its regions' walks, which are in the same order.
- A state change moves a record between the groups of its state only: its key tuples stay, found in the
  region's orders.
- A write is indexed later: it changes the records by id at once and notes the record as pending, with the
  version the orders and groups hold of it. They are brought up to date when something reads them (a page,
  `newest`, `copy`), each pending record from the version they hold to its current one, once however often it
  was written since (a backup's create writes three versions within half a second: it is sorted in once); and the
  record pending longest as soon as more than `PENDING` are, which bounds what a read may have to do first
  and the old versions kept. Until a pending record is brought up to date, the orders and groups hold its old
  version, and that is the one indexing reads of it (`_model_of`: a group promoted to `SortedList`s looks up
  its records' names, a shared name its bearers' times and groups).

What is left: filters on two fields whose groups are both large but rarely meet walk the smaller group, unless
the kind indexes the pair (backups index volume and state together); so does a shared name with a state.
"""

from __future__ import annotations

import heapq
from bisect import bisect_left, bisect_right
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping, Sequence, ValuesView
from contextlib import contextmanager
from datetime import datetime
from functools import cache
from itertools import islice
from operator import attrgetter
from typing import Any, Protocol, TypeVar, cast

from sortedcontainers import SortedList

from .collector import dismantle, drain

TIME_KEY_FORMAT = "%Y-%m-%dT%H:%M:%S.%f"
SMALL_GROUP = 64  # records a group holds in a plain list before it keeps both orders in SortedLists
STATE = "lifecycle_state"  # the field a record's lifecycle transitions change
# Records written since the orders and groups were last brought up to date, at most (see RecordIndex): wide enough
# that a backup's create and its two transitions (0.25 and 0.5 s later at the default delay) meet before the record
# is sorted in, up to ~2,000 creates a second (a tight in-process loop of cold creates, ~3,000 a second, still
# merges the first); small enough that a read first brings up to date at most ~15 ms of records (1,024 new
# backups in a compartment of 100,000), and that few old versions are kept.
PENDING = 1024


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
Bound = tuple[Any, ...]  # a bound of a walk that equals no key: (name,) sorts before every (name, id)


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


class _Named:
    """A region's records that bear one display name, once more than SMALL_GROUP do: their time keys (their name
    order is the name's run of the region's), and a group per value of each indexed field but the state."""

    __slots__ = ("by_time", "groups")

    def __init__(self, indexed: Iterable[Fields]) -> None:
        self.by_time: SortedList = SortedList()
        self.groups: dict[Fields, dict[Any, Group]] = {fields: {} for fields in indexed}

    def __len__(self) -> int:
        return len(self.by_time)

    def copy(self) -> _Named:
        clone = _Named(())
        clone.by_time, clone.groups = self.by_time.copy(), _copy_groups(self.groups)
        return clone


class _Region(_Orders):
    """One compartment's records in one region: both orders, a group per value of each indexed field
    (`groups[fields][value]`, a tuple of values for several fields), and each display name's records once more
    than SMALL_GROUP bear it (`names`).

    A group shares the key tuples of the orders; a record's state is not grouped by name (STATE: it changes on
    every transition, and a name's records with a state are the smaller of the name's and the state's group)."""

    __slots__ = ("groups", "names")

    def __init__(self, indexed: Iterable[Fields]) -> None:
        super().__init__()
        self.groups: dict[Fields, dict[Any, Group]] = {fields: {} for fields in indexed}
        self.names: dict[str, _Named] = {}

    def copy(self) -> _Region:
        clone = _Region(())
        clone.by_time, clone.by_name = self.by_time.copy(), self.by_name.copy()
        clone.groups = _copy_groups(self.groups)
        clone.names = {name: named.copy() for name, named in self.names.items()}
        return clone

    def name_run(self, name: str) -> tuple[Bound, Bound]:
        """Bounds of the records named `name` in the name order, equal to no key: (name,) sorts before every
        (name, id), and (name + NUL,) after them and before every other name."""
        return (name,), (name + "\0",)

    def run_length(self, name: str) -> int:
        low, high = self.name_run(name)
        length: int = self.by_name.bisect_left(high) - self.by_name.bisect_left(low)
        return length

    def join(self, model: Listed, time_key: Key, name_key: Key, model_of: ModelOf) -> None:
        self.add(time_key, name_key)
        for fields, groups in self.groups.items():
            self._join(groups, _values(model, fields), time_key, name_key, model, model_of)
        named = self.names.get(model.display_name)
        if named is not None:
            named.by_time.add(time_key)
            for fields, groups in named.groups.items():
                self._join(groups, _values(model, fields), time_key, name_key, model, model_of)
        elif self.run_length(model.display_name) > SMALL_GROUP:  # the name's records get their own orders
            named = self.names[model.display_name] = _Named(fields for fields in self.groups if STATE not in fields)
            for bearer_name_key in self.by_name.irange(*self.name_run(model.display_name)):
                bearer = model_of(bearer_name_key[1])
                bearer_time_key = _stored(self.by_time, (bearer.time_created, bearer.id))
                named.by_time.add(bearer_time_key)
                for fields, groups in named.groups.items():
                    self._join(groups, _values(bearer, fields), bearer_time_key, bearer_name_key, bearer, model_of)

    def leave(self, model: Listed, time_key: Key, name_key: Key) -> None:
        named = self.names.get(model.display_name)
        if named is not None:
            named.by_time.remove(time_key)
            for fields, groups in named.groups.items():
                self._leave(groups, _values(model, fields), time_key, name_key)
            if not named:
                del self.names[model.display_name]
        for fields, groups in self.groups.items():
            self._leave(groups, _values(model, fields), time_key, name_key)
        self.remove(time_key, name_key)

    def move(self, before: Listed, after: Listed, changed: set[str], model_of: ModelOf) -> None:
        """Move a record between the groups of the fields whose values changed (its name and creation time did
        not: it keeps its key tuples in the orders, which the groups it joins share)."""
        time_key = _stored(self.by_time, (after.time_created, after.id))
        name_key: Key | None = None  # looked up only for a group that keeps both orders
        named = self.names.get(after.display_name)
        for grouped in (self.groups, named.groups) if named is not None else (self.groups,):
            for fields, groups in grouped.items():
                if changed.intersection(fields):
                    self._leave(groups, _values(before, fields), time_key, (after.display_name, after.id))
                    name_key = self._join(groups, _values(after, fields), time_key, name_key, after, model_of)

    def _join(self, groups: dict[Any, Group], values: Any, time_key: Key, name_key: Key | None, model: Listed,
              model_of: ModelOf) -> Key | None:
        """Add a record's keys to its group; returns its name key tuple (`name_key`, or the one in the name
        order, looked up when None and a group that keeps both orders needs it)."""
        if values is None:
            return name_key
        group = groups.get(values)
        if group is None:
            groups[values] = [time_key]
        elif isinstance(group, list) and len(group) < SMALL_GROUP:
            group.insert(bisect_left(group, time_key), time_key)
        else:
            if name_key is None:
                name_key = _stored(self.by_name, (model.display_name, model.id))
            if isinstance(group, list):
                names = (_stored(self.by_name, (model_of(record_id).display_name, record_id)) for _, record_id in group)
                group = groups[values] = _Orders(group, names)
            group.add(time_key, name_key)
        return name_key

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


def _copy_groups(groups: dict[Fields, dict[Any, Group]]) -> dict[Fields, dict[Any, Group]]:
    return {fields: {values: group.copy() for values, group in by_value.items()} for fields, by_value in groups.items()}


def _stored(keys: SortedList, key: Key) -> Key:
    """The key tuple in `keys` equal to `key` (the one groups share)."""
    stored: Key = next(keys.irange(key, key))
    return stored


class RecordIndex(MutableMapping[str, V]):
    """Records by id that keeps each compartment's records sorted by time created and by name, per region, and
    grouped by the values of each `indexed` entry (an attribute of the resources, or a tuple of them); a
    record's resource is its `model` and its region its `region` (`_resource` and `_region` say otherwise in a
    subclass).

    A write changes the records by id at once and only notes the record as pending; the orders and groups are
    brought up to date when something reads them (`_compartments`), and the record pending longest as soon as
    more than `pending` are. Bringing a record up to date re-sorts it only if its compartment, region, name or
    creation time changed since the version they hold, and moves it between groups only for the indexed fields
    that changed.
    """

    @staticmethod
    def _resource(value: Any) -> Listed:
        model: Listed = value.model
        return model

    @staticmethod
    def _region(value: Any) -> Any:
        return value.region

    def __init__(self, indexed: Iterable[str | Fields] = (), *, pending: int = PENDING) -> None:
        self._indexed = tuple((entry,) if isinstance(entry, str) else tuple(entry) for entry in indexed)
        self._fields = frozenset(field for fields in self._indexed for field in fields)
        self._filterable = self._fields | {"display_name"}
        self._by_id: dict[str, V] = {}
        self._sorted: dict[str, dict[Any, _Region]] = {}  # compartment id -> region -> its records
        self._pending: dict[str, V | None] = {}  # record id -> the version the orders hold (None: not held)
        self._pended: deque[str] = deque()  # the pending record ids, pending longest first
        self._bound = pending  # records pending at most

    def __getitem__(self, record_id: str) -> V:
        return self._by_id[record_id]

    def __setitem__(self, record_id: str, value: V) -> None:
        old = self._by_id.get(record_id)
        self._by_id[record_id] = value
        if record_id not in self._pending:
            self._pend(record_id, old)

    def __delitem__(self, record_id: str) -> None:
        old = self._by_id.pop(record_id)
        if record_id not in self._pending:
            self._pend(record_id, old)

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_id)

    def __len__(self) -> int:
        return len(self._by_id)

    def get(self, record_id: str, default: V | None = None) -> V | None:  # type: ignore[override]
        """The record, or `default` (the mapping mixin's raises and catches a KeyError for a missing one)."""
        return self._by_id.get(record_id, default)

    def values(self) -> ValuesView[V]:
        """The records, in the dict's own view (the mapping mixin's reads each by key: 30x slower)."""
        return self._by_id.values()

    def clear(self) -> None:
        self._by_id.clear()
        self._sorted.clear()
        self._pending.clear()
        self._pended.clear()

    def take_apart(self) -> Iterator[None]:
        """Empties the index a piece at a time (collector.drain and dismantle), for freeing in the background
        (free_later)."""
        by_id, compartments, pending = self._by_id, self._sorted, self._pending
        self._by_id, self._sorted, self._pending, self._pended = {}, {}, {}, deque()
        yield from drain(by_id)  # the records
        yield from drain(pending)  # the versions the orders held of the records pending
        yield from dismantle(compartments)  # the sort keys, whatever holds them

    def copy(self) -> RecordIndex[V]:
        """An index of the same records (the values are shared, not copied)."""
        clone: RecordIndex[V] = type(self)(self._indexed, pending=self._bound)
        clone._sorted = {
            compartment_id: {region: records.copy() for region, records in regions.items()}
            for compartment_id, regions in self._compartments.items()
        }
        clone._by_id = dict(self._by_id)
        return clone

    @contextmanager
    def loading(self) -> Iterator[None]:
        """Within: each write is sorted in at once (the bound 0), for loading many records in a row (seeds,
        fixtures, a state file), where a record sorted in a thousand writes later is out of the CPU's caches by
        then: 10 to 25% of a load. What was pending before is brought up to date by the first write."""
        bound, self._bound = self._bound, 0
        try:
            yield
        finally:
            self._bound = bound

    # -- keeping the orders and groups ------------------------------------------------------------------------

    @property
    def _compartments(self) -> dict[str, dict[Any, _Region]]:
        """Each compartment's records per region (compartment id -> region -> its records), brought up to date:
        what everything that reads the orders or groups reads."""
        pending = self._pending
        if pending:
            while pending:
                self._bring_up(*pending.popitem())
            self._pended.clear()
        return self._sorted

    def _pend(self, record_id: str, indexed: V | None) -> None:
        """Note a record whose orders and groups hold `indexed` (None: it has none) as pending; bring up to date
        the one pending longest if more than the bound are."""
        self._pending[record_id] = indexed
        pended = self._pended
        pended.append(record_id)
        while len(pended) > self._bound:  # one at a time, but every one pending in a load (`loading`)
            oldest = pended.popleft()
            self._bring_up(oldest, self._pending.pop(oldest))

    def _bring_up(self, record_id: str, indexed: V | None) -> None:
        """Move a record (no longer pending) in the orders and groups from the version they hold, `indexed`
        (None: none), to its current one (none: it was deleted)."""
        value = self._by_id.get(record_id)
        if indexed is None:
            if value is not None:
                self._index(value)
            return
        if value is None:
            self._unindex(indexed)
            return
        before, after = self._resource(indexed), self._resource(value)
        region = self._region(value)
        if (before.compartment_id, self._region(indexed), before.display_name, before.time_created) == (
            after.compartment_id, region, after.display_name, after.time_created
        ):
            changed = {field for field in self._fields if getattr(before, field) != getattr(after, field)}
            if changed:
                self._sorted[after.compartment_id][region].move(before, after, changed, self._model_of)
            return
        self._unindex(indexed)
        self._index(value)

    def _model_of(self, record_id: str) -> Listed:
        """The version of a record the orders and groups hold: a pending record's older one, until it is brought
        up to date (bringing another record up to date reads the records it shares a group or a name with)."""
        value = self._pending.get(record_id) if self._pending else None
        return self._resource(self._by_id[record_id] if value is None else value)

    def _index(self, value: V) -> None:
        model = self._resource(value)
        regions = self._sorted.setdefault(model.compartment_id, {})
        region = self._region(value)
        records = regions.get(region)
        if records is None:
            records = regions[region] = _Region(self._indexed)
        records.join(model, (model.time_created, model.id), (model.display_name, model.id), self._model_of)

    def _unindex(self, value: V) -> None:
        model = self._resource(value)
        regions = self._sorted[model.compartment_id]
        region = self._region(value)
        records = regions[region]
        records.leave(model, (model.time_created, model.id), (model.display_name, model.id))
        if not records:
            del regions[region]
            if not regions:
                del self._sorted[model.compartment_id]

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
        matches: Callable[[V], bool] | None = None,
    ) -> tuple[list[V], Cursor | None]:
        """Up to `limit` records of a compartment (of `region` only, if given) that come after `after` in the
        order asked for, whose fields equal `where`'s values (a value None: any) and that `matches` (if given);
        and the cursor of the last one if more match. `where` names `display_name` or fields the index groups
        by."""
        regions = self._compartments.get(compartment_id)
        if regions is None:
            return [], None
        filters = {field: value for field, value in (where or {}).items() if value is not None}
        if not filters.keys() <= self._filterable:
            raise ValueError(f"the index does not group by {sorted(filters.keys() - self._filterable)}")
        by_name = sort_by == "DISPLAYNAME"
        start = None if after is None else (after[0] if by_name else _parse_time(after[0]), after[1])
        chosen: Iterable[_Region] = regions.values() if region is None else filter(None, [regions.get(region)])
        walks = [self._matching(records, filters, by_name, start, descending) for records in chosen]
        walk = walks[0] if len(walks) == 1 else heapq.merge(*walks, reverse=descending)
        by_id = self._by_id
        if matches is None:
            items = [by_id[record_id] for _, record_id in islice(walk, limit + 1)]
        else:
            items = []
            for _, record_id in walk:
                item = by_id[record_id]
                if matches(item):
                    items.append(item)
                    if len(items) > limit:
                        break
        if len(items) > limit:
            del items[limit:]
            return items, _cursor(self._resource(items[-1]), by_name)
        return items, None

    def _matching(self, records: _Region, filters: dict[str, Any], by_name: bool, start: Key | None,
                  descending: bool) -> Iterator[Key]:
        """The keys after `start` of a region's records that pass `filters`, in the order asked for: a walk of
        the smallest set that holds every match (_candidates), checking the filters that set does not imply."""
        keys, low, high, implied = self._candidates(records, filters, by_name)
        walk = _walk(keys, start, descending, low, high)
        checks = [field for field in filters if field not in implied]
        if not checks:
            return walk
        values, wanted = _getter(tuple(checks)), _wanted(filters, tuple(checks))
        model_of = self._model_of
        return (key for key in walk if values(model_of(key[1])) == wanted)

    def _candidates(self, records: _Region, filters: dict[str, Any], by_name: bool) -> tuple[
        Sequence[Key], Bound | None, Bound | None, Fields
    ]:
        """The keys, in the order asked for (between the bounds returned, if any), of the smallest set of a
        region's records that holds every match, and the fields whose filters all of them pass: the smallest
        group among the filters' (the name's own, with a name filter), or the name's records, else the whole
        region."""
        if not filters:
            return records.by_name if by_name else records.by_time, None, None, ()
        best: Group | str = records  # a group, the whole region, or the name filtered on
        best_size, implied = len(records), cast(Fields, ())
        groupings: list[tuple[dict[Fields, dict[Any, Group]], Fields]] = [(records.groups, ())]
        name = filters.get("display_name")
        if name is not None:
            best, implied = name, ("display_name",)
            named = records.names.get(name)
            if named is None:
                best_size = records.run_length(name)
            else:
                best_size = len(named)
                groupings.append((named.groups, implied))
        for grouped, also in groupings:
            for fields, groups in grouped.items():
                if all(field in filters for field in fields):
                    group = groups.get(_wanted(filters, fields))
                    if group is None:
                        return [], None, None, ()
                    if len(group) < best_size:
                        best, best_size, implied = group, len(group), fields + also
        if isinstance(best, str):  # the name's records: a run of the name order, and their time keys
            low, high = records.name_run(best)
            if by_name:
                return records.by_name, low, high, implied
            named = records.names.get(best)
            if named is not None:
                return named.by_time, None, None, implied
            return sorted(self._keys(records.by_name.irange(low, high), by_name=False)), None, None, implied
        if isinstance(best, _Orders):
            return best.by_name if by_name else best.by_time, None, None, implied
        return sorted(self._keys(best, by_name=True)) if by_name else best, None, None, implied

    def _keys(self, keys: Iterable[Key], *, by_name: bool) -> Iterator[Key]:
        """The same records' keys in the other order (made afresh: for a small group's page only)."""
        for _, record_id in keys:
            model = self._model_of(record_id)
            yield (model.display_name if by_name else model.time_created), record_id

    def newest(self, limit: int) -> list[V]:
        """The `limit` records created last in every compartment and region, newest first (equal times: the
        greater id first): a merge of the time orders of the `limit` regions whose newest records are newest (no
        other region holds one of those `limit`)."""
        regions = heapq.nlargest(limit, (records for regions in self._compartments.values()
                                         for records in regions.values()), key=lambda records: records.by_time[-1])
        walk = heapq.merge(*(reversed(records.by_time) for records in regions), reverse=True)
        return [self._by_id[record_id] for _, record_id in islice(walk, limit)]


def _walk(keys: Sequence[Key], start: Key | None, descending: bool, low: Bound | None = None,
          high: Bound | None = None) -> Iterator[Key]:
    """The keys after `start` (all without one), in ascending order or, if `descending`, descending; in a
    SortedList, only those between `low` and `high` (bounds equal to no key) if given."""
    if isinstance(keys, SortedList) and not (start is None and low is None and high is None):
        if start is not None:
            if descending:
                high = start if high is None else min(start, high)
            else:
                low = start if low is None else max(start, low)
        walk: Iterator[Key] = keys.irange(low, high, inclusive=(False, False), reverse=descending)
        return walk
    if start is None:  # all of them (a SortedList with its own iterator: irange's costs more)
        return reversed(keys) if descending else iter(keys)
    if descending:
        return reversed(keys[:bisect_left(keys, start)])
    return iter(keys[bisect_right(keys, start):])


def _cursor(backup: Listed, by_name: bool) -> Cursor:
    if by_name:
        return backup.display_name, backup.id
    # TIME_KEY_FORMAT's text, the year padded to 4 digits (strftime's %Y gives "2" for the year 2 on glibc)
    return backup.time_created.replace(tzinfo=None).isoformat(timespec="microseconds"), backup.id


def _parse_time(text: str) -> datetime:
    """A cursor's time (TIME_KEY_FORMAT, as _cursor wrote it: page tokens are signed)."""
    return datetime.fromisoformat(text + "+00:00")  # aware at once, without replace(): half the CPU


class BackupIndex(RecordIndex[V]):
    """An index of values that hold their resource as `backup` (as the first index did)."""

    @staticmethod
    def _resource(value: Any) -> Listed:
        model: Listed = value.backup
        return model
