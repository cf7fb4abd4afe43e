"""Which operation a request is for, found from the app's routes before any route runs.

An app's `OperationTable` (on `app.state.operations`) lists the operations of its documented routes, in
routing order: method, path regex and operationId, as the OpenAPI document names them. It is read from the
route objects (a few microseconds), never from `app.openapi()`, which builds the whole document: ~80 ms on a
new server's first request.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter
from fastapi.routing import APIRoute
from starlette.types import Scope

ADMIN_PREFIX = "/_mockoci"
OPERATION_KEY = "mockoci.operation"  # the request's operationId (None: no operation), for the journal
MATCH_KEY = "mockoci.match"  # the request's (Operation, path parameters), for the dispatcher


def is_admin_path(path: str) -> bool:
    """mockoci's own paths: its API under /_mockoci and `/`, which leads to the dashboard."""
    return path in ("/", ADMIN_PREFIX) or path.startswith(ADMIN_PREFIX + "/")


@dataclass(frozen=True, slots=True, eq=False)
class Operation:
    """One documented route: `GET /20160918/volumeBackups/{volumeBackupId}` is GetVolumeBackup."""

    method: str
    path: str
    regex: re.Pattern[str]
    operation_id: str
    endpoint: Callable[..., Any]  # the route function


class OperationTable:
    """The operations of an app's routers, in routing order, split into the OCI ones and mockoci's own."""

    def __init__(self, routers: Iterable[APIRouter]) -> None:
        operations = [
            Operation(method, route.path_format, route.path_regex, route.operation_id or route.unique_id,
                      route.endpoint)
            for router in routers for route in router.routes
            if isinstance(route, APIRoute) and route.include_in_schema for method in sorted(route.methods or ())
        ]
        self.oci = [operation for operation in operations if not is_admin_path(operation.path)]
        self.admin = [operation for operation in operations if is_admin_path(operation.path)]
        self.oci_operation_ids = sorted(operation.operation_id for operation in self.oci)

    def match(self, method: str, path: str) -> tuple[Operation, dict[str, str]] | None:
        """The operation `method path` is for, and its path parameters by name."""
        for operation in self.admin if is_admin_path(path) else self.oci:
            if operation.method == method and (found := operation.regex.match(path)) is not None:
                return operation, found.groupdict()
        return None

    def allowed_methods(self, path: str) -> list[str]:
        """Every method some operation takes at `path`."""
        return sorted({operation.method for operation in self.oci + self.admin if operation.regex.match(path)})


def operations(app: Any) -> OperationTable:
    table: OperationTable = app.state.operations
    return table


def oci_operations(app: Any) -> list[str]:
    """The operationIds of the OCI API the app serves, sorted: what fault rules and the journal's filter may
    name."""
    return operations(app).oci_operation_ids


def unknown_operation(app: Any, operation: str | None) -> str | None:
    """Why `operation` names no OCI operation of the app, if it does not: the message lists the known ones."""
    if operation is None:
        return None
    known = oci_operations(app)
    if operation in known:
        return None
    return f"unknown operation {operation!r}; the operations are {', '.join(known)}"


def match(scope: Scope) -> tuple[Operation, dict[str, str]] | None:
    """The operation the request is for and its path parameters; None when none matches. Cached in the scope:
    the journal asks first, the fault rules and the dispatcher read the same answer."""
    if MATCH_KEY in scope:
        cached: tuple[Operation, dict[str, str]] | None = scope[MATCH_KEY]
        return cached
    app = scope.get("app")
    found = operations(app).match(scope["method"], scope["path"]) if app is not None else None
    scope[MATCH_KEY] = found
    scope[OPERATION_KEY] = found[0].operation_id if found is not None else None
    return found


def operation_of(scope: Scope) -> str | None:
    """The operationId of the request (`CreateVolumeBackup`); None when no operation matches."""
    found = match(scope)
    return found[0].operation_id if found is not None else None
