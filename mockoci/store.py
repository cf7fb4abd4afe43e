"""The store: the engine (mockoci.engine) with every resource mockoci emulates (mockoci.resources).

Adding a resource is a module under mockoci.resources and its routes, plus its class among `Store`'s bases.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from .clock import Clock
from .engine import DEFAULT_TENANCY, Lifecycle, LifecycleModeName, Record, request_fingerprint
from .factories import Factory
from .models import VolumeBackup
from .resources.backup_policies import POLICIES, BackupPolicies, VolumeBackupPolicy, VolumeBackupPolicyAssignment
from .resources.volume_backups import (
    BACKUPS,
    GONE_STATES,
    TRANSIENT_NEW_STATES,
    ListQuery,
    Page,
    StoredBackup,
    Volume,
    VolumeBackups,
)

__all__ = [
    "DEFAULT_TENANCY", "GONE_STATES", "TRANSIENT_NEW_STATES", "Lifecycle", "LifecycleModeName", "ListQuery", "Page",
    "Record", "Store", "StoredBackup", "TenancyState", "Volume", "VolumeBackupStore", "request_fingerprint",
]


@dataclass(slots=True)
class TenancyState:
    """What a tenancy holds, as export_state gives it and import_state takes it."""

    backups: list[VolumeBackup] = field(default_factory=list)
    volumes: dict[str, Volume] = field(default_factory=dict)
    policies: list[VolumeBackupPolicy] = field(default_factory=list)
    assignments: list[VolumeBackupPolicyAssignment] = field(default_factory=list)


class Store(BackupPolicies, VolumeBackups):
    """Every resource, partitioned by tenancy (see Engine)."""

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
        super().__init__(
            region=region, lifecycle_delay=lifecycle_delay, terminated_retention=terminated_retention,
            retry_token_ttl=retry_token_ttl, max_retry_tokens=max_retry_tokens,
            max_terminated=max_terminated_backups, max_tenancies=max_tenancies, factory=factory, clock=clock,
            lifecycle_mode=lifecycle_mode,
        )
        self.default_compartment_id = default_compartment_id
        self._baseline_volumes = {}

    @property
    def max_terminated_backups(self) -> int:
        return self.max_terminated

    def set_baseline(
        self, backups: Iterable[VolumeBackup], volumes: dict[str, Volume] | None = None,
        policies: Iterable[VolumeBackupPolicy] = (), assignments: Iterable[VolumeBackupPolicyAssignment] = (),
    ) -> None:
        """What every tenancy starts with (the fixtures), applied now and after every reset."""
        self._baseline_volumes = dict(volumes or {})
        self._baseline_assignments = list(assignments)
        self.set_baseline_records({BACKUPS: backups, POLICIES: policies})

    def export_state(self) -> dict[str, TenancyState]:
        """Every tenancy's backups, volumes, backup policies and assignments as they are now (retry tokens are
        not part of it)."""
        records = self.export_records()
        assignments = self.export_assignments()
        with self._lock:
            volumes = {tenancy: dict(self._volumes(p)) for tenancy, p in self._partitions.items()}
        return {
            tenancy: TenancyState(held.get(BACKUPS, []), volumes.get(tenancy, {}), held.get(POLICIES, []),
                                  assignments.get(tenancy, []))
            for tenancy, held in records.items()
        }

    def import_state(self, state: dict[str, TenancyState]) -> None:
        """Replace all state with `state`; other tenancies start from the fixtures, as after a reset.

        Transient states progress as if just requested, TERMINATED backups are kept for the retention time."""
        self.import_records(
            {tenancy: {BACKUPS: held.backups, POLICIES: held.policies} for tenancy, held in state.items()}
        )
        with self._lock:
            for tenancy, held in state.items():
                self._partitions[tenancy].extras["known_volumes"] = dict(held.volumes)
        self.import_assignments({tenancy: held.assignments for tenancy, held in state.items()})


VolumeBackupStore = Store  # its first name
