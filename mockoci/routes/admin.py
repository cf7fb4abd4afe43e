"""mockoci's own API, under /_mockoci/: never signed, never colliding with OCI paths."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Query, Request
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field, PlainValidator
from pydantic.alias_generators import to_camel
from starlette.responses import Response, StreamingResponse

from .. import errors
from ..deps import StoreDep
from ..factories import Factory
from ..fakes import fake_backups
from ..faults import Fault, FaultRules, FaultSpec
from ..fixtures import FixtureError, parse_document
from ..journal import Journal
from ..limits import is_json_media_type
from ..models import DefinedTags, FreeformTags, JSONInteger, LifecycleState, VolumeBackup, format_datetime
from ..operations import unknown_operation
from ..persistence import StateDocument, StateFileError, VolumeRecord, logger, parse_state, state_pieces
from ..resources import VOLUMES
from ..resources.volumes import (
    DEFAULT_VPUS_PER_GB,
    MAX_SIZE_IN_GBS,
    MIN_SIZE_IN_GBS,
    Volume,
    VolumeLifecycleState,
    default_availability_domain,
)
from ..resources.work_requests import StoredWorkRequest, WorkRequest, WorkRequestStatus
from ..store import DEFAULT_TENANCY, Lifecycle, LifecycleModeName, Record, StoredBackup

JSON = "application/json"


class JSONBodyRoute(APIRoute):
    """An admin route that reads its body as JSON whatever Content-Type it was declared with (`curl -d` declares
    application/x-www-form-urlencoded): a body that is JSON is taken, one that is not gets "not valid JSON"."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            if not is_json_media_type(request.headers.get("content-type", "")):
                headers = [(name, value) for name, value in request.scope["headers"] if name != b"content-type"]
                request.scope["headers"] = [*headers, (b"content-type", JSON.encode())]
                del request._headers  # the Request caches its headers; FastAPI reads them again, from the scope
            return await handler(request)

        return route


router = APIRouter(prefix="/_mockoci", tags=["mockoci admin"], route_class=JSONBodyRoute)


def _journal(request: Request) -> Journal:
    journal: Journal = request.app.state.journal
    return journal


def _faults(request: Request) -> FaultRules:
    faults: FaultRules = request.app.state.faults
    return faults


JournalDep = Annotated[Journal, Depends(_journal)]
FaultsDep = Annotated[FaultRules, Depends(_faults)]
TenancyQuery = Annotated[
    str,
    Query(description="The tenancy OCID whose state this is (the first part of the signature's keyId)."),
]
OptionalTenancy = Annotated[str | None, Query(description="Only this tenancy's (default: all).")]


class AdminModel(BaseModel):
    # strict: a JSON string is not a number, as the document says (pydantic's lax mode would take "1")
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid", strict=True)


class GenerateRequest(AdminModel):
    """How many fake backups to generate, and how."""

    count: JSONInteger = Field(ge=1, le=10_000)
    seed: JSONInteger | None = Field(None, description="The same seed gives the same backups (ids, names, sizes).")
    compartment_id: str | None = Field(None, description="Default: the tenancy (its root compartment).")
    volume_id: str | None = Field(None, description="Default: a few generated volumes.")
    lifecycle_state: LifecycleState = "AVAILABLE"


class ForcedState(AdminModel):
    lifecycle_state: LifecycleState


class VolumeSeed(AdminModel):
    """A volume to store at once (AVAILABLE and hydrated unless told otherwise), for backups to be made of."""

    id: str | None = Field(None, min_length=1, max_length=255, description="Default: a new OCID.")
    compartment_id: str | None = Field(None, description="Default: the tenancy (its root compartment).")
    size_in_gbs: JSONInteger = Field(50, alias="sizeInGBs", ge=MIN_SIZE_IN_GBS, le=MAX_SIZE_IN_GBS)
    display_name: str | None = Field(None, min_length=1, max_length=255)
    availability_domain: str | None = Field(None, description="Default: the region's first (Uocm:<REGION>-AD-1).")
    defined_tags: DefinedTags | None = None
    freeform_tags: FreeformTags | None = None
    lifecycle_state: VolumeLifecycleState = "AVAILABLE"


class ForcedWorkRequestState(AdminModel):
    status: WorkRequestStatus
    code: str | None = Field(None, min_length=1, max_length=255, pattern=r"^[A-Za-z][A-Za-z0-9]*$",
                             description="The error's code, for FAILED (default InternalError).")
    message: str | None = Field(None, min_length=1, max_length=1024,
                                description="The error's message, for FAILED.")


class ForcedVolumeState(AdminModel):
    lifecycle_state: VolumeLifecycleState
    is_hydrated: bool | None = Field(None, description="Also set isHydrated (default: unchanged).")


class LifecycleSettings(AdminModel):
    """How backups progress through their lifecycle states."""

    mode: LifecycleModeName = Field(
        description="immediate: at once; delay: after `delay` seconds of the server's clock; "
        "manual: only through settle or force-state."
    )
    delay: float | None = Field(
        None, ge=0, allow_inf_nan=False, description="Seconds, in delay mode (default: the server's)."
    )


class LifecycleView(AdminModel):
    mode: LifecycleModeName
    delay: float
    tenancy: str | None


class ClockAdvance(AdminModel):
    seconds: float = Field(ge=0, le=10 * 365 * 24 * 3600)


class ClockView(AdminModel):
    now: str
    offset: float = Field(description="Seconds the server's clock is ahead of the wall clock.")


class JournalEntryView(AdminModel):
    """One request in the journal."""

    model_config = ConfigDict(alias_generator=None, extra="forbid")

    seq: int
    time: str
    operation: str | None
    method: str
    path: str
    query: str
    headers: dict[str, str] = Field(
        description="The ones sent of opc-request-id, if-match, opc-retry-token, opc-client-retries."
    )
    status: int
    errorCode: str | None
    authFailure: str | None
    signingString: str | None = Field(description="What the server signed, when a signature did not verify.")
    fault: str | None
    opcRequestId: str | None
    tenancy: str | None
    durationMs: float


class SeedDocument(BaseModel):
    """What POST /_mockoci/backups seeds: the fixture format but policies and assignments (those are made through
    the OCI API, or loaded from fixture files and state documents)."""

    model_config = ConfigDict(extra="forbid")
    volumeBackups: list[VolumeBackup] = Field(default_factory=list)
    volumes: list[Volume | VolumeRecord] = Field(default_factory=list)
    workRequests: list[StoredWorkRequest] = Field(default_factory=list)


# The fixture format, documented as its models say; the route parses it itself (parse_document), so that its
# errors name the backup and field as they do for fixture files.
FixtureBody = Annotated[
    Any,
    PlainValidator(lambda document: document, json_schema_input_type=list[VolumeBackup] | SeedDocument),
    Body(description='Fixture format: an array of VolumeBackup objects, or {"volumeBackups": [...], '
                     '"volumes": [{"id", "compartmentId", "sizeInGBs"}]}.'),
]


def _backups(items: list[StoredBackup], status: int = 200) -> Response:
    body = b"[" + b",".join(stored.json() for stored in items) + b"]"
    return Response(body, status_code=status, media_type=JSON)


@router.get("/stats")
async def stats(store: StoreDep) -> dict[str, int]:
    """How much the store holds: tenancies, backups, TERMINATED ones, retry tokens, pending transitions."""
    return store.counts()


@router.post("/reset", status_code=204, response_class=Response)
async def reset(
    store: StoreDep,
    journal: JournalDep,
    faults: FaultsDep,
    tenancy: Annotated[str | None, Query(description="Reset only this tenancy's state.")] = None,
) -> Response:
    """Forgets all state (or one tenancy's): backups, lifecycle mode, journal, faults; fixtures come back."""
    store.reset(tenancy)
    journal.clear(tenancy)
    faults.clear(tenancy)
    return Response(status_code=204)


@router.post(
    "/backups", status_code=201, response_model=list[VolumeBackup],
    responses={201: {"description": "The backups as stored."}},
)
async def seed_backups(
    store: StoreDep,
    document: FixtureBody,
    tenancy: TenancyQuery = DEFAULT_TENANCY,
) -> Response:
    """Stores backups exactly as given (replacing any with the same id); transient states then progress."""
    try:
        fixtures = parse_document(document, "request body", region=store.region)
    except FixtureError as exc:
        raise errors.InvalidParameter(str(exc)) from exc
    if fixtures.policies or fixtures.assignments:
        raise errors.InvalidParameter("request body: backup policies and assignments are made through the OCI API "
                                      "(or loaded from fixture files and state documents), not seeded here.")
    store.seed_records(tenancy=tenancy, kind=VOLUMES, models=fixtures.volumes)
    return _backups(store.seed(tenancy=tenancy, backups=fixtures.backups, etags=fixtures.etags), status=201)


@router.post("/volumes", status_code=201, response_model=Volume, responses={201: {"description": "The volume."}})
async def seed_volume(store: StoreDep, spec: VolumeSeed, tenancy: TenancyQuery = DEFAULT_TENANCY) -> Response:
    """Stores a volume now (AVAILABLE and hydrated by default), so that backups can be made of it."""
    now = store.clock.now()
    volume = Volume(
        id=spec.id or store.factory.ocid("volume", store.region),
        compartment_id=spec.compartment_id or tenancy,
        display_name=spec.display_name or store.factory.default_volume_name(now),
        availability_domain=spec.availability_domain or default_availability_domain(store.region),
        lifecycle_state=spec.lifecycle_state, size_in_gbs=spec.size_in_gbs, size_in_mbs=spec.size_in_gbs * 1024,
        time_created=now, is_hydrated=True, vpus_per_gb=DEFAULT_VPUS_PER_GB, is_auto_tune_enabled=False,
        defined_tags=spec.defined_tags or {}, freeform_tags=spec.freeform_tags or {}, system_tags={},
    )
    [stored] = store.seed_records(tenancy=tenancy, kind=VOLUMES, models=[volume])
    return Response(stored.json(), status_code=201, media_type=JSON, headers={"etag": stored.etag})


@router.post("/volumes/{volumeId}/state", response_model=Volume)
async def force_volume_state(
    store: StoreDep,
    state: ForcedVolumeState,
    volume_id: Annotated[str, Path(alias="volumeId")],
    tenancy: TenancyQuery = DEFAULT_TENANCY,
) -> Response:
    """Puts a volume in any lifecycle state now (new etag); pending transitions of its old state lapse."""
    changes = {} if state.is_hydrated is None else {"is_hydrated": state.is_hydrated}
    stored = store.force_record_state(
        tenancy=tenancy, kind=VOLUMES, record_id=volume_id, state=state.lifecycle_state, changes=changes
    )
    return Response(stored.json(), media_type=JSON, headers={"etag": stored.etag})


@router.post("/workRequests/{workRequestId}/state", response_model=WorkRequest)
async def force_work_request_state(
    store: StoreDep,
    state: ForcedWorkRequestState,
    work_request_id: Annotated[str, Path(alias="workRequestId")],
    tenancy: TenancyQuery = DEFAULT_TENANCY,
) -> Response:
    """Puts a work request in any status now: FAILED (with `code` and `message` as its error) also makes the
    resource it follows (a copy) FAULTY; SUCCEEDED makes it AVAILABLE."""
    stored = store.force_work_request(
        tenancy=tenancy, work_request_id=work_request_id, status=state.status, code=state.code,
        message=state.message,
    )
    return Response(stored.json(), media_type=JSON)


@router.post("/backups/generate", status_code=201, response_model=list[VolumeBackup])
async def generate_backups(
    request: Request, store: StoreDep, spec: GenerateRequest, tenancy: TenancyQuery = DEFAULT_TENANCY
) -> Response:
    """Generates and stores `count` plausible backups (Faker), reproducibly when given a seed."""
    backups = fake_backups(
        Factory(spec.seed),
        count=spec.count,
        region=request.app.state.settings.region,
        compartment_id=spec.compartment_id or store.default_compartment_id or tenancy,
        volume_id=spec.volume_id,
        lifecycle_state=spec.lifecycle_state,
    )
    return _backups(store.seed(tenancy=tenancy, backups=backups), status=201)


@router.post("/backups/{volumeBackupId}/state", response_model=VolumeBackup)
async def force_state(
    store: StoreDep,
    state: ForcedState,
    backup_id: Annotated[str, Path(alias="volumeBackupId")],
    tenancy: TenancyQuery = DEFAULT_TENANCY,
) -> Response:
    """Puts a backup in any lifecycle state now (new etag); pending transitions of its old state lapse."""
    try:
        stored = store.force_state(tenancy=tenancy, backup_id=backup_id, state=state.lifecycle_state)
    except errors.NotAuthorizedOrNotFound as exc:
        default = " (the default: pass ?tenancy= with the tenancy OCID your client signs for)"
        searched = tenancy + (default if tenancy == DEFAULT_TENANCY else "")
        raise errors.NotAuthorizedOrNotFound(f"No volume backup {backup_id} in tenancy {searched}.") from exc
    return Response(stored.json(), media_type=JSON, headers={"etag": stored.etag})


@router.get("/lifecycle", response_model=LifecycleView)
async def get_lifecycle(store: StoreDep, tenancy: OptionalTenancy = None) -> LifecycleView:
    """The lifecycle in force for a tenancy (its own, else the server's), or the server's default."""
    lifecycle = store.lifecycle(tenancy)
    return LifecycleView(mode=lifecycle.mode, delay=lifecycle.delay, tenancy=tenancy)


@router.put("/lifecycle", response_model=LifecycleView)
async def set_lifecycle(
    store: StoreDep, settings: LifecycleSettings, tenancy: OptionalTenancy = None
) -> LifecycleView:
    """Sets how backups progress, for one tenancy or as the server's default; pending transitions follow."""
    delay = store.lifecycle(None).delay if settings.delay is None else settings.delay
    lifecycle = Lifecycle(settings.mode, delay)
    store.set_lifecycle(lifecycle, tenancy)
    return LifecycleView(mode=lifecycle.mode, delay=lifecycle.delay, tenancy=tenancy)


@router.post("/lifecycle/settle", response_model=list[VolumeBackup])
async def settle(
    store: StoreDep,
    tenancy: TenancyQuery = DEFAULT_TENANCY,
    backup_id: Annotated[str | None, Query(alias="volumeBackupId")] = None,
) -> Response:
    """Completes pending transitions now, whatever the mode: new backups go AVAILABLE, deleted TERMINATED."""
    return _backups(store.settle(tenancy=tenancy, backup_id=backup_id))


@router.get("/clock", response_model=ClockView)
async def get_clock(store: StoreDep) -> ClockView:
    """The server's clock: wall-clock time plus the offset tests advanced it by."""
    return ClockView(now=format_datetime(store.clock.now()), offset=store.clock.offset)


@router.post("/clock/advance", response_model=ClockView)
async def advance_clock(store: StoreDep, advance: ClockAdvance) -> ClockView:
    """Moves the server's clock forward (for every tenancy) and applies the transitions now due; not past the
    year 9999 (400, the clock unchanged)."""
    try:
        store.advance_clock(advance.seconds)
    except ValueError as exc:
        raise errors.InvalidParameter(f"Invalid seconds: {exc}.") from exc
    return ClockView(now=format_datetime(store.clock.now()), offset=store.clock.offset)


@router.get("/journal", response_model=list[JournalEntryView])
async def read_journal(
    request: Request,
    journal: JournalDep,
    tenancy: OptionalTenancy = None,
    operation: Annotated[str | None, Query(description="Only this operationId's requests.")] = None,
) -> list[dict[str, Any]]:
    """The OCI requests the server answered, newest last (bounded: the oldest are dropped)."""
    problem = unknown_operation(request.app, operation)
    if problem is not None:
        raise errors.InvalidParameter(f"Invalid operation: {problem}.")
    return [entry.to_json() for entry in journal.entries(tenancy=tenancy, operation=operation)]


@router.delete("/journal", status_code=204, response_class=Response)
async def clear_journal(journal: JournalDep, tenancy: OptionalTenancy = None) -> Response:
    """Forgets the journal (or one tenancy's entries)."""
    journal.clear(tenancy)
    return Response(status_code=204)


@router.get("/faults", response_model=list[Fault])
async def list_faults(faults: FaultsDep, tenancy: OptionalTenancy = None) -> list[Fault]:
    """The fault rules, in the order they apply, with how often each has struck."""
    return faults.list(tenancy)


@router.post("/faults", status_code=201, response_model=Fault)
async def add_fault(request: Request, faults: FaultsDep, spec: FaultSpec) -> Fault:
    """Adds a fault rule: matching OCI requests get an OCI error (and/or latency) instead of running."""
    problem = unknown_operation(request.app, spec.operation)
    if problem is not None:
        raise errors.InvalidParameter(f"Invalid fault: {problem}.")
    try:
        return faults.add(spec)
    except ValueError as exc:
        raise errors.InvalidParameter(f"Invalid fault: {exc}.") from exc


@router.delete("/faults/{faultId}", status_code=204, response_class=Response)
async def remove_fault(faults: FaultsDep, fault_id: Annotated[str, Path(alias="faultId")]) -> Response:
    """Removes one fault rule."""
    if not faults.remove(fault_id):
        raise errors.NotAuthorizedOrNotFound(f"No fault rule {fault_id}.")
    return Response(status_code=204)


@router.delete("/faults", status_code=204, response_class=Response)
async def clear_faults(faults: FaultsDep, tenancy: OptionalTenancy = None) -> Response:
    """Removes every fault rule (or one tenancy's)."""
    faults.clear(tenancy)
    return Response(status_code=204)


@router.get("/state", response_model=StateDocument, responses={200: {"content": {JSON: {}}}})
async def export_state(store: StoreDep) -> Response:
    """The whole state (every tenancy's backups and volumes), in the form `PUT /_mockoci/state` takes back.

    Streamed: a snapshot is taken at once, then written a piece at a time, other requests answered in between."""
    return StreamingResponse(_streamed(store.snapshot()), media_type=JSON)


async def _streamed(snapshot: dict[str, dict[str, list[Record]]]) -> AsyncIterator[bytes]:
    problems: list[str] = []
    for piece in state_pieces(snapshot, problems):
        yield piece
        await asyncio.sleep(0)  # sending need not wait: let the loop run what else is ready
    for problem in problems:
        logger.error("the state exported leaves out %s", problem)


@router.put("/state", status_code=204, response_class=Response)
async def import_state(
    store: StoreDep,
    document: StateDocument,
) -> Response:
    """Replaces the whole state with a document from `GET /_mockoci/state`; a bad one changes nothing."""
    try:
        state = parse_state(document.model_dump(mode="json", by_alias=True), "state document")
    except StateFileError as exc:
        raise errors.InvalidParameter(str(exc)) from exc
    store.import_state(state)
    return Response(status_code=204)
