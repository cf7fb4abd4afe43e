"""The store: the engine (mockoci.engine) with every resource mockoci emulates (mockoci.resources).

Adding a resource is a module under mockoci.resources and its routes, plus its class among `Store`'s bases.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

from .clock import Clock
from .engine import DEFAULT_TENANCY, Lifecycle, LifecycleModeName, Record, request_fingerprint
from .factories import Factory
from .models import VolumeBackup
from .resources import BACKUPS, VOLUMES, WORK_REQUESTS
from .resources.backup_policies import POLICIES, BackupPolicies, VolumeBackupPolicy, VolumeBackupPolicyAssignment
from .resources.volume_backups import (
    GONE_STATES,
    TRANSIENT_NEW_STATES,
    ListQuery,
    Page,
    StoredBackup,
    UnknownVolumes,
    VolumeBackups,
)
from .resources.volumes import Volume, Volumes, VolumeSpec
from .resources.work_requests import StoredWorkRequest

__all__ = [
    "DEFAULT_TENANCY", "GONE_STATES", "TRANSIENT_NEW_STATES", "Lifecycle", "LifecycleModeName", "ListQuery", "Newest",
    "Page", "Record", "Store", "StoredBackup", "TenancyState", "Volume", "VolumeBackupStore", "VolumeSpec",
    "request_fingerprint",
]


@dataclass(slots=True)
class TenancyState:
    """What a tenancy holds, as export_state gives it and import_state takes it."""

    backups: list[VolumeBackup] = field(default_factory=list)
    volumes: list[Volume] = field(default_factory=list)
    work_requests: list[StoredWorkRequest] = field(default_factory=list)
    policies: list[VolumeBackupPolicy] = field(default_factory=list)
    assignments: list[VolumeBackupPolicyAssignment] = field(default_factory=list)


ASSIGNMENTS = "volumeBackupPolicyAssignments"  # assignments' collection in state documents (they are no Kind)
# The state document's collections of records, in its order, each with its field of TenancyState (then assignments)
DOCUMENT_KINDS = {BACKUPS: "backups", VOLUMES: "volumes", WORK_REQUESTS: "work_requests", POLICIES: "policies"}


class Newest(NamedTuple):
    """A collection's versions created last, newest first, and how many versions it holds in all."""

    records: list[Record]
    held: int


class Store(BackupPolicies, Volumes, VolumeBackups):
    """Every resource, partitioned by tenancy (see Engine).

    `unknown_volumes` defaults to `accept` here, for unit use; the server's setting defaults to `reject`, as
    OCI (a backup of a volume the server does not know is 404)."""

    def __init__(
        self,
        *,
        region: str = "us-ashburn-1",
        lifecycle_delay: float = 0.5,
        terminated_retention: float = 300.0,
        retry_token_ttl: float = 86400.0,
        default_compartment_id: str | None = None,
        unknown_volumes: UnknownVolumes = "accept",
        max_retry_tokens: int = 10_000,
        max_terminated_backups: int = 1_000,
        max_tenancies: int = 1_000,
        factory: Factory | None = None,
        clock: Clock | None = None,
        lifecycle_mode: LifecycleModeName = "delay",
    ) -> None:
        super().__init__(
            region=region, lifecycle_delay=lifecycle_delay, terminated_retention=terminated_retention,
            retry_token_ttl=retry_token_ttl, max_retry_tokens=max_retry_tokens,
            max_terminated=max_terminated_backups, max_tenancies=max_tenancies, factory=factory, clock=clock,
            lifecycle_mode=lifecycle_mode,
        )
        self.default_compartment_id = default_compartment_id
        self.unknown_volumes = unknown_volumes

    @property
    def max_terminated_backups(self) -> int:
        return self.max_terminated

    def set_baseline(
        self, backups: Iterable[VolumeBackup], volumes: Iterable[Volume] = (),
        policies: Iterable[VolumeBackupPolicy] = (), assignments: Iterable[VolumeBackupPolicyAssignment] = (),
        etags: dict[str, str] | None = None,
    ) -> None:
        """What every tenancy starts with (the fixtures, with the etags they pin), applied now and after every
        reset."""
        self._baseline_assignments = list(assignments)
        self.set_baseline_records({BACKUPS: backups, VOLUMES: volumes, POLICIES: policies}, etags)

    def snapshot(self) -> dict[str, dict[str, list[Record]]]:
        """Every tenancy's stored versions as they are now, by the name its state document gives their collection
        (`volumeBackups`, ..., in the document's order; retry tokens are not part of it). Taken at once under the
        lock, references only: a version never changes, so the snapshot can be written out afterwards, a piece at
        a time, while the store moves on."""
        with self._lock:
            self._apply_due()
            return {
                tenancy: {
                    **{self.KINDS[kind].collection: list(partition.tables[kind].values()) if kind in partition.tables
                       else [] for kind in DOCUMENT_KINDS},
                    ASSIGNMENTS: list(self._assignments(partition).by_id.values()),
                }
                for tenancy, partition in self._partitions.items()
            }

    def newest(self, limit: int, tenancy: str | None = None) -> dict[str, dict[str, Newest]]:
        """What `snapshot` holds, but of each collection only the `limit` versions created last, newest first (equal
        times: the greater id first), with how many it holds: read in time that grows with `limit`, not with the
        store (each kind's index keeps its compartments' records in time order; assignments, at most one a volume, are
        sorted here). Every tenancy is named; with `tenancy`, the others' collections are left empty."""
        with self._lock:
            self._apply_due()
            newest: dict[str, dict[str, Newest]] = {}
            for name, partition in self._partitions.items():
                newest[name] = collections = {}
                if tenancy is not None and name != tenancy:
                    continue
                for kind in DOCUMENT_KINDS:
                    table = partition.tables.get(kind)
                    collections[self.KINDS[kind].collection] = Newest(table.newest(limit), len(table)) \
                        if table is not None else Newest([], 0)
                assignments = self._assignments(partition).by_id.values()
                collections[ASSIGNMENTS] = Newest(heapq.nlargest(
                    limit, assignments, key=lambda record: (record.model.time_created, record.model.id)
                ), len(assignments))
            return newest

    def export_state(self) -> dict[str, TenancyState]:
        """Every tenancy's backups, volumes, work requests, backup policies and assignments as they are now (retry
        tokens are not part of it)."""
        fields = {self.KINDS[kind].collection: name for kind, name in DOCUMENT_KINDS.items()}
        fields[ASSIGNMENTS] = "assignments"
        return {
            tenancy: TenancyState(**{fields[name]: [record.model for record in records]
                                     for name, records in held.items()})
            for tenancy, held in self.snapshot().items()
        }

    def import_state(self, state: dict[str, TenancyState]) -> None:
        """Replace all state with `state`; other tenancies start from the fixtures, as after a reset.

        Transient states progress as if just requested, TERMINATED records are kept for the retention time."""
        self.import_records({
            tenancy: {VOLUMES: held.volumes, BACKUPS: held.backups, WORK_REQUESTS: held.work_requests,
                      POLICIES: held.policies}
            for tenancy, held in state.items()
        })
        self.import_assignments({tenancy: held.assignments for tenancy, held in state.items()})


VolumeBackupStore = Store  # its first name
