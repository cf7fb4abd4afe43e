"""The resource engine: what every OCI resource mockoci emulates shares, knowing no particular resource.

- Tenancy partitions: each tenancy's records apart, least recently used first, at most `max_tenancies`. A
  tenancy that holds something a client created is never forgotten to make room: a newcomer is refused
  (400 `LimitExceeded`, naming the setting) when every kept tenancy holds client data.
- Versioned records: each write stores a new `Record` (model, etag, region); the old one is never changed.
- A sorted per-compartment index per resource kind (`RecordIndex`), with a group per value of each field the
  kind's lists filter on, so a list page is a cursor walk of the smallest group its filters name.
- Lifecycle transitions driven by the store's clock: a heap of due transitions, applied before every
  operation; a transition applies only if its record is still in the state it was scheduled from.
- Retry tokens bound to the operation's parameters, capped and expiring.
- Caps: TERMINATED records kept per kind and tenancy, retry tokens per tenancy, tenancies.

Each resource lives in its own module under `mockoci.resources`: a subclass of `Engine` holding its model,
states, transitions and operations, with a `Kind` that tells the engine how to store and progress it.
"""

from __future__ import annotations

import heapq
import itertools
import json
import math
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar, Literal

from pydantic import BaseModel

from . import errors
from .clock import Clock
from .collector import drain, free_later
from .etags import if_match_matches, make_etag
from .factories import Factory
from .index import RecordIndex
from .regions import region as known_region

DEFAULT_TENANCY = "ocid1.tenancy.oc1..aaaaaaaamockocidefaulttenancy"
TERMINATED = "TERMINATED"
LifecycleModeName = Literal["immediate", "delay", "manual"]


@dataclass(frozen=True, slots=True)
class Lifecycle:
    """How records progress: `immediate` at once, `delay` after `delay` seconds of the store's clock,
    `manual` only when a test settles or forces them."""

    mode: LifecycleModeName = "delay"
    delay: float = 0.5

    def wait(self, stage: float) -> float:
        """Seconds until a transition `stage` lifecycle delays away happens (inf: never on its own)."""
        return _wait(self.mode, self.delay, stage)


def _wait(mode: LifecycleModeName, delay: float, stage: float) -> float:
    if mode == "immediate":
        return 0.0
    if mode == "manual":
        return math.inf
    return delay * stage


class Record:
    """One version of a resource: its model, etag, region and (once asked for) its JSON bytes."""

    __slots__ = ("_json", "etag", "model", "region")

    def __init__(self, model: Any, etag: str, region: str | None = None) -> None:
        self.model = model
        self.etag = etag
        self.region = region
        self._json: bytes | None = None

    def json(self) -> bytes:
        if self._json is None:
            # Through a str: pydantic's bytes kept as they come take ~400 B more of the process's memory per backup
            # (as the allocator places them; bench/inprocess.py memory), for 0.5 us less.
            self._json = self.model.model_dump_json(by_alias=True).encode()
        return self._json

    def cached_json(self) -> bytes | None:
        """The JSON bytes if a reader already asked for them (`json`), else None."""
        return self._json


@dataclass(frozen=True, slots=True)
class Step:
    """A transition a record makes by itself: from `from_state` to `to_state` (with `changes` to other
    fields), `stage` lifecycle delays after it entered the state that scheduled it."""

    from_state: str
    to_state: str
    stage: float
    changes: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Kind:
    """A resource type as the engine stores it.

    `name` keys its records (and its count in /_mockoci/stats: `backups`); `collection` names it in state
    documents and fixtures (`volumeBackups`); `model` is its wire model;
    `record` the Record class its versions are stored in; `compact` shrinks a model for storing;
    `progress(model)` the steps a record in its current state makes by itself; `may_still_apply[S]` the states
    from which a record reaches S by itself (pending transitions from S of a record in none of them are
    swept out); `indexed` the model's fields its lists filter on by equality, which its index groups records
    by, each alone or several together (a group per combination of values); the compartment, display name and
    region are always indexed.
    """

    name: str
    collection: str
    model: type[BaseModel]
    progress: Callable[[Any], tuple[Step, ...]]
    may_still_apply: Mapping[str, frozenset[str]]
    record: type[Record] = Record
    compact: Callable[[Any], Any] | None = None  # None: stored as given
    # (a stored model, changes) -> its next version, compacted; None: model_copy(update=changes), then compact
    revise: Callable[[Any, Mapping[str, Any]], Any] | None = None
    forget_terminated: bool = True  # TERMINATED records are forgotten after `terminated_retention`, capped
    indexed: tuple[str | tuple[str, ...], ...] = ()

    def new_table(self) -> RecordIndex[Record]:
        return RecordIndex(self.indexed)


@dataclass(slots=True)
class RetryEntry:
    fingerprint: int  # request_fingerprint's
    kind: str
    record_id: str
    expires_at: float


@dataclass
class Partition:
    """One tenancy's state."""

    tenancy: str
    tables: dict[str, RecordIndex[Record]] = field(default_factory=dict)  # kind name -> records
    retry_tokens: dict[str, RetryEntry] = field(default_factory=dict)  # oldest first
    terminated: dict[str, dict[str, None]] = field(default_factory=dict)  # kind -> TERMINATED ids, oldest first
    extras: dict[str, Any] = field(default_factory=dict)  # resource modules' own data, by module
    lifecycle: Lifecycle | None = None  # None: the store's default
    holds_client_data: bool = False  # something a client created or changed is here: never forgotten

    def table(self, kind: str) -> RecordIndex[Record]:
        table = self.tables.get(kind)
        if table is None:
            known = Engine.KINDS.get(kind)
            table = self.tables[kind] = known.new_table() if known is not None else RecordIndex()
        return table


@dataclass(slots=True)
class _Transition:
    due: float
    seq: int
    tenancy: str
    kind: str
    record_id: str
    from_state: str
    to_state: str | None  # None: forget the record
    stage: float | None = None  # lifecycle delays; None: a fixed delay
    changes: Mapping[str, Any] | None = None
    timer: Callable[[Partition, float], None] | None = None  # a resource's own


# The queue's entries: due first, then scheduled first. Tuples, so that heapq compares them in C (a dozen times
# per transition scheduled and applied); the unique `seq` keeps it from ever comparing two transitions.
_Due = tuple[float, int, _Transition]


def _due(transition: _Transition) -> _Due:
    return transition.due, transition.seq, transition


def _taken_apart(partitions: list[Partition], transitions: list[_Due]) -> Iterator[None]:
    """Drops what forgotten partitions and transitions hold, a piece at a time (see collector.free_later)."""
    yield from drain(transitions)
    while partitions:
        partition = partitions.pop()
        for table in partition.tables.values():
            yield from table.take_apart()
        yield from drain(partition.retry_tokens)
        del partition  # what else it holds is small: TERMINATED ids (capped), resources' extras
        yield


# json.dumps(..., sort_keys=True, default=str) makes an encoder per call: a third of a fingerprint's time
_CANONICAL_JSON = json.JSONEncoder(sort_keys=True, default=str)


def request_fingerprint(operation: str, *parts: object) -> int:
    """What a retry token is bound to: the operation and its canonical parameters, as Python's hash of their
    JSON. Retry tokens live in the process (never in a state file), so a hash of this process's will do, and
    a request that reuses a token with other parameters is caught but for a 2**-64 chance; a SHA-256 through
    OpenSSL was ~7 us of each create with the CPU's caches cold."""
    return hash(_CANONICAL_JSON.encode([operation, *parts]))


def region_of_ocid(ocid: str) -> str | None:
    """The region a regional OCID names (`ocid1.volumebackup.oc1.phx.ab...` -> `us-phoenix-1`), else None."""
    parts = ocid.split(".", 4)
    if len(parts) < 5 or not parts[3]:
        return None
    found = known_region(parts[3])
    return found.name if found is not None else None


class Engine:
    """Records of every kind, partitioned by tenancy. Every public method is atomic: a check and the write it
    guards happen under one lock. Resource modules subclass it (see mockoci.resources)."""

    TRANSITIONS_COMPACT_FLOOR = 10_000  # pending transitions tolerated before stale ones are swept out
    KINDS: ClassVar[dict[str, Kind]] = {}  # every kind, registered by its resource module

    def __init__(
        self,
        *,
        region: str = "us-ashburn-1",
        lifecycle_delay: float = 0.5,
        terminated_retention: float = 300.0,
        retry_token_ttl: float = 86400.0,
        max_retry_tokens: int = 10_000,
        max_terminated: int = 1_000,
        max_tenancies: int = 1_000,
        factory: Factory | None = None,
        clock: Clock | None = None,
        lifecycle_mode: LifecycleModeName = "delay",
    ) -> None:
        self.region = region
        self.lifecycle_delay = lifecycle_delay
        self.lifecycle_mode: LifecycleModeName = lifecycle_mode
        self._initial_lifecycle = Lifecycle(lifecycle_mode, lifecycle_delay)
        self.terminated_retention = terminated_retention
        self.retry_token_ttl = retry_token_ttl
        self.max_retry_tokens = max_retry_tokens
        self.max_terminated = max_terminated
        self.max_tenancies = max_tenancies
        self.factory = factory or Factory()
        self.clock = clock or Clock()
        self._lock = threading.Lock()
        self._partitions: OrderedDict[str, Partition] = OrderedDict()  # least recently used first
        self._transitions: list[_Due] = []  # a heap
        self._compact_at = self.TRANSITIONS_COMPACT_FLOOR
        self._seq = itertools.count(1)
        self._baseline: dict[str, list[Any]] = {}  # kind -> models every tenancy starts with
        self._baseline_tables: dict[str, RecordIndex[Record]] = {}
        self._transit_time: float | None = None  # while a due transition applies: when it was due

    # -- test control (every kind) --------------------------------------------------------------------

    def reset(self, tenancy: str | None = None) -> None:
        """Forget every tenancy's state (or one tenancy's); fixtures loaded at start come back."""
        with self._lock:
            if tenancy is None:
                self._forget_all()
                self.lifecycle_mode = self._initial_lifecycle.mode
                self.lifecycle_delay = self._initial_lifecycle.delay
            else:
                partition = self._partitions.pop(tenancy, None)
                if partition is not None:
                    free_later(_taken_apart([partition], []))
                self._transitions = [entry for entry in self._transitions if entry[2].tenancy != tenancy]
                heapq.heapify(self._transitions)

    def _forget_all(self) -> None:
        """Starts from nothing at once: empty partitions and transitions in place of the old ones, which are freed
        in the background (collector.free_later: freeing a million records at once holds the GIL half a second)."""
        partitions, self._partitions = self._partitions, OrderedDict()
        transitions, self._transitions = self._transitions, []
        free_later(_taken_apart(list(partitions.values()), transitions))

    def set_baseline_records(
        self, records: Mapping[str, Iterable[Any]], etags: Mapping[str, str] | None = None
    ) -> None:
        """What every tenancy starts with (the fixtures, by kind, with the etags some of them pin), applied now
        and after every reset."""
        etags = etags or {}
        with self._lock:
            self._baseline = {kind: list(models) for kind, models in records.items()}
            self._baseline_tables = {}
            for kind_name, models in self._baseline.items():
                kind = self.KINDS[kind_name]
                table = kind.new_table()
                with table.loading():
                    for model in models:
                        table[model.id] = self._record(kind, model, etag=etags.get(model.id))
                self._baseline_tables[kind_name] = table
            self._forget_all()

    def seed_records(
        self, *, tenancy: str, kind: str, models: Iterable[Any], etags: Mapping[str, str] | None = None
    ) -> list[Record]:
        """Store records as given (with the etags given for some); transient states progress as if the records
        had just been requested."""
        etags = etags or {}
        with self._lock:
            partition = self._advance(tenancy)
            with partition.table(kind).loading():
                return [self._seed_one(partition, self.KINDS[kind], model, etags.get(model.id)) for model in models]

    def force_record_state(self, *, tenancy: str, kind: str, record_id: str, state: str,
                           changes: Mapping[str, Any] | None = None) -> Record:
        """Put a record in any lifecycle state now, as if it had just entered it: pending transitions of its
        old state no longer apply, and a transient state moves on as the lifecycle mode says."""
        with self._lock:
            partition = self._advance(tenancy)
            current = self._get(partition, kind, record_id)
            self._drop_transitions(tenancy, record_id)
            update = {"lifecycle_state": state, **(changes or {})}
            self._seed_one(partition, self.KINDS[kind], current.model.model_copy(update=update))
            self._apply_due()
            return partition.table(kind)[record_id]

    def import_records(self, state: Mapping[str, Mapping[str, Iterable[Any]]]) -> None:
        """Replace all state with `state` (tenancy -> kind -> models); other tenancies start from the fixtures.

        Transient states progress as if just requested, TERMINATED records are kept for the retention time."""
        with self._lock:
            self._forget_all()
            for tenancy, held in state.items():
                partition = self._partitions[tenancy] = Partition(tenancy, holds_client_data=True)
                self._new_partition(partition)
                for kind_name, models in held.items():
                    with partition.table(kind_name).loading():
                        for model in models:
                            self._seed_one(partition, self.KINDS[kind_name], model)

    def counts(self) -> dict[str, int]:
        """How much the store holds, for soak tests and the health endpoint."""
        with self._lock:
            partitions = self._partitions.values()
            counts = {"fixtures": len(self._baseline.get("backups", ())), "tenancies": len(self._partitions)}
            for kind in self.KINDS.values():
                counts[kind.name] = sum(len(p.tables.get(kind.name, ())) for p in partitions)
            counts["terminated"] = sum(len(ids) for p in partitions for ids in p.terminated.values())
            counts["retry_tokens"] = sum(len(p.retry_tokens) for p in partitions)
            counts["transitions"] = len(self._transitions)
            return counts

    def advance_clock(self, seconds: float) -> float:
        """Move the store's clock forward and apply what became due; returns the clock's total offset."""
        with self._lock:
            self.clock.advance(seconds)
            self._apply_due()
            return self.clock.offset

    def lifecycle(self, tenancy: str | None = None) -> Lifecycle:
        """The lifecycle in force for `tenancy` (its own, else the store's default)."""
        with self._lock:
            return self._lifecycle(tenancy)

    def set_lifecycle(self, lifecycle: Lifecycle, tenancy: str | None = None) -> None:
        """Change how records progress, for one tenancy or (without one) for every tenancy without its own.

        Pending transitions of the tenancies affected are rescheduled from now as if just requested under the
        new lifecycle: `immediate` completes them at once, `manual` holds them until `settle` or
        `force_state`.
        """
        with self._lock:
            if tenancy is None:
                self.lifecycle_mode, self.lifecycle_delay = lifecycle.mode, lifecycle.delay
                affected = {name for name, part in self._partitions.items() if part.lifecycle is None}
            else:
                partition = self._advance(tenancy)
                partition.lifecycle = lifecycle
                partition.holds_client_data = True
                affected = {tenancy}
            now = self.clock.time()
            for _, _, transition in self._transitions:
                if transition.tenancy in affected and transition.stage is not None:
                    transition.due = now + self._wait(transition.tenancy, transition.stage)
            self._transitions = [_due(transition) for _, _, transition in self._transitions]
            heapq.heapify(self._transitions)
            self._apply_due()

    def settle_records(self, *, tenancy: str, record_id: str | None = None) -> list[Record]:
        """Complete every pending lifecycle transition of a tenancy (or of one record) now, whatever the mode
        and the clock. Returns the records that changed, in the order their transitions were scheduled."""
        with self._lock:
            partition = self._advance(tenancy)
            if record_id is not None and self._find(partition, record_id) is None:
                raise errors.NotAuthorizedOrNotFound()
            pending = [
                t for _, _, t in self._transitions
                if t.tenancy == tenancy and t.to_state is not None and record_id in (None, t.record_id)
            ]
            pending_ids = {id(t) for t in pending}
            self._transitions = [entry for entry in self._transitions if id(entry[2]) not in pending_ids]
            heapq.heapify(self._transitions)
            now = self.clock.time()
            changed: dict[str, Record] = {}
            for transition in sorted(pending, key=lambda t: t.seq):
                stored = self._transit(partition, transition, start=now)
                if stored is not None:
                    changed[transition.record_id] = stored
            return list(changed.values())

    # -- for resource modules (call with the lock held) -----------------------------------------------

    def _partition(self, tenancy: str) -> Partition:
        partition = self._partitions.get(tenancy)
        if partition is not None:
            self._partitions.move_to_end(tenancy)
            return partition
        if len(self._partitions) >= self.max_tenancies:
            self._forget_a_tenancy()
        # Every tenancy starts from the same stored versions of the fixtures (the same etags, as the content
        # is the same): copying the sorted index is ~50x faster than adding each record again after a reset.
        partition = self._partitions[tenancy] = Partition(
            tenancy, tables={kind: table.copy() for kind, table in self._baseline_tables.items()}
        )
        for kind_name, models in self._baseline.items():
            for model in models:
                self._enter(partition, self.KINDS[kind_name], model)
        self._new_partition(partition)
        return partition

    def _new_partition(self, partition: Partition) -> None:
        """Called when a tenancy's partition is made: resources that keep extras override it, calling super()."""

    def _forget_a_tenancy(self) -> None:
        """Make room for a new tenancy: forget the least recently used one that holds only what it started
        with (the fixtures), or refuse the newcomer when every tenancy kept holds a client's data."""
        for name, partition in self._partitions.items():  # least recently used first
            if not partition.holds_client_data:
                del self._partitions[name]  # its pending transitions find nothing, and are swept
                return
        raise errors.LimitExceeded(
            f"mockoci keeps at most {self.max_tenancies} tenancies (the max_tenancies setting: --max-tenancies, "
            "MOCKOCI_MAX_TENANCIES), and every one of them holds data a client created, which is never "
            "forgotten. Reset a tenancy (POST /_mockoci/reset?tenancy=...) or raise the setting."
        )

    def _advance(self, tenancy: str) -> Partition:
        partition = self._partition(tenancy)
        self._apply_due()
        return partition

    def _record(
        self, kind: Kind, model: Any, region: str | None = None, etag: str | None = None, *, compacted: bool = False
    ) -> Record:
        if kind.compact is not None and not compacted:
            model = kind.compact(model)
        if region is None:
            region = region_of_ocid(model.id) or self.region
        return kind.record(model, etag or make_etag(next(self._seq)), region)

    def _put(
        self, partition: Partition, kind: Kind, model: Any, *, client: bool = True, etag: str | None = None,
        compacted: bool = False,
    ) -> Record:
        """Store a new version of a record (a client's write unless `client` is False), with a fresh etag unless
        one is given (a fixture may pin its own); `compacted`: the model is already as the kind stores it."""
        table = partition.tables.get(kind.name)
        if table is None:
            table = partition.table(kind.name)
        old = table.get(model.id)
        region = old.region if old is not None else None  # an id keeps its region
        stored = self._record(kind, model, region, etag, compacted=compacted)
        table[model.id] = stored
        if client:
            partition.holds_client_data = True
        if kind.forget_terminated:
            if model.lifecycle_state == TERMINATED:
                terminated = partition.terminated.setdefault(kind.name, {})
                terminated.setdefault(model.id, None)
                self._trim_terminated(table, terminated)
            else:
                known = partition.terminated.get(kind.name)
                if known:
                    known.pop(model.id, None)
        self._changed(partition, kind, old, stored)
        return stored

    def _put_revision(
        self, partition: Partition, kind: Kind, model: Any, changes: Mapping[str, Any], *, client: bool = True
    ) -> Record:
        """Store `model` (a stored version) with `changes` as the record's new version."""
        if kind.revise is None:
            return self._put(partition, kind, model.model_copy(update=changes), client=client)
        return self._put(partition, kind, kind.revise(model, changes), client=client, compacted=True)

    def _changed(self, partition: Partition, kind: Kind, old: Record | None, new: Record) -> None:
        """Called after every write of a record: resources that follow others (work requests follow the
        backups they copy) override it, calling super()."""

    def _get(self, partition: Partition, kind: str, record_id: str, region: str | None = None) -> Record:
        """The record, seen through `region`'s endpoint (None: the plain endpoint, which sees every region's);
        404 if there is none there."""
        stored = partition.table(kind).get(record_id)
        if stored is None or (region is not None and stored.region != region):
            raise errors.NotAuthorizedOrNotFound()
        return stored

    def _find(self, partition: Partition, record_id: str) -> Record | None:
        for table in partition.tables.values():
            stored = table.get(record_id)
            if stored is not None:
                return stored
        return None

    def _seed_one(self, partition: Partition, kind: Kind, model: Any, etag: str | None = None) -> Record:
        stored = self._put(partition, kind, model, etag=etag)
        self._enter(partition, kind, model)
        return stored

    def _enter(self, partition: Partition, kind: Kind, model: Any, start: float | None = None) -> None:
        """Schedule what a record does by itself from its current state, as if it had just entered it."""
        steps = kind.progress(model)
        if steps:
            if start is None:
                start = self.clock.time()
            for step in steps:
                due = start + self._wait(partition.tenancy, step.stage)
                self._push(_Transition(due, next(self._seq), partition.tenancy, kind.name, model.id,
                                       step.from_state, step.to_state, step.stage, step.changes))
        if kind.forget_terminated and model.lifecycle_state == TERMINATED:
            self._schedule_forget(partition, kind, model.id, start)

    def _schedule_forget(self, partition: Partition, kind: Kind, record_id: str, start: float | None) -> None:
        due = (self.clock.time() if start is None else start) + self.terminated_retention
        self._push(_Transition(due, next(self._seq), partition.tenancy, kind.name, record_id, TERMINATED, None))

    def _schedule_timer(self, partition: Partition, due: float, key: str,
                        action: Callable[[Partition, float], None]) -> None:
        """Call `action(partition, due)` once the store's clock reaches `due`, in due order with every other
        transition (a resource's own clock-driven work: backup policies' schedules). `key` names what it is for."""
        self._push(_Transition(due, next(self._seq), partition.tenancy, "", key, "", None, timer=action))

    def _push(self, transition: _Transition) -> None:
        heapq.heappush(self._transitions, _due(transition))
        if len(self._transitions) > self._compact_at:
            self._compact_transitions()

    def _drop_transitions(self, tenancy: str, record_id: str) -> None:
        self._transitions = [
            entry for entry in self._transitions if (entry[2].tenancy, entry[2].record_id) != (tenancy, record_id)
        ]
        heapq.heapify(self._transitions)

    def _apply_due(self) -> None:
        now = self.clock.time()
        while self._transitions and self._transitions[0][0] <= now:
            transition = heapq.heappop(self._transitions)[2]
            partition = self._partitions.get(transition.tenancy)
            if partition is None:
                continue
            self._transit_time = transition.due
            try:
                if transition.timer is not None:
                    transition.timer(partition, transition.due)
                else:
                    self._transit(partition, transition, start=transition.due)
            finally:
                self._transit_time = None

    def _transit(self, partition: Partition, transition: _Transition, *, start: float) -> Record | None:
        """Apply one transition if its record is still in the state it was scheduled from."""
        kind = self.KINDS[transition.kind]
        table = partition.table(kind.name)
        current = table.get(transition.record_id)
        if current is None or current.model.lifecycle_state != transition.from_state:
            return None
        if transition.to_state is None:
            del table[transition.record_id]
            partition.terminated.get(kind.name, {}).pop(transition.record_id, None)
            return None
        update: dict[str, Any] = {"lifecycle_state": transition.to_state}
        if transition.changes:
            update.update(transition.changes)
        stored = self._put_revision(partition, kind, current.model, update, client=False)
        if transition.to_state == TERMINATED and kind.forget_terminated:
            self._schedule_forget(partition, kind, transition.record_id, start)
        return stored

    def _event_time(self) -> datetime:
        """When what is being written happened: the due time of a transition being applied, else now."""
        if self._transit_time is None:
            return self.clock.now()
        try:
            return datetime.fromtimestamp(self._transit_time, UTC)
        except (OverflowError, ValueError, OSError):
            return self.clock.now()

    def _lifecycle(self, tenancy: str | None) -> Lifecycle:
        partition = self._partitions.get(tenancy) if tenancy is not None else None
        if partition is not None and partition.lifecycle is not None:
            return partition.lifecycle
        return Lifecycle(self.lifecycle_mode, self.lifecycle_delay)

    def _wait(self, tenancy: str, stage: float) -> float:
        """`_lifecycle(tenancy).wait(stage)`, without making a Lifecycle for the store's default (twice a create)."""
        partition = self._partitions.get(tenancy)
        if partition is not None and partition.lifecycle is not None:
            return partition.lifecycle.wait(stage)
        return _wait(self.lifecycle_mode, self.lifecycle_delay, stage)

    def _compact_transitions(self) -> None:
        """Drop pending transitions that can no longer apply (their record was forgotten or moved on), so the
        queue stays proportional to the records stored; amortised O(1) per scheduled transition."""
        def may_apply(transition: _Transition) -> bool:
            partition = self._partitions.get(transition.tenancy)
            if transition.timer is not None:
                return partition is not None  # the resource that set it ignores one no longer wanted
            table = partition.tables.get(transition.kind) if partition is not None else None
            current = table.get(transition.record_id) if table is not None else None
            if current is None:
                return False
            states = self.KINDS[transition.kind].may_still_apply.get(transition.from_state)
            return states is None or current.model.lifecycle_state in states

        live = [entry for entry in self._transitions if may_apply(entry[2])]
        heapq.heapify(live)
        self._transitions = live
        self._compact_at = max(self.TRANSITIONS_COMPACT_FLOOR, 2 * len(live))

    def _trim_terminated(self, table: RecordIndex[Record], terminated: dict[str, None]) -> None:
        """Forget the oldest TERMINATED records beyond the cap (their transitions then find nothing)."""
        while len(terminated) > self.max_terminated:
            oldest = next(iter(terminated))
            del terminated[oldest]
            table.pop(oldest, None)

    def _replay(self, partition: Partition, token: str | None, fingerprint: int) -> Record | None:
        if token is None:
            return None
        entry = partition.retry_tokens.get(token)
        if entry is None or entry.expires_at <= self.clock.time():
            return None
        if entry.fingerprint != fingerprint:
            raise errors.InvalidatedRetryToken()
        return self._get(partition, entry.kind, entry.record_id)

    def _remember(self, partition: Partition, token: str | None, fingerprint: int, kind: str,
                  record_id: str) -> None:
        if token is None:
            return
        tokens = partition.retry_tokens
        now = self.clock.time()
        tokens.pop(token, None)  # a re-used expired token moves to the end: the dict stays in expiry order
        tokens[token] = RetryEntry(fingerprint, kind, record_id, now + self.retry_token_ttl)
        while tokens:
            oldest = next(iter(tokens))
            if len(tokens) <= self.max_retry_tokens and tokens[oldest].expires_at > now:
                break
            del tokens[oldest]


def check_if_match(current: Record, if_match: str | None) -> None:
    if if_match is not None and not if_match_matches(if_match, current.etag):
        raise errors.NoEtagMatch()
