"""Backup policies (`/20160918/volumeBackupPolicies`), their assignments to volumes
(`/20160918/volumeBackupPolicyAssignments`), and the scheduler that makes and expires the backups they call for.

- Oracle's predefined policies (`gold`, `silver`, `bronze`) are the same in every tenancy and cannot be changed;
  user-defined policies are records of the tenancy, with etags.
- An assignment ties one volume to one policy (a second is 409 Conflict, as OCI). While it exists, the store's
  clock runs the policy: at each scheduled time (mockoci.schedule) a backup appears with `sourceType`
  SCHEDULED, the schedule's `backupType` and `expirationTime` = its time plus `retentionSeconds`; at its
  expiration it goes TERMINATING, then TERMINATED. A policy with a `destinationRegion` copies each one there.
- Each assignment has one timer in the engine's queue, due at its next scheduled time; firing makes that backup
  and sets the timer to the next time, so advancing the clock is one pass over the due times. A backup that has
  already expired and been forgotten by the time the catch-up reaches it is counted but never stored (nothing
  could have seen it); one still there is stored in the state it has by now.

States and fields follow the SDK's VolumeBackupPolicy, VolumeBackupSchedule and VolumeBackupPolicyAssignment.
Schedule rules and the choices where OCI's documentation is silent: docs/backup-policies.md.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, ConfigDict, Field

from .. import errors
from ..engine import Engine, Kind, Partition, Record, check_if_match, region_of_ocid, request_fingerprint
from ..models import (
    BackupType,
    DefinedTags,
    DisplayName,
    FreeformTags,
    OCIDatetime,
    RetentionDuration,
    VolumeBackup,
    WireModel,
    integral,
)
from ..regions import REGIONS
from ..regions import region as known_region
from ..schedule import DAY, PERIODS, Timing, next_due, problem
from . import VOLUMES
from .volume_backups import GONE_STATES, VolumeBackups, _merged_defined, _retention_expiry
from .volume_backups import KIND as BACKUP_KIND
from .volumes import Volume

Period = Literal["ONE_HOUR", "ONE_DAY", "ONE_WEEK", "ONE_MONTH", "ONE_YEAR"]
OffsetType = Literal["STRUCTURED", "NUMERIC_SECONDS"]
DayOfWeek = Literal["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"]
Month = Literal[
    "JANUARY", "FEBRUARY", "MARCH", "APRIL", "MAY", "JUNE", "JULY", "AUGUST", "SEPTEMBER", "OCTOBER", "NOVEMBER",
    "DECEMBER",
]
TimeZone = Literal["UTC", "REGIONAL_DATA_CENTER_TIME"]
POLICIES = "backup_policies"
# An OCI region by its identifier (its short key, any case, is taken too); "" clears it in an update.
RegionName = Annotated[str, Field(max_length=64, json_schema_extra={"enum": ["", *sorted(REGIONS)]})]
WEEK = 7 * DAY
YEAR = 365 * DAY
MAX_RETENTION_SECONDS = 100 * YEAR
MAX_SCHEDULES = 32


class VolumeBackupSchedule(WireModel):
    """One schedule of a policy: when it runs, what it makes and how long that is kept."""

    backup_type: BackupType
    offset_seconds: Annotated[int, Field(ge=0, lt=365 * DAY), BeforeValidator(integral)] | None = None
    period: Period
    offset_type: OffsetType | None = None
    hour_of_day: Annotated[int, Field(ge=0, le=23), BeforeValidator(integral)] | None = None
    day_of_week: DayOfWeek | None = None
    day_of_month: Annotated[int, Field(ge=1, le=31), BeforeValidator(integral)] | None = None
    month: Month | None = None
    retention_seconds: Annotated[int, Field(ge=1, le=MAX_RETENTION_SECONDS), BeforeValidator(integral)]
    time_zone: TimeZone | None = None
    retention_period: RetentionDuration | None = None
    is_prevent_deletion_enabled: bool | None = None
    is_retention_lock_enabled: bool | None = None

    def timing(self) -> Timing:
        return Timing(self.period, self.offset_type, self.offset_seconds, self.hour_of_day, self.day_of_week,
                      self.day_of_month, self.month)


class VolumeBackupPolicy(WireModel):
    """A backup policy as GetVolumeBackupPolicy returns it (`compartmentId` null for Oracle's own)."""

    model_config = ConfigDict(extra="forbid")  # fixtures and state files hold it as OCI sends it

    display_name: str
    id: str
    schedules: list[VolumeBackupSchedule]
    destination_region: str | None = None
    time_created: OCIDatetime
    compartment_id: str | None = None
    defined_tags: DefinedTags | None = None
    freeform_tags: FreeformTags | None = None


class CreateVolumeBackupPolicyDetails(WireModel):
    """The body of CreateVolumeBackupPolicy."""

    compartment_id: Annotated[str, Field(min_length=1, max_length=255)]
    display_name: DisplayName | None = None
    destination_region: RegionName | None = None
    schedules: Annotated[list[VolumeBackupSchedule], Field(max_length=MAX_SCHEDULES)] | None = None
    defined_tags: DefinedTags | None = None
    freeform_tags: FreeformTags | None = None


class UpdateVolumeBackupPolicyDetails(WireModel):
    """The body of UpdateVolumeBackupPolicy: a field sent replaces the stored one."""

    display_name: DisplayName | None = None
    destination_region: RegionName | None = None
    schedules: Annotated[list[VolumeBackupSchedule], Field(max_length=MAX_SCHEDULES)] | None = None
    defined_tags: DefinedTags | None = None
    freeform_tags: FreeformTags | None = None


class VolumeBackupPolicyAssignment(WireModel):
    """A policy assigned to a volume (an `asset`)."""

    model_config = ConfigDict(extra="forbid")

    asset_id: str
    id: str
    policy_id: str
    time_created: OCIDatetime
    xrc_kms_key_id: str | None = None


class CreateVolumeBackupPolicyAssignmentDetails(WireModel):
    """The body of CreateVolumeBackupPolicyAssignment."""

    asset_id: Annotated[str, Field(min_length=1, max_length=255)]
    policy_id: Annotated[str, Field(min_length=1, max_length=255)]
    xrc_kms_key_id: Annotated[str, Field(max_length=255)] | None = None


def _schedule(backup_type: str, period: Period, retention: int, **structured: Any) -> VolumeBackupSchedule:
    return VolumeBackupSchedule.model_validate({
        "backupType": backup_type, "period": period, "retentionSeconds": retention, "offsetSeconds": 0,
        "offsetType": "STRUCTURED", "hourOfDay": 0, "timeZone": "REGIONAL_DATA_CENTER_TIME", **structured,
    })


_ORACLE_EPOCH = datetime(2017, 1, 1, tzinfo=UTC)
_YEARLY = _schedule("FULL", "ONE_YEAR", 5 * YEAR, month="JANUARY", dayOfMonth=1)
_MONTHLY = _schedule("INCREMENTAL", "ONE_MONTH", YEAR, dayOfMonth=1)
_WEEKLY = _schedule("INCREMENTAL", "ONE_WEEK", 4 * WEEK, dayOfWeek="SUNDAY")
_DAILY = _schedule("INCREMENTAL", "ONE_DAY", 7 * DAY)


def _predefined(name: str, schedules: Sequence[VolumeBackupSchedule]) -> VolumeBackupPolicy:
    return VolumeBackupPolicy(
        display_name=name, id=f"ocid1.volumebackuppolicy.oc1..aaaaaaaamockoci{name}policy",
        schedules=list(schedules), time_created=_ORACLE_EPOCH, compartment_id=None, defined_tags={},
        freeform_tags={},
    )


# Oracle's documented schedules: gold daily (7 days), weekly on Sunday (4 weeks), monthly on the 1st (12 months),
# yearly in January (5 years, full); silver from weekly on; bronze monthly and yearly.
PREDEFINED: dict[str, VolumeBackupPolicy] = {
    policy.id: policy
    for policy in (
        _predefined("gold", (_DAILY, _WEEKLY, _MONTHLY, _YEARLY)),
        _predefined("silver", (_WEEKLY, _MONTHLY, _YEARLY)),
        _predefined("bronze", (_MONTHLY, _YEARLY)),
    )
}
_PREDEFINED_RECORDS = {policy_id: Record(policy, f"predefined-{policy.display_name}")
                       for policy_id, policy in PREDEFINED.items()}
_PERIOD_RANK = {period: rank for rank, period in enumerate(PERIODS)}

KIND = Kind(
    name=POLICIES,
    collection="volumeBackupPolicies",
    model=VolumeBackupPolicy,
    progress=lambda policy: (),
    may_still_apply={},
    forget_terminated=False,
)
Engine.KINDS[KIND.name] = KIND


@dataclass(slots=True)
class _Cursor:
    """Where an assignment's schedules stand: each one's next run, and the day each last ran (or was skipped for
    a longer period's run that day). `generation` tells a live timer from one set before a change."""

    generation: int
    next_runs: list[datetime]
    last_days: list[datetime | None] = field(default_factory=list)


@dataclass(slots=True)
class Assignments:
    """A tenancy's assignments (by id, and by the volume they back up) and where each one's schedule stands."""

    by_id: dict[str, Record] = field(default_factory=dict)
    by_asset: dict[str, str] = field(default_factory=dict)
    cursors: dict[str, _Cursor] = field(default_factory=dict)


@dataclass(slots=True)
class PolicyPage:
    items: list[Record]
    next_cursor: tuple[str, str] | None


class BackupPolicies(VolumeBackups):
    """The VolumeBackupPolicy and VolumeBackupPolicyAssignment operations, and the scheduler."""

    _timer_generation = 0
    scheduled_backups_made = 0
    _baseline_assignments: Sequence[VolumeBackupPolicyAssignment] = ()

    def _new_partition(self, partition: Partition) -> None:
        super()._new_partition(partition)
        partition.extras["policy_assignments"] = Assignments()
        for assignment in self._baseline_assignments:  # the fixtures': their schedules start with the tenancy
            self._store_assignment(partition, assignment, client=False)
            self._start_schedule(partition, assignment.id, max(assignment.time_created, self.clock.now()))

    @staticmethod
    def _assignments(partition: Partition) -> Assignments:
        assignments: Assignments = partition.extras["policy_assignments"]
        return assignments

    # -- policies -------------------------------------------------------------------------------------

    def create_volume_backup_policy(
        self, *, tenancy: str, details: CreateVolumeBackupPolicyDetails, retry_token: str | None = None
    ) -> Record:
        fingerprint = request_fingerprint("create-policy", details.model_dump(exclude_unset=True))
        schedules = _checked(details.schedules or [], details.destination_region)
        with self._lock:
            partition = self._advance(tenancy)
            replay = self._replay(partition, retry_token, fingerprint)
            if replay is not None:
                return replay
            now = self.clock.now()
            policy = VolumeBackupPolicy(
                display_name=details.display_name or f"volumebackuppolicy{now:%Y%m%d%H%M%S}",
                id=self.factory.ocid("volumebackuppolicy", self.region),
                schedules=schedules,
                destination_region=details.destination_region,
                time_created=now,
                compartment_id=details.compartment_id,
                defined_tags=details.defined_tags if details.defined_tags is not None else {},
                freeform_tags=details.freeform_tags if details.freeform_tags is not None else {},
            )
            stored = self._put(partition, KIND, policy)
            self._remember(partition, retry_token, fingerprint, POLICIES, policy.id)
            return stored

    def get_volume_backup_policy(self, *, tenancy: str, policy_id: str) -> Record:
        with self._lock:
            return self._policy(self._advance(tenancy), policy_id)

    def list_volume_backup_policies(
        self, *, tenancy: str, compartment_id: str | None, limit: int, after: tuple[str, str] | None = None
    ) -> PolicyPage:
        """With a compartment: its user-defined policies, oldest first; without: Oracle's predefined ones."""
        if compartment_id is None:
            records = sorted(_PREDEFINED_RECORDS.values(), key=lambda r: r.model.display_name)
            start = 0 if after is None else next(
                (i + 1 for i, r in enumerate(records) if r.model.id == after[1]), len(records)
            )
            page = records[start:start + limit]
            more = start + limit < len(records)
            return PolicyPage(page, (page[-1].model.display_name, page[-1].model.id) if more and page else None)
        with self._lock:
            items, next_cursor = self._advance(tenancy).table(POLICIES).page(
                compartment_id=compartment_id, sort_by="TIMECREATED", descending=False, limit=limit, after=after,
            )
        return PolicyPage(items, next_cursor)

    def update_volume_backup_policy(
        self, *, tenancy: str, policy_id: str, details: UpdateVolumeBackupPolicyDetails,
        if_match: str | None = None, retry_token: str | None = None,
    ) -> Record:
        fingerprint = request_fingerprint("update-policy", policy_id, details.model_dump(exclude_unset=True))
        with self._lock:
            partition = self._advance(tenancy)
            replay = self._replay(partition, retry_token, fingerprint)
            if replay is not None:
                return replay
            current = self._user_policy(partition, policy_id, "updated")
            check_if_match(current, if_match)
            changes = {name: value for name, value in details.model_dump(exclude_unset=True).items()
                       if value is not None}
            if details.schedules is not None:
                changes["schedules"] = _checked(details.schedules, details.destination_region)
            if "destination_region" in details.model_fields_set:
                _checked([], details.destination_region)
                changes["destination_region"] = details.destination_region or None
            stored = self._put(partition, KIND, current.model.model_copy(update=changes))
            if details.schedules is not None:
                for assignment_id, assignment in self._assignments(partition).by_id.items():
                    if assignment.model.policy_id == policy_id:
                        self._start_schedule(partition, assignment_id, self.clock.now())
            self._remember(partition, retry_token, fingerprint, POLICIES, policy_id)
            return stored

    def delete_volume_backup_policy(self, *, tenancy: str, policy_id: str, if_match: str | None = None) -> None:
        with self._lock:
            partition = self._advance(tenancy)
            current = self._user_policy(partition, policy_id, "deleted")
            check_if_match(current, if_match)
            if any(a.model.policy_id == policy_id for a in self._assignments(partition).by_id.values()):
                raise errors.Conflict("The volume backup policy is assigned to a volume; remove its assignments "
                                      "first.")
            del partition.table(POLICIES)[policy_id]
            partition.holds_client_data = True

    # -- assignments ----------------------------------------------------------------------------------

    def create_volume_backup_policy_assignment(
        self, *, tenancy: str, details: CreateVolumeBackupPolicyAssignmentDetails
    ) -> Record:
        with self._lock:
            partition = self._advance(tenancy)
            if self._live_volume(partition, details.asset_id) is None:
                raise errors.NotAuthorizedOrNotFound(
                    f"Available volume matching id {details.asset_id} not found, or not authorized for the "
                    "current user."
                )
            self._policy(partition, details.policy_id)
            assignments = self._assignments(partition)
            if details.asset_id in assignments.by_asset:
                raise errors.Conflict(f"The volume {details.asset_id} already has a backup policy assigned; "
                                      "a volume can have only one.")
            now = self.clock.now()
            assignment = VolumeBackupPolicyAssignment(
                asset_id=details.asset_id, id=self.factory.ocid("volumebackuppolicyassignment", self.region),
                policy_id=details.policy_id, time_created=now, xrc_kms_key_id=details.xrc_kms_key_id,
            )
            stored = self._store_assignment(partition, assignment)
            self._start_schedule(partition, assignment.id, now)
            return stored

    def get_volume_backup_policy_assignment(self, *, tenancy: str, assignment_id: str) -> Record:
        with self._lock:
            return self._assignment(self._advance(tenancy), assignment_id)

    def get_volume_backup_policy_asset_assignment(self, *, tenancy: str, asset_id: str) -> list[Record]:
        """The assignment of a volume, as a list of none or one."""
        with self._lock:
            assignments = self._assignments(self._advance(tenancy))
            assignment_id = assignments.by_asset.get(asset_id)
            return [] if assignment_id is None else [assignments.by_id[assignment_id]]

    def delete_volume_backup_policy_assignment(
        self, *, tenancy: str, assignment_id: str, if_match: str | None = None
    ) -> None:
        """Ends the assignment: no more scheduled backups; those made stay until they expire."""
        with self._lock:
            partition = self._advance(tenancy)
            current = self._assignment(partition, assignment_id)
            check_if_match(current, if_match)
            assignments = self._assignments(partition)
            del assignments.by_id[assignment_id]
            assignments.by_asset.pop(current.model.asset_id, None)
            assignments.cursors.pop(assignment_id, None)
            partition.holds_client_data = True

    # -- test control and persistence ------------------------------------------------------------------

    def import_assignments(self, state: dict[str, Iterable[VolumeBackupPolicyAssignment]]) -> None:
        """Add assignments to tenancies just imported: each schedule resumes after the later of the assignment's
        creation and the newest scheduled backup of its volume (the backups missed meanwhile are made). Backups
        with an expirationTime expire then."""
        with self._lock:
            for tenancy, assignments in state.items():
                partition = self._partition(tenancy)
                newest: dict[str, datetime] = {}
                for stored in partition.table(BACKUP_KIND.name).values():
                    backup: VolumeBackup = stored.model
                    if backup.expiration_time is not None and backup.lifecycle_state == "AVAILABLE":
                        self._set_expiry(partition, backup.id, backup.expiration_time.timestamp())
                    if backup.source_type == "SCHEDULED" and backup.volume_id and not backup.source_volume_backup_id:
                        newest[backup.volume_id] = max(newest.get(backup.volume_id, backup.time_created),
                                                       backup.time_created)
                for assignment in assignments:
                    self._store_assignment(partition, assignment, client=True)
                    since = max(assignment.time_created, newest.get(assignment.asset_id, assignment.time_created))
                    self._start_schedule(partition, assignment.id, since)
            self._apply_due()

    def reset(self, tenancy: str | None = None) -> None:
        super().reset(tenancy)
        if tenancy is None:
            self.scheduled_backups_made = 0

    def counts(self) -> dict[str, int]:
        counts = super().counts()
        with self._lock:
            counts["policy_assignments"] = sum(len(self._assignments(p).by_id) for p in self._partitions.values())
            counts["scheduled_backups_made"] = self.scheduled_backups_made
        return counts

    # -- the scheduler (lock held) --------------------------------------------------------------------

    def _start_schedule(self, partition: Partition, assignment_id: str, since: datetime) -> None:
        """(Re)start an assignment's schedules from `since`: each one's first run strictly after it."""
        assignment: VolumeBackupPolicyAssignment = self._assignments(partition).by_id[assignment_id].model
        policy: VolumeBackupPolicy = self._policy(partition, assignment.policy_id).model
        BackupPolicies._timer_generation += 1
        cursor = _Cursor(
            generation=BackupPolicies._timer_generation,
            next_runs=[next_due(s.timing(), since) for s in policy.schedules],
            last_days=[None] * len(policy.schedules),
        )
        self._assignments(partition).cursors[assignment_id] = cursor
        self._set_timer(partition, assignment_id, cursor)

    def _set_timer(self, partition: Partition, assignment_id: str, cursor: _Cursor) -> None:
        if not cursor.next_runs:
            return
        generation = cursor.generation

        def run(partition: Partition, due: float) -> None:
            self._run_schedules(partition, assignment_id, generation)

        self._schedule_timer(partition, min(cursor.next_runs).timestamp(), assignment_id, run)

    def _run_schedules(self, partition: Partition, assignment_id: str, generation: int) -> None:
        """The assignment's next run is due: make its backup (unless a longer period's schedule runs that day, as
        OCI makes at most one scheduled backup of a volume a day) and set the timer to the run after."""
        assignments = self._assignments(partition)
        cursor = assignments.cursors.get(assignment_id)
        stored = assignments.by_id.get(assignment_id)
        if cursor is None or cursor.generation != generation or stored is None:
            return  # the assignment was deleted or its policy's schedules changed: a newer timer took over
        assignment: VolumeBackupPolicyAssignment = stored.model
        policy_record = partition.table(POLICIES).get(assignment.policy_id) or _PREDEFINED_RECORDS.get(
            assignment.policy_id)
        if policy_record is None:
            return
        policy: VolumeBackupPolicy = policy_record.model
        due = min(cursor.next_runs)
        day = due.replace(hour=0, minute=0, second=0, microsecond=0)
        fired = [i for i, run in enumerate(cursor.next_runs) if run == due]
        ranks = [_PERIOD_RANK[s.period] for s in policy.schedules]
        top = max(ranks[i] for i in fired)
        longer_today = any(
            ranks[j] > top and (cursor.last_days[j] == day or (cursor.next_runs[j].replace(
                hour=0, minute=0, second=0, microsecond=0) == day))
            for j in range(len(ranks))
        )
        if not longer_today:
            chosen = max((policy.schedules[i] for i in fired), key=lambda s: (_PERIOD_RANK[s.period],
                                                                              s.retention_seconds))
            self._make_scheduled_backup(partition, assignment, policy, chosen, due)
        for i in fired:
            cursor.last_days[i] = day
            cursor.next_runs[i] = next_due(policy.schedules[i].timing(), due)
        self._set_timer(partition, assignment_id, cursor)

    def _make_scheduled_backup(
        self, partition: Partition, assignment: VolumeBackupPolicyAssignment, policy: VolumeBackupPolicy,
        schedule: VolumeBackupSchedule, due: datetime,
    ) -> None:
        volume = self._live_volume(partition, assignment.asset_id)
        if volume is None or volume.lifecycle_state != "AVAILABLE":
            return  # nothing to back up now (a volume being restored is backed up at its next run)
        self.scheduled_backups_made += 1 + bool(policy.destination_region)
        expires = due + timedelta(seconds=schedule.retention_seconds)
        if self._gone_by_now(partition, due.timestamp(), expires.timestamp()):
            return  # it came and went before anyone could look: storing it would change nothing
        size = volume.size_in_gbs or -(-volume.size_in_mbs // 1024)
        unique = self.factory.unique_size_in_gbs(size)
        backup = VolumeBackup(
            id=self.factory.ocid("volumebackup", region_of_ocid(volume.id) or self.region),
            compartment_id=volume.compartment_id,
            display_name=f"Auto-backup for {due:%Y-%m-%d %H:%M:%S} UTC via policy: {policy.display_name}",
            expiration_time=expires,
            lifecycle_state="REQUEST_RECEIVED",
            type=schedule.backup_type,
            volume_id=assignment.asset_id,
            defined_tags=_merged_defined(volume.defined_tags, None), freeform_tags=dict(volume.freeform_tags or {}),
            system_tags={},
            size_in_gbs=size, size_in_mbs=size * 1024, unique_size_in_gbs=unique, unique_size_in_mbs=unique * 1024,
            source_type="SCHEDULED",
            time_created=due,
            time_request_received=due,
            retention_period=schedule.retention_period,
            time_retention_expires_at=_retention_expiry(due, schedule.retention_period),
            is_prevent_deletion_enabled=schedule.is_prevent_deletion_enabled,
            is_retention_lock_enabled=schedule.is_retention_lock_enabled,
        )
        self._store_scheduled(partition, backup)
        if policy.destination_region:
            copy = backup.model_copy(update={
                "id": self.factory.ocid("volumebackup", policy.destination_region),
                "source_volume_backup_id": backup.id,
                "kms_key_id": assignment.xrc_kms_key_id,
            })
            self._store_scheduled(partition, copy)

    def _gone_by_now(self, partition: Partition, made: float, expires: float) -> bool:
        """Whether a backup made at `made` that expires at `expires` is TERMINATED and forgotten by now."""
        wait = self._wait(partition.tenancy, 1.0)
        return self.clock.time() >= max(expires, made + wait) + wait + self.terminated_retention

    def _store_scheduled(self, partition: Partition, backup: VolumeBackup) -> None:
        """Store a scheduled backup in the state it has by now (its creation and expiration may both be past in
        a catch-up), with what is still to come scheduled at its own times."""
        assert backup.expiration_time is not None
        now = self.clock.time()
        made = backup.time_created.timestamp()
        wait = self._wait(partition.tenancy, 1.0)
        available = made + wait
        # it expires once AVAILABLE (in manual mode: at its expiration time, if a test has settled it by then)
        expires = backup.expiration_time.timestamp()
        expires = max(expires, available) if available != math.inf else expires
        terminated = expires + wait
        if now < available:
            self._put(partition, BACKUP_KIND, backup, client=False)
            self._enter(partition, BACKUP_KIND, backup, start=made)
        elif now < expires:
            self._put(partition, BACKUP_KIND, backup.model_copy(update={"lifecycle_state": "AVAILABLE"}),
                      client=False)
        else:
            state = "TERMINATING" if now < terminated else "TERMINATED"
            model = backup.model_copy(update={"lifecycle_state": state})
            self._put(partition, BACKUP_KIND, model, client=False)
            self._enter(partition, BACKUP_KIND, model, start=expires if state == "TERMINATING" else terminated)
            return
        self._set_expiry(partition, backup.id, expires)

    def _set_expiry(self, partition: Partition, backup_id: str, at: float) -> None:
        """At `at`, an AVAILABLE backup expires: TERMINATING, then TERMINATED as the lifecycle says."""

        def expire(partition: Partition, due: float) -> None:
            current = partition.table(BACKUP_KIND.name).get(backup_id)
            if current is None or current.model.lifecycle_state != "AVAILABLE":
                return
            gone = current.model.model_copy(update={"lifecycle_state": "TERMINATING"})
            self._put(partition, BACKUP_KIND, gone, client=False)
            self._enter(partition, BACKUP_KIND, gone, start=due)

        self._schedule_timer(partition, at, backup_id, expire)

    # -- lookups (lock held) --------------------------------------------------------------------------

    def _live_volume(self, partition: Partition, volume_id: str) -> Volume | None:
        found = partition.table(VOLUMES).get(volume_id)
        if found is None or found.model.lifecycle_state in GONE_STATES:
            return None
        volume: Volume = found.model
        return volume

    def _changed(self, partition: Partition, kind: Kind, old: Record | None, new: Record) -> None:
        """A volume deleted loses its assignment, as on OCI (its scheduled backups stay until they expire)."""
        if kind.name == POLICIES:
            return  # nothing follows a policy (and the resources that follow others read a lifecycle_state)
        super()._changed(partition, kind, old, new)
        if kind.name == VOLUMES and new.model.lifecycle_state in GONE_STATES:
            assignments = self._assignments(partition)
            assignment_id = assignments.by_asset.pop(new.model.id, None)
            if assignment_id is not None:
                assignments.by_id.pop(assignment_id, None)
                assignments.cursors.pop(assignment_id, None)

    def _policy(self, partition: Partition, policy_id: str) -> Record:
        predefined = _PREDEFINED_RECORDS.get(policy_id)
        return predefined if predefined is not None else self._get(partition, POLICIES, policy_id)

    def _user_policy(self, partition: Partition, policy_id: str, verb: str) -> Record:
        if policy_id in _PREDEFINED_RECORDS:
            raise errors.Conflict(f"Oracle-defined backup policies cannot be {verb}.")
        return self._get(partition, POLICIES, policy_id)

    def _assignment(self, partition: Partition, assignment_id: str) -> Record:
        stored = self._assignments(partition).by_id.get(assignment_id)
        if stored is None:
            raise errors.NotAuthorizedOrNotFound()
        return stored

    def _store_assignment(self, partition: Partition, assignment: VolumeBackupPolicyAssignment,
                          client: bool = True) -> Record:
        stored = self._record_of(assignment)
        assignments = self._assignments(partition)
        assignments.by_id[assignment.id] = stored
        assignments.by_asset[assignment.asset_id] = assignment.id
        if client:
            partition.holds_client_data = True
        return stored

    def _record_of(self, model: Any) -> Record:
        return self._record(KIND, model)  # an assignment is stored as a policy is (no compaction)


def _checked(schedules: list[VolumeBackupSchedule], destination_region: str | None) -> list[VolumeBackupSchedule]:
    """The schedules as stored (defaults filled in), or 400 InvalidParameter for one that can never run."""
    if destination_region and known_region(destination_region) is None:
        raise errors.InvalidParameter(f"Invalid destinationRegion: {destination_region} is not an OCI region.")
    stored = []
    for index, schedule in enumerate(schedules):
        reason = problem(schedule.timing())
        if reason is not None:
            raise errors.InvalidParameter(f"Invalid schedules[{index}]: {reason}.")
        defaults: dict[str, Any] = {}
        if schedule.time_zone is None:
            defaults["time_zone"] = "UTC"
        if schedule.offset_type != "STRUCTURED" and schedule.offset_seconds is None:
            defaults["offset_seconds"] = 0
        stored.append(schedule.model_copy(update=defaults) if defaults else schedule)
    return stored


__all__ = [
    "PREDEFINED", "BackupPolicies", "CreateVolumeBackupPolicyAssignmentDetails",
    "CreateVolumeBackupPolicyDetails", "PolicyPage", "UpdateVolumeBackupPolicyDetails", "VolumeBackupPolicy",
    "VolumeBackupPolicyAssignment", "VolumeBackupSchedule",
]
