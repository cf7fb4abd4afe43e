"""The seven VolumeBackup operations of OCI's Core API 20160918: parse, call the store, serialise."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query, Request
from starlette.responses import Response

from .. import errors
from ..deps import IfMatch, PageLimit, PageToken, RetryToken, caller, caller_region, next_page_headers, page_cursor
from ..models import (
    LIFECYCLE_STATES,
    ChangeVolumeBackupCompartmentDetails,
    CopyVolumeBackupDetails,
    CreateVolumeBackupDetails,
    ErrorBody,
    SortBy,
    SortOrder,
    UpdateVolumeBackupDetails,
    VolumeBackup,
)
from ..operations import Operations
from ..pagination import query_digest
from ..regions import region as known_region
from ..responses import JSONBody
from ..store import ListQuery, StoredBackup

ERRORS: dict[int | str, dict[str, object]] = {
    status: {"model": ErrorBody, "description": description}
    for status, description in [
        (400, "Bad request: CannotParseRequest, InvalidParameter, MissingParameter"),
        (401, "NotAuthenticated"),
        (404, "NotAuthorizedOrNotFound"),
        (409, "IncorrectState, Conflict, InvalidatedRetryToken"),
        (412, "NoEtagMatch"),
        (429, "TooManyRequests"),
        (500, "InternalServerError"),
    ]
}

oci = Operations(prefix="/20160918/volumeBackups", tags=["VolumeBackup"], responses=ERRORS)
BackupId = Annotated[str, Path(alias="volumeBackupId", min_length=1, max_length=255, description="The OCID.")]


def endpoint_of(request: Request, region: str | None, target: str | None) -> str:
    """The endpoint through which a resource in region `target` is read, as the request reached this one: the
    plain endpoint stays plain; a region prefix or an OCI host names the target region instead."""
    base = str(request.base_url).rstrip("/")
    if region is None or target is None:
        return base
    raw_path = request.scope.get("raw_path") or b""
    if raw_path.startswith(f"/{region}/".encode()):
        return f"{base}/{target}"
    found = known_region(target)
    return f"{request.url.scheme}://{found.iaas_host}" if found is not None else base


def backup_response(stored: StoredBackup, headers: dict[str, str] | None = None) -> Response:
    return JSONBody(stored.json(), {"etag": stored.etag, **headers} if headers else {"etag": stored.etag})


@oci.get("", response_model=list[VolumeBackup], operation_id="ListVolumeBackups")
async def list_volume_backups(
    request: Request,
    compartment_id: Annotated[str, Query(alias="compartmentId", min_length=1, max_length=255)],
    volume_id: Annotated[str | None, Query(alias="volumeId", max_length=255)] = None,
    limit: PageLimit = 100,
    page: PageToken = None,
    display_name: Annotated[str | None, Query(alias="displayName", max_length=255)] = None,
    source_volume_backup_id: Annotated[str | None, Query(alias="sourceVolumeBackupId", max_length=255)] = None,
    sort_by: Annotated[SortBy | None, Query(alias="sortBy")] = None,
    sort_order: Annotated[SortOrder | None, Query(alias="sortOrder")] = None,
    lifecycle_state: Annotated[
        str | None, Query(alias="lifecycleState", description="One of " + ", ".join(LIFECYCLE_STATES))
    ] = None,
) -> Response:
    """Lists the volume backups in a compartment, one page at a time (`opc-next-page` while more exist)."""
    store, tenancy = caller(request)
    region = caller_region(request)
    if lifecycle_state is not None and lifecycle_state.upper() not in LIFECYCLE_STATES:
        raise errors.InvalidParameter(f"Invalid lifecycleState: must be one of {', '.join(LIFECYCLE_STATES)}.")
    query = ListQuery(
        compartment_id=compartment_id,
        volume_id=volume_id,
        display_name=display_name,
        source_volume_backup_id=source_volume_backup_id,
        lifecycle_state=lifecycle_state.upper() if lifecycle_state else None,
        sort_by=sort_by or "TIMECREATED",
        sort_order=sort_order,
    )
    digest = query_digest(
        {
            "compartmentId": compartment_id,
            "volumeId": volume_id,
            "displayName": display_name,
            "sourceVolumeBackupId": source_volume_backup_id,
            "lifecycleState": query.lifecycle_state,
            "sortBy": query.sort_by,
            "descending": str(query.descending),
            "region": region,
        }
    )
    after = page_cursor(request, page, digest, tenancy)
    result = store.list_volume_backups(tenancy=tenancy, query=query, limit=limit, after=after, region=region)
    body = b"[" + b",".join(stored.json() for stored in result.items) + b"]"
    return JSONBody(body, next_page_headers(request, result.next_cursor, digest, tenancy))


@oci.post("", response_model=VolumeBackup, operation_id="CreateVolumeBackup")
async def create_volume_backup(
    details: CreateVolumeBackupDetails, request: Request, opc_retry_token: RetryToken = None
) -> Response:
    """Creates a backup of a volume; it starts REQUEST_RECEIVED and becomes AVAILABLE."""
    store, tenancy = caller(request)
    stored = store.create_volume_backup(
        tenancy=tenancy, details=details, retry_token=opc_retry_token, region=caller_region(request)
    )
    return backup_response(stored)


@oci.get("/{volumeBackupId}", response_model=VolumeBackup, operation_id="GetVolumeBackup")
async def get_volume_backup(backup_id: BackupId, request: Request) -> Response:
    """Gets a volume backup and its etag."""
    store, tenancy = caller(request)
    return backup_response(
        store.get_volume_backup(tenancy=tenancy, backup_id=backup_id, region=caller_region(request))
    )


@oci.put("/{volumeBackupId}", response_model=VolumeBackup, operation_id="UpdateVolumeBackup")
async def update_volume_backup(
    backup_id: BackupId,
    details: UpdateVolumeBackupDetails,
    request: Request,
    if_match: IfMatch = None,
) -> Response:
    """Updates a volume backup's name, tags, key and retention; a tag map sent replaces the stored one."""
    store, tenancy = caller(request)
    stored = store.update_volume_backup(
        tenancy=tenancy, backup_id=backup_id, details=details, if_match=if_match, region=caller_region(request)
    )
    return backup_response(stored)


@oci.delete("/{volumeBackupId}", status_code=204, response_class=Response, operation_id="DeleteVolumeBackup")
async def delete_volume_backup(
    backup_id: BackupId, request: Request, if_match: IfMatch = None
) -> Response:
    """Deletes a volume backup: it goes TERMINATING, then TERMINATED, and stays readable for a while."""
    store, tenancy = caller(request)
    store.delete_volume_backup(tenancy=tenancy, backup_id=backup_id, if_match=if_match, region=caller_region(request))
    return Response(status_code=204)


@oci.post("/{volumeBackupId}/actions/copy", response_model=VolumeBackup, operation_id="CopyVolumeBackup")
async def copy_volume_backup(
    request: Request,
    backup_id: BackupId,
    details: CopyVolumeBackupDetails,
    opc_retry_token: RetryToken = None,
) -> Response:
    """Copies a volume backup to another region: a new backup whose sourceVolumeBackupId is the source."""
    store, tenancy = caller(request)
    region = caller_region(request)
    stored = store.copy_volume_backup(
        tenancy=tenancy, backup_id=backup_id, details=details, retry_token=opc_retry_token, region=region
    )
    location = endpoint_of(request, region, stored.region) + f"/20160918/volumeBackups/{stored.backup.id}"
    headers = {"location": location, "content-location": location}
    work_request_id = store.work_request_of(tenancy=tenancy, resource_id=stored.backup.id)
    if work_request_id is not None:
        headers["opc-work-request-id"] = work_request_id
    return backup_response(stored, headers)


@oci.post(
    "/{volumeBackupId}/actions/changeCompartment",
    response_class=Response,
    responses={200: {"description": "The backup was moved; no body."}},
    operation_id="ChangeVolumeBackupCompartment",
)
async def change_volume_backup_compartment(
    backup_id: BackupId, details: ChangeVolumeBackupCompartmentDetails, request: Request
) -> Response:
    """Moves a volume backup to another compartment; answers 200 with no body."""
    store, tenancy = caller(request)
    stored = store.change_volume_backup_compartment(
        tenancy=tenancy, backup_id=backup_id, details=details, region=caller_region(request)
    )
    return Response(status_code=200, headers={"etag": stored.etag})
