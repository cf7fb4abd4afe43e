"""The request journal and the request log, integration: what the server saw of the SDK's requests."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import oci
import pytest
import requests
from conftest import TENANCY, make_client

from mockoci.cli import _parser
from mockoci.journal import Journal, _entry, _ReadableLine
from mockoci.server import MockOCIServer
from mockoci.settings import Settings
from mockoci.testing import AdminClient, MockOCI

VOLUME = "ocid1.volume.oc1.iad.journalvolume"
Details = oci.core.models.CreateVolumeBackupDetails


def test_entries_hold_what_matters(server: MockOCIServer, oci_config: dict[str, Any], mock: MockOCI) -> None:
    client = make_client(oci_config, server.url, retry_strategy=oci.retry.DEFAULT_RETRY_STRATEGY)
    created = client.create_volume_backup(Details(volume_id=VOLUME))
    etag = created.headers["etag"]
    client.update_volume_backup(
        created.data.id, oci.core.models.UpdateVolumeBackupDetails(display_name="renamed"), if_match=etag
    )
    client.list_volume_backups(compartment_id=TENANCY, limit=5, display_name="renamed")
    create, update, listing = mock.journal()
    assert create["operation"] == "CreateVolumeBackup"
    assert (create["method"], create["path"], create["status"]) == ("POST", "/20160918/volumeBackups", 200)
    assert create["opcRequestId"] == created.request_id == create["headers"]["opc-request-id"]
    assert create["headers"]["opc-client-retries"] == "true"
    assert len(create["headers"]["opc-retry-token"]) == 30
    assert create["tenancy"] == TENANCY
    assert create["errorCode"] is None and create["authFailure"] is None and create["fault"] is None
    assert update["operation"] == "UpdateVolumeBackup"
    assert update["path"] == f"/20160918/volumeBackups/{created.data.id}"
    assert update["headers"]["if-match"] == etag
    assert listing["operation"] == "ListVolumeBackups"
    assert "limit=5" in listing["query"] and "displayName=renamed" in listing["query"]
    assert create["seq"] < update["seq"] < listing["seq"]
    assert all(
        entry["durationMs"] >= 0 and entry["time"].endswith("Z") for entry in (create, update, listing)
    )


def test_errors_and_auth_failures_are_recorded(client: Any, mock: MockOCI) -> None:
    with pytest.raises(oci.exceptions.ServiceError):
        client.get_volume_backup("ocid1.volumebackup.oc1.iad.missing")
    unsigned = requests.get(mock.url + "/20160918/volumeBackups/x", timeout=5)
    assert unsigned.status_code == 401
    entries = mock.admin.request("GET", "/journal")
    missing, rejected = entries[-2:]
    assert (missing["status"], missing["errorCode"], missing["authFailure"]) == (
        404,
        "NotAuthorizedOrNotFound",
        None,
    )
    assert (rejected["status"], rejected["errorCode"]) == (401, "NotAuthenticated")
    assert rejected["authFailure"]
    assert rejected["opcRequestId"] == unsigned.headers["opc-request-id"]


def test_admin_requests_are_not_journaled_and_filters_apply(client: Any, mock: MockOCI) -> None:
    mock.generate(2, seed=1)
    client.list_volume_backups(compartment_id=TENANCY)
    assert [entry["operation"] for entry in mock.journal()] == ["ListVolumeBackups"]
    assert mock.journal("GetVolumeBackup") == []
    assert MockOCI(mock.admin, "ocid1.tenancy.oc1..aaaaaaaanobody").journal() == []


def test_reset_and_delete_clear_the_journal(client: Any, mock: MockOCI) -> None:
    client.list_volume_backups(compartment_id=TENANCY)
    mock.clear_journal()
    assert mock.journal() == []
    client.list_volume_backups(compartment_id=TENANCY)
    mock.reset()
    assert mock.journal() == []


def test_the_journal_is_bounded_newest_last(
    start_server: Callable[..., MockOCIServer], oci_config: dict[str, Any]
) -> None:
    server = start_server(journal_size=3)
    client = make_client(oci_config, server.url)
    for name in "abcde":
        client.list_volume_backups(compartment_id=TENANCY, display_name=name)
    journal = AdminClient(server.url).request("GET", "/journal")
    assert [entry["query"].split("displayName=")[1][0] for entry in journal] == ["c", "d", "e"]


def test_one_log_record_per_request(client: Any, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="mockoci.requests"):
        response = client.list_volume_backups(compartment_id=TENANCY)
        with pytest.raises(oci.exceptions.ServiceError):
            client.get_volume_backup("ocid1.volumebackup.oc1.iad.missing")
    records = [record for record in caplog.records if record.name == "mockoci.requests"]
    assert [record.levelno for record in records] == [logging.INFO, logging.INFO]  # admin requests: DEBUG
    assert records[1].getMessage().startswith(
        "GET /20160918/volumeBackups/ocid1.volumebackup.oc1.iad.missing GetVolumeBackup 404 NotAuthorizedOrNotFound "
    )
    assert records[1].getMessage().endswith(" ms opc-request-id=" + records[1].request["opcRequestId"])
    lines = [record.request for record in records]
    listing, missing = lines[-2:]
    assert listing["opcRequestId"] == response.request_id
    assert (listing["operation"], listing["status"], listing["errorCode"]) == ("ListVolumeBackups", 200, None)
    assert (missing["operation"], missing["status"]) == ("GetVolumeBackup", 404)
    assert missing["errorCode"] == "NotAuthorizedOrNotFound"
    assert isinstance(listing["durationMs"], float)


def test_the_console_log_is_off_by_default_and_configurable(
    start_server: Callable[..., MockOCIServer], capsys: pytest.CaptureFixture[str]
) -> None:
    quiet = start_server(auth="off")
    requests.get(quiet.url + "/20160918/volumeBackups?compartmentId=c", timeout=5)
    assert capsys.readouterr().err == ""
    loud = start_server(auth="off", request_log="stderr")
    requests.get(loud.url + "/20160918/volumeBackups?compartmentId=c", timeout=5)
    [line] = capsys.readouterr().err.splitlines()
    assert json.loads(line)["operation"] == "ListVolumeBackups"


def test_cli_options_reach_the_settings() -> None:
    args = vars(
        _parser().parse_args(
            ["serve", "--request-log", "stdout", "--lifecycle-mode", "manual", "--journal-size", "5"]
        )
    )
    args.pop("command")
    settings = Settings(**args)
    assert (settings.request_log, settings.lifecycle_mode, settings.journal_size) == ("stdout", "manual", 5)


def test_a_failed_verification_records_its_reason_and_signing_string(
    verify_server: MockOCIServer, rsa_key: Any, oci_config: dict[str, Any]
) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    AdminClient(verify_server.url).request("POST", "/reset")
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)  # signs under the known key's id
    pem = stranger.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    ).decode()
    client = make_client({**oci_config, "key_content": pem}, verify_server.url)
    with pytest.raises(oci.exceptions.ServiceError) as error:
        client.list_volume_backups(compartment_id=TENANCY)
    assert error.value.status == 401
    [entry] = AdminClient(verify_server.url).request("GET", "/journal")
    assert (entry["status"], entry["errorCode"]) == (401, "NotAuthenticated")
    assert "signature" in entry["authFailure"] and entry["authFailure"] != error.value.message
    assert f"(request-target): get /20160918/volumeBackups?compartmentId={TENANCY}" in entry["signingString"]
    # journaled under the tenancy the refused request claims, where a plugin user's filtered journal looks
    assert entry["tenancy"] == TENANCY
    assert AdminClient(verify_server.url).request("GET", f"/journal?tenancy={TENANCY}") == [entry]
    AdminClient(verify_server.url).request("POST", "/reset")


def test_a_refused_presence_request_is_journaled_under_its_claimed_tenancy(client: Any, mock: MockOCI) -> None:
    claimed = "ocid1.tenancy.oc1..aaaaaaaaclaimed"
    auth = (f'Signature keyId="{claimed}/ocid1.user.oc1..u/aa:bb",algorithm="rsa-sha256",'
            'headers="date (request-target) host",signature="c2ln"')
    refused = requests.get(mock.url + "/20160918/volumeBackups/x", headers={"authorization": auth}, timeout=5)
    assert refused.status_code == 401  # no date header
    [entry] = mock.admin.request("GET", f"/journal?tenancy={claimed}")
    assert (entry["status"], entry["errorCode"], entry["tenancy"]) == (401, "NotAuthenticated", claimed)
    assert "date" in entry["authFailure"]


@pytest.mark.parametrize(
    ("status", "query", "fault", "body"),
    [
        (200, b"", None, b""),
        (200, b"compartmentId=c&limit=5", None, b""),
        (204, b"", "fault-1", b""),
        (412, b"", None, b'{"code": "NoEtagMatch", "message": "The etag is stale."}'),
        (401, b"", None, b'{"code": "NotAuthenticated", "message": "Not authenticated: no date."}'),
    ],
)
def test_a_request_is_kept_as_its_values_and_read_as_the_entry_they_make(
    status: int, query: bytes, fault: str | None, body: bytes
) -> None:
    headers = {"if-match": "e1", "opc-request-id": "R", "authorization": "Signature ...", "host": "h"}
    answered = (
        7, 1_764_600_000.25, "PUT", "/20160918/volumeBackups/b", query, headers, status, 0.0012344, "R",
        "UpdateVolumeBackup", "t1", body, None, fault,
    )
    journal = Journal(size=2)
    journal.record(answered)
    (entry,) = journal.entries()
    assert entry == _entry(answered) and journal.entries() == [entry]  # made once, kept
    assert entry.headers == {"if-match": "e1", "opc-request-id": "R"}  # only the journaled headers
    assert entry.duration_ms == 1.234  # kept in seconds, read in milliseconds to the microsecond
    assert (entry.query, entry.error_code) == (query.decode(), json.loads(body)["code"] if body else None)
    error = {412: " NoEtagMatch", 401: " NotAuthenticated"}.get(status, "")
    target = "/20160918/volumeBackups/b" + ("?" + query.decode() if query else "")
    assert str(_ReadableLine(answered)) == (  # the console line, the entry's parts only for a failure
        f"PUT {target} UpdateVolumeBackup {status}{error} 1.23 ms opc-request-id=R"
        + (f" fault={fault}" if fault else "")
        + (" (Not authenticated: no date.)" if status == 401 else "")
    )
    journal.record(answered)
    journal.record(answered)
    assert len(journal.entries()) == 2  # the last `size`, read or not
