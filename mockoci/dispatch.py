"""The OCI operations served without FastAPI's routing and dependency injection, from their declarations.

Every OCI operation is written once, as a route function in mockoci/routes/: its decorator (`@oci.get(...)`, an
`Operations` of mockoci.operations, which takes APIRouter's arguments) gives the method, the path, the
operationId and the response model; its signature the path, query and header parameters
(`Annotated[str, Query(alias="compartmentId", max_length=255)]`), the body model and `request: Request`.
That one declaration is read twice:

- into FastAPI routes, only for the OpenAPI document (mockoci/openapi.py), built when it is first asked for.
  FastAPI serves everything else: the admin API, the docs, the dashboard, an unknown path's 404;
- by `compile_call`, once per route and process (a new server compiles nothing): ONE pydantic model of the
  path, query and header parameters (FastAPI's `Path`, `Query` and `Header` are pydantic `FieldInfo`s, so
  their aliases, constraints and the validators beside them in `Annotated` carry over), validated in one
  call, and the body model. A route whose parameters are all plain strings (`str` or `str | None`, with at most a
  length bound: every GET, PUT and DELETE by id, a create) has them checked by hand first (`PlainString`):
  values that pass are exactly what the model would give; anything else goes to the model, for its errors.
  A call so spared never enters pydantic-core for its parameters: a few microseconds, most of them when the
  CPU's caches are cold (docs/performance.md).

`Dispatcher`, the innermost middleware (every other one still wraps it), serves the requests that match an
OCI operation (mockoci.operations): it validates the parameters and the body as FastAPI would (the same
values, the same errors in the same order, each turned into OCI's error body by `handlers.exception_response`),
calls the route function and sends the Response it returns. A request for an OCI path with a method none of
its operations takes gets the 405 Starlette's router raised when the routes were FastAPI's, answered by the
same handler (MethodNotAllowed, `allow` naming every method the path takes). In-process, through every
middleware (thread CPU, auth off), a GET by id costs 33 us instead of FastAPI's 78, a PUT 72 instead of 158.
"""

from __future__ import annotations

import functools
import inspect
import json
import typing
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

import annotated_types
from fastapi import params
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError, create_model
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from . import errors
from .handlers import exception_response
from .limits import BODY_KEY, is_json_media_type, query_pairs
from .operations import is_admin_path, match, operations
from .request_headers import request_headers

_PLACES = ("path", "query", "header")  # FastAPI validates them in this order: the first error comes first


class PlainString(NamedTuple):
    """A parameter whose value is a str (or, if optional, absent: its default), within length bounds."""

    alias: str
    name: str
    required: bool
    default: Any
    min_length: int
    max_length: int | None


def _plain_string(alias: str, name: str, hint: Any, default: Any) -> PlainString | None:
    """The parameter as a PlainString, if it is one: `Annotated[str, Path|Query|Header(...)]` (or `str | None`)
    whose FieldInfo constrains nothing but lengths and has no validator beside it."""
    args = typing.get_args(hint)
    base, metadata = args[0], args[1:]
    if base not in (str, str | None) or len(metadata) != 1 or not isinstance(metadata[0], params.Param):
        return None
    low, high = 0, None
    for constraint in metadata[0].metadata:
        if isinstance(constraint, annotated_types.MinLen):
            low = constraint.min_length
        elif isinstance(constraint, annotated_types.MaxLen):
            high = constraint.max_length
        else:
            return None
    required = default is ...
    if (required and base is not str) or (not required and default is not None):
        return None
    return PlainString(alias, name, required, default, low, high)


def _plain_arguments(plain: tuple[PlainString, ...], values: dict[str, Any]) -> dict[str, Any] | None:
    """The arguments the parameters model would give for `values`, if every value passes; None otherwise."""
    arguments: dict[str, Any] = {}
    for alias, name, required, default, low, high in plain:
        value = values.get(alias)
        if value is None:
            if required:
                return None
            arguments[name] = default
        elif len(value) < low or (high is not None and len(value) > high):
            return None
        else:
            arguments[name] = value
    return arguments


@dataclass(frozen=True, slots=True)
class Call:
    """How to call one route function from a request."""

    endpoint: Callable[..., Awaitable[Response]]
    parameters: type[BaseModel]  # the path, query and header parameters, by alias
    places: dict[str, str]  # alias: "path", "query" or "header"
    queries: frozenset[str]
    headers: tuple[tuple[str, str], ...]  # (header name, alias)
    body: tuple[str, type[BaseModel]] | None  # (argument, model)
    request: str | None  # the argument that takes the Request
    plain: tuple[PlainString, ...] | None  # every parameter, if all are plain strings


@functools.cache  # per route function, shared by every app in the process
def compile_call(endpoint: Callable[..., Awaitable[Response]]) -> Call:
    """Read a route function's signature: each argument is the Request, the body (a pydantic model) or a
    parameter annotated with FastAPI's Path, Query or Header."""
    hints = typing.get_type_hints(endpoint, include_extras=True)
    parameters: list[tuple[str, str, str, Any, Any]] = []  # (place, alias, name, annotation, default)
    body: tuple[str, type[BaseModel]] | None = None
    request: str | None = None
    for name, argument in inspect.signature(endpoint).parameters.items():
        hint = hints[name]
        param = next((item for item in getattr(hint, "__metadata__", ()) if isinstance(item, params.Param)), None)
        if hint is Request:
            request = name
        elif isinstance(hint, type) and issubclass(hint, BaseModel):
            body = (name, hint)
        elif isinstance(param, params.Path | params.Query | params.Header):
            default = ... if argument.default is inspect.Parameter.empty else argument.default
            parameters.append((param.in_.value, param.alias or name, name, hint, default))
        else:
            raise TypeError(f"{endpoint.__qualname__}: {name} is not a Path, Query or Header parameter")
    parameters.sort(key=lambda parameter: _PLACES.index(parameter[0]))  # stable: in signature order within
    fields: dict[str, Any] = {name: (hint, default) for _, _, name, hint, default in parameters}
    places = {alias: place for place, alias, *_ in parameters}
    plain = [_plain_string(alias, name, hint, default) for _, alias, name, hint, default in parameters]
    return Call(
        endpoint=endpoint,
        parameters=create_model(f"{endpoint.__name__}_parameters", **fields),
        places=places,
        queries=frozenset(alias for alias, place in places.items() if place == "query"),
        headers=tuple((alias.lower(), alias) for alias, place in places.items() if place == "header"),
        body=body,
        request=request,
        plain=None if None in plain else tuple(p for p in plain if p is not None),
    )


class Dispatcher:
    """Serves the requests for an OCI operation, and the 405 of a wrong method on an OCI operation's path;
    passes every other request on, to FastAPI. The match is made once per request and kept in the scope (the
    journal asks first). An unexpected exception propagates, as it does from a FastAPI route, to Starlette's
    ServerErrorMiddleware: the same logged 500."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        found = match(scope)
        if found is None and not is_admin_path(path := scope["path"]) and operations(scope["app"]).takes(path):
            await exception_response(HTTPException(405), scope)(scope, receive, send)
            return
        if found is None or is_admin_path(found[0].path):
            await self.app(scope, receive, send)
            return
        operation, path_parameters = found
        call = compile_call(operation.endpoint)
        request = Request(scope, receive)
        try:
            response = await call.endpoint(**await _arguments(call, request, path_parameters))
        except (errors.OCIError, RequestValidationError) as exc:
            response = exception_response(exc, scope)
        await response(scope, receive, send)


async def _arguments(call: Call, request: Request, path_parameters: dict[str, str]) -> dict[str, Any]:
    """The route function's arguments from the request, or the RequestValidationError FastAPI would raise."""
    scope = request.scope
    body: Any = _body(scope) if call.body is not None else None
    values: dict[str, Any] = dict(path_parameters)
    if call.queries and scope["query_string"]:
        values.update((name, value) for name, value in query_pairs(scope["query_string"]) if name in call.queries)
    headers = request_headers(scope)
    values.update((alias, headers[name]) for name, alias in call.headers if name in headers)
    problems: list[dict[str, Any]] = []
    arguments = _plain_arguments(call.plain, values) if call.plain is not None else None
    if arguments is None:
        arguments = {}
        try:
            # the model's validator itself: model_validate's Python wrapper is ~3 us of a call with cold caches
            arguments.update(call.parameters.__pydantic_validator__.validate_python(values).__dict__)
        except ValidationError as exc:
            for error in exc.errors(include_url=False):
                alias = str(error["loc"][0])
                problems.append({**error, "loc": (call.places[alias], *error["loc"])})
    if call.body is not None:
        name, model = call.body
        if body is _MISSING:
            problems.append({"type": "missing", "loc": ("body",), "msg": "Field required", "input": None})
        else:
            try:
                arguments[name] = model.model_validate(body)
            except ValidationError as exc:
                problems.extend({**error, "loc": ("body", *error["loc"])} for error in exc.errors(include_url=False))
    if problems:
        raise RequestValidationError(problems)
    if call.request is not None:
        arguments[call.request] = request
    return arguments


_MISSING = object()


def _body(scope: Scope) -> Any:
    """The body as FastAPI reads it: missing when empty, parsed when declared JSON, else the bytes. The
    RequestGate, outside the dispatcher in every app, has read it whole (BODY_KEY) on every OCI path. Parsed by
    `json.loads`, not pydantic's JSON parser, which refuses a lone surrogate (`"\\udfff"`) and bad UTF-8 as
    invalid JSON where FastAPI's answers name the tag or say the request is incorrectly formatted."""
    raw: bytes = scope[BODY_KEY]
    if not raw:
        return _MISSING
    if not is_json_media_type(request_headers(scope).get("content-type", "")):
        return raw
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        problem = {"type": "json_invalid", "loc": ("body", exc.pos), "msg": "JSON decode error", "input": {}}
        raise RequestValidationError([problem]) from exc
    except Exception as exc:  # bad UTF-8, a body nested too deep: FastAPI's HTTP 400
        raise errors.CannotParseRequest() from exc
