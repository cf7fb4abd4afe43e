"""Fault injection: rules that answer matching OCI requests with an OCI error, or slow them down.

The request gate (mockoci.middleware) strikes the rules after the signature check (so it knows the caller's
tenancy) and before routing: a request answered by a fault never reaches a route, so it changes no state.
mockoci's own `/_mockoci/` routes are never faulted.
"""

from __future__ import annotations

import asyncio
import fnmatch
import http
import itertools
import random
import threading
from typing import Annotated, Any, cast

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator
from pydantic.alias_generators import to_camel
from starlette.types import Receive, Scope, Send

from . import errors
from .handlers import error_response, request_id_of
from .models import integral

FAULT_KEY = "mockoci.fault"  # the id of the rule that struck a request, for its journal entry

# The error a rule with only a status answers with.
_DEFAULT_ERRORS: dict[int, type[errors.OCIError]] = {
    error.status: error
    for error in (
        errors.InvalidParameter, errors.NotAuthenticated, errors.NotAuthorizedOrNotFound,
        errors.IncorrectState, errors.NoEtagMatch, errors.TooManyRequests, errors.InternalServerError,
        errors.ServiceUnavailable,
    )
}
_KNOWN_ERRORS: dict[str, type[errors.OCIError]] = {
    error.code: error for error in errors.OCIError.__subclasses__()
}


class FaultSpec(BaseModel):
    """A fault rule as a test writes it: every condition given must match (none: every OCI request)."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", strict=True,
        # what problem() refuses, said in the schema: a status or a latency above 0; a code only with a status
        json_schema_extra={"allOf": [
            {"anyOf": [
                {"required": ["status"], "properties": {"status": {"type": "integer"}}},
                {"required": ["latency"], "properties": {"latency": {"type": "number", "exclusiveMinimum": 0}}},
            ]},
            {"anyOf": [
                {"not": {"required": ["code"]}},
                {"properties": {"code": {"type": "null"}}},
                {"required": ["status"], "properties": {"status": {"type": "integer"}}},
            ]},
        ]},
    )

    operation: str | None = Field(None, description="OCI operationId to match, e.g. `CreateVolumeBackup`.")
    method: str | None = Field(None, description="HTTP method to match, e.g. `POST`.")
    path: str | None = Field(
        None, description="Shell-style pattern the path must match, e.g. `/20160918/volumeBackups/*`."
    )
    tenancy: str | None = Field(None, description="Only requests signed for this tenancy OCID.")
    status: Annotated[int, Field(ge=400, le=599), BeforeValidator(integral)] | None = Field(
        None, description="Answer with this HTTP status instead of running the operation."
    )
    # letters and digits, as OCI's codes are: the code names the error class the rule answers with
    code: Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9]{0,99}$")] | None = Field(
        None, description="OCI error code of the answer (letters and digits, e.g. `TooManyRequests`); default: "
        "the usual code for the status."
    )
    message: str | None = Field(None, description="Error message of the answer.")
    latency: float = Field(0.0, ge=0, le=600, description="Seconds to wait before answering (or running).")
    times: Annotated[int, Field(ge=1), BeforeValidator(integral)] | None = Field(
        None, description="Apply to the next N matching requests only; default: every one."
    )
    probability: float = Field(1.0, ge=0, le=1, description="Chance that a matching request is faulted.")

    @model_validator(mode="after")
    def _upper_case_method(self) -> FaultSpec:
        if self.method is not None:
            self.method = self.method.upper()
        return self

    def problem(self) -> str | None:
        """Why this rule would do nothing or cannot be followed, if so."""
        if self.status is None and self.latency == 0:
            return "a fault needs a status, a latency, or both"
        if self.code is not None and self.status is None:
            return "a fault with a code needs a status"
        return None

    def matches(self, *, method: str, path: str, operation: str | None, tenancy: str | None) -> bool:
        return (
            (self.operation is None or self.operation == operation)
            and (self.method is None or self.method == method)
            and (self.path is None or fnmatch.fnmatchcase(path, self.path))
            and (self.tenancy is None or self.tenancy == tenancy)
        )

    def error(self) -> errors.OCIError:
        """The OCI error this rule answers with."""
        assert self.status is not None
        known = _KNOWN_ERRORS.get(self.code) if self.code else _DEFAULT_ERRORS.get(self.status)
        if known is not None and known.status == self.status:
            return known(self.message)
        code = self.code or _code_for(self.status)
        error_class = cast(
            "type[errors.OCIError]",
            type(code, (errors.OCIError,), {
                "status": self.status, "code": code, "default_message": f"Injected fault: {code}.",
            }),
        )
        return error_class(self.message)


class Fault(FaultSpec):
    """A fault rule as the server keeps it: with an id and how often it has struck."""

    id: str
    hits: int = 0

    @property
    def active(self) -> bool:
        return self.times is None or self.hits < self.times


class FaultRules:
    """The rules in force, in the order they were added; the first active matching rule strikes."""

    def __init__(self, seed: int | None = None) -> None:
        self._rules: dict[str, Fault] = {}
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._random = random.Random(seed)

    def __len__(self) -> int:
        return len(self._rules)

    def add(self, spec: FaultSpec) -> Fault:
        problem = spec.problem()
        if problem is not None:
            raise ValueError(problem)
        with self._lock:
            fault = Fault(id=f"fault-{next(self._ids)}", **spec.model_dump())
            self._rules[fault.id] = fault
            return fault.model_copy()

    def list(self, tenancy: str | None = None) -> list[Fault]:
        with self._lock:
            return [
                fault.model_copy() for fault in self._rules.values()
                if tenancy is None or fault.tenancy == tenancy
            ]

    def remove(self, fault_id: str) -> bool:
        with self._lock:
            return self._rules.pop(fault_id, None) is not None

    def clear(self, tenancy: str | None = None) -> None:
        """Remove every rule, or the rules of one tenancy."""
        with self._lock:
            if tenancy is None:
                self._rules.clear()
            else:
                self._rules = {key: rule for key, rule in self._rules.items() if rule.tenancy != tenancy}

    def strike(self, *, method: str, path: str, operation: str | None, tenancy: str | None) -> Fault | None:
        """The rule that faults this request, if any (counting the hit), as it was when it struck."""
        with self._lock:
            for fault in self._rules.values():
                if not fault.active or not fault.matches(
                    method=method, path=path, operation=operation, tenancy=tenancy
                ):
                    continue
                if fault.probability < 1 and self._random.random() >= fault.probability:
                    continue
                fault.hits += 1
                return fault.model_copy()
        return None


async def answer_fault(fault: Fault, scope: Scope, receive: Receive, send: Send) -> bool:
    """Apply a rule that struck a request: its latency, then its answer (True), or none when it only slows the
    request down (False: the request goes on). The body the route would have read is read first, so the
    connection stays usable."""
    scope[FAULT_KEY] = fault.id
    if fault.latency:
        await asyncio.sleep(fault.latency)
    if fault.status is None:
        return False
    await _drain(receive)
    await error_response(fault.error(), request_id_of(scope))(scope, receive, send)
    return True


def _code_for(status: int) -> str:
    """A code for a status OCI has no usual code for: the HTTP phrase in OCI's style (`BadGateway`)."""
    try:
        return "".join(http.HTTPStatus(status).phrase.title().split())
    except ValueError:
        return "InjectedFault"


async def _drain(receive: Receive) -> None:
    """Read the request body the route would have read, so the connection stays usable."""
    while True:
        message: Any = await receive()
        if message["type"] != "http.request" or not message.get("more_body", False):
            return
