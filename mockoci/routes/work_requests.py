"""The four WorkRequest operations (`oci.work_requests.WorkRequestClient`, on the same host as Block Storage):
parse, call the store, serialise."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import Path, Query, Request
from starlette.responses import Response

from ..deps import PageLimit, PageToken, caller, caller_region, next_page_headers, page_cursor
from ..models import SortOrder
from ..operations import Operations
from ..pagination import query_digest
from ..resources.work_requests import WorkRequest, WorkRequestError, WorkRequestLogEntry, entries_page
from ..responses import JSONBody
from .volume_backups import ERRORS

oci = Operations(prefix="/20160918/workRequests", tags=["WorkRequest"], responses=ERRORS)
WorkRequestId = Annotated[str, Path(alias="workRequestId", min_length=1, max_length=255, description="The OCID.")]


@oci.get("", response_model=list[WorkRequest], operation_id="ListWorkRequests")
async def list_work_requests(
    request: Request,
    compartment_id: Annotated[str, Query(alias="compartmentId", min_length=1, max_length=255)],
    resource_id: Annotated[str | None, Query(alias="resourceId", max_length=255)] = None,
    limit: PageLimit = 100,
    page: PageToken = None,
) -> Response:
    """Lists a compartment's work requests, newest first (only those naming `resourceId`, if given)."""
    store, tenancy = caller(request)
    region = caller_region(request)
    digest = query_digest({"operation": "ListWorkRequests", "tenancy": tenancy, "region": region,
                           "compartmentId": compartment_id, "resourceId": resource_id})
    items, next_cursor = store.list_work_requests(
        tenancy=tenancy, compartment_id=compartment_id, resource_id=resource_id, limit=limit,
        after=page_cursor(request, page, digest, tenancy), region=region,
    )
    headers = next_page_headers(request, next_cursor, digest, tenancy)
    return JSONBody(b"[" + b",".join(stored.json() for stored in items) + b"]", headers)


@oci.get("/{workRequestId}", response_model=WorkRequest, operation_id="GetWorkRequest")
async def get_work_request(work_request_id: WorkRequestId, request: Request) -> Response:
    """Gets a work request: its status, `percentComplete` and the resources it makes."""
    store, tenancy = caller(request)
    stored = store.get_work_request(tenancy=tenancy, work_request_id=work_request_id, region=caller_region(request))
    return JSONBody(stored.json())


def _entries(
    request: Request, work_request_id: str, which: str, limit: int, page: str | None, sort_order: str | None
) -> Response:
    store, tenancy = caller(request)
    region = caller_region(request)
    stored = store.get_work_request(tenancy=tenancy, work_request_id=work_request_id, region=region)
    descending = sort_order == "DESC"
    digest = query_digest({"operation": which, "tenancy": tenancy, "id": work_request_id, "desc": str(descending)})
    cursor = page_cursor(request, page, digest, tenancy)
    start = int(cursor[0]) if cursor is not None and cursor[0].isdigit() else 0
    entries = getattr(stored.model, which)
    items, rest = entries_page(entries, descending=descending, limit=limit, after=start)
    body = json.dumps([item.model_dump(mode="json", by_alias=True) for item in items]).encode()
    headers = next_page_headers(request, None if rest is None else (str(rest), work_request_id), digest, tenancy)
    return JSONBody(body, headers)


@oci.get("/{workRequestId}/errors", response_model=list[WorkRequestError], operation_id="ListWorkRequestErrors")
async def list_work_request_errors(
    work_request_id: WorkRequestId, request: Request, limit: PageLimit = 100, page: PageToken = None,
    sort_order: Annotated[SortOrder | None, Query(alias="sortOrder")] = None,
) -> Response:
    """The errors of a work request (a FAILED one has one), oldest first."""
    return _entries(request, work_request_id, "error_entries", limit, page, sort_order)


@oci.get("/{workRequestId}/logs", response_model=list[WorkRequestLogEntry], operation_id="ListWorkRequestLogs")
async def list_work_request_logs(
    work_request_id: WorkRequestId, request: Request, limit: PageLimit = 100, page: PageToken = None,
    sort_order: Annotated[SortOrder | None, Query(alias="sortOrder")] = None,
) -> Response:
    """The log of a work request: one entry per status it went through, oldest first."""
    return _entries(request, work_request_id, "log_entries", limit, page, sort_order)

