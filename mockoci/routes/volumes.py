"""The five Volume operations of OCI's Core API 20160918: parse, call the store, serialise."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query, Request
from starlette.responses import Response

from .. import errors
from ..deps import IfMatch, PageLimit, PageToken, RetryToken, caller, caller_region, next_page_headers, page_cursor
from ..engine import Record
from ..models import SortBy, SortOrder
from ..operations import Operations
from ..pagination import query_digest
from ..resources.volumes import VOLUME_STATES, CreateVolumeDetails, UpdateVolumeDetails, Volume, VolumeQuery
from ..responses import JSONBody
from .volume_backups import ERRORS

oci = Operations(prefix="/20160918/volumes", tags=["Volume"], responses=ERRORS)
VolumeId = Annotated[str, Path(alias="volumeId", min_length=1, max_length=255, description="The OCID.")]
OptionalText = Annotated[str | None, Query(max_length=255)]


def record_response(stored: Record, headers: dict[str, str] | None = None) -> Response:
    return JSONBody(stored.json(), {"etag": stored.etag, **headers} if headers else {"etag": stored.etag})


@oci.get("", response_model=list[Volume], operation_id="ListVolumes")
async def list_volumes(
    request: Request,
    compartment_id: Annotated[str, Query(alias="compartmentId", min_length=1, max_length=255)],
    availability_domain: Annotated[str | None, Query(alias="availabilityDomain", max_length=255)] = None,
    limit: PageLimit = 100,
    page: PageToken = None,
    display_name: Annotated[str | None, Query(alias="displayName", max_length=255)] = None,
    sort_by: Annotated[SortBy | None, Query(alias="sortBy")] = None,
    sort_order: Annotated[SortOrder | None, Query(alias="sortOrder")] = None,
    volume_group_id: Annotated[str | None, Query(alias="volumeGroupId", max_length=255)] = None,
    cluster_placement_group_id: Annotated[
        str | None, Query(alias="clusterPlacementGroupId", max_length=255)
    ] = None,
    lifecycle_state: Annotated[
        str | None, Query(alias="lifecycleState", description="One of " + ", ".join(VOLUME_STATES))
    ] = None,
) -> Response:
    """Lists the volumes in a compartment, one page at a time (`opc-next-page` while more exist)."""
    store, tenancy = caller(request)
    region = caller_region(request)
    state = lifecycle_state.upper() if lifecycle_state is not None else None
    if state is not None and state not in VOLUME_STATES:
        raise errors.InvalidParameter(f"Invalid lifecycleState: must be one of {', '.join(VOLUME_STATES)}.")
    query = VolumeQuery(
        compartment_id=compartment_id, availability_domain=availability_domain, display_name=display_name,
        volume_group_id=volume_group_id, cluster_placement_group_id=cluster_placement_group_id,
        lifecycle_state=state, sort_by=sort_by or "TIMECREATED", sort_order=sort_order,
    )
    digest = query_digest({
        "operation": "ListVolumes", "tenancy": tenancy, "region": region, "compartmentId": compartment_id,
        "availabilityDomain": availability_domain, "displayName": display_name, "volumeGroupId": volume_group_id,
        "clusterPlacementGroupId": cluster_placement_group_id, "lifecycleState": state,
        "sortBy": query.sort_by, "descending": str(query.descending),
    })
    after = page_cursor(request, page, digest, tenancy)
    items, next_cursor = store.list_volumes(tenancy=tenancy, query=query, limit=limit, after=after, region=region)
    headers = next_page_headers(request, next_cursor, digest, tenancy)
    return JSONBody(b"[" + b",".join(stored.json() for stored in items) + b"]", headers)


@oci.post("", response_model=Volume, operation_id="CreateVolume")
async def create_volume(details: CreateVolumeDetails, request: Request, opc_retry_token: RetryToken = None) -> Response:
    """Creates a volume: empty, restored from a backup or cloned from a volume (`sourceDetails`); it starts
    PROVISIONING and becomes AVAILABLE (a restored or cloned one is hydrated later: `isHydrated`)."""
    store, tenancy = caller(request)
    stored = store.create_volume(
        tenancy=tenancy, details=details, retry_token=opc_retry_token, region=caller_region(request)
    )
    return record_response(stored)


@oci.get("/{volumeId}", response_model=Volume, operation_id="GetVolume")
async def get_volume(volume_id: VolumeId, request: Request) -> Response:
    """Gets a volume and its etag."""
    store, tenancy = caller(request)
    return record_response(store.get_volume(tenancy=tenancy, volume_id=volume_id, region=caller_region(request)))


@oci.put("/{volumeId}", response_model=Volume, operation_id="UpdateVolume")
async def update_volume(
    volume_id: VolumeId, details: UpdateVolumeDetails, request: Request, if_match: IfMatch = None
) -> Response:
    """Updates a volume's name, tags, performance and size (a volume grows, never shrinks)."""
    store, tenancy = caller(request)
    stored = store.update_volume(
        tenancy=tenancy, volume_id=volume_id, details=details, if_match=if_match, region=caller_region(request)
    )
    return record_response(stored)


@oci.delete("/{volumeId}", status_code=204, response_class=Response, operation_id="DeleteVolume")
async def delete_volume(volume_id: VolumeId, request: Request, if_match: IfMatch = None) -> Response:
    """Deletes a volume: it goes TERMINATING, then TERMINATED, and stays readable for a while."""
    store, tenancy = caller(request)
    store.delete_volume(tenancy=tenancy, volume_id=volume_id, if_match=if_match, region=caller_region(request))
    return Response(status_code=204)
