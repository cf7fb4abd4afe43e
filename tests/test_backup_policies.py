"""Backup policies, assignments and the schedule they run, through the real `oci` SDK against a real server."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import oci
import pytest
from conftest import TENANCY, make_client

from mockoci.server import MockOCIServer
from mockoci.testing import AdminClient, MockOCI

VOLUME = "ocid1.volume.oc1.iad.aaaaaaaascheduledvolume"
COMPARTMENT = "ocid1.compartment.oc1..aaaaaaaascheduled"
DAY = 86400
GOLD = "ocid1.volumebackuppolicy.oc1..aaaaaaaamockocigoldpolicy"


@pytest.fixture(scope="module")
def policy_server(start_server: Callable[..., MockOCIServer]) -> MockOCIServer:
    """Expired backups stay readable (TERMINATED) for 30 days, so a test sees them after a week."""
    return start_server(lifecycle_delay=0.5, terminated_retention=30 * DAY, seed=3)


@pytest.fixture
def setup(policy_server: MockOCIServer, oci_config: dict[str, Any]) -> tuple[Any, MockOCI]:
    policy_server.store.reset()
    mock = MockOCI(AdminClient(policy_server.url), TENANCY)
    mock.seed(volumes=[{"id": VOLUME, "compartmentId": COMPARTMENT, "sizeInGBs": 50}])
    return make_client(oci_config, policy_server.url), mock


def schedule(**fields: Any) -> Any:
    return oci.core.models.VolumeBackupSchedule(**fields)


def scheduled_backups(client: Any) -> list[Any]:
    backups = oci.pagination.list_call_get_all_results(
        client.list_volume_backups, compartment_id=COMPARTMENT, volume_id=VOLUME, sort_order="ASC"
    ).data
    return [b for b in backups if b.source_type == "SCHEDULED"]


def clock_now(mock: MockOCI) -> datetime:
    return datetime.fromisoformat(mock.admin.request("GET", "/clock")["now"].replace("Z", "+00:00"))


def test_predefined_policies_are_listed_without_a_compartment(setup: tuple[Any, MockOCI]) -> None:
    client, _ = setup
    policies = {p.display_name: p for p in client.list_volume_backup_policies().data}
    assert set(policies) == {"gold", "silver", "bronze"}
    gold = client.get_volume_backup_policy(policies["gold"].id).data
    assert gold.compartment_id is None
    assert [(s.period, s.retention_seconds) for s in gold.schedules] == [
        ("ONE_DAY", 7 * DAY), ("ONE_WEEK", 28 * DAY), ("ONE_MONTH", 365 * DAY), ("ONE_YEAR", 5 * 365 * DAY)
    ]
    assert gold.schedules[1].day_of_week == "SUNDAY"
    assert gold.schedules[3].backup_type == "FULL"
    with pytest.raises(oci.exceptions.ServiceError) as refused:
        client.delete_volume_backup_policy(gold.id)
    assert refused.value.status == 409


def test_policy_crud_with_etags(setup: tuple[Any, MockOCI]) -> None:
    client, _ = setup
    details = oci.core.models.CreateVolumeBackupPolicyDetails(
        compartment_id=COMPARTMENT, display_name="nightly", freeform_tags={"team": "db"},
        schedules=[schedule(backup_type="INCREMENTAL", period="ONE_DAY", retention_seconds=3 * DAY,
                            offset_type="STRUCTURED", hour_of_day=2)],
    )
    created = client.create_volume_backup_policy(details)
    policy = created.data
    assert created.headers["etag"]
    assert policy.id.startswith("ocid1.volumebackuppolicy.") and policy.schedules[0].hour_of_day == 2
    assert policy.schedules[0].time_zone == "UTC"
    listed = client.list_volume_backup_policies(compartment_id=COMPARTMENT).data
    assert [p.id for p in listed] == [policy.id]
    with pytest.raises(oci.exceptions.ServiceError) as stale:
        client.update_volume_backup_policy(
            policy.id, oci.core.models.UpdateVolumeBackupPolicyDetails(display_name="x"), if_match="nope"
        )
    assert stale.value.status == 412 and stale.value.code == "NoEtagMatch"
    updated = client.update_volume_backup_policy(
        policy.id, oci.core.models.UpdateVolumeBackupPolicyDetails(display_name="nightly-2"),
        if_match=created.headers["etag"],
    )
    assert updated.data.display_name == "nightly-2" and updated.headers["etag"] != created.headers["etag"]
    assert updated.data.schedules[0].hour_of_day == 2
    client.delete_volume_backup_policy(policy.id, if_match=updated.headers["etag"])
    with pytest.raises(oci.exceptions.ServiceError) as gone:
        client.get_volume_backup_policy(policy.id)
    assert gone.value.status == 404 and gone.value.code == "NotAuthorizedOrNotFound"


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"period": "ONE_DAY", "offset_type": "STRUCTURED", "hour_of_day": 24}, "hourOfDay"),
        ({"period": "ONE_DAY", "offset_seconds": DAY}, "offsetSeconds"),
        ({"period": "ONE_MONTH", "offset_type": "STRUCTURED", "day_of_month": 32}, "dayOfMonth"),
        ({"period": "ONE_YEAR", "offset_type": "STRUCTURED", "month": "FEBRUARY", "day_of_month": 30}, "day 30"),
    ],
)
def test_impossible_schedules_are_refused(setup: tuple[Any, MockOCI], fields: dict[str, Any], reason: str) -> None:
    client, _ = setup
    details = oci.core.models.CreateVolumeBackupPolicyDetails(
        compartment_id=COMPARTMENT,
        schedules=[schedule(backup_type="INCREMENTAL", retention_seconds=DAY, **fields)],
    )
    with pytest.raises(oci.exceptions.ServiceError) as refused:
        client.create_volume_backup_policy(details)
    assert refused.value.status == 400 and refused.value.code == "InvalidParameter"
    assert reason in refused.value.message


def test_assignment_needs_a_known_volume_and_one_policy_per_volume(setup: tuple[Any, MockOCI]) -> None:
    client, _ = setup
    assign = oci.core.models.CreateVolumeBackupPolicyAssignmentDetails
    with pytest.raises(oci.exceptions.ServiceError) as unknown:
        client.create_volume_backup_policy_assignment(assign(asset_id="ocid1.volume.oc1.iad.nope", policy_id=GOLD))
    assert unknown.value.status == 404 and unknown.value.code == "NotAuthorizedOrNotFound"
    created = client.create_volume_backup_policy_assignment(assign(asset_id=VOLUME, policy_id=GOLD))
    assignment = created.data
    assert assignment.asset_id == VOLUME and assignment.policy_id == GOLD and created.headers["etag"]
    assert client.get_volume_backup_policy_assignment(assignment.id).data.id == assignment.id
    assert [a.id for a in client.get_volume_backup_policy_asset_assignment(VOLUME).data] == [assignment.id]
    with pytest.raises(oci.exceptions.ServiceError) as second:
        client.create_volume_backup_policy_assignment(assign(asset_id=VOLUME, policy_id=GOLD))
    assert second.value.status == 409
    client.delete_volume_backup_policy_assignment(assignment.id)
    assert client.get_volume_backup_policy_asset_assignment(VOLUME).data == []


def _run_policy(client: Any, mock: MockOCI, policy_id: str, days: int) -> tuple[datetime, list[Any]]:
    start = clock_now(mock)
    client.create_volume_backup_policy_assignment(
        oci.core.models.CreateVolumeBackupPolicyAssignmentDetails(asset_id=VOLUME, policy_id=policy_id)
    )
    mock.advance_clock(days * DAY)
    return start, scheduled_backups(client)


def test_a_daily_policy_keeps_three_days_of_backups(setup: tuple[Any, MockOCI]) -> None:
    client, mock = setup
    policy = client.create_volume_backup_policy(oci.core.models.CreateVolumeBackupPolicyDetails(
        compartment_id=COMPARTMENT, display_name="daily3",
        schedules=[schedule(backup_type="INCREMENTAL", period="ONE_DAY", retention_seconds=3 * DAY,
                            offset_type="STRUCTURED", hour_of_day=0, time_zone="UTC")],
    )).data
    start, backups = _run_policy(client, mock, policy.id, 7)
    now = start + timedelta(days=7)
    midnight = start.replace(hour=0, minute=0, second=0, microsecond=0)
    expected = [midnight + timedelta(days=n) for n in range(1, 8)]  # each midnight after the assignment
    assert [b.time_created for b in backups] == expected
    for backup in backups:
        assert backup.source_type == "SCHEDULED" and backup.type == "INCREMENTAL"
        assert backup.expiration_time == backup.time_created + timedelta(days=3)
        assert backup.display_name == (
            f"Auto-backup for {backup.time_created:%Y-%m-%d %H:%M:%S} UTC via policy: daily3"
        )
        assert backup.lifecycle_state == ("TERMINATED" if backup.expiration_time <= now else "AVAILABLE")
    kept = [b for b in backups if b.lifecycle_state == "AVAILABLE"]
    assert len(kept) == 3
    assert client.get_volume_backup(kept[-1].id).data.size_in_gbs == 50


def test_a_user_defined_weekly_policy(setup: tuple[Any, MockOCI]) -> None:
    client, mock = setup
    policy = client.create_volume_backup_policy(oci.core.models.CreateVolumeBackupPolicyDetails(
        compartment_id=COMPARTMENT, display_name="weekly",
        schedules=[schedule(backup_type="FULL", period="ONE_WEEK", retention_seconds=14 * DAY,
                            offset_type="STRUCTURED", day_of_week="WEDNESDAY", hour_of_day=5)],
    )).data
    start, backups = _run_policy(client, mock, policy.id, 28)
    now = start + timedelta(days=28)
    first = start.replace(hour=5, minute=0, second=0, microsecond=0) + timedelta(days=(2 - start.weekday()) % 7)
    if first <= start:
        first += timedelta(days=7)
    expected = [first + timedelta(weeks=n) for n in range(4)]
    assert [b.time_created for b in backups] == expected
    assert all(b.type == "FULL" and b.time_created.weekday() == 2 for b in backups)
    states = [b.lifecycle_state for b in backups]
    assert states == ["TERMINATED" if b.time_created + timedelta(days=14) <= now else "AVAILABLE" for b in backups]
    assert states.count("AVAILABLE") == 2


def test_gold_makes_one_backup_a_day_and_the_longest_period_wins(setup: tuple[Any, MockOCI]) -> None:
    client, mock = setup
    _, backups = _run_policy(client, mock, GOLD, 14)
    days = [b.time_created for b in backups]
    assert len(days) == len({d.date() for d in days}) == 14
    for backup in backups:
        if backup.time_created.day == 1 and backup.time_created.month == 1:
            assert backup.type == "FULL"  # the yearly schedule
        elif backup.time_created.day == 1:
            assert backup.expiration_time - backup.time_created == timedelta(days=365)
        elif backup.time_created.weekday() == 6:
            assert backup.expiration_time - backup.time_created == timedelta(days=28)
        else:
            assert backup.expiration_time - backup.time_created == timedelta(days=7)


def test_ending_an_assignment_stops_the_schedule(setup: tuple[Any, MockOCI]) -> None:
    client, mock = setup
    _, backups = _run_policy(client, mock, GOLD, 2)
    assert len(backups) == 2
    assignment = client.get_volume_backup_policy_asset_assignment(VOLUME).data[0]
    client.delete_volume_backup_policy_assignment(assignment.id)
    mock.advance_clock(5 * DAY)
    assert len(scheduled_backups(client)) == 2


def test_policies_and_assignments_survive_export_and_import(setup: tuple[Any, MockOCI]) -> None:
    client, mock = setup
    policy = client.create_volume_backup_policy(oci.core.models.CreateVolumeBackupPolicyDetails(
        compartment_id=COMPARTMENT, display_name="hourly",
        schedules=[schedule(backup_type="INCREMENTAL", period="ONE_HOUR", retention_seconds=DAY)],
    )).data
    _run_policy(client, mock, policy.id, 1)
    document = mock.admin.request("GET", "/state")
    held = document["tenancies"][TENANCY]
    assert [p["id"] for p in held["volumeBackupPolicies"]] == [policy.id]
    assert [a["assetId"] for a in held["volumeBackupPolicyAssignments"]] == [VOLUME]
    before = len(scheduled_backups(client))
    mock.admin.request("PUT", "/state", body=document)
    assert client.get_volume_backup_policy(policy.id).data.display_name == "hourly"
    assert client.get_volume_backup_policy_asset_assignment(VOLUME).data[0].policy_id == policy.id
    assert len(scheduled_backups(client)) == before
    mock.advance_clock(3 * 3600)
    assert len(scheduled_backups(client)) == before + 3  # the schedule resumed where it was


def test_deleting_the_volume_ends_its_assignment(setup: tuple[Any, MockOCI]) -> None:
    client, mock = setup
    _, backups = _run_policy(client, mock, GOLD, 1)
    assert len(backups) == 1
    client.delete_volume(VOLUME)
    mock.advance_clock(60)
    assert client.get_volume_backup_policy_asset_assignment(VOLUME).data == []
    mock.advance_clock(3 * DAY)
    assert len(scheduled_backups(client)) == 1  # the one made stays until it expires
    with pytest.raises(oci.exceptions.ServiceError) as gone:
        client.create_volume_backup_policy_assignment(
            oci.core.models.CreateVolumeBackupPolicyAssignmentDetails(asset_id=VOLUME, policy_id=GOLD)
        )
    assert gone.value.status == 404


def test_the_journal_and_faults_cover_policy_operations(setup: tuple[Any, MockOCI]) -> None:
    client, mock = setup
    mock.clear_journal()
    mock.inject_fault(operation="CreateVolumeBackupPolicyAssignment", status=429, code="TooManyRequests", times=1)
    details = oci.core.models.CreateVolumeBackupPolicyAssignmentDetails(asset_id=VOLUME, policy_id=GOLD)
    with pytest.raises(oci.exceptions.ServiceError) as throttled:
        client.create_volume_backup_policy_assignment(details, retry_strategy=oci.retry.NoneRetryStrategy())
    assert throttled.value.status == 429
    client.create_volume_backup_policy_assignment(details)
    client.list_volume_backup_policies()
    entries = mock.journal()
    assert [(e["operation"], e["status"]) for e in entries] == [
        ("CreateVolumeBackupPolicyAssignment", 429),
        ("CreateVolumeBackupPolicyAssignment", 200),
        ("ListVolumeBackupPolicies", 200),
    ]
    mock.clear_faults()


def test_a_destination_region_copies_each_scheduled_backup(setup: tuple[Any, MockOCI]) -> None:
    client, mock = setup
    policy = client.create_volume_backup_policy(oci.core.models.CreateVolumeBackupPolicyDetails(
        compartment_id=COMPARTMENT, display_name="dr", destination_region="us-phoenix-1",
        schedules=[schedule(backup_type="INCREMENTAL", period="ONE_DAY", retention_seconds=7 * DAY)],
    )).data
    assert policy.destination_region == "us-phoenix-1"
    with pytest.raises(oci.exceptions.ServiceError) as unknown:
        client.update_volume_backup_policy(
            policy.id, oci.core.models.UpdateVolumeBackupPolicyDetails(destination_region="mars-north-1")
        )
    assert unknown.value.status == 400
    _run_policy(client, mock, policy.id, 2)
    backups = oci.pagination.list_call_get_all_results(
        client.list_volume_backups, compartment_id=COMPARTMENT, volume_id=VOLUME
    ).data
    originals = [b for b in backups if b.source_volume_backup_id is None]
    copies = [b for b in backups if b.source_volume_backup_id is not None]
    assert len(originals) == 2
    assert sorted(c.source_volume_backup_id for c in copies) == sorted(b.id for b in originals)
    assert all(".phx." in c.id and c.source_type == "SCHEDULED" for c in copies)


def test_policy_lists_page(setup: tuple[Any, MockOCI]) -> None:
    client, _ = setup
    predefined = oci.pagination.list_call_get_all_results(client.list_volume_backup_policies, limit=1).data
    assert [p.display_name for p in predefined] == ["bronze", "gold", "silver"]
    made = [
        client.create_volume_backup_policy(oci.core.models.CreateVolumeBackupPolicyDetails(
            compartment_id=COMPARTMENT, display_name=f"p{n}", schedules=[])).data.id
        for n in range(5)
    ]
    first = client.list_volume_backup_policies(compartment_id=COMPARTMENT, limit=2)
    assert len(first.data) == 2 and first.headers.get("opc-next-page")
    listed = oci.pagination.list_call_get_all_results(
        client.list_volume_backup_policies, compartment_id=COMPARTMENT, limit=2
    ).data
    assert [p.id for p in listed] == made
