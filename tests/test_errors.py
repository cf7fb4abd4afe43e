"""Integration: every failure a client can provoke is OCI's error body with an opc-request-id."""

from __future__ import annotations

import json
from typing import Any

import oci
import pytest
from conftest import COMPARTMENT, TENANCY, assert_oci_error

from mockoci.server import MockOCIServer

BACKUPS = "/20160918/volumeBackups"


def count(server: MockOCIServer) -> int:
    return len(server.store.list_volume_backups(
        tenancy=TENANCY, query=__import__("mockoci.store").store.ListQuery(compartment_id=COMPARTMENT), limit=1000
    ).items)


@pytest.mark.parametrize(
    ("body", "code", "mentions"),
    [
        (b'{"volumeId": "v",', "CannotParseRequest", "JSON"),
        (b"not json", "CannotParseRequest", "JSON"),
        (b"", "CannotParseRequest", "body"),
        (b'["volumeId"]', "CannotParseRequest", "object"),
        (b"42", "CannotParseRequest", "object"),
        (b"{}", "MissingParameter", "volumeId"),
        (b'{"displayName": "x"}', "MissingParameter", "volumeId"),
        (b'{"volumeId": 5}', "InvalidParameter", "volumeId"),
        (b'{"volumeId": "v", "type": "PARTIAL"}', "InvalidParameter", "type"),
        (b'{"volumeId": "v", "freeformTags": {"a": 1}}', "InvalidParameter", "freeformTags.a"),
        (b'{"volumeId": "v", "isPreventDeletionEnabled": "yes"}', "InvalidParameter", "isPreventDeletionEnabled"),
        (b'{"volumeId": "v", "retentionPeriod": {"retentionTimeUnit": "DAYS"}}', "MissingParameter",
         "retentionPeriod.retentionTimeAmount"),
        (b'{"volumeId": "v", "displayName": ""}', "InvalidParameter", "displayName"),
    ],
)
def test_bad_create_bodies(raw: Any, server: MockOCIServer, body: bytes, code: str, mentions: str) -> None:
    error = assert_oci_error(raw("POST", BACKUPS, body=body), 400, code)
    assert mentions in error["message"]
    assert count(server) == 0


def test_bad_update_body_changes_nothing(raw: Any, create_backup: Any, server: MockOCIServer) -> None:
    backup = create_backup(display_name="keep")
    before = raw("GET", f"{BACKUPS}/{backup.id}")
    for body in (b'{"displayName": 7}', b"{bad", b'{"freeformTags": ["x"]}'):
        assert raw("PUT", f"{BACKUPS}/{backup.id}", body=body).status_code == 400
    after = raw("GET", f"{BACKUPS}/{backup.id}")
    assert after.json()["displayName"] == "keep"
    assert after.headers["etag"] == before.headers["etag"]


@pytest.mark.parametrize(
    ("method", "suffix", "body", "code"),
    [
        ("POST", "/actions/copy", b"{}", "MissingParameter"),
        ("POST", "/actions/copy", b'{"destinationRegion": 1}', "InvalidParameter"),
        ("POST", "/actions/changeCompartment", b"{}", "MissingParameter"),
        ("POST", "/actions/changeCompartment", b"[1]", "CannotParseRequest"),
    ],
)
def test_bad_action_bodies(raw: Any, create_backup: Any, method: str, suffix: str, body: bytes, code: str) -> None:
    backup = create_backup()
    etag = raw("GET", f"{BACKUPS}/{backup.id}").headers["etag"]
    assert_oci_error(raw(method, f"{BACKUPS}/{backup.id}{suffix}", body=body), 400, code)
    assert raw("GET", f"{BACKUPS}/{backup.id}").headers["etag"] == etag


def test_unknown_path_is_not_found(raw: Any) -> None:
    assert_oci_error(raw("GET", "/20160918/instances"), 404, "NotFound")
    assert_oci_error(raw("GET", "/nothing/here", signed=False), 404, "NotFound")
    assert_oci_error(raw("POST", f"{BACKUPS}/x/actions/explode", body=b"{}"), 404, "NotFound")


def test_wrong_method_is_method_not_allowed(raw: Any) -> None:
    assert_oci_error(raw("PATCH", f"{BACKUPS}/x", body=b"{}"), 405, "MethodNotAllowed")
    assert_oci_error(raw("DELETE", BACKUPS), 405, "MethodNotAllowed")
    assert_oci_error(raw("GET", f"{BACKUPS}/x/actions/copy"), 405, "MethodNotAllowed")


def test_unexpected_error_is_500_and_the_server_keeps_serving(
    raw: Any, server: MockOCIServer, monkeypatch: pytest.MonkeyPatch, create_backup: Any
) -> None:
    def explode(**_: Any) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(server.store, "get_volume_backup", explode)
    body = assert_oci_error(raw("GET", f"{BACKUPS}/anything", headers={"opc-request-id": "R500"}), 500,
                            "InternalServerError")
    assert "boom" not in body["message"]
    monkeypatch.undo()
    backup = create_backup()
    assert raw("GET", f"{BACKUPS}/{backup.id}").status_code == 200


def test_sdk_sees_service_errors_with_code_and_message(client: Any) -> None:
    with pytest.raises(oci.exceptions.ServiceError) as caught:
        client.list_volume_backups(COMPARTMENT, page="forged")
    assert (caught.value.status, caught.value.code) == (400, "InvalidParameter")
    assert "page" in caught.value.message


def test_no_fastapi_detail_bodies_anywhere(raw: Any) -> None:
    probes = [
        raw("GET", f"{BACKUPS}?compartmentId={COMPARTMENT}&limit=x"),
        raw("POST", BACKUPS, body=b"{"),
        raw("PUT", f"{BACKUPS}/x", body=b"[]"),
        raw("GET", "/_mockoci/nope", signed=False),
        raw("POST", "/_mockoci/health", signed=False),
    ]
    for response in probes:
        body = json.loads(response.content)
        assert "detail" not in body and set(body) == {"code", "message"}, response.text
        assert response.headers["opc-request-id"]
