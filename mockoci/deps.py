"""FastAPI dependencies, as Annotated aliases that route signatures read like prose."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request

from .middleware import TENANCY_KEY
from .regions import REGION_KEY
from .store import DEFAULT_TENANCY, VolumeBackupStore


# The dependency is `async def`: FastAPI runs a plain `def` dependency in a worker thread, two thread hops
# per request that cost more than the rest of a GET (measured with py-spy, docs/performance.md).
async def _store(request: Request) -> VolumeBackupStore:
    store: VolumeBackupStore = request.app.state.store
    return store


def caller(request: Request) -> tuple[VolumeBackupStore, str]:
    """The store and the calling tenancy, for the OCI routes. They read it from the request rather than taking
    FastAPI dependencies: each FastAPI dependency costs ~20% of a GET's server time on top of a bare route
    (measured with bench/run.py, docs/performance.md)."""
    return request.app.state.store, str(request.scope.get(TENANCY_KEY, DEFAULT_TENANCY))


def caller_region(request: Request) -> str | None:
    """The region the request was sent to (its endpoint's region prefix or its Host), None through the plain
    endpoint, which sees every region's resources (see mockoci.regions.request_region)."""
    region = request.scope.get(REGION_KEY)
    return region if isinstance(region, str) else None


StoreDep = Annotated[VolumeBackupStore, Depends(_store)]
IfMatch = Annotated[
    str | None,
    Header(alias="if-match", description="Update or delete only if the resource's current etag matches."),
]
RetryToken = Annotated[
    str | None,
    Header(alias="opc-retry-token", max_length=64, description="Makes the request idempotent for 24 hours."),
]
