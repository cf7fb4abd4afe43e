"""Unit: what the speed and memory work must not change: stored backups equal what was given, values shared
between stored backups never leak a change from one to another, and headers parsed once read as Starlette's."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime

import pytest
from starlette.datastructures import Headers

from mockoci import errors
from mockoci.models import CreateVolumeBackupDetails, UpdateVolumeBackupDetails, VolumeBackup, format_datetime
from mockoci.request_headers import HeaderLists, request_headers, response_header
from mockoci.resources.volume_backups import compact, revise
from mockoci.resources.volumes import CreateVolumeDetails
from mockoci.store import VolumeBackupStore

COMPARTMENT = "ocid1.compartment.oc1..aaaaaaaacompact"


def backup(n: int) -> VolumeBackup:
    return VolumeBackup.model_validate({
        "id": f"ocid1.volumebackup.oc1.iad.ab{n:03d}", "compartmentId": COMPARTMENT,
        "displayName": f"backup-{n}", "lifecycleState": "AVAILABLE", "type": "FULL",
        "timeCreated": "2026-03-01T12:00:00.000Z", "timeRequestReceived": "2026-03-01T12:00:00.000Z",
        "freeformTags": {}, "definedTags": {}, "systemTags": {}, "sizeInGBs": 50, "sizeInMBs": 51200,
        "volumeId": "ocid1.volume.oc1.iad.abvolume",
    })


def test_a_stored_backup_equals_the_model_given_and_serialises_the_same() -> None:
    given = backup(1)
    before = given.model_dump_json(by_alias=True)
    [stored] = VolumeBackupStore().seed(tenancy="t", backups=[given])
    assert stored.backup == given
    assert stored.json() == before.encode()
    assert stored.backup.model_fields_set == given.model_fields_set
    assert given.model_dump_json(by_alias=True) == before  # the model given is not changed
    assert stored.backup.model_dump(exclude_unset=True) == given.model_dump(exclude_unset=True)


def test_shared_values_do_not_leak_between_backups() -> None:
    store = VolumeBackupStore(lifecycle_delay=0)
    first, second = store.seed(tenancy="t", backups=[backup(1), backup(2)])
    assert first.backup.freeform_tags is second.backup.freeform_tags  # one empty map, shared
    assert first.backup.volume_id is second.backup.volume_id

    updated = store.update_volume_backup(
        tenancy="t", backup_id=first.backup.id,
        details=UpdateVolumeBackupDetails(freeform_tags={"team": "a"}, display_name="renamed"),
    )
    assert updated.backup.freeform_tags == {"team": "a"}
    other = store.get_volume_backup(tenancy="t", backup_id=second.backup.id).backup
    assert other.freeform_tags == {}
    assert other.display_name == "backup-2"
    assert backup(3).freeform_tags == {}


def test_a_revision_is_the_model_copy_compacted() -> None:
    """revise (each new version of a stored backup) gives what model_copy then compact would."""
    stored = compact(backup(1))
    for changes in [
        {"display_name": "renamed", "freeform_tags": {}},
        {"lifecycle_state": "TERMINATING"},
        {"compartment_id": COMPARTMENT + "x", "kms_key_id": "ocid1.key.oc1..k", "expiration_time": None},
    ]:
        revised, expected = revise(stored, changes), compact(stored.model_copy(update=changes))
        assert revised == expected
        assert revised.model_fields_set == expected.model_fields_set
        assert revised.__pydantic_fields_set__ is expected.__pydantic_fields_set__  # one set, shared
        assert revised.model_dump_json(by_alias=True) == expected.model_dump_json(by_alias=True)
        assert sys.getsizeof(revised.__dict__) == sys.getsizeof(expected.__dict__)  # its keys shared too
        assert revised.freeform_tags is expected.freeform_tags and revised.volume_id is expected.volume_id
    assert stored == compact(backup(1))  # the stored version is not changed


def test_a_created_backup_is_the_one_validation_would_build() -> None:
    """CreateVolumeBackup builds its new backup without validating the values (`compacted`): it must be the
    backup that validating them, then compacting, gives, field by field, set by set, byte by byte."""
    store = VolumeBackupStore(lifecycle_mode="manual", unknown_volumes="accept")
    for details in [
        CreateVolumeBackupDetails(volume_id="ocid1.volume.oc1.iad.abv"),
        CreateVolumeBackupDetails.model_validate({
            "volumeId": "ocid1.volume.oc1.iad.abv", "displayName": "named", "type": "FULL", "kmsKeyId": "k",
            "definedTags": {"ns": {"k": 1}}, "freeformTags": {"a": "b"}, "isPreventDeletionEnabled": True,
            "retentionPeriod": {"retentionTimeUnit": "DAYS", "retentionTimeAmount": 3},
            "isRetentionLockEnabled": False, "isIndefiniteRetentionEnabled": False,
        }),
    ]:
        created = store.create_volume_backup(tenancy="t", details=details).backup
        values = {name: getattr(created, name) for name in created.model_fields_set}
        expected = compact(VolumeBackup(**values))
        assert created == expected
        assert created.model_fields_set == expected.model_fields_set
        assert created.__pydantic_extra__ is expected.__pydantic_extra__ is None
        assert created.__pydantic_private__ is expected.__pydantic_private__ is None
        assert created.model_dump_json(by_alias=True) == expected.model_dump_json(by_alias=True)
        assert sys.getsizeof(created.__dict__) == sys.getsizeof(expected.__dict__)  # its keys shared too
        assert created.time_request_received is created.time_created
        assert created.compartment_id is expected.compartment_id and created.system_tags is expected.system_tags


def test_tags_merged_from_the_volume_past_the_limits_are_refused_as_validation_does() -> None:
    """A backup takes its volume's tags and the request's: merged, they may exceed OCI's limits, which the
    model's validation refuses (the only values of a new backup that are not valid by construction): the
    request's fault, 400 InvalidParameter."""
    store = VolumeBackupStore(lifecycle_delay=0)
    volume = store.create_volume(tenancy="t", details=CreateVolumeDetails(
        availability_domain="AD-1", compartment_id=COMPARTMENT, size_in_gbs=50,
        freeform_tags={f"v{i}": "x" for i in range(40)},
    ))
    store.settle_records(tenancy="t")
    with pytest.raises(errors.InvalidParameter, match=r"Invalid freeformTags: merged with the volume's tags, .*64"):
        store.create_volume_backup(tenancy="t", details=CreateVolumeBackupDetails(
            volume_id=volume.model.id, freeform_tags={f"b{i}": "x" for i in range(40)},
        ))
    tagged = store.create_volume_backup(tenancy="t", details=CreateVolumeBackupDetails(
        volume_id=volume.model.id, freeform_tags={"b": "x"},
    ))
    assert len(tagged.backup.freeform_tags or {}) == 41


def test_datetimes_serialise_as_format_datetime_whatever_was_serialised_before() -> None:
    """The wire models' datetime serialiser remembers its last value (a backup's two equal times are one object):
    each backup's JSON holds its own times, serialised one after the other in any order."""
    first = compact(backup(1))
    second = compact(backup(2).model_copy(update={"time_request_received": datetime(2026, 3, 2, 1, 2, 3, 456789,
                                                                                      tzinfo=UTC)}))
    for model in (first, second, second, first, second):
        document = json.loads(model.model_dump_json(by_alias=True))
        assert document["timeCreated"] == format_datetime(model.time_created) == "2026-03-01T12:00:00.000Z"
        assert document["timeRequestReceived"] == format_datetime(model.time_request_received or model.time_created)
    assert json.loads(second.model_dump_json(by_alias=True))["timeRequestReceived"] == "2026-03-02T01:02:03.456Z"


def test_stored_backups_take_less_memory_than_pydantic_models() -> None:
    given = backup(1)
    [stored] = VolumeBackupStore().seed(tenancy="t", backups=[given])
    assert sys.getsizeof(stored.backup.__dict__) < sys.getsizeof(given.__dict__) / 2


def test_request_headers_read_as_starlette_headers_do() -> None:
    scope = {"type": "http", "headers": [
        (b"x-date", b"Mon, 01 Jan 2026 00:00:00 GMT"), (b"accept", b"a"), (b"accept", b"b"), (b"empty", b""),
    ]}
    parsed, lists = request_headers(scope), HeaderLists(scope)
    starlette = Headers(scope=scope)
    for name in ("x-date", "accept", "empty", "missing", "X-Date", "Accept"):
        assert parsed.get(name.lower()) == lists.get(name) == starlette.get(name)
        assert lists.getlist(name) == starlette.getlist(name)
    assert request_headers(scope) is parsed  # parsed once per request


def test_response_header_finds_the_first_value() -> None:
    message = {"type": "http.response.start", "headers": [(b"etag", b"1"), (b"opc-request-id", b"A"),
                                                          (b"opc-request-id", b"B")]}
    assert response_header(message, b"opc-request-id") == "A"
    assert response_header(message, b"location") is None
    assert response_header({"type": "http.response.start"}, b"etag") is None
