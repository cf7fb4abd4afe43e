"""mockoci's OpenAPI document, made to tell the truth about the wire: OCI's headers and error bodies.

FastAPI derives the operations, models and parameters from the routes (the OCI operations' are built from
their declarations for it, once per process, when a document is first asked for: mockoci.operations); this
adds what it cannot see (the headers that middleware and `backup_response` set, the errors that middleware and
handlers answer with) and drops what is not true (FastAPI's 422 `{"detail": ...}`, which mockoci never sends).
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from .models import LIFECYCLE_STATES
from .operations import oci_operations, operations
from .resources.volumes import VOLUME_STATES
from .routes.later import expand

OCI_PREFIX = "/20160918/"
ERROR_REF = {"$ref": "#/components/schemas/ErrorBody"}
REQUEST_ID = {
    "description": "Unique id of this request: the client's own `opc-request-id` if it sent one.",
    "schema": {"type": "string"},
}
ETAG = {"description": "The resource's current etag, for `if-match`.", "schema": {"type": "string"}}
NEXT_PAGE = {
    "description": "Present while more results exist: pass it as `page` to get them; absent on the last.",
    "schema": {"type": "string"},
}
LOCATION = {"description": "URL of the new backup.", "schema": {"type": "string"}}
WORK_REQUEST_ID = {
    "description": "The OCID of the work request that follows the copy (GET /20160918/workRequests/{id}).",
    "schema": {"type": "string"},
}
ERRORS_EVERYWHERE = {
    400: "CannotParseRequest, InvalidParameter, MissingParameter",
    404: "NotAuthorizedOrNotFound; InvalidParameter for a path id that cannot be an OCID; NotFound",
    405: "MethodNotAllowed",
    431: "RequestHeaderFieldsTooLarge",
}
BODY_ERRORS = {413: "PayloadTooLarge", 415: "UnsupportedMediaType: the body is not application/json"}
ETAG_OPERATIONS = {
    "GetVolumeBackup", "CreateVolumeBackup", "UpdateVolumeBackup", "CopyVolumeBackup",
    "ChangeVolumeBackupCompartment", "GetVolume", "CreateVolume", "UpdateVolume",
}
PAGED_OPERATIONS = {"ListVolumeBackups", "ListVolumes"}
LIST_STATES = {"ListVolumes": VOLUME_STATES}  # the lifecycle states a list filters on (default: a backup's)
DESCRIPTION = """A local emulator of OCI Block Storage volume backups and the workflow around them (Core API 20160918).

Every error is OCI's body `{"code", "message"}` with an `opc-request-id` header. OCI requests must carry an
OCI request signature (`authorization` header) unless the server runs with `--auth off`. Paths under
`/_mockoci/` are mockoci's own API and are never signed.

Regions: every `/20160918/...` path is also served under a region's endpoint, `/<region>/20160918/...`
(`/us-phoenix-1/20160918/volumeBackups`), and a request whose `Host` is `iaas.<region>.<realm domain>` is in that
region; through a region only that region's resources are seen. The plain paths see every region's."""


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "headers": {"opc-request-id": REQUEST_ID},
        "content": {"application/json": {"schema": ERROR_REF}},
    }


def _enrich_operation(path: str, operation: dict[str, Any]) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    responses.pop("422", None)
    oci = path.startswith(OCI_PREFIX)
    added = dict(ERRORS_EVERYWHERE)
    if "requestBody" in operation and oci:
        added.update(BODY_ERRORS)
    for error_status, description in added.items():
        responses.setdefault(str(error_status), _error(description))
    for status, response in responses.items():
        headers = response.setdefault("headers", {})
        headers.setdefault("opc-request-id", REQUEST_ID)
        if not status.startswith("2"):
            continue
        operation_id = operation.get("operationId")
        if operation_id in ETAG_OPERATIONS:
            headers["etag"] = ETAG
        if operation_id in PAGED_OPERATIONS:
            headers["opc-next-page"] = NEXT_PAGE
        if operation_id == "CopyVolumeBackup":
            headers["location"] = headers["content-location"] = LOCATION
            headers["opc-work-request-id"] = WORK_REQUEST_ID
    if not oci:
        return
    parameters: list[dict[str, Any]] = operation.setdefault("parameters", [])
    parameters.append({
        "name": "opc-request-id", "in": "header", "required": False,
        "description": "An id for this request, echoed in the response.",
        "schema": {"type": "string"},
    })
    states = LIST_STATES.get(str(operation.get("operationId")), LIFECYCLE_STATES)
    for parameter in parameters:
        if parameter["name"] == "lifecycleState" and parameter["in"] == "query":
            parameter["schema"] = {"type": "string", "pattern": _any_case(states),
                                   "description": "One of " + ", ".join(states) + ", compared without regard to case."}


def _any_case(words: tuple[str, ...]) -> str:
    """A pattern matching exactly `words` in any case (JSON Schema's regular expressions have no flags)."""
    def letters(word: str) -> str:
        return "".join(f"[{c.upper()}{c.lower()}]" if c.isalpha() else re.escape(c) for c in word)

    return "^(" + "|".join(letters(word) for word in words) + ")$"


def _name_the_operations(document: dict[str, Any], known: list[str]) -> None:
    """An `operation` the admin API takes (the journal's filter, a fault rule's) is one of the app's OCI
    operationIds, as the routes refuse any other."""

    def restrict(schema: dict[str, Any]) -> None:
        for alternative in [schema, *schema.get("anyOf", [])]:
            if alternative.get("type") == "string":
                alternative["enum"] = known

    journal = document.get("paths", {}).get("/_mockoci/journal", {}).get("get", {})
    for parameter in journal.get("parameters", []):
        if parameter["name"] == "operation":
            restrict(parameter["schema"])
    for name in ("FaultSpec", "Fault"):
        operation = document.get("components", {}).get("schemas", {}).get(name, {}).get("properties", {})
        if "operation" in operation:
            restrict(operation["operation"])


def build_openapi(app: FastAPI) -> dict[str, Any]:
    """The document FastAPI derives from the routes, with OCI's headers and errors added."""
    if app.openapi_schema is not None:
        return app.openapi_schema
    # the OCI operations first, as they were routed; the routes built on first use, built now
    routes = [*operations(app).oci_routes(), *expand(app.routes)]
    document = get_openapi(title=app.title, version=app.version, description=DESCRIPTION, routes=routes)
    for path, path_item in document.get("paths", {}).items():
        for operation in path_item.values():
            _enrich_operation(path, operation)
    schemas = document.get("components", {}).get("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    _name_the_operations(document, oci_operations(app))
    if app.state.settings.admin_token is not None:
        _require_admin_token(document)
    app.openapi_schema = document
    return document


def _require_admin_token(document: dict[str, Any]) -> None:
    """With --admin-token: the admin operations need `Authorization: Bearer <token>` (and may answer 401), so
    that the document says so and /_mockoci/docs can send it ("Authorize")."""
    from .admin_auth import OPEN_PATHS

    document.setdefault("components", {}).setdefault("securitySchemes", {})["adminToken"] = {
        "type": "http", "scheme": "bearer", "description": "The server's --admin-token (MOCKOCI_ADMIN_TOKEN).",
    }
    for path, path_item in document.get("paths", {}).items():
        if not path.startswith("/_mockoci/") or path in OPEN_PATHS:
            continue
        for operation in path_item.values():
            operation["security"] = [{"adminToken": []}]
            operation["responses"].setdefault("401", _error("NotAuthenticated: no admin token, or another one"))


def install(app: FastAPI) -> None:
    """Serve the enriched document at the app's `openapi_url`."""
    app.openapi = lambda: build_openapi(app)  # type: ignore[method-assign]
