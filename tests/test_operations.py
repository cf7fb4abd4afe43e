"""The OCI operations' declarations (mockoci.operations): what the dispatcher serves, the 405 of a method none of
a path's operations takes, and the OpenAPI document, all from the one `@oci.get(...)` per operation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import requests
from conftest import assert_oci_error
from hypothesis import given
from hypothesis import strategies as st

from mockoci.app import OCI_OPERATIONS
from mockoci.operations import Operations, OperationTable, segments_of
from mockoci.server import MockOCIServer

Raw = Callable[..., Any]
ID = "ocid1.volumebackup.oc1.iad.aaaaaaaanotthere"
METHODS = ("GET", "PUT", "POST", "DELETE", "PATCH", "HEAD")  # what the SDK's signer signs


def declared_paths() -> dict[str, set[str]]:
    """Every OCI path as declared, with the methods its operations take."""
    paths: dict[str, set[str]] = {}
    for operations in OCI_OPERATIONS:
        for declared in operations.declared:
            paths.setdefault(operations.prefix + declared.path, set()).add(declared.method)
    return paths


def concrete(path: str) -> str:
    """The path with an OCID in each of its parameters."""
    for parameter in ("volumeBackupId", "volumeId", "workRequestId", "policyId", "policyAssignmentId"):
        path = path.replace("{" + parameter + "}", ID)
    return path


def test_every_oci_path_is_declared() -> None:
    assert len(declared_paths()) == 14
    assert sum(len(operations.declared) for operations in OCI_OPERATIONS) == 25


@pytest.mark.parametrize("path", sorted(declared_paths()))
@pytest.mark.parametrize("region", ["", "/us-phoenix-1"])
def test_a_method_no_operation_takes_is_405_naming_those_it_does(raw: Raw, path: str, region: str) -> None:
    allowed = declared_paths()[path]
    for method in sorted(set(METHODS) - allowed):
        body = b"{}" if method in ("POST", "PUT", "PATCH") else None
        response = raw(method, region + concrete(path), body=body)
        assert response.headers["allow"] == ", ".join(sorted(allowed)), (method, path)
        if method == "HEAD":  # no body
            assert response.status_code == 405 and response.headers.get("opc-request-id")
        else:
            assert_oci_error(response, 405, "MethodNotAllowed")


def test_a_405_is_journaled_as_no_operation(server: MockOCIServer, raw: Raw) -> None:
    raw("PATCH", f"/20160918/volumeBackups/{ID}", body=b"{}")
    entries = requests.get(server.url + "/_mockoci/journal", timeout=10).json()
    entry = next(entry for entry in reversed(entries) if entry["method"] == "PATCH")
    assert (entry["operation"], entry["status"], entry["errorCode"]) == (None, 405, "MethodNotAllowed")


def test_the_openapi_document_documents_every_declared_operation(server: MockOCIServer) -> None:
    document = requests.get(server.url + "/_mockoci/openapi.json", timeout=10).json()
    documented = {
        (method.upper(), path, operation["operationId"])
        for path, item in document["paths"].items() if not path.startswith("/_mockoci")
        for method, operation in item.items()
    }
    declared = {
        (item.method, operations.prefix + item.path, item.options["operation_id"])
        for operations in OCI_OPERATIONS for item in operations.declared
    }
    assert documented == declared
    backups = document["paths"]["/20160918/volumeBackups/{volumeBackupId}"]
    assert "204" in backups["delete"]["responses"] and "200" not in backups["delete"]["responses"]
    assert backups["get"]["tags"] == ["VolumeBackup"]
    assert backups["get"]["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/VolumeBackup-Output"
    }
    assert set(backups["get"]["responses"]) >= {"400", "401", "404", "405", "409", "412", "429", "500"}
    listed = document["paths"]["/20160918/volumeBackups"]["get"]
    assert {parameter["name"] for parameter in listed["parameters"]} >= {"compartmentId", "limit", "page"}
    assert requests.get(server.url + "/_mockoci/openapi.json", timeout=10).json() == document


def test_a_declaration_is_recorded_and_the_function_left_as_it_is() -> None:
    oci = Operations(prefix="/20160918/things", tags=["Thing"])

    async def get_thing() -> None:
        """Gets a thing."""

    assert oci.get("/{thingId}", operation_id="GetThing", status_code=200)(get_thing) is get_thing
    [operation] = oci.operations()
    assert (operation.method, operation.path, operation.operation_id) == ("GET", "/20160918/things/{thingId}",
                                                                         "GetThing")
    match = operation.regex.match("/20160918/things/abc")
    assert match is not None and match.groupdict() == {"thingId": "abc"}
    assert operation.regex.match("/20160918/things/abc/more") is None
    [route] = oci.router().routes
    assert oci.router() is oci.router()  # built once
    assert (route.path, route.methods, route.operation_id, route.tags) == (  # type: ignore[attr-defined]
        "/20160918/things/{thingId}", {"GET"}, "GetThing", ["Thing"]
    )
    with pytest.raises(TypeError, match="operation_id"):
        oci.post("")


TABLE = OperationTable(OCI_OPERATIONS, ())
LITERALS = sorted({segment for operation in TABLE.oci for segment in operation.segments if segment is not None})
SEGMENT = st.one_of(st.sampled_from(LITERALS), st.sampled_from(["", "ocid1.volumebackup.oc1..a", "x y", "%2F"]),
                    st.text(alphabet=st.characters(blacklist_characters="/"), max_size=8))


def _by_regex(method: str, path: str) -> tuple[str, dict[str, str]] | None:
    """What the table answered when it matched the OCI operations by their regexes, in routing order."""
    for operation in TABLE.oci:
        if operation.method == method and (found := operation.regex.match(path)) is not None:
            return operation.operation_id, found.groupdict()
    return None


@given(st.sampled_from(["GET", "PUT", "POST", "DELETE", "PATCH"]), st.lists(SEGMENT, min_size=1, max_size=7))
def test_oci_operations_matched_by_segments_as_by_their_regexes(method: str, segments: list[str]) -> None:
    for path in ("/" + "/".join(segments), "/" + "/".join(segments) + "/"):
        found = TABLE.match(method, path)
        assert (None if found is None else (found[0].operation_id, found[1])) == _by_regex(method, path)
        assert TABLE.takes(path) == any(operation.regex.match(path) for operation in TABLE.oci)
        assert TABLE.allowed_methods(path) == sorted(
            {operation.method for operation in TABLE.oci if operation.regex.match(path)}
        )


def test_every_oci_operation_is_matched_by_its_own_path() -> None:
    for operation in TABLE.oci:
        path = operation.path.replace("{", "").replace("}", "")  # each parameter named after itself
        found = TABLE.match(operation.method, path)
        assert found is not None and found[0] is operation
        assert found[1] == {name: name for name in operation.parameters}


def test_an_oci_path_with_a_convertor_is_refused() -> None:
    assert segments_of("/a/{b}/c") == (("", "a", None, "c"), ("b",))
    with pytest.raises(TypeError, match="whole segments"):
        segments_of("/a/{b:int}")
