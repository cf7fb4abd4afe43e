"""Fault injection, integration: the unmodified `oci` SDK against a real server with fault rules."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import oci
import pytest
import requests
from conftest import TENANCY, assert_oci_error, make_client

from mockoci.server import MockOCIServer
from mockoci.testing import MockOCI, MockOCIAdminError

VOLUME = "ocid1.volume.oc1.iad.faultvolume"
Details = oci.core.models.CreateVolumeBackupDetails


def quick_retries(**kwargs: Any) -> Any:
    """The SDK's own retry machinery with millisecond backoff."""
    return oci.retry.RetryStrategyBuilder(
        retry_base_sleep_time_seconds=0.01,
        retry_max_wait_between_calls_seconds=0.05,
        backoff_type=oci.retry.BACKOFF_FULL_JITTER_VALUE,
        **kwargs,
    ).get_retry_strategy()


def backups_in(client: Any) -> list[Any]:
    return list(client.list_volume_backups(compartment_id=TENANCY).data)


def test_default_retry_strategy_recovers_from_two_503s_with_one_retry_token(
    server: MockOCIServer, oci_config: dict[str, Any], mock: MockOCI
) -> None:
    rule = mock.inject_fault(operation="CreateVolumeBackup", status=503, times=2)
    client = make_client(oci_config, server.url, retry_strategy=oci.retry.DEFAULT_RETRY_STRATEGY)
    backup = client.create_volume_backup(Details(volume_id=VOLUME, display_name="survivor")).data
    assert backup.display_name == "survivor"
    attempts = mock.journal("CreateVolumeBackup")
    assert [(a["status"], a["errorCode"], a["fault"]) for a in attempts] == [
        (503, "ServiceUnavailable", rule["id"]),
        (503, "ServiceUnavailable", rule["id"]),
        (200, None, None),
    ]
    tokens = {a["headers"].get("opc-retry-token") for a in attempts}
    assert len(tokens) == 1 and None not in tokens
    assert all(a["headers"]["opc-client-retries"] == "true" for a in attempts)
    assert [b.id for b in backups_in(client)] == [backup.id]
    assert mock.faults()[0]["hits"] == 2


def test_without_retries_the_sdk_surfaces_the_error_and_nothing_is_created(
    client: Any, mock: MockOCI
) -> None:
    mock.inject_fault(operation="CreateVolumeBackup", status=503, times=2)
    with pytest.raises(oci.exceptions.ServiceError) as error:
        client.create_volume_backup(Details(volume_id=VOLUME))
    assert (error.value.status, error.value.code) == (503, "ServiceUnavailable")
    assert error.value.request_id
    assert backups_in(client) == []
    [attempt] = mock.journal("CreateVolumeBackup")
    assert attempt["status"] == 503 and "opc-retry-token" not in attempt["headers"]
    assert attempt["opcRequestId"] == error.value.request_id


def test_latency_beyond_the_read_timeout_gives_the_clients_timeout_error(
    server: MockOCIServer, oci_config: dict[str, Any], mock: MockOCI
) -> None:
    mock.inject_fault(operation="ListVolumeBackups", latency=1.0, times=1)
    client = make_client(oci_config, server.url, timeout=(5, 0.3))
    started = time.monotonic()
    with pytest.raises(oci.exceptions.RequestException, match="Read timed out"):
        backups_in(client)
    assert time.monotonic() - started < 0.9
    assert backups_in(client) == []  # the rule was for one request only
    # The slow request still runs to its end on the server: wait for it, or its journal entry lands in the
    # next test's journal (after that test's reset), as it did under load.
    deadline = time.monotonic() + 10
    while len(mock.journal("ListVolumeBackups")) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)


def test_latency_alone_slows_the_request_down_and_it_still_runs(client: Any, mock: MockOCI) -> None:
    mock.inject_fault(operation="CreateVolumeBackup", latency=0.3)
    started = time.monotonic()
    backup = client.create_volume_backup(Details(volume_id=VOLUME)).data
    assert time.monotonic() - started >= 0.3
    assert [b.id for b in backups_in(client)] == [backup.id]


def test_quick_sdk_retries_recover_from_throttling(
    server: MockOCIServer, oci_config: dict[str, Any], mock: MockOCI
) -> None:
    mock.inject_fault(operation="ListVolumeBackups", status=429, times=3)
    client = make_client(oci_config, server.url, retry_strategy=quick_retries())
    assert client.list_volume_backups(compartment_id=TENANCY).data == []
    assert [a["errorCode"] for a in mock.journal()] == ["TooManyRequests"] * 3 + [None]


def test_a_faulted_delete_changes_nothing(
    client: Any, create_backup: Callable[..., Any], mock: MockOCI
) -> None:
    backup = create_backup()
    before = client.get_volume_backup(backup.id)
    mock.inject_fault(operation="DeleteVolumeBackup", status=409, code="IncorrectState", times=1)
    with pytest.raises(oci.exceptions.ServiceError) as error:
        client.delete_volume_backup(backup.id)
    assert (error.value.status, error.value.code) == (409, "IncorrectState")
    after = client.get_volume_backup(backup.id)
    assert after.data.lifecycle_state == "AVAILABLE"
    assert after.headers["etag"] == before.headers["etag"]
    client.delete_volume_backup(backup.id)  # the rule is spent
    assert client.get_volume_backup(backup.id).data.lifecycle_state == "TERMINATED"


def test_status_only_rules_answer_with_the_usual_code(raw: Callable[..., Any], mock: MockOCI) -> None:
    for status, code in [
        (400, "InvalidParameter"),
        (429, "TooManyRequests"),
        (500, "InternalServerError"),
        (502, "BadGateway"),
        (503, "ServiceUnavailable"),
        (409, "IncorrectState"),
    ]:
        mock.inject_fault(operation="GetVolumeBackup", status=status, times=1)
        assert_oci_error(raw("GET", "/20160918/volumeBackups/ocid1.volumebackup.oc1.iad.x"), status, code)


def test_custom_code_and_message(raw: Callable[..., Any], mock: MockOCI) -> None:
    mock.inject_fault(
        operation="GetVolumeBackup", status=409, code="ResourceLocked", message="Locked for test."
    )
    response = raw(
        "GET", "/20160918/volumeBackups/ocid1.volumebackup.oc1.iad.x", headers={"opc-request-id": "R1"}
    )
    body = assert_oci_error(response, 409, "ResourceLocked")
    assert body["message"] == "Locked for test."
    assert response.headers["opc-request-id"] == "R1"


def test_method_and_path_pattern_rules(raw: Callable[..., Any], mock: MockOCI) -> None:
    mock.inject_fault(method="post", path="/20160918/volumeBackups/*/actions/*", status=500)
    copy = raw(
        "POST",
        "/20160918/volumeBackups/ocid1.volumebackup.oc1.iad.x/actions/copy",
        body='{"destinationRegion": "us-phoenix-1"}',
    )
    assert_oci_error(copy, 500, "InternalServerError")
    get = raw("GET", "/20160918/volumeBackups/ocid1.volumebackup.oc1.iad.x")
    assert_oci_error(get, 404, "NotAuthorizedOrNotFound")  # the route ran: no such backup
    create = raw("POST", "/20160918/volumeBackups", body=f'{{"volumeId": "{VOLUME}"}}')
    assert create.status_code == 200


def test_rules_are_listed_counted_and_removable(raw: Callable[..., Any], mock: MockOCI) -> None:
    first = mock.inject_fault(operation="ListVolumeBackups", status=503, times=2)
    second = mock.inject_fault(operation="ListVolumeBackups", status=500)
    list_path = f"/20160918/volumeBackups?compartmentId={TENANCY}"
    codes = [raw("GET", list_path).json()["code"] for _ in range(3)]
    assert codes == ["ServiceUnavailable", "ServiceUnavailable", "InternalServerError"]
    listed = {rule["id"]: rule for rule in mock.faults()}
    assert (listed[first["id"]]["hits"], listed[second["id"]]["hits"]) == (2, 1)
    mock.remove_fault(second["id"])
    assert [rule["id"] for rule in mock.faults()] == [first["id"]]
    assert raw("GET", list_path).status_code == 200
    with pytest.raises(MockOCIAdminError) as error:
        mock.remove_fault(second["id"])
    assert (error.value.status, error.value.code) == (404, "NotAuthorizedOrNotFound")


def test_probability_strikes_some_requests_reproducibly(start_server: Callable[..., MockOCIServer]) -> None:
    def outcomes() -> list[int]:
        server = start_server(auth="off", seed=11)
        requests.post(
            server.url + "/_mockoci/faults",
            json={"operation": "ListVolumeBackups", "status": 503, "probability": 0.5},
            timeout=5,
        )
        return [
            requests.get(server.url + "/20160918/volumeBackups?compartmentId=c", timeout=5).status_code
            for _ in range(40)
        ]

    first = outcomes()
    assert 5 < first.count(503) < 35 and set(first) == {200, 503}
    assert outcomes() == first  # the same seed, the same faults


def test_faults_are_per_tenancy_and_never_hit_the_admin_api(raw: Callable[..., Any], mock: MockOCI) -> None:
    other = MockOCI(mock.admin, "ocid1.tenancy.oc1..aaaaaaaaothertenancy")
    other.inject_fault(status=503)  # every OCI request of the other tenancy
    assert raw("GET", f"/20160918/volumeBackups?compartmentId={TENANCY}").status_code == 200
    mock.admin.request("POST", "/faults", body={"status": 503})  # every request of every tenancy
    assert_oci_error(
        raw("GET", f"/20160918/volumeBackups?compartmentId={TENANCY}"), 503, "ServiceUnavailable"
    )
    assert mock.admin.request("GET", "/health") == {"status": "ok"}
    assert len(mock.admin.request("GET", "/faults")) == 2 and len(mock.faults()) == 0


def test_reset_clears_the_tenancys_rules(mock: MockOCI) -> None:
    other = MockOCI(mock.admin, "ocid1.tenancy.oc1..aaaaaaaaothertenancy")
    mock.inject_fault(status=500)
    other.inject_fault(status=500)
    mock.reset()
    assert mock.faults() == [] and len(other.faults()) == 1
    mock.admin.request("POST", "/reset")
    assert other.faults() == []


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({"operation": "GetVolumeBackup"}, "a fault needs a status, a latency, or both"),
        ({"code": "TooManyRequests", "latency": 1}, "a fault with a code needs a status"),
        ({"status": 200}, "status"),
        ({"status": 503, "probability": 2}, "probability"),
        ({"status": 503, "times": 0}, "times"),
        ({"status": 503, "colour": "red"}, "colour"),
    ],
)
def test_invalid_rules_are_rejected(mock: MockOCI, rule: dict[str, Any], message: str) -> None:
    with pytest.raises(MockOCIAdminError) as error:
        mock.admin.request("POST", "/faults", body=rule)
    assert error.value.status == 400 and error.value.code == "InvalidParameter"
    assert message in error.value.message
    assert mock.admin.request("GET", "/faults") == []
