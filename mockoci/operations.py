"""Which operation a request is for, found from the app's OpenAPI paths before any route runs."""

from __future__ import annotations

import re
from typing import Any

from starlette.types import Scope

ADMIN_PREFIX = "/_mockoci"
OPERATION_KEY = "mockoci.operation"
_TABLE_ATTRIBUTE = "mockoci_operations"
_PARAMETER = re.compile(r"\\\{[^}]+\\\}")

OperationTable = list[tuple[str, re.Pattern[str], str]]


def is_admin_path(path: str) -> bool:
    """mockoci's own paths: its API under /_mockoci and `/`, which leads to the dashboard."""
    return path in ("/", ADMIN_PREFIX) or path.startswith(ADMIN_PREFIX + "/")


def operation_table(app: Any) -> OperationTable:
    """(method, path regex, operationId) for every operation in the app's OpenAPI document; built once."""
    table: OperationTable | None = getattr(app.state, _TABLE_ATTRIBUTE, None)
    if table is None:
        table = []
        for path, item in app.openapi().get("paths", {}).items():
            regex = re.compile("^" + _PARAMETER.sub("[^/]+", re.escape(path)) + "$")
            for method, operation in item.items():
                if isinstance(operation, dict) and "operationId" in operation:
                    table.append((method.upper(), regex, operation["operationId"]))
        setattr(app.state, _TABLE_ATTRIBUTE, table)
    return table


def oci_operation_ids(document: dict[str, Any]) -> list[str]:
    """The operationIds of the OCI operations (paths outside /_mockoci/) in an OpenAPI document, sorted."""
    return sorted(
        operation["operationId"]
        for path, item in document.get("paths", {}).items() if not is_admin_path(path)
        for operation in item.values() if isinstance(operation, dict) and "operationId" in operation
    )


def oci_operations(app: Any) -> list[str]:
    """The operationIds of the OCI API the app serves, from its routes: what fault rules and the journal's
    filter may name."""
    return oci_operation_ids(app.openapi())


def unknown_operation(app: Any, operation: str | None) -> str | None:
    """Why `operation` names no OCI operation of the app, if it does not: the message lists the known ones."""
    if operation is None:
        return None
    known = oci_operations(app)
    if operation in known:
        return None
    return f"unknown operation {operation!r}; the operations are {', '.join(known)}"


def operation_of(scope: Scope) -> str | None:
    """The operationId of the request (`CreateVolumeBackup`); None when no operation matches. Cached in the
    scope."""
    if OPERATION_KEY in scope:
        cached: str | None = scope[OPERATION_KEY]
        return cached
    operation: str | None = None
    app = scope.get("app")
    if app is not None:
        method, path = scope["method"], scope["path"]
        for candidate_method, regex, operation_id in operation_table(app):
            if candidate_method == method and regex.match(path):
                operation = operation_id
                break
    scope[OPERATION_KEY] = operation
    return operation
