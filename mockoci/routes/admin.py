"""mockoci's own API, under /_mockoci/: never signed, never colliding with OCI paths."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from starlette.responses import Response

from .. import errors
from ..deps import StoreDep
from ..persistence import StateDocument, StateFileError, parse_state, state_document

router = APIRouter(prefix="/_mockoci", tags=["mockoci admin"])
@router.get("/health")
async def health() -> dict[str, str]:
    """Answers 200 when the server is ready."""
    return {"status": "ok"}


@router.get("/stats")
async def stats(store: StoreDep) -> dict[str, int]:
    """How much the store holds: tenancies, backups, TERMINATED ones, retry tokens, pending transitions."""
    return store.counts()


@router.post("/reset", status_code=204, response_class=Response)
async def reset(
    store: StoreDep,
    tenancy: Annotated[str | None, Query(description="Reset only this tenancy's state.")] = None,
) -> Response:
    """Forgets all state (or one tenancy's); fixtures loaded at start come back."""
    store.reset(tenancy)
    return Response(status_code=204)


@router.get("/state", response_model=StateDocument)
async def export_state(store: StoreDep) -> dict[str, Any]:
    """The whole state (every tenancy's backups and volumes), in the form `PUT /_mockoci/state` takes back."""
    return state_document(store)


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
