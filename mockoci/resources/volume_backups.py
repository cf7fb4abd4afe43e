"""Volume backups (`/20160918/volumeBackups`): the seven operations of OCI's Core API, on the engine.

States: `REQUEST_RECEIVED` -> `CREATING` -> `AVAILABLE` on create and copy; `TERMINATING` -> `TERMINATED` on
delete; `FAULTY` only when a test forces it. Named after OCI's operations; knows nothing of HTTP.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, cast

from pydantic import ValidationError

from .. import errors
from ..engine import Engine, Kind, Partition, Record, Step, check_if_match, request_fingerprint
from ..index import is_descending
from ..models import (
    ChangeVolumeBackupCompartmentDetails,
    CopyVolumeBackupDetails,
    CreateVolumeBackupDetails,
    RetentionDuration,
    UpdateVolumeBackupDetails,
    VolumeBackup,
    format_datetime,
)
from ..regions import region as known_region
from . import BACKUPS, VOLUMES
from .volumes import Volume
from .work_requests import WorkRequestResource, WorkRequests

TRANSIENT_NEW_STATES = frozenset({"REQUEST_RECEIVED", "CREATING"})
GONE_STATES = frozenset({"TERMINATING", "TERMINATED"})
UnknownVolumes = Literal["reject", "accept"]


class StoredBackup(Record):
    """One version of a backup: the model (as `backup`), its etag and (once asked for) its JSON bytes."""

    __slots__ = ()

    @property
    def backup(self) -> VolumeBackup:
        model: VolumeBackup = self.model
        return model


# Objects stored backups share (see compact).
_FIELDS_SETS: dict[frozenset[str], set[str]] = {}
_SHARED_STRINGS = frozenset({
    "compartment_id", "volume_id", "kms_key_id", "source_volume_backup_id", "lifecycle_state", "type", "source_type",
})
_SIZES = frozenset({"size_in_gbs", "size_in_mbs", "unique_size_in_gbs", "unique_size_in_mbs"})
_SHARED_SIZES: dict[int, int] = {}
_TAG_MAPS = frozenset({"defined_tags", "freeform_tags", "system_tags"})
_TIMES = frozenset({"time_created", "time_request_received"})
_EMPTY_TAGS: dict[str, Any] = {}


def compact(backup: VolumeBackup) -> VolumeBackup:
    """An equal model that takes less memory, for storing: 1 KB less of a 2 KB backup (docs/performance.md).

    - Its fields go in a key-sharing dict, a copy of `_SHARED_KEYS`: 280 B instead of the 830 B of the dict
      pydantic builds.
    - pydantic gives every model its own set of the fields it was given; stored models share one set per
      distinct value.
    - Equal values many backups hold are stored once: the OCIDs of compartments, volumes and keys, the states,
      the sizes, the empty tag maps, and a request time equal to the creation time.

    Nothing changes a stored model in place (the store replaces a version by a new one; model_copy and revise
    copy the fields and their set before changing them), so sharing is safe.
    """
    fields = _SHARED_KEYS.copy()
    fields.update(backup.__dict__)
    _share(fields, fields)
    return _model(fields, _shared_set(backup.__pydantic_fields_set__))


def compacted(values: Mapping[str, Any]) -> VolumeBackup:
    """`compact(VolumeBackup(**values))` without validating `values`: for values already valid (each field of the
    type VolumeBackup declares, validated where a client sent it), which is what validation would keep as they
    are: a third of the time, for each new backup a create makes."""
    fields = _SHARED_KEYS.copy()
    fields.update(values)
    _share(fields, values)
    return _model(fields, _shared_set(set(values)))


def revise(backup: VolumeBackup, changes: Mapping[str, Any]) -> VolumeBackup:
    """`backup.model_copy(update=changes)` of a stored (compacted) backup, compacted as `compact` would: its
    fields are already a key-sharing dict of shared values, so only the changed ones are shared anew (a new
    version costs half the time: an update, and each of a new backup's two transitions)."""
    fields = backup.__dict__.copy()  # a copy of a key-sharing dict shares its keys too
    fields.update(changes)
    _share(fields, changes)
    given = backup.__pydantic_fields_set__
    return _model(fields, given if changes.keys() <= given else _shared_set(given | changes.keys()))


def _share(fields: dict[str, Any], names: Iterable[str]) -> None:
    """Replace the values of `names` in `fields` by the equal ones stored backups share (see compact)."""
    for name in names:
        value = fields[name]
        if value is None:
            continue
        if name in _SHARED_STRINGS:
            fields[name] = sys.intern(value)
        elif name in _SIZES:
            if len(_SHARED_SIZES) < 10_000:
                fields[name] = _SHARED_SIZES.setdefault(value, value)
        elif name in _TAG_MAPS:
            if value == {}:
                fields[name] = _EMPTY_TAGS
        elif name in _TIMES and fields["time_request_received"] == fields["time_created"]:
            fields["time_request_received"] = fields["time_created"]


def _shared_set(given: set[str]) -> set[str]:
    """The set of given fields stored backups share for `given`'s names."""
    return _FIELDS_SETS.setdefault(frozenset(given), given)


def _model(fields: dict[str, Any], given: set[str]) -> VolumeBackup:
    """A VolumeBackup of `fields` as they are (no validation: they are a valid backup's), given `given` (a set
    from _shared_set, as stored backups' are: revise keeps it when no new field is set). Its extra fields and
    private attributes are None, as every VolumeBackup's (it forbids extra fields, has no private
    attributes)."""
    model = VolumeBackup.__new__(VolumeBackup)
    object.__setattr__(model, "__dict__", fields)
    object.__setattr__(model, "__pydantic_fields_set__", given)
    object.__setattr__(model, "__pydantic_extra__", None)
    object.__setattr__(model, "__pydantic_private__", None)
    return model


def _key_sharing_fields() -> dict[str, Any]:
    """A dict of VolumeBackup's fields (all None) whose copies share one table of keys: CPython keeps the keys of
    instance dicts built attribute by attribute in one table per class, and copying such a dict (then setting
    the same keys) keeps it so; each copy holds only its values."""
    model = VolumeBackup.__new__(VolumeBackup)
    for name in VolumeBackup.model_fields:
        object.__setattr__(model, name, None)
    return model.__dict__


_SHARED_KEYS = _key_sharing_fields()

_CREATION = (Step("REQUEST_RECEIVED", "CREATING", 0.5), Step("CREATING", "AVAILABLE", 1.0))
_PROGRESS = {
    "REQUEST_RECEIVED": _CREATION,
    "CREATING": _CREATION[1:],
    "TERMINATING": (Step("TERMINATING", "TERMINATED", 1.0),),
}


def progress(backup: VolumeBackup) -> tuple[Step, ...]:
    """What a backup does by itself from its state: a new one becomes AVAILABLE, a deleted one TERMINATED."""
    return _PROGRESS.get(backup.lifecycle_state, ())


KIND = Kind(
    name=BACKUPS,
    collection="volumeBackups",
    model=VolumeBackup,
    progress=progress,
    # A transition from state S applies only to a backup then in S: the states from which a backup reaches S
    # by itself (forcing a state drops the forced backup's pending transitions).
    may_still_apply={
        "REQUEST_RECEIVED": frozenset({"REQUEST_RECEIVED"}),
        "CREATING": frozenset({"REQUEST_RECEIVED", "CREATING"}),
        "TERMINATING": frozenset({"TERMINATING"}),
        "TERMINATED": frozenset({"TERMINATING", "TERMINATED"}),
    },
    record=StoredBackup,
    compact=compact,
    # ListVolumeBackups' filters; the pair for "a volume's backups in a state", whose groups rarely meet
    indexed=("volume_id", "source_volume_backup_id", "lifecycle_state", ("volume_id", "lifecycle_state")),
    revise=revise,
)
Engine.KINDS[KIND.name] = KIND


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
        return is_descending(self.sort_by, self.sort_order)

    @property
    def where(self) -> dict[str, str | None]:
        """The filters, by the backup fields they match (None: any)."""
        return {
            "volume_id": self.volume_id,
            "display_name": self.display_name,
            "source_volume_backup_id": self.source_volume_backup_id,
            "lifecycle_state": self.lifecycle_state.upper() if self.lifecycle_state is not None else None,
        }


@dataclass(slots=True)
class Page:
    items: list[StoredBackup]
    next_cursor: tuple[str, str] | None


class VolumeBackups(WorkRequests):
    """The VolumeBackup operations (a copy is followed by a work request)."""

    default_compartment_id: str | None = None
    unknown_volumes: UnknownVolumes = "reject"

    def _volume_to_back_up(self, partition: Partition, volume_id: str, region: str | None) -> Record | None:
        """The volume a new backup is of; None for a volume the server does not know when unknown_volumes is
        `accept`. Raises OCI's error for one that is unknown (by default), in another region than `region`,
        deleted or not ready."""
        found = partition.table(VOLUMES).get(volume_id)
        elsewhere = found is not None and region is not None and found.region != region
        if found is None or elsewhere or found.model.lifecycle_state in GONE_STATES:
            if found is None and self.unknown_volumes == "accept":
                return None
            raise errors.NotAuthorizedOrNotFound(
                f"Available volume matching id {volume_id} not found, or not authorized for the current user."
            )
        volume: Volume = found.model
        if volume.lifecycle_state in ("PROVISIONING", "RESTORING"):
            raise errors.IncorrectState(
                f"The volume {volume_id} is {volume.lifecycle_state}; it can be backed up once it is AVAILABLE."
            )
        if volume.lifecycle_state != "AVAILABLE":
            raise errors.Conflict(f"The volume {volume_id} is {volume.lifecycle_state} and cannot be backed up.")
        return found

    def create_volume_backup(
        self, *, tenancy: str, details: CreateVolumeBackupDetails, retry_token: str | None = None,
        region: str | None = None,
    ) -> StoredBackup:
        """A new backup, REQUEST_RECEIVED, in its volume's region (`region`: the endpoint's, None: the plain
        endpoint, which sees every region)."""
        fingerprint = request_fingerprint("create", details.model_dump(exclude_unset=True))
        with self._lock:
            partition = self._advance(tenancy)
            replay = self._replay(partition, retry_token, fingerprint)
            if replay is not None:
                return _stored(replay)
            now = self.clock.now()
            found = self._volume_to_back_up(partition, details.volume_id, region)
            volume: Volume | None = found.model if found is not None else None
            backup_region = found.region if found is not None and found.region else region or self.region
            if volume is not None:
                compartment_id = volume.compartment_id
                size = volume.size_in_gbs or -(-volume.size_in_mbs // 1024)
                defined_tags = _merged_defined(volume.defined_tags, details.defined_tags)
                freeform_tags = {**(volume.freeform_tags or {}), **(details.freeform_tags or {})}
            else:  # unknown_volumes=accept: a volume the server does not know
                compartment_id = self.default_compartment_id or tenancy
                size = self.factory.volume_size_in_gbs()
                defined_tags = details.defined_tags if details.defined_tags is not None else {}
                freeform_tags = details.freeform_tags if details.freeform_tags is not None else {}
            unique = self.factory.unique_size_in_gbs(size)
            fields: dict[str, Any] = {
                "id": self.factory.ocid("volumebackup", backup_region),
                "compartment_id": compartment_id,
                "display_name": details.display_name or self.factory.default_backup_name(now),
                "lifecycle_state": "REQUEST_RECEIVED",
                "type": details.type or "INCREMENTAL",
                "volume_id": details.volume_id,
                "kms_key_id": details.kms_key_id,
                "defined_tags": defined_tags,
                "freeform_tags": freeform_tags,
                "system_tags": {},
                "size_in_gbs": size,
                "size_in_mbs": size * 1024,
                "unique_size_in_gbs": unique,
                "unique_size_in_mbs": unique * 1024,
                "source_type": "MANUAL",
                "time_created": now,
                "time_request_received": now,
                "retention_period": details.retention_period,
                "time_retention_expires_at": _retention_expiry(now, details.retention_period),
                "is_prevent_deletion_enabled": details.is_prevent_deletion_enabled,
                "is_retention_lock_enabled": details.is_retention_lock_enabled,
                "is_indefinite_retention_enabled": details.is_indefinite_retention_enabled,
            }
            # Every value is valid as it is (the request's were validated, the volume's too, the rest made here),
            # except tags merged from the volume's and the request's, which together may exceed OCI's limits.
            merged = volume is not None and _tagged(volume) and _tagged(details)
            backup = _with_merged_tags(fields) if merged else compacted(fields)
            self._put(partition, KIND, backup, compacted=True)
            self._enter(partition, KIND, backup)
            self._remember(partition, retry_token, fingerprint, BACKUPS, backup.id)
            self._apply_due()  # what the lifecycle mode completes at once (`immediate`)
            return _stored(partition.table(BACKUPS)[backup.id])

    def get_volume_backup(self, *, tenancy: str, backup_id: str, region: str | None = None) -> StoredBackup:
        with self._lock:
            return _stored(self._get(self._advance(tenancy), BACKUPS, backup_id, region))

    def list_volume_backups(
        self, *, tenancy: str, query: ListQuery, limit: int, after: tuple[str, str] | None = None,
        region: str | None = None,
    ) -> Page:
        with self._lock:
            items, next_cursor = self._advance(tenancy).table(BACKUPS).page(
                compartment_id=query.compartment_id,
                sort_by=query.sort_by,
                descending=query.descending,
                limit=limit,
                after=after,
                region=region,
                where=query.where,
            )
        return Page(items=cast(list[StoredBackup], items), next_cursor=next_cursor)  # the kind's records

    def update_volume_backup(
        self, *, tenancy: str, backup_id: str, details: UpdateVolumeBackupDetails, if_match: str | None = None,
        region: str | None = None,
    ) -> StoredBackup:
        with self._lock:
            partition = self._advance(tenancy)
            current = _stored(self._get(partition, BACKUPS, backup_id, region))
            check_if_match(current, if_match)
            _require_mutable(current.backup, "updated")
            sent = details.__pydantic_fields_set__  # the fields sent, as validated (model_dump would copy them)
            changes = {name: value for name, value in details.__dict__.items() if value is not None and name in sent}
            if "retention_period" in changes:
                changes["time_retention_expires_at"] = _retention_expiry(
                    current.backup.time_created, details.retention_period
                )
            _check_lock_kept(current.backup, changes, self.clock.now())
            return _stored(self._put_revision(partition, KIND, current.backup, changes))

    def delete_volume_backup(
        self, *, tenancy: str, backup_id: str, if_match: str | None = None, region: str | None = None
    ) -> None:
        with self._lock:
            partition = self._advance(tenancy)
            current = _stored(self._get(partition, BACKUPS, backup_id, region))
            check_if_match(current, if_match)
            state = current.backup.lifecycle_state
            if state in GONE_STATES:
                return  # already on its way out: deleting again changes nothing
            if state in TRANSIENT_NEW_STATES:
                raise errors.IncorrectState(f"The volume backup is {state}; it can be deleted once it is AVAILABLE.")
            _check_deletable(current.backup, self.clock.now())
            deleted = self._put_revision(partition, KIND, current.backup, {"lifecycle_state": "TERMINATING"})
            self._enter(partition, KIND, deleted.model)
            self._advance(tenancy)

    def copy_volume_backup(
        self,
        *,
        tenancy: str,
        backup_id: str,
        details: CopyVolumeBackupDetails,
        retry_token: str | None = None,
        region: str | None = None,
    ) -> StoredBackup:
        """A copy of a backup in `details.destination_region` (a real OCI region, else 400), followed by a work
        request in the source's region."""
        fingerprint = request_fingerprint("copy", backup_id, details.model_dump(exclude_unset=True))
        with self._lock:
            partition = self._advance(tenancy)
            source_record = self._get(partition, BACKUPS, backup_id, region)
            source = _stored(source_record).backup
            replay = self._replay(partition, retry_token, fingerprint)
            if replay is not None:
                return _stored(replay)
            destination = known_region(details.destination_region)
            if destination is None:
                raise errors.InvalidParameter(
                    f"Invalid destinationRegion: {details.destination_region} is not an OCI region."
                )
            if destination.name == source_record.region:
                raise errors.InvalidParameter(
                    f"Invalid destinationRegion: the volume backup is already in {destination.name}; a copy goes "
                    "to another region."
                )
            _require_mutable(source, "copied")
            now = self.clock.now()
            copy = source.model_copy(
                update={
                    "id": self.factory.ocid("volumebackup", destination.name),
                    "display_name": details.display_name or source.display_name,
                    "kms_key_id": details.kms_key_id,
                    "lifecycle_state": "REQUEST_RECEIVED",
                    "source_volume_backup_id": source.id,
                    "time_request_received": now,
                    "system_tags": {},
                    "volume_group_backup_id": None,
                }
            )
            self._put(partition, KIND, copy)
            self._start_work_request(
                partition, operation_type="CopyVolumeBackup", compartment_id=copy.compartment_id,
                region=source_record.region or self.region, follows=copy.id,
                accepted=f"Copy of volume backup {source.id} to {destination.name} accepted.",
                resources=[
                    WorkRequestResource(action_type="IN_PROGRESS", entity_type="volumeBackup", identifier=copy.id,
                                        entity_uri=f"/20160918/volumeBackups/{copy.id}"),
                    WorkRequestResource(action_type="RELATED", entity_type="volumeBackup", identifier=source.id,
                                        entity_uri=f"/20160918/volumeBackups/{source.id}"),
                ],
            )
            self._enter(partition, KIND, copy)
            self._remember(partition, retry_token, fingerprint, BACKUPS, copy.id)
            self._advance(tenancy)
            return _stored(partition.table(BACKUPS)[copy.id])

    def change_volume_backup_compartment(
        self, *, tenancy: str, backup_id: str, details: ChangeVolumeBackupCompartmentDetails,
        region: str | None = None,
    ) -> StoredBackup:
        with self._lock:
            partition = self._advance(tenancy)
            current = _stored(self._get(partition, BACKUPS, backup_id, region))
            _require_mutable(current.backup, "moved")
            if current.backup.compartment_id == details.compartment_id:
                return current
            moved = self._put_revision(partition, KIND, current.backup, {"compartment_id": details.compartment_id})
            return _stored(moved)

    # -- test control ---------------------------------------------------------------------------------

    def seed(self, *, tenancy: str, backups: Any, etags: dict[str, str] | None = None) -> list[StoredBackup]:
        """Store backups as given (with the etags given for some); transient states progress as if the backups
        had just been requested."""
        seeded = self.seed_records(tenancy=tenancy, kind=BACKUPS, models=backups, etags=etags)
        return [_stored(stored) for stored in seeded]

    def force_state(self, *, tenancy: str, backup_id: str, state: str) -> StoredBackup:
        """Put a backup in any lifecycle state now, as if it had just entered it: pending transitions of its
        old state no longer apply, and a transient state (REQUEST_RECEIVED, CREATING, TERMINATING) moves on as
        the lifecycle mode says (at once in `immediate` mode, on settle in `manual` mode)."""
        return _stored(self.force_record_state(tenancy=tenancy, kind=BACKUPS, record_id=backup_id, state=state))

    def settle(self, *, tenancy: str, backup_id: str | None = None) -> list[StoredBackup]:
        """Complete every pending lifecycle transition of a tenancy (or of one backup) now, whatever the mode
        and the clock: REQUEST_RECEIVED and CREATING become AVAILABLE, TERMINATING becomes TERMINATED. Returns
        the backups that changed, in the order their transitions were scheduled."""
        changed = self.settle_records(tenancy=tenancy, record_id=backup_id)
        return [_stored(stored) for stored in changed if isinstance(stored, StoredBackup)]


def _stored(record: Record) -> StoredBackup:
    return cast(StoredBackup, record)  # the kind's records are StoredBackups


def _tagged(resource: Volume | CreateVolumeBackupDetails) -> bool:
    return bool(resource.defined_tags or resource.freeform_tags)


def _with_merged_tags(fields: dict[str, Any]) -> VolumeBackup:
    """A new backup whose tags merge its volume's and the request's, validated: together they may exceed OCI's
    limits on tags, which is the request's fault (400 InvalidParameter, as a request's own tags over them)."""
    try:
        return compact(VolumeBackup(**fields))
    except ValidationError as exc:
        problem = exc.errors(include_url=False)[0]
        field = VolumeBackup.model_fields[str(problem["loc"][0])].alias or str(problem["loc"][0])
        raise errors.InvalidParameter(
            f"Invalid {field}: merged with the volume's tags, {problem['msg'][:1].lower()}{problem['msg'][1:]}."
        ) from exc


def _merged_defined(volume: dict[str, dict[str, Any]] | None,
                    request: dict[str, dict[str, Any]] | None) -> dict[str, dict[str, Any]]:
    """The volume's defined tags with the request's on top (key by key within a namespace)."""
    merged = {namespace: dict(tags) for namespace, tags in (volume or {}).items()}
    for namespace, tags in (request or {}).items():
        merged[namespace] = {**merged.get(namespace, {}), **tags}
    return merged


def retention_locked(backup: VolumeBackup, now: datetime) -> bool:
    """Whether a retention lock is in force: enabled, and its retention period not yet over."""
    expires = backup.time_retention_expires_at
    return bool(backup.is_retention_lock_enabled) and expires is not None and expires > now


def _check_deletable(backup: VolumeBackup, now: datetime) -> None:
    """409 Conflict for a backup that its retention settings keep (docs: README, "Retention")."""
    if backup.is_indefinite_retention_enabled:
        raise errors.Conflict("The volume backup is under legal hold (isIndefiniteRetentionEnabled) and cannot be "
                              "deleted until the hold is removed.")
    if retention_locked(backup, now):
        raise errors.Conflict("The volume backup is retention-locked until "
                              f"{format_datetime(backup.time_retention_expires_at or now)} and cannot be deleted.")
    expires = backup.time_retention_expires_at
    if backup.is_prevent_deletion_enabled and (expires is None or expires > now):
        raise errors.Conflict("The volume backup has deletion prevention enabled (isPreventDeletionEnabled)"
                              + (" for its retention period." if expires is not None else "."))


def _check_lock_kept(backup: VolumeBackup, changes: dict[str, Any], now: datetime) -> None:
    """While a retention lock is in force it cannot be removed nor its retention period shortened (409)."""
    if not retention_locked(backup, now):
        return
    if changes.get("is_retention_lock_enabled") is False:
        raise errors.Conflict("The volume backup is retention-locked until its retention period ends; the lock "
                              "cannot be removed before then.")
    if "time_retention_expires_at" in changes:
        new_expiry = changes["time_retention_expires_at"]
        if new_expiry is None or new_expiry < (backup.time_retention_expires_at or now):
            raise errors.Conflict("The volume backup is retention-locked; its retention period can be extended "
                                  "but not shortened.")


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
