"""A tenancy's records of one kind by id, with each compartment's kept sorted, so a list page is a cursor walk.

Every OCI resource mockoci stores has `id`, `compartment_id`, `display_name` and `time_created`, the keys of
OCI's two list orders (TIMECREATED, DISPLAYNAME)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, MutableMapping, ValuesView
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar

from sortedcontainers import SortedList

from .collector import dismantle, drain

TIME_KEY_FORMAT = "%Y-%m-%dT%H:%M:%S.%f"



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


class _Compartment:
    """One compartment's backups in both list orders, as (sort value, id) pairs."""

    __slots__ = ("by_name", "by_time")

    def __init__(self) -> None:
        self.by_time: SortedList = SortedList()
        self.by_name: SortedList = SortedList()

    def add(self, backup: Listed) -> None:
        self.by_time.add((backup.time_created, backup.id))
        self.by_name.add((backup.display_name, backup.id))

    def remove(self, backup: Listed) -> None:
        self.by_time.remove((backup.time_created, backup.id))
        self.by_name.remove((backup.display_name, backup.id))

    def copy(self) -> _Compartment:
        clone = _Compartment()
        clone.by_time, clone.by_name = self.by_time.copy(), self.by_name.copy()
        return clone


class RecordIndex(MutableMapping[str, V]):
    """Records by id that keeps each compartment's records sorted by time created and by name; a record's
    resource is its `model` (`_resource` says otherwise in a subclass).

    Replacing a record with a new version re-sorts it only if its compartment, name or creation time changed.
    """

    @staticmethod
    def _resource(value: Any) -> Listed:
        model: Listed = value.model
        return model

    def __init__(self) -> None:
        self._by_id: dict[str, V] = {}
        self._compartments: dict[str, _Compartment] = {}

    def __getitem__(self, backup_id: str) -> V:
        return self._by_id[backup_id]

    def __setitem__(self, backup_id: str, value: V) -> None:
        old = self._by_id.get(backup_id)
        self._by_id[backup_id] = value
        new = self._resource(value)
        if old is not None:
            before = self._resource(old)
            if (before.compartment_id, before.display_name, before.time_created) == (
                new.compartment_id, new.display_name, new.time_created
            ):
                return
            self._unindex(before)
        compartment = self._compartments.get(new.compartment_id)
        if compartment is None:
            compartment = self._compartments[new.compartment_id] = _Compartment()
        compartment.add(new)

    def __delitem__(self, backup_id: str) -> None:
        self._unindex(self._resource(self._by_id.pop(backup_id)))

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
        clone: RecordIndex[V] = type(self)()
        clone._by_id = dict(self._by_id)
        clone._compartments = {key: compartment.copy() for key, compartment in self._compartments.items()}
        return clone

    def _unindex(self, backup: Listed) -> None:
        compartment = self._compartments[backup.compartment_id]
        compartment.remove(backup)
        if not compartment.by_time:
            del self._compartments[backup.compartment_id]

    def page(
        self,
        *,
        compartment_id: str,
        sort_by: str,
        descending: bool,
        limit: int,
        after: Cursor | None = None,
        matches: Callable[[V], bool] = lambda _: True,
    ) -> tuple[list[V], Cursor | None]:
        """Up to `limit` matching backups of a compartment that come after `after` in the order asked for, and
        the cursor of the last one if more match."""
        compartment = self._compartments.get(compartment_id)
        if compartment is None:
            return [], None
        by_name = sort_by == "DISPLAYNAME"
        keys = compartment.by_name if by_name else compartment.by_time
        if after is None:
            walk = keys.irange(reverse=descending)
        else:
            start = (after[0] if by_name else _parse_time(after[0]), after[1])
            if descending:
                walk = keys.irange(maximum=start, inclusive=(True, False), reverse=True)
            else:
                walk = keys.irange(minimum=start, inclusive=(False, True))
        items: list[V] = []
        for _, backup_id in walk:
            item = self._by_id[backup_id]
            if matches(item):
                if len(items) == limit:
                    return items, _cursor(self._resource(items[-1]), by_name)
                items.append(item)
        return items, None


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
