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
