"""The OCI operations, declared once; and which operation a request is for, found before any route runs.

Each OCI operation is declared by its route function's decorator, `@oci.get(path, operation_id=...,
response_model=...)`, on an `Operations` (mockoci/routes/), which takes APIRouter's arguments and only records
them: declaring costs nothing at import. Three things read the declarations:

- the app's `OperationTable` (on `app.state.operations`): every operation in routing order, method, path regex
  and operationId, the OCI ones from the declarations and mockoci's own from the admin API's FastAPI routes
  (those built on first use, mockoci.routes.later, read when a request for one of mockoci's paths needs them).
  The journal, the fault rules and the dispatcher match requests against it;
- mockoci.dispatch's `Dispatcher`, which serves the OCI operations (and a wrong method's 405 on their paths);
- `Operations.router()`: the FastAPI routes of the same declarations, built once per process and only when the
  OpenAPI document is first asked for (mockoci/openapi.py). Building them (a pydantic TypeAdapter per
  parameter and response model) was a tenth of `mockoci serve`'s start-up; no request is routed through them.

The table is read from the declarations and the route objects (a few microseconds), never from
`app.openapi()`, which builds the whole document: ~80 ms on a new server's first request.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from fastapi import APIRouter
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute, compile_path
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
    # an OCI path's segments ("/a/{b}" is "", "a", None), a parameter's None and its name in `parameters`: what
    # the table matches OCI requests against, without the regular-expression engine (see `segments_of`)
    segments: tuple[str | None, ...] = ()
    parameters: tuple[str, ...] = ()

    def parameters_in(self, parts: list[str]) -> dict[str, str] | None:
        """The path parameters of a path split at "/" into `parts` (as many as `segments`), if it is this
        operation's path: what the regex's groupdict() gives (each parameter a non-empty segment)."""
        found: dict[str, str] = {}
        names = iter(self.parameters)
        for segment, part in zip(self.segments, parts, strict=True):
            if segment is None:
                if not part:
                    return None
                found[next(names)] = part
            elif segment != part:
                return None
        return found


def segments_of(path_format: str) -> tuple[tuple[str | None, ...], tuple[str, ...]]:
    """An OCI path's segments and parameter names: `{name}` is a parameter (Starlette's `[^/]+`); a path with
    any other form of parameter (a convertor, `{id:int}`) is refused, as the table could not match it so."""
    segments: list[str | None] = []
    names: list[str] = []
    for segment in path_format.split("/"):
        if segment.startswith("{") and segment.endswith("}") and segment[1:-1].isidentifier():
            segments.append(None)
            names.append(segment[1:-1])
        elif "{" in segment or "}" in segment:
            raise TypeError(f"{path_format}: an OCI path's parameters are whole segments, `{{name}}`")
        else:
            segments.append(segment)
    return tuple(segments), tuple(names)


@dataclass(frozen=True, slots=True)
class Declared:
    """One OCI operation as its decorator declared it: APIRouter's arguments, kept to build its route later."""

    method: str  # "GET"
    path: str  # as given to the decorator, without the prefix
    endpoint: Callable[..., Any]
    options: dict[str, Any]  # the decorator's keyword arguments: operation_id, response_model, status_code...


@dataclass(eq=False)
class Operations:
    """A module's OCI operations: `@oci.get(path, **options)` takes what `APIRouter.get` takes, records it and
    returns the function unchanged. `router()` is the APIRouter those decorators would have made."""

    prefix: str = ""
    tags: list[str | Enum] = field(default_factory=list)
    responses: dict[int | str, dict[str, Any]] = field(default_factory=dict)
    declared: list[Declared] = field(default_factory=list)
    _router: APIRouter | None = field(default=None, repr=False)
    _operations: list[Operation] | None = field(default=None, repr=False)

    def get(self, path: str, **options: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        return self._declare("GET", path, options)

    def put(self, path: str, **options: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        return self._declare("PUT", path, options)

    def post(self, path: str, **options: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        return self._declare("POST", path, options)

    def delete(self, path: str, **options: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        return self._declare("DELETE", path, options)

    def _declare(
        self, method: str, path: str, options: dict[str, Any]
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        if not options.get("operation_id"):
            raise TypeError(f"{method} {self.prefix}{path}: an OCI operation needs its operation_id")

        def record(endpoint: Callable[..., Any]) -> Callable[..., Any]:
            self.declared.append(Declared(method, path, endpoint, options))
            self._operations = self._router = None  # made again from every declaration when next asked for
            return endpoint

        return record

    def operations(self) -> list[Operation]:
        """The declared operations, in declaration order, with their paths' regexes (as Starlette compiles
        them): compiled on the first call, as `router()` builds, so once per process rather than per app."""
        if self._operations is None:
            found = []
            for declared in self.declared:
                regex, path_format, _ = compile_path(self.prefix + declared.path)
                found.append(Operation(declared.method, path_format, regex, declared.options["operation_id"],
                                       declared.endpoint, *segments_of(path_format)))
            self._operations = found
        return self._operations

    def router(self) -> APIRouter:
        """The FastAPI routes of these operations, as APIRouter's decorators would make them: built on the first
        call (the Operations are module-level, so once per process)."""
        if self._router is None:
            router = APIRouter(prefix=self.prefix, tags=list(self.tags), responses=dict(self.responses))
            for declared in self.declared:
                decorator = getattr(router, declared.method.lower())
                decorator(declared.path, **declared.options)(declared.endpoint)
            self._router = router
        return self._router


class OperationTable:
    """An app's operations in routing order, split into the OCI ones (from their declarations) and mockoci's
    own (the documented FastAPI routes among `admin`, then among those `later` builds, on first need)."""

    def __init__(self, oci: Sequence[Operations], admin: Iterable[BaseRoute],
                 later: Callable[[], Iterable[BaseRoute]] = tuple) -> None:
        self.declarations = oci
        self.oci = [operation for operations in oci for operation in operations.operations()]
        self._oci_by_length: dict[int, list[Operation]] = {}  # by the number of segments, in routing order
        for operation in self.oci:
            self._oci_by_length.setdefault(len(operation.segments), []).append(operation)
        self.admin = _documented(admin)
        self._later = later
        self._later_admin: list[Operation] | None = None
        self.oci_operation_ids = sorted(operation.operation_id for operation in self.oci)

    def later_admin(self) -> list[Operation]:
        """The documented routes `later` builds (built now, if they were not yet)."""
        if self._later_admin is None:
            self._later_admin = _documented(self._later())
        return self._later_admin

    def oci_routes(self) -> list[APIRoute]:
        """The OCI operations' FastAPI routes (built on the first call in the process), for the OpenAPI
        document."""
        return [route for operations in self.declarations for route in operations.router().routes
                if isinstance(route, APIRoute)]

    def match(self, method: str, path: str) -> tuple[Operation, dict[str, str]] | None:
        """The operation `method path` is for, and its path parameters by name. mockoci's own by their regexes;
        the OCI ones by their segments (the same answers: tests/test_operations.py), which keeps the
        regular-expression engine, a few microseconds of C with the CPU's caches cold, out of every OCI call."""
        if is_admin_path(path):
            return _first(self.admin, method, path) or _first(self.later_admin(), method, path)
        parts = path.split("/")
        for operation in self._oci_by_length.get(len(parts), ()):
            if operation.method == method and (found := operation.parameters_in(parts)) is not None:
                return operation, found
        return None

    def takes(self, path: str) -> bool:
        """Whether some OCI operation is at `path` (whatever its method)."""
        return bool(self._oci_at(path))

    def allowed_methods(self, path: str) -> list[str]:
        """Every method some operation takes at `path`."""
        if is_admin_path(path):
            known = self.admin + self.later_admin()
            return sorted({operation.method for operation in known if operation.regex.match(path)})
        return sorted({operation.method for operation in self._oci_at(path)})

    def _oci_at(self, path: str) -> list[Operation]:
        parts = path.split("/")
        return [operation for operation in self._oci_by_length.get(len(parts), ())
                if operation.parameters_in(parts) is not None]


def _documented(routes: Iterable[BaseRoute]) -> list[Operation]:
    """An Operation per method of each documented FastAPI route among `routes`."""
    return [
        Operation(method, route.path_format, route.path_regex, route.operation_id or route.unique_id, route.endpoint)
        for route in routes
        if isinstance(route, APIRoute) and route.include_in_schema for method in sorted(route.methods or ())
    ]


def _first(known: list[Operation], method: str, path: str) -> tuple[Operation, dict[str, str]] | None:
    for operation in known:
        if operation.method == method and (found := operation.regex.match(path)) is not None:
            return operation, found.groupdict()
    return None


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
