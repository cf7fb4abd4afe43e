"""In-memory volume backups, partitioned by tenancy. Named after OCI's operations; knows nothing of HTTP."""

from __future__ import annotations

import hashlib
import heapq
import itertools
import json
import math
import sys
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from . import errors
from .clock import Clock
from .etags import if_match_matches, make_etag
from .factories import Factory
from .index import BackupIndex
from .models import (
    ChangeVolumeBackupCompartmentDetails,
    CopyVolumeBackupDetails,
    CreateVolumeBackupDetails,
    RetentionDuration,
    UpdateVolumeBackupDetails,
    VolumeBackup,
)

DEFAULT_TENANCY = "ocid1.tenancy.oc1..aaaaaaaamockocidefaulttenancy"
TRANSIENT_NEW_STATES = frozenset({"REQUEST_RECEIVED", "CREATING"})
GONE_STATES = frozenset({"TERMINATING", "TERMINATED"})
LifecycleModeName = Literal["immediate", "delay", "manual"]


@dataclass(frozen=True, slots=True)
class Lifecycle:
    """How backups progress: `immediate` at once, `delay` after `delay` seconds of the store's clock,
    `manual` only when a test settles or forces them."""

    mode: LifecycleModeName = "delay"
    delay: float = 0.5

    def wait(self, stage: float) -> float:
        """Seconds until a transition `stage` lifecycle delays away happens (inf: never on its own)."""
        if self.mode == "immediate":
            return 0.0
        if self.mode == "manual":
            return math.inf
        return self.delay * stage


# Objects stored backups share (see _compact).
_FIELDS_SETS: dict[frozenset[str], set[str]] = {}
_SHARED_STRINGS = (
    "compartment_id", "volume_id", "kms_key_id", "source_volume_backup_id", "lifecycle_state", "type", "source_type",
)
_SIZES = ("size_in_gbs", "size_in_mbs", "unique_size_in_gbs", "unique_size_in_mbs")
_SHARED_SIZES: dict[int, int] = {}
_TAG_MAPS = ("defined_tags", "freeform_tags", "system_tags")
_EMPTY_TAGS: dict[str, Any] = {}


@dataclass(slots=True)
class StoredBackup:
    """One version of a backup: the model, its etag and (once asked for) its JSON bytes."""

    backup: VolumeBackup
    etag: str
    _json: bytes | None = None

    def __post_init__(self) -> None:
        self.backup = _compact(self.backup)

    def json(self) -> bytes:
        if self._json is None:
            self._json = self.backup.model_dump_json(by_alias=True).encode()
        return self._json


def _compact(backup: VolumeBackup) -> VolumeBackup:
    """An equal model that takes less memory, for storing: 1 KB less of a 2 KB backup (docs/performance.md).

    - Its fields go in a key-sharing dict, a copy of `_SHARED_KEYS`: 280 B instead of the 830 B of the dict
      pydantic builds.
    - pydantic gives every model its own set of the fields it was given; stored models share one set per
      distinct value.
    - Equal values many backups hold are stored once: the OCIDs of compartments, volumes and keys, the states,
      the sizes, the empty tag maps, and a request time equal to the creation time.

    Nothing changes a stored model in place (the store replaces a version by a new one; model_copy copies the
    fields and their set before changing them), so sharing is safe.
    """
    fields = _SHARED_KEYS.copy()
    fields.update(backup.__dict__)
    for name in _SHARED_STRINGS:
        value = fields[name]
        if value is not None:
            fields[name] = sys.intern(value)
    for name in _SIZES:
        value = fields[name]
        if value is not None and len(_SHARED_SIZES) < 10_000:
            fields[name] = _SHARED_SIZES.setdefault(value, value)
    for name in _TAG_MAPS:
        if fields[name] == {}:
            fields[name] = _EMPTY_TAGS
    if fields["time_request_received"] == fields["time_created"]:
        fields["time_request_received"] = fields["time_created"]
    compact = VolumeBackup.__new__(VolumeBackup)
    object.__setattr__(compact, "__dict__", fields)
    given = backup.__pydantic_fields_set__
    object.__setattr__(compact, "__pydantic_fields_set__", _FIELDS_SETS.setdefault(frozenset(given), given))
    object.__setattr__(compact, "__pydantic_extra__", backup.__pydantic_extra__)
    object.__setattr__(compact, "__pydantic_private__", backup.__pydantic_private__)
    return compact


def _key_sharing_fields() -> dict[str, Any]:
    """A dict of VolumeBackup's fields (all None) whose copies share one table of keys: CPython keeps the keys of
    instance dicts built attribute by attribute in one table per class, and copying such a dict (then setting
    the same keys) keeps it so; each copy holds only its values."""
    model = VolumeBackup.__new__(VolumeBackup)
    for name in VolumeBackup.model_fields:
        object.__setattr__(model, name, None)
    return model.__dict__


_SHARED_KEYS = _key_sharing_fields()


@dataclass(slots=True)
class Volume:
    """What the store knows of a volume: where its backups go and how big they are."""

    compartment_id: str
    size_in_gbs: int


@dataclass(slots=True)
class RetryEntry:
    fingerprint: str
    backup_id: str
    expires_at: float


@dataclass
class Partition:
    """One tenancy's state."""

    backups: BackupIndex[StoredBackup] = field(default_factory=BackupIndex)
    volumes: dict[str, Volume] = field(default_factory=dict)
    retry_tokens: dict[str, RetryEntry] = field(default_factory=dict)  # oldest first
    terminated: dict[str, None] = field(default_factory=dict)  # ids of TERMINATED backups, oldest first
    lifecycle: Lifecycle | None = None  # None: the store's default


@dataclass(slots=True)
class TenancyState:
    """What a tenancy holds, as export_state gives it and import_state takes it."""

    backups: list[VolumeBackup] = field(default_factory=list)
    volumes: dict[str, Volume] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ListQuery:
    """The filters and order of one ListVolumeBackups query."""

    compartment_id: str
    volume_id: str | None = None
    display_name: str | None = None
    source_volume_backup_id: str | None = None
    lifecycle_state: str | None = None
    sort_by: str = "TIMECREATED"
    sort_order: str | None = None

    @property
    def descending(self) -> bool:
        if self.sort_order is not None:
            return self.sort_order == "DESC"
        return self.sort_by == "TIMECREATED"

    def matches(self, backup: VolumeBackup) -> bool:
        return (
            backup.compartment_id == self.compartment_id
            and (self.volume_id is None or backup.volume_id == self.volume_id)
            and (self.display_name is None or backup.display_name == self.display_name)
            and (
                self.source_volume_backup_id is None
                or backup.source_volume_backup_id == self.source_volume_backup_id
            )
            and (self.lifecycle_state is None or backup.lifecycle_state == self.lifecycle_state.upper())
        )


@dataclass(slots=True)
class Page:
    items: list[StoredBackup]
    next_cursor: tuple[str, str] | None


# A transition from state S applies only to a backup then in S: the states from which a backup reaches S by
# itself (forcing a state drops the forced backup's pending transitions).
_MAY_STILL_APPLY = {
    "REQUEST_RECEIVED": frozenset({"REQUEST_RECEIVED"}),
    "CREATING": frozenset({"REQUEST_RECEIVED", "CREATING"}),
    "TERMINATING": frozenset({"TERMINATING"}),
    "TERMINATED": frozenset({"TERMINATING", "TERMINATED"}),
}


@dataclass(order=True, slots=True)
class _Transition:
    due: float
    seq: int
    tenancy: str = field(compare=False)
    backup_id: str = field(compare=False)
    from_state: str = field(compare=False)
    to_state: str | None = field(compare=False)  # None: forget the backup


def request_fingerprint(operation: str, *parts: object) -> str:
    """What a retry token is bound to: the operation and its canonical parameters."""
    return hashlib.sha256(json.dumps([operation, *parts], sort_keys=True, default=str).encode()).hexdigest()


class VolumeBackupStore:
    """All volume backups. Every method is atomic: a check and the write it guards happen under one lock."""

    TRANSITIONS_COMPACT_FLOOR = 10_000  # pending transitions tolerated before stale ones are swept out

    def __init__(
        self,
        *,
        region: str = "us-ashburn-1",
        lifecycle_delay: float = 0.5,
        terminated_retention: float = 300.0,
        retry_token_ttl: float = 86400.0,
        default_compartment_id: str | None = None,
        max_retry_tokens: int = 10_000,
        max_terminated_backups: int = 1_000,
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
        self.default_compartment_id = default_compartment_id
        self.max_retry_tokens = max_retry_tokens
        self.max_terminated_backups = max_terminated_backups
        self.max_tenancies = max_tenancies
        self.factory = factory or Factory()
        self.clock = clock or Clock()
        self._lock = threading.Lock()
        self._partitions: OrderedDict[str, Partition] = OrderedDict()  # least recently used first
        self._transitions: list[_Transition] = []
        self._compact_at = self.TRANSITIONS_COMPACT_FLOOR
        self._seq = itertools.count(1)
        self._baseline: list[VolumeBackup] = []
        self._baseline_volumes: dict[str, Volume] = {}
        self._baseline_index: BackupIndex[StoredBackup] = BackupIndex()

    # -- the seven operations -------------------------------------------------------------------------

    def create_volume_backup(
        self, *, tenancy: str, details: CreateVolumeBackupDetails, retry_token: str | None = None
    ) -> StoredBackup:
        fingerprint = request_fingerprint("create", details.model_dump(exclude_unset=True))
        with self._lock:
            partition = self._advance(tenancy)
            replay = self._replay(partition, retry_token, fingerprint)
            if replay is not None:
                return replay
            now = self.clock.now()
            volume = partition.volumes.get(details.volume_id)
            size = volume.size_in_gbs if volume else self.factory.volume_size_in_gbs()
            unique = self.factory.unique_size_in_gbs(size)
            backup = VolumeBackup(
                id=self.factory.ocid("volumebackup", self.region),
                compartment_id=(
                    volume.compartment_id if volume else self.default_compartment_id or tenancy
                ),
                display_name=details.display_name or self.factory.default_backup_name(now),
                lifecycle_state="REQUEST_RECEIVED",
                type=details.type or "INCREMENTAL",
                volume_id=details.volume_id,
                kms_key_id=details.kms_key_id,
                defined_tags=details.defined_tags if details.defined_tags is not None else {},
                freeform_tags=details.freeform_tags if details.freeform_tags is not None else {},
                system_tags={},
                size_in_gbs=size,
                size_in_mbs=size * 1024,
                unique_size_in_gbs=unique,
                unique_size_in_mbs=unique * 1024,
                source_type="MANUAL",
                time_created=now,
                time_request_received=now,
                retention_period=details.retention_period,
                time_retention_expires_at=_retention_expiry(now, details.retention_period),
                is_prevent_deletion_enabled=details.is_prevent_deletion_enabled,
                is_retention_lock_enabled=details.is_retention_lock_enabled,
                is_indefinite_retention_enabled=details.is_indefinite_retention_enabled,
            )
            self._put(partition, backup)
            self._schedule_creation(tenancy, backup.id, "REQUEST_RECEIVED")
            self._remember(partition, retry_token, fingerprint, backup.id)
            self._advance(tenancy)
            return partition.backups[backup.id]

    def get_volume_backup(self, *, tenancy: str, backup_id: str) -> StoredBackup:
        with self._lock:
            return self._get(self._advance(tenancy), backup_id)

    def list_volume_backups(
        self, *, tenancy: str, query: ListQuery, limit: int, after: tuple[str, str] | None = None
    ) -> Page:
        with self._lock:
            items, next_cursor = self._advance(tenancy).backups.page(
                compartment_id=query.compartment_id,
                sort_by=query.sort_by,
                descending=query.descending,
                limit=limit,
                after=after,
                matches=lambda stored: query.matches(stored.backup),
            )
        return Page(items=items, next_cursor=next_cursor)

    def update_volume_backup(
        self, *, tenancy: str, backup_id: str, details: UpdateVolumeBackupDetails, if_match: str | None = None
    ) -> StoredBackup:
        with self._lock:
            partition = self._advance(tenancy)
            current = self._get(partition, backup_id)
            _check_if_match(current, if_match)
            _require_mutable(current.backup, "updated")
            changes = details.model_dump(exclude_unset=True)
            changes = {name: value for name, value in changes.items() if value is not None}
            if "retention_period" in changes:
                changes["retention_period"] = details.retention_period
                changes["time_retention_expires_at"] = _retention_expiry(
                    current.backup.time_created, details.retention_period
                )
            return self._put(partition, current.backup.model_copy(update=changes))

    def delete_volume_backup(self, *, tenancy: str, backup_id: str, if_match: str | None = None) -> None:
        with self._lock:
            partition = self._advance(tenancy)
            current = self._get(partition, backup_id)
            _check_if_match(current, if_match)
            state = current.backup.lifecycle_state
            if state in GONE_STATES:
                return  # already on its way out: deleting again changes nothing
            if state in TRANSIENT_NEW_STATES:
                raise errors.IncorrectState(f"The volume backup is {state}; it can be deleted once it is AVAILABLE.")
            if current.backup.is_prevent_deletion_enabled:
                raise errors.Conflict("The volume backup has deletion prevention enabled.")
            expires = current.backup.time_retention_expires_at
            if current.backup.is_retention_lock_enabled and expires is not None and expires > self.clock.now():
                raise errors.Conflict("The volume backup is retention-locked until it expires.")
            self._put(partition, current.backup.model_copy(update={"lifecycle_state": "TERMINATING"}))
            self._schedule(tenancy, backup_id, "TERMINATING", "TERMINATED", self._wait(tenancy, 1.0))
            self._advance(tenancy)

    def copy_volume_backup(
        self,
        *,
        tenancy: str,
        backup_id: str,
        details: CopyVolumeBackupDetails,
        retry_token: str | None = None,
    ) -> StoredBackup:
        fingerprint = request_fingerprint("copy", backup_id, details.model_dump(exclude_unset=True))
        with self._lock:
            partition = self._advance(tenancy)
            source = self._get(partition, backup_id).backup
            replay = self._replay(partition, retry_token, fingerprint)
            if replay is not None:
                return replay
            _require_mutable(source, "copied")
            now = self.clock.now()
            copy = source.model_copy(
                update={
                    "id": self.factory.ocid("volumebackup", details.destination_region),
                    "display_name": details.display_name or source.display_name,
                    "kms_key_id": details.kms_key_id,
                    "lifecycle_state": "REQUEST_RECEIVED",
                    "source_volume_backup_id": source.id,
                    "time_request_received": now,
                    "system_tags": {},
                    "volume_group_backup_id": None,
                }
            )
            self._put(partition, copy)
            self._schedule_creation(tenancy, copy.id, "REQUEST_RECEIVED")
            self._remember(partition, retry_token, fingerprint, copy.id)
            self._advance(tenancy)
            return partition.backups[copy.id]

    def change_volume_backup_compartment(
        self, *, tenancy: str, backup_id: str, details: ChangeVolumeBackupCompartmentDetails
    ) -> StoredBackup:
        with self._lock:
            partition = self._advance(tenancy)
            current = self._get(partition, backup_id)
            _require_mutable(current.backup, "moved")
            if current.backup.compartment_id == details.compartment_id:
                return current
            moved = current.backup.model_copy(update={"compartment_id": details.compartment_id})
            return self._put(partition, moved)

    # -- test control ---------------------------------------------------------------------------------

    def reset(self, tenancy: str | None = None) -> None:
        """Forget every tenancy's state (or one tenancy's); fixtures loaded at start come back."""
        with self._lock:
            if tenancy is None:
                self._partitions.clear()
                self._transitions.clear()
                self.lifecycle_mode = self._initial_lifecycle.mode
                self.lifecycle_delay = self._initial_lifecycle.delay
            else:
                self._partitions.pop(tenancy, None)
                self._transitions = [t for t in self._transitions if t.tenancy != tenancy]
                heapq.heapify(self._transitions)

    def set_baseline(
        self, backups: Iterable[VolumeBackup], volumes: dict[str, Volume] | None = None,
        etags: dict[str, str] | None = None,
    ) -> None:
        """What every tenancy starts with (the fixtures, with the etags they pin), applied now and after every
        reset."""
        etags = etags or {}
        with self._lock:
            self._baseline = list(backups)
            self._baseline_volumes = dict(volumes or {})
            self._baseline_index = BackupIndex()
            for backup in self._baseline:
                etag = etags.get(backup.id) or make_etag(backup.id, next(self._seq))
                self._baseline_index[backup.id] = StoredBackup(backup, etag)
            self._partitions.clear()
            self._transitions.clear()

    def seed(
        self, *, tenancy: str, backups: Iterable[VolumeBackup], etags: dict[str, str] | None = None
    ) -> list[StoredBackup]:
        """Store backups as given (with the etags given for some); transient states progress as if the backups had
        just been requested."""
        etags = etags or {}
        with self._lock:
            partition = self._advance(tenancy)
            return [self._seed_one(tenancy, partition, backup, etags.get(backup.id)) for backup in backups]

    def register_volume(self, *, tenancy: str, volume_id: str, volume: Volume) -> None:
        with self._lock:
            self._advance(tenancy).volumes[volume_id] = volume

    def force_state(self, *, tenancy: str, backup_id: str, state: str) -> StoredBackup:
        """Put a backup in any lifecycle state now, as if it had just entered it: pending transitions of its
        old state no longer apply, and a transient state (REQUEST_RECEIVED, CREATING, TERMINATING) moves on as
        the lifecycle mode says (at once in `immediate` mode, on settle in `manual` mode)."""
        with self._lock:
            partition = self._advance(tenancy)
            current = self._get(partition, backup_id)
            self._transitions = [
                t for t in self._transitions if (t.tenancy, t.backup_id) != (tenancy, backup_id)
            ]
            heapq.heapify(self._transitions)
            self._seed_one(tenancy, partition, current.backup.model_copy(update={"lifecycle_state": state}))
            self._apply_due()
            return partition.backups[backup_id]

    def export_state(self) -> dict[str, TenancyState]:
        """Every tenancy's backups and volumes as they are now (retry tokens are not part of it)."""
        with self._lock:
            self._apply_due()
            return {
                tenancy: TenancyState([s.backup for s in partition.backups.values()], dict(partition.volumes))
                for tenancy, partition in self._partitions.items()
            }

    def import_state(self, state: dict[str, TenancyState]) -> None:
        """Replace all state with `state`; other tenancies start from the fixtures, as after a reset.

        Transient states progress as if just requested, TERMINATED backups are kept for the retention time."""
        with self._lock:
            self._partitions.clear()
            self._transitions.clear()
            for tenancy, held in state.items():
                partition = self._partitions[tenancy] = Partition(volumes=dict(held.volumes))
                for backup in held.backups:
                    self._seed_one(tenancy, partition, backup)

    def counts(self) -> dict[str, int]:
        """How much the store holds, for soak tests, the stats endpoint and the start-up banner (`fixtures`: the
        backups every tenancy starts with)."""
        with self._lock:
            partitions = self._partitions.values()
            return {
                "fixtures": len(self._baseline),
                "tenancies": len(self._partitions),
                "backups": sum(len(p.backups) for p in partitions),
                "terminated": sum(len(p.terminated) for p in partitions),
                "retry_tokens": sum(len(p.retry_tokens) for p in partitions),
                "transitions": len(self._transitions),
            }

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
        """Change how backups progress, for one tenancy or (without one) for every tenancy without its own.

        Pending transitions of the tenancies affected are rescheduled from now as if just requested under the
        new lifecycle: `immediate` completes them at once, `manual` holds them until `settle` or
        `force_state`.
        """
        with self._lock:
            if tenancy is None:
                self.lifecycle_mode, self.lifecycle_delay = lifecycle.mode, lifecycle.delay
                affected = {name for name, part in self._partitions.items() if part.lifecycle is None}
            else:
                self._advance(tenancy).lifecycle = lifecycle
                affected = {tenancy}
            now = self.clock.time()
            for transition in self._transitions:
                if transition.tenancy in affected and transition.to_state is not None:
                    stage = 0.5 if transition.from_state == "REQUEST_RECEIVED" else 1.0
                    transition.due = now + self._wait(transition.tenancy, stage)
            heapq.heapify(self._transitions)
            self._apply_due()

    def settle(self, *, tenancy: str, backup_id: str | None = None) -> list[StoredBackup]:
        """Complete every pending lifecycle transition of a tenancy (or of one backup) now, whatever the mode
        and the clock: REQUEST_RECEIVED and CREATING become AVAILABLE, TERMINATING becomes TERMINATED. Returns
        the backups that changed, in the order their transitions were scheduled."""
        with self._lock:
            partition = self._advance(tenancy)
            if backup_id is not None:
                self._get(partition, backup_id)
            pending = [
                t for t in self._transitions
                if t.tenancy == tenancy and t.to_state is not None and backup_id in (None, t.backup_id)
            ]
            pending_ids = {id(t) for t in pending}
            self._transitions = [t for t in self._transitions if id(t) not in pending_ids]
            heapq.heapify(self._transitions)
            now = self.clock.time()
            changed: dict[str, StoredBackup] = {}
            for transition in sorted(pending, key=lambda t: t.seq):
                stored = self._transit(partition, transition, start=now)
                if stored is not None:
                    changed[transition.backup_id] = stored
            return list(changed.values())

    # -- internals ------------------------------------------------------------------------------------

    def _partition(self, tenancy: str) -> Partition:
        partition = self._partitions.get(tenancy)
        if partition is not None:
            self._partitions.move_to_end(tenancy)
        else:
            while len(self._partitions) >= self.max_tenancies:
                self._partitions.popitem(last=False)  # its pending transitions find nothing, and are swept
            # Every tenancy starts from the same stored versions of the fixtures (the same etags, as the content
            # is the same): copying the sorted index is ~50x faster than adding each backup again after a reset.
            partition = self._partitions[tenancy] = Partition(
                backups=self._baseline_index.copy(), volumes=dict(self._baseline_volumes)
            )
            for backup in self._baseline:
                self._schedule_seeded(tenancy, backup)
        return partition

    def _seed_one(
        self, tenancy: str, partition: Partition, backup: VolumeBackup, etag: str | None = None
    ) -> StoredBackup:
        stored = self._put(partition, backup, etag)
        self._schedule_seeded(tenancy, backup)
        return stored

    def _schedule_seeded(self, tenancy: str, backup: VolumeBackup) -> None:
        """Transient states of a seeded backup progress as if it had just been requested."""
        state = backup.lifecycle_state
        if state in TRANSIENT_NEW_STATES:
            self._schedule_creation(tenancy, backup.id, state)
        elif state == "TERMINATING":
            self._schedule(tenancy, backup.id, "TERMINATING", "TERMINATED", self._wait(tenancy, 1.0))
        elif state == "TERMINATED":
            self._schedule(tenancy, backup.id, "TERMINATED", None, self.terminated_retention)

    def _advance(self, tenancy: str) -> Partition:
        partition = self._partition(tenancy)
        self._apply_due()
        return partition

    def _apply_due(self) -> None:
        now = self.clock.time()
        while self._transitions and self._transitions[0].due <= now:
            transition = heapq.heappop(self._transitions)
            partition = self._partitions.get(transition.tenancy)
            if partition is not None:
                self._transit(partition, transition, start=transition.due)

    def _transit(self, partition: Partition, transition: _Transition, *, start: float) -> StoredBackup | None:
        """Apply one transition if its backup is still in the state it was scheduled from."""
        current = partition.backups.get(transition.backup_id)
        if current is None or current.backup.lifecycle_state != transition.from_state:
            return None
        if transition.to_state is None:
            del partition.backups[transition.backup_id]
            partition.terminated.pop(transition.backup_id, None)
            return None
        updated = current.backup.model_copy(update={"lifecycle_state": transition.to_state})
        stored = self._put(partition, updated)
        if transition.to_state == "TERMINATED":
            self._schedule(
                transition.tenancy, transition.backup_id, "TERMINATED", None, self.terminated_retention,
                start=start,
            )
        return stored

    def _lifecycle(self, tenancy: str | None) -> Lifecycle:
        partition = self._partitions.get(tenancy) if tenancy is not None else None
        if partition is not None and partition.lifecycle is not None:
            return partition.lifecycle
        return Lifecycle(self.lifecycle_mode, self.lifecycle_delay)

    def _wait(self, tenancy: str, stage: float) -> float:
        return self._lifecycle(tenancy).wait(stage)

    def _schedule_creation(self, tenancy: str, backup_id: str, state: str) -> None:
        if state == "REQUEST_RECEIVED":
            self._schedule(tenancy, backup_id, "REQUEST_RECEIVED", "CREATING", self._wait(tenancy, 0.5))
        self._schedule(tenancy, backup_id, "CREATING", "AVAILABLE", self._wait(tenancy, 1.0))

    def _schedule(
        self, tenancy: str, backup_id: str, from_state: str, to_state: str | None, delay: float,
        start: float | None = None,
    ) -> None:
        due = (self.clock.time() if start is None else start) + delay
        heapq.heappush(self._transitions, _Transition(due, next(self._seq), tenancy, backup_id, from_state, to_state))
        if len(self._transitions) > self._compact_at:
            self._compact_transitions()

    def _compact_transitions(self) -> None:
        """Drop pending transitions that can no longer apply (their backup was forgotten or moved on), so the
        queue stays proportional to the backups stored; amortised O(1) per scheduled transition."""
        def may_apply(transition: _Transition) -> bool:
            partition = self._partitions.get(transition.tenancy)
            current = partition.backups.get(transition.backup_id) if partition is not None else None
            return current is not None and current.backup.lifecycle_state in _MAY_STILL_APPLY[transition.from_state]

        live = [transition for transition in self._transitions if may_apply(transition)]
        heapq.heapify(live)
        self._transitions = live
        self._compact_at = max(self.TRANSITIONS_COMPACT_FLOOR, 2 * len(live))

    def _put(self, partition: Partition, backup: VolumeBackup, etag: str | None = None) -> StoredBackup:
        stored = StoredBackup(backup, etag or make_etag(backup.id, next(self._seq)))
        partition.backups[backup.id] = stored
        if backup.lifecycle_state == "TERMINATED":
            partition.terminated.setdefault(backup.id, None)
            self._trim_terminated(partition)
        else:
            partition.terminated.pop(backup.id, None)
        return stored

    def _trim_terminated(self, partition: Partition) -> None:
        """Forget the oldest TERMINATED backups beyond the cap (their transitions then find nothing)."""
        while len(partition.terminated) > self.max_terminated_backups:
            oldest = next(iter(partition.terminated))
            del partition.terminated[oldest]
            partition.backups.pop(oldest, None)

    @staticmethod
    def _get(partition: Partition, backup_id: str) -> StoredBackup:
        stored = partition.backups.get(backup_id)
        if stored is None:
            raise errors.NotAuthorizedOrNotFound()
        return stored

    def _replay(self, partition: Partition, token: str | None, fingerprint: str) -> StoredBackup | None:
        if token is None:
            return None
        entry = partition.retry_tokens.get(token)
        if entry is None or entry.expires_at <= self.clock.time():
            return None
        if entry.fingerprint != fingerprint:
            raise errors.InvalidatedRetryToken()
        return self._get(partition, entry.backup_id)

    def _remember(self, partition: Partition, token: str | None, fingerprint: str, backup_id: str) -> None:
        if token is None:
            return
        tokens = partition.retry_tokens
        now = self.clock.time()
        tokens.pop(token, None)  # a re-used expired token moves to the end: the dict stays in expiry order
        tokens[token] = RetryEntry(fingerprint, backup_id, now + self.retry_token_ttl)
        while tokens:
            oldest = next(iter(tokens))
            if len(tokens) <= self.max_retry_tokens and tokens[oldest].expires_at > now:
                break
            del tokens[oldest]


def _check_if_match(current: StoredBackup, if_match: str | None) -> None:
    if if_match is not None and not if_match_matches(if_match, current.etag):
        raise errors.NoEtagMatch()


def _require_mutable(backup: VolumeBackup, verb: str) -> None:
    state = backup.lifecycle_state
    if state in TRANSIENT_NEW_STATES:
        raise errors.IncorrectState(f"The volume backup is {state}; it can be {verb} once it is AVAILABLE.")
    if state != "AVAILABLE":
        raise errors.Conflict(f"The volume backup is {state} and cannot be {verb}.")


def _retention_expiry(start: datetime, retention: RetentionDuration | None) -> datetime | None:
    if retention is None:
        return None
    days = retention.retention_time_amount * (365 if retention.retention_time_unit == "YEARS" else 1)
    try:
        return start + timedelta(days=days)
    except OverflowError:
        return datetime.max.replace(tzinfo=UTC)  # a retention past the year 9999 ends with the calendar
