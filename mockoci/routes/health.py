"""`GET /_mockoci/health`: the readiness probe, a route of its own so that answering it builds nothing else.

Containers, `MockOCIContainer`, the pytest plugin and `bench/` poll it until a new server answers; the rest of
mockoci's own API is built on its first request (mockoci.routes.later), so a probe must not be that request.
"""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/_mockoci", tags=["mockoci admin"])

# What FastAPI would derive from `-> dict[str, str]`; declared instead, as deriving it builds a response field
# (and imports pydantic.v1, ~20 ms of a start: FastAPI asks whether the annotation is a pydantic v1 model).
READY = {"application/json": {"schema": {
    "additionalProperties": {"type": "string"}, "type": "object", "title": "Response Health  Mockoci Health Get",
}}}


@router.get("/health", response_model=None, responses={200: {"content": READY}})
async def health() -> dict[str, str]:
    """Answers 200 when the server is ready."""
    return {"status": "ok"}
