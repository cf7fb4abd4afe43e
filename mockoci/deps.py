"""FastAPI dependencies, as Annotated aliases that route signatures read like prose."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Query, Request
from pydantic import BeforeValidator

from . import errors
from .middleware import TENANCY_KEY
from .models import query_digits
from .pagination import InvalidPageToken
from .regions import REGION_KEY
from .store import DEFAULT_TENANCY, VolumeBackupStore


# The dependency is `async def`: FastAPI runs a plain `def` dependency in a worker thread, two thread hops
# per request that cost more than the rest of a GET (measured with py-spy, docs/performance.md).
async def _store(request: Request) -> VolumeBackupStore:
    store: VolumeBackupStore = request.app.state.store
    return store


def caller(request: Request) -> tuple[VolumeBackupStore, str]:
    """The store and the calling tenancy, for the OCI routes. They read it from the request rather than taking
    FastAPI dependencies: mockoci.dispatch calls them with the request and their declared parameters only
    (under FastAPI alone, each dependency cost ~20% of a GET's server time, docs/performance.md)."""
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


# A page token holds the last item's sort value (a display name: 255 characters, up to 4 bytes each in UTF-8) and
# id (255), base64url: under 3,500 characters at worst; the limit refuses what no token of ours can be.
PAGE_TOKEN_LIMIT = 4096

# Paging, as every OCI list operation takes it: `limit` in digits (OCI takes no `+5` or `5_0`), `page` an opaque
# token from the previous page's `opc-next-page`, bound to the query (its digest) and to the calling tenancy.
PageLimit = Annotated[int, Query(ge=1, le=1000), BeforeValidator(query_digits)]
PageToken = Annotated[str | None, Query(max_length=PAGE_TOKEN_LIMIT)]


def page_cursor(request: Request, page: str | None, digest: str, tenancy: str) -> tuple[str, str] | None:
    """Where a list goes on from (None: its first page); a forged, stale or foreign token is 400."""
    if page is None:
        return None
    try:
        cursor: tuple[str, str] = request.app.state.page_tokens.decode(page, digest, tenancy=tenancy)
    except InvalidPageToken as exc:
        raise errors.InvalidParameter(f"Invalid page: {exc}.") from exc
    return cursor


def next_page_headers(request: Request, cursor: tuple[str, str] | None, digest: str, tenancy: str) -> dict[str, str]:
    """`opc-next-page` while more items follow `cursor` (None: this was the last page)."""
    if cursor is None:
        return {}
    return {"opc-next-page": request.app.state.page_tokens.encode(cursor, digest, tenancy=tenancy)}
