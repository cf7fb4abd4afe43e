"""Integration: a copy is followed by a work request that the SDK's WorkRequestClient reads and its composite
operation really waits on; a test can make it fail through the admin API."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import oci
import pytest
from conftest import TENANCY, make_client

from mockoci.server import MockOCIServer
from mockoci.testing import MockOCI

models = oci.core.models
WAIT: dict[str, Any] = {"max_wait_seconds": 10, "max_interval_seconds": 0.1}
PHOENIX = "us-phoenix-1"


@pytest.fixture
def work_requests(server: MockOCIServer, oci_config: dict[str, Any]) -> Any:
    return oci.work_requests.WorkRequestClient(
        oci_config, service_endpoint=server.url, circuit_breaker_strategy=oci.circuit_breaker.NoCircuitBreakerStrategy()
    )


@pytest.fixture
def available_backup(client: Any, mock: MockOCI) -> Callable[[], Any]:
    def make() -> Any:
        volume = mock.create_volume()
        backup = client.create_volume_backup(models.CreateVolumeBackupDetails(volume_id=volume["id"])).data
        mock.settle()
        return client.get_volume_backup(backup.id).data

    return make


def copy_details() -> Any:
    return models.CopyVolumeBackupDetails(destination_region=PHOENIX, display_name="dr")


def test_a_copy_is_followed_by_its_work_request_on_the_clock(
    client: Any, work_requests: Any, mock: MockOCI, available_backup: Callable[[], Any]
) -> None:
    source = available_backup()
    mock.set_lifecycle("delay", 10)
    copied = client.copy_volume_backup(source.id, copy_details())
    request_id = copied.headers["opc-work-request-id"]
    request = work_requests.get_work_request(request_id).data
    assert (request.status, request.percent_complete, request.operation_type) == ("ACCEPTED", 0.0, "CopyVolumeBackup")
    assert request.compartment_id == copied.data.compartment_id
    assert [(r.entity_type, r.identifier, r.action_type) for r in request.resources] == [
        ("volumeBackup", copied.data.id, "IN_PROGRESS"), ("volumeBackup", source.id, "RELATED"),
    ]
    assert request.time_started is None and request.time_finished is None
    mock.advance_clock(5)
    assert (work_requests.get_work_request(request_id).data.status, client.get_volume_backup(copied.data.id)
            .data.lifecycle_state) == ("IN_PROGRESS", "CREATING")
    mock.advance_clock(5)
    done = work_requests.get_work_request(request_id).data
    assert (done.status, done.percent_complete, done.resources[0].action_type) == ("SUCCEEDED", 100.0, "CREATED")
    assert done.time_accepted < done.time_started < done.time_finished
    assert client.get_volume_backup(copied.data.id).data.lifecycle_state == "AVAILABLE"
    logs = work_requests.list_work_request_logs(request_id).data
    assert [entry.message for entry in logs][1:] == [
        "CopyVolumeBackup is IN_PROGRESS.", "CopyVolumeBackup is SUCCEEDED."]
    assert work_requests.list_work_request_errors(request_id).data == []
    newest_log = work_requests.list_work_request_logs(request_id, sort_order="DESC", limit=1)
    assert newest_log.data[0].message == "CopyVolumeBackup is SUCCEEDED." and newest_log.next_page
    listed = work_requests.list_work_requests(copied.data.compartment_id).data
    assert [summary.id for summary in listed] == [request_id]
    by_resource = work_requests.list_work_requests(copied.data.compartment_id, resource_id=copied.data.id).data
    assert [summary.id for summary in by_resource] == [request_id]
    assert work_requests.list_work_requests(copied.data.compartment_id, resource_id="nothing").data == []
    assert [entry["operation"] for entry in mock.journal()][-3:] == [
        "ListWorkRequests", "ListWorkRequests", "ListWorkRequests"]


def test_the_sdk_composite_copy_really_waits(
    client: Any, mock: MockOCI, available_backup: Callable[[], Any]
) -> None:
    source = available_backup()
    mock.set_lifecycle("delay", 0.3)
    composite = oci.core.BlockstorageClientCompositeOperations(client)
    finished = composite.copy_volume_backup_and_wait_for_work_request(
        source.id, copy_details(), waiter_kwargs=WAIT
    ).data
    assert finished.status == "SUCCEEDED"
    copy_id = finished.resources[0].identifier
    assert client.get_volume_backup(copy_id).data.lifecycle_state == "AVAILABLE"
    polls = mock.journal("GetWorkRequest")
    assert len(polls) >= 2 and polls[-1]["status"] == 200  # it polled until the copy was made


def test_a_test_can_make_the_work_request_fail(
    client: Any, work_requests: Any, mock: MockOCI, available_backup: Callable[[], Any]
) -> None:
    source = available_backup()
    mock.set_lifecycle("manual")
    copied = client.copy_volume_backup(source.id, copy_details())
    request_id = copied.headers["opc-work-request-id"]
    failed = mock.force_work_request(request_id, "FAILED", code="InsufficientCapacity", message="No room in PHX.")
    assert failed["status"] == "FAILED"
    [error] = work_requests.list_work_request_errors(request_id).data
    assert (error.code, error.message) == ("InsufficientCapacity", "No room in PHX.")
    assert client.get_volume_backup(copied.data.id).data.lifecycle_state == "FAULTY"
    mock.settle()  # the FAULTY copy stays FAULTY, the failed work request failed
    assert work_requests.get_work_request(request_id).data.status == "FAILED"


def test_the_composite_copy_returns_a_failed_work_request(
    client: Any, mock: MockOCI, available_backup: Callable[[], Any]
) -> None:
    source = available_backup()
    mock.set_lifecycle("manual")  # the copy never finishes by itself: only the forced failure ends the wait
    composite = oci.core.BlockstorageClientCompositeOperations(client)
    outcome: list[Any] = []
    waiter = threading.Thread(target=lambda: outcome.append(composite.copy_volume_backup_and_wait_for_work_request(
        source.id, copy_details(), waiter_kwargs=WAIT)))
    waiter.start()
    for _ in range(200):
        polls = mock.journal("GetWorkRequest")
        if polls:
            break
        time.sleep(0.02)  # waits for the SDK's thread, not for the server
    request_id = polls[0]["path"].rsplit("/", 1)[-1]
    mock.force_work_request(request_id, "FAILED", message="Copy failed.")
    waiter.join(timeout=10)
    assert outcome[0].data.status == "FAILED"


def test_a_copy_that_becomes_faulty_fails_its_work_request(
    client: Any, work_requests: Any, mock: MockOCI, available_backup: Callable[[], Any]
) -> None:
    source = available_backup()
    mock.set_lifecycle("manual")
    copied = client.copy_volume_backup(source.id, copy_details())
    mock.force_state(copied.data.id, "FAULTY")
    request = work_requests.get_work_request(copied.headers["opc-work-request-id"]).data
    assert request.status == "FAILED" and work_requests.list_work_request_errors(request.id).data


def test_a_retried_copy_names_the_same_work_request(
    client: Any, mock: MockOCI, available_backup: Callable[[], Any]
) -> None:
    source = available_backup()
    first = client.copy_volume_backup(source.id, copy_details(), opc_retry_token="copy-once")
    second = client.copy_volume_backup(source.id, copy_details(), opc_retry_token="copy-once")
    assert first.data.id == second.data.id
    assert first.headers["opc-work-request-id"] == second.headers["opc-work-request-id"]


def test_work_requests_are_per_tenancy_and_survive_a_snapshot(
    client: Any, work_requests: Any, mock: MockOCI, available_backup: Callable[[], Any], oci_config: dict[str, Any],
    server: MockOCIServer,
) -> None:
    source = available_backup()
    request_id = client.copy_volume_backup(source.id, copy_details()).headers["opc-work-request-id"]
    other = oci.work_requests.WorkRequestClient({**oci_config, "tenancy": "ocid1.tenancy.oc1..aaaaaaaaother"},
                                                service_endpoint=server.url)
    with pytest.raises(oci.exceptions.ServiceError) as missing:
        other.get_work_request(request_id)
    assert (missing.value.status, missing.value.code) == (404, "NotAuthorizedOrNotFound")
    snapshot = mock.admin.request("GET", "/state")
    [saved] = snapshot["tenancies"][TENANCY]["workRequests"]
    assert saved["id"] == request_id and saved["logEntries"]
    mock.reset()
    mock.admin.request("PUT", "/state", body=snapshot)
    restored = work_requests.get_work_request(request_id).data
    assert restored.status == "SUCCEEDED"
    assert make_client(oci_config, server.url).get_volume_backup(restored.resources[0].identifier).data
