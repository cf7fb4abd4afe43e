"""mockoci's own API, under /_mockoci/: never signed, never colliding with OCI paths."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from starlette.responses import Response

from ..deps import StoreDep

router = APIRouter(prefix="/_mockoci", tags=["mockoci admin"])


@router.get("/health")
async def health() -> dict[str, str]:
    """Answers 200 when the server is ready."""
    return {"status": "ok"}


@router.post("/reset", status_code=204, response_class=Response)
async def reset(
    store: StoreDep,
    tenancy: Annotated[str | None, Query(description="Reset only this tenancy's state.")] = None,
) -> Response:
    """Forgets all state (or one tenancy's); fixtures loaded at start come back."""
    store.reset(tenancy)
    return Response(status_code=204)
