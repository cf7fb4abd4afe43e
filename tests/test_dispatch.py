"""The dispatcher and FastAPI read the same route declarations: the same answers, the same operation table.

Each case runs through two apps built alike, one with mockoci's Dispatcher serving the OCI operations and
one without it (FastAPI's routing and dependency injection serving them, as before the dispatcher), and the
answers must be the same: status, body and headers. The cases are the malformed requests whose errors come
from the declarations (missing, out-of-range and ill-formed parameters, bodies that are not JSON, not an
object, or that break the body model), alone and together, where the order of the errors decides the answer.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from fastapi import FastAPI
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from pydantic import ValidationError

from mockoci.app import OCI_OPERATIONS, create_app
from mockoci.dispatch import Dispatcher, _plain_arguments, compile_call
from mockoci.operations import oci_operations, operations
from mockoci.settings import Settings
from mockoci.store import DEFAULT_TENANCY

B = "/20160918/volumeBackups"
ID = "ocid1.volumebackup.oc1.iad.aaaaaaaanotthere"
POLICIES = "/20160918/volumeBackupPolicies"
ASSIGNMENTS = "/20160918/volumeBackupPolicyAssignments"
JSON = {"content-type": "application/json"}
CASES: list[tuple[str, str, str, dict[str, str], bytes]] = [
    ("GET", B, "", {}, b""),
    ("GET", B, "compartmentId=", {}, b""),
    ("GET", B, "compartmentId=c&limit=%2B5", {}, b""),
    ("GET", B, "compartmentId=c&limit=0", {}, b""),
    ("GET", B, "compartmentId=c&limit=1001", {}, b""),
    ("GET", B, "compartmentId=c&limit=", {}, b""),
    ("GET", B, "limit=x&sortBy=NAME", {}, b""),
    ("GET", B, "compartmentId=c&sortBy=NAME&sortOrder=down", {}, b""),
    ("GET", B, "compartmentId=c&lifecycleState=gone", {}, b""),
    ("GET", B, "compartmentId=c&page=forged", {}, b""),
    ("GET", B, "compartmentId=" + "c" * 256, {}, b""),
    ("GET", B, "compartmentId=c&sortBy=DISPLAYNAME&sortOrder=ASC&unknown=1", {}, b""),
    ("GET", f"{B}/{'x' * 256}", "", {}, b""),
    ("GET", f"{B}/{ID}", "", {}, b""),
    ("GET", f"{B}/{ID}", "", JSON, b"{not json"),  # a GET's body is not read
    ("PUT", f"{B}/{ID}", "", JSON, b""),
    ("PUT", f"{B}/{ID}", "", JSON, b"null"),
    ("PUT", f"{B}/{ID}", "", JSON, b"[]"),
    ("PUT", f"{B}/{ID}", "", JSON, b'"text"'),
    ("PUT", f"{B}/{ID}", "", JSON, b'{"displayName": '),
    ("PUT", f"{B}/{ID}", "", JSON, b'{"displayName": "\xff"}'),
    ("PUT", f"{B}/{ID}", "", JSON, b"[" * 100_000),
    ("PUT", f"{B}/{ID}", "", JSON, b'{"displayName": ""}'),
    ("PUT", f"{B}/{ID}", "", JSON, b'{"displayName": 5, "freeformTags": []}'),
    ("PUT", f"{B}/{ID}", "", JSON, b'{"definedTags": {"ns": {"k": NaN}}}'),
    ("PUT", f"{B}/{ID}", "", JSON, b'{"definedTags": {"ns": {"k": "\\udfff"}}}'),
    ("PUT", f"{B}/{ID}", "", JSON, b'{"retentionPeriod": {"retentionTimeUnit": "DAYS", "retentionTimeAmount": 1.5}}'),
    ("PUT", f"{B}/{ID}", "", JSON, b'{"unknownField": 1}'),
    ("PUT", f"{B}/{ID}", "", {**JSON, "if-match": "etag"}, b'{"displayName": "renamed"}'),
    ("PUT", f"{B}/{'x' * 256}", "", JSON, b'{"displayName": ""}'),  # the path's error comes first
    ("PUT", f"{B}/{'x' * 256}", "", JSON, b"{bad"),  # the body's JSON error comes before any parameter's
    ("PUT", f"{B}/{ID}", "", {}, b""),
    ("POST", B, "", {**JSON, "opc-retry-token": "t" * 65}, b'{"volumeId": ""}'),  # the header's error first
    ("POST", B, "", JSON, b'{"volumeId": ""}'),
    ("POST", B, "", JSON, b"{}"),
    ("POST", f"{B}/{ID}/actions/copy", "", JSON, b'{"destinationRegion": "x" }'),
    ("POST", f"{B}/{ID}/actions/changeCompartment", "", JSON, b'{"compartmentId": null}'),
    ("DELETE", f"{B}/{ID}", "", {"if-match": "e"}, b""),
    ("PATCH", f"{B}/{ID}", "", JSON, b"{}"),  # 405: left to FastAPI by both
    ("HEAD", f"{B}/{ID}", "", {}, b""),
    ("GET", f"{B}/", "compartmentId=c", {}, b""),  # no trailing slash in OCI: 404
    ("GET", f"/us-phoenix-1{B}/{ID}", "", {}, b""),  # a region's endpoint
    ("GET", f"/us-phoenix-1{B}", "compartmentId=c&limit=abc", {}, b""),
    ("GET", "/20160918/volumes", "compartmentId=c&lifecycleState=AVAILABLE&limit=2", {}, b""),
    ("PUT", f"/20160918/volumes/{ID}", "", JSON, b'{"sizeInGBs": 10.5}'),
    ("GET", f"/20160918/workRequests/{ID}/logs", "sortOrder=UP", {}, b""),
    ("GET", f"/20160918/workRequests/{'x' * 256}/logs", "sortOrder=UP&limit=0", {}, b""),  # path, then query
    ("POST", f"{B}/{'x' * 256}/actions/copy", "", {**JSON, "opc-retry-token": "t" * 65}, b"{}"),  # path, header
    ("GET", "/20160918/workRequests", "compartmentId=c", {}, b""),
    ("GET", POLICIES, "", {}, b""),
    ("POST", POLICIES, "", JSON, b'{"compartmentId": "c", "schedules": [{"period": "ONE_DAY"}]}'),
    ("GET", ASSIGNMENTS, "limit=5", {}, b""),
    ("GET", ASSIGNMENTS, "assetId=a&page=2", {}, b""),
    ("POST", ASSIGNMENTS, "", JSON, b"{}"),
    ("DELETE", f"{ASSIGNMENTS}/{ID}", "", {}, b""),
]


def without_dispatcher(app: FastAPI) -> FastAPI:
    """The app as FastAPI alone would serve it: the OCI operations' FastAPI routes (the OpenAPI document's) on
    its router, no Dispatcher (its middleware stack is built on the first request)."""
    app.user_middleware = [entry for entry in app.user_middleware if entry.cls is not Dispatcher]
    app.router.routes[1:1] = operations(app).oci_routes()  # after the OpenAPI document's, as they were
    return app


def settings() -> Settings:
    return Settings(auth="off", lifecycle_delay=0, seed=3, unknown_volumes="accept")


def call(
    app: FastAPI, method: str, path: str, query: str, headers: dict[str, str], body: bytes, answer: Any = None
) -> Any:
    """One request through the app in-process: status, headers (but the date) and body, also put in `answer`
    (for an app that raises after answering)."""
    sent = {"opc-request-id": "REQUEST", "content-length": str(len(body)), **headers}
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
        "path": path, "raw_path": path.encode(), "query_string": query.encode(), "root_path": "",
        "headers": [(name.encode(), value.encode()) for name, value in sent.items()],
        "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80),
    }
    messages: list[dict[str, Any]] = []
    pending = [{"type": "http.request", "body": body, "more_body": False}]

    async def receive() -> dict[str, Any]:
        if pending:
            return pending.pop()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)
        if message["type"] == "http.response.body" and not message.get("more_body", False):
            start = messages[0]
            response_headers = sorted((k.decode(), v.decode()) for k, v in start["headers"] if k != b"date")
            got.extend([start["status"], response_headers, b"".join(m.get("body", b"") for m in messages[1:])])

    got: list[Any] = answer if answer is not None else []
    asyncio.run(app(scope, receive, send))
    return tuple(got)


@pytest.fixture(scope="module")
def apps() -> tuple[FastAPI, FastAPI]:
    return create_app(settings()), without_dispatcher(create_app(settings()))


@pytest.mark.parametrize(("method", "path", "query", "headers", "body"), CASES)
def test_the_dispatcher_answers_as_fastapi_would(
    apps: tuple[FastAPI, FastAPI], method: str, path: str, query: str, headers: dict[str, str], body: bytes
) -> None:
    dispatched, routed = (call(app, method, path, query, headers, body) for app in apps)
    assert dispatched == routed
    assert dispatched[0] >= 200


def test_a_created_backup_reads_back_alike(apps: tuple[FastAPI, FastAPI]) -> None:
    """The same creation, read back and listed, through both apps: equal but for the times and etags."""
    answers = []
    for app in apps:
        status, _, created = call(app, "POST", B, "", JSON, b'{"volumeId": "ocid1.volume.oc1..v", "displayName": "a"}')
        assert status == 200
        backup_id = json.loads(created)["id"]
        got = call(app, "GET", f"{B}/{backup_id}", "", {}, b"")
        etag = dict(got[1])["etag"]
        stale = call(app, "PUT", f"{B}/{backup_id}", "", {**JSON, "if-match": "stale"}, b'{"displayName": "b"}')
        updated = call(app, "PUT", f"{B}/{backup_id}", "", {**JSON, "if-match": etag}, b'{"displayName": "b"}')
        assert (stale[0], updated[0], json.loads(updated[2])["displayName"]) == (412, 200, "b")
        listed = call(app, "GET", B, f"compartmentId={DEFAULT_TENANCY}&limit=1", {}, b"")
        assert json.loads(listed[2])[0]["id"] == backup_id
        answers.append((got[0], listed[0], sorted(json.loads(got[2])), sorted(json.loads(created))))
    assert answers[0] == answers[1]


def test_the_operation_table_names_what_the_openapi_document_names() -> None:
    app = create_app(settings())
    table = app.state.operations
    known = table.oci + table.admin + table.later_admin()
    served = {(operation.method, operation.path, operation.operation_id) for operation in known}
    document = app.openapi()
    documented = {
        (method.upper(), path, operation["operationId"])
        for path, item in document["paths"].items() for method, operation in item.items()
    }
    assert served == documented
    assert oci_operations(app) == sorted(
        operation_id for _, path, operation_id in documented if not path.startswith("/_mockoci")
    )


def test_requests_never_build_the_openapi_document() -> None:
    """A new server's first requests (an operation, a 405, the journal, a fault rule) cost no OpenAPI build."""
    app = create_app(settings())
    assert call(app, "GET", f"{B}/{ID}", "", {}, b"")[0] == 404
    assert call(app, "PATCH", f"{B}/{ID}", "", JSON, b"{}")[0] == 405
    assert call(app, "GET", "/_mockoci/journal", "operation=GetVolumeBackup", {}, b"")[0] == 200
    assert call(app, "POST", "/_mockoci/faults", "", JSON, b'{"operation": "GetVolume", "status": 503}')[0] == 201
    assert app.openapi_schema is None


def test_an_unexpected_error_is_the_same_500_and_journal_entry(
    apps: tuple[FastAPI, FastAPI], monkeypatch: pytest.MonkeyPatch
) -> None:
    answers = []
    for app in apps:
        def explode(**_: Any) -> None:
            raise RuntimeError("boom")

        monkeypatch.setattr(app.state.store, "get_volume_backup", explode)
        sent: list[Any] = []
        with pytest.raises(RuntimeError, match="boom"):  # re-raised after the 500 is sent, for the server's log
            call(app, "GET", f"{B}/{ID}", "", {}, b"", sent)
        entry = app.state.journal.entries()[-1].to_json()
        answers.append((sent, {key: entry[key] for key in ("operation", "status", "errorCode")}))
    assert answers[0] == answers[1]
    assert answers[0][0][0] == 500 and b"InternalServerError" in answers[0][0][2]


PLAIN_CALLS = [compiled for declared_operations in OCI_OPERATIONS for declared in declared_operations.declared
               if (compiled := compile_call(declared.endpoint)).plain is not None]
SOME_TEXT = st.one_of(st.none(), st.text(max_size=300), st.sampled_from(["", "x" * 64, "x" * 65, "x" * 255, "x" * 256]))


def test_every_get_put_and_delete_by_id_has_plain_string_parameters() -> None:
    names = {call.endpoint.__name__ for call in PLAIN_CALLS}
    assert {"get_volume_backup", "update_volume_backup", "delete_volume_backup", "create_volume_backup"} <= names
    assert "list_volume_backups" not in names  # limit is an int, checked by its validator: the model's
    update = next(call for call in PLAIN_CALLS if call.endpoint.__name__ == "update_volume_backup")
    assert _plain_arguments(update.plain or (), {"volumeBackupId": "ocid1.volumebackup.oc1..a"}) == {
        "backup_id": "ocid1.volumebackup.oc1..a", "if_match": None,
    }


@hypothesis_settings(max_examples=300, deadline=None)
@given(call_index=st.integers(0, len(PLAIN_CALLS) - 1), data=st.data())
def test_plain_parameters_checked_by_hand_are_what_the_model_gives_or_left_to_it(call_index: int, data: Any) -> None:
    """Values that pass the hand check give exactly the model's arguments; whatever the model refuses, the hand
    check leaves to it (so every error is still the model's)."""
    call = PLAIN_CALLS[call_index]
    values = {plain.alias: value for plain in call.plain or ()
              if (value := data.draw(SOME_TEXT, label=plain.alias)) is not None}
    by_hand = _plain_arguments(call.plain or (), values)
    try:
        by_model = call.parameters.__pydantic_validator__.validate_python(values).__dict__
    except ValidationError:
        assert by_hand is None
    else:
        assert by_hand is None or by_hand == by_model
