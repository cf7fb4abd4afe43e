"""The scheduler on the store directly (no server): long catch-ups, retry tokens, fixtures, manual mode."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from mockoci import errors
from mockoci.app import build_store
from mockoci.clock import Clock
from mockoci.resources.backup_policies import (
    CreateVolumeBackupPolicyAssignmentDetails,
    CreateVolumeBackupPolicyDetails,
)
from mockoci.settings import Settings
from mockoci.store import Store, VolumeSpec

TENANCY = "ocid1.tenancy.oc1..aaaaaaaastoretenancy"
COMPARTMENT = "ocid1.compartment.oc1..aaaaaaaastorecompartment"
VOLUME = "ocid1.volume.oc1.iad.aaaaaaaastorevolume"
HOUR = 3600


class FixedClock(Clock):
    """A clock that starts at a known instant, so runs fall at known times."""

    def __init__(self, start: datetime) -> None:
        super().__init__()
        self._start = start.timestamp()

    def time(self) -> float:
        return self._start + self.offset


def store_at(start: datetime, **settings: object) -> Store:
    store = Store(clock=FixedClock(start), lifecycle_delay=0.5, **settings)  # type: ignore[arg-type]
    store.register_volume(tenancy=TENANCY, volume_id=VOLUME, volume=VolumeSpec(COMPARTMENT, 50))
    return store


def hourly_policy(store: Store, retention: int, token: str | None = None) -> str:
    details = CreateVolumeBackupPolicyDetails.model_validate({
        "compartmentId": COMPARTMENT, "displayName": "hourly",
        "schedules": [{"backupType": "INCREMENTAL", "period": "ONE_HOUR", "retentionSeconds": retention,
                       "offsetType": "NUMERIC_SECONDS", "offsetSeconds": 1800}],
    })
    policy_id: str = store.create_volume_backup_policy(tenancy=TENANCY, details=details, retry_token=token).model.id
    return policy_id


def assign(store: Store, policy_id: str) -> None:
    store.create_volume_backup_policy_assignment(tenancy=TENANCY, details=(
        CreateVolumeBackupPolicyAssignmentDetails(asset_id=VOLUME, policy_id=policy_id)
    ))


def scheduled(store: Store, state: str | None = None) -> list[datetime]:
    held = store.export_state()[TENANCY].backups
    return sorted(b.time_created for b in held
                  if b.source_type == "SCHEDULED" and (state is None or b.lifecycle_state == state))


def test_a_year_of_an_hourly_policy_in_one_advance() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    store = store_at(start)
    assign(store, hourly_policy(store, retention=2 * HOUR))
    store.advance_clock(365 * 24 * HOUR)
    assert store.counts()["scheduled_backups_made"] == 8760  # 00:30 of each hour of 2026
    end = start + timedelta(days=365)
    # kept: the runs at 22:30 and 23:30 on December 31st; the 21:30 one expired at 23:30 and was forgotten
    # (terminated_retention, 300 s) before the end
    assert scheduled(store, "AVAILABLE") == [end - timedelta(minutes=90), end - timedelta(minutes=30)]
    assert scheduled(store) == scheduled(store, "AVAILABLE")


def test_advancing_in_steps_makes_the_same_backups_as_in_one() -> None:
    start = datetime(2026, 5, 4, 10, 15, tzinfo=UTC)
    one, steps = store_at(start), store_at(start)
    for store in (one, steps):
        assign(store, hourly_policy(store, retention=5 * HOUR))
    one.advance_clock(30 * HOUR)
    for _ in range(30):
        steps.advance_clock(HOUR)
    assert scheduled(one) == scheduled(steps)
    assert scheduled(one, "AVAILABLE") == scheduled(steps, "AVAILABLE")
    assert len(scheduled(one, "AVAILABLE")) == 5


def test_create_policy_replays_its_retry_token() -> None:
    store = store_at(datetime(2026, 1, 1, tzinfo=UTC))
    first = hourly_policy(store, retention=HOUR, token="t1")
    assert hourly_policy(store, retention=HOUR, token="t1") == first
    with pytest.raises(errors.InvalidatedRetryToken):
        hourly_policy(store, retention=2 * HOUR, token="t1")


def test_manual_mode_holds_scheduled_backups_until_settled() -> None:
    store = store_at(datetime(2026, 1, 1, tzinfo=UTC), lifecycle_mode="manual")
    assign(store, hourly_policy(store, retention=10 * HOUR))
    store.advance_clock(3 * HOUR)
    assert len(scheduled(store, "REQUEST_RECEIVED")) == 3
    store.settle(tenancy=TENANCY)
    assert len(scheduled(store, "AVAILABLE")) == 3


def test_fixture_policies_and_assignments_start_with_each_tenancy(tmp_path: Path) -> None:
    policy = {
        "id": "ocid1.volumebackuppolicy.oc1.iad.fixturepolicy", "displayName": "fixture-daily",
        "compartmentId": COMPARTMENT, "timeCreated": "2026-01-01T00:00:00.000Z", "destinationRegion": None,
        "definedTags": {}, "freeformTags": {},
        "schedules": [{"backupType": "FULL", "period": "ONE_DAY", "retentionSeconds": 86400 * 3}],
    }
    document = {
        "volumes": [{"id": VOLUME, "compartmentId": COMPARTMENT, "sizeInGBs": 20}],
        "volumeBackupPolicies": [policy],
        "volumeBackupPolicyAssignments": [{
            "id": "ocid1.volumebackuppolicyassignment.oc1.iad.fixture", "assetId": VOLUME,
            "policyId": policy["id"], "timeCreated": "2026-01-01T00:00:00.000Z",
        }],
    }
    (tmp_path / "policies.json").write_text(json.dumps(document))
    store = build_store(Settings(fixtures=[tmp_path], lifecycle_delay=0))
    assert store.get_volume_backup_policy(tenancy=TENANCY, policy_id=policy["id"]).model.display_name == (
        "fixture-daily"
    )
    store.advance_clock(2 * 86400)
    held = store.export_state()[TENANCY].backups
    assert len(held) == 2 and {b.type for b in held} == {"FULL"} and {b.size_in_gbs for b in held} == {20}
    store.reset()
    assert store.get_volume_backup_policy_asset_assignment(tenancy=TENANCY, asset_id=VOLUME)[0].model.policy_id == (
        policy["id"]
    )


def test_a_fixture_assignment_must_name_a_known_policy(tmp_path: Path) -> None:
    from mockoci.fixtures import FixtureError, load_fixtures

    (tmp_path / "bad.json").write_text(json.dumps({
        "volumes": [{"id": VOLUME, "compartmentId": COMPARTMENT, "sizeInGBs": 20}],
        "volumeBackupPolicyAssignments": [{"id": "a", "assetId": VOLUME, "policyId": "nope",
                                           "timeCreated": "2026-01-01T00:00:00Z"}],
    }))
    with pytest.raises(FixtureError, match=r"volumeBackupPolicyAssignments\[0\]\.policyId"):
        load_fixtures([tmp_path])
