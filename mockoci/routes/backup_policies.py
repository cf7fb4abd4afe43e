"""The VolumeBackupPolicy and VolumeBackupPolicyAssignment operations of OCI's Core API 20160918."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

from fastapi import Path, Query, Request
from starlette.responses import Response

from .. import errors
from ..deps import IfMatch, PageLimit, PageToken, RetryToken, caller, next_page_headers, page_cursor
from ..engine import Record
from ..operations import Operations
from ..pagination import query_digest
from ..resources.backup_policies import (
    CreateVolumeBackupPolicyAssignmentDetails,
    CreateVolumeBackupPolicyDetails,
    UpdateVolumeBackupPolicyDetails,
    VolumeBackupPolicy,
    VolumeBackupPolicyAssignment,
)
from ..responses import JSONBody
from .volume_backups import ERRORS

oci = Operations(prefix="/20160918", responses=ERRORS)
PolicyId = Annotated[str, Path(alias="policyId", min_length=1, max_length=255, description="The policy's OCID.")]
AssignmentId = Annotated[
    str, Path(alias="policyAssignmentId", min_length=1, max_length=255, description="The assignment's OCID.")
]
POLICY_TAGS: list[str | Enum] = ["VolumeBackupPolicy"]
ASSIGNMENT_TAGS: list[str | Enum] = ["VolumeBackupPolicyAssignment"]


def record_response(stored: Record, headers: dict[str, str] | None = None) -> Response:
    return JSONBody(stored.json(), {"etag": stored.etag, **headers} if headers else {"etag": stored.etag})


def _list_body(items: list[Record]) -> bytes:
    return b"[" + b",".join(stored.json() for stored in items) + b"]"


@oci.get("/volumeBackupPolicies", response_model=list[VolumeBackupPolicy], operation_id="ListVolumeBackupPolicies",
            tags=POLICY_TAGS)
async def list_volume_backup_policies(
    request: Request,
    compartment_id: Annotated[str | None, Query(alias="compartmentId", min_length=1, max_length=255)] = None,
    limit: PageLimit = 100,
    page: PageToken = None,
) -> Response:
    """With `compartmentId`: the user-defined policies there, oldest first; without: Oracle's predefined ones."""
    store, tenancy = caller(request)
    digest = query_digest({"policies": "1", "compartmentId": compartment_id})
    after = page_cursor(request, page, digest, tenancy)
    result = store.list_volume_backup_policies(tenancy=tenancy, compartment_id=compartment_id, limit=limit,
                                               after=after)
    headers = next_page_headers(request, result.next_cursor, digest, tenancy)
    return JSONBody(_list_body(result.items), headers)


@oci.post("/volumeBackupPolicies", response_model=VolumeBackupPolicy, operation_id="CreateVolumeBackupPolicy",
             tags=POLICY_TAGS)
async def create_volume_backup_policy(
    details: CreateVolumeBackupPolicyDetails, request: Request, opc_retry_token: RetryToken = None
) -> Response:
    """Creates a user-defined backup policy; 400 for a schedule that can never run."""
    store, tenancy = caller(request)
    return record_response(
        store.create_volume_backup_policy(tenancy=tenancy, details=details, retry_token=opc_retry_token)
    )


@oci.get("/volumeBackupPolicies/{policyId}", response_model=VolumeBackupPolicy,
            operation_id="GetVolumeBackupPolicy", tags=POLICY_TAGS)
async def get_volume_backup_policy(policy_id: PolicyId, request: Request) -> Response:
    """Gets a backup policy (Oracle's or the tenancy's) and its etag."""
    store, tenancy = caller(request)
    return record_response(store.get_volume_backup_policy(tenancy=tenancy, policy_id=policy_id))


@oci.put("/volumeBackupPolicies/{policyId}", response_model=VolumeBackupPolicy,
            operation_id="UpdateVolumeBackupPolicy", tags=POLICY_TAGS)
async def update_volume_backup_policy(
    policy_id: PolicyId, details: UpdateVolumeBackupPolicyDetails, request: Request, if_match: IfMatch = None,
    opc_retry_token: RetryToken = None,
) -> Response:
    """Updates a user-defined policy; new schedules apply to its assignments from now on."""
    store, tenancy = caller(request)
    return record_response(store.update_volume_backup_policy(
        tenancy=tenancy, policy_id=policy_id, details=details, if_match=if_match, retry_token=opc_retry_token,
    ))


@oci.delete("/volumeBackupPolicies/{policyId}", status_code=204, response_class=Response,
               operation_id="DeleteVolumeBackupPolicy", tags=POLICY_TAGS)
async def delete_volume_backup_policy(policy_id: PolicyId, request: Request, if_match: IfMatch = None) -> Response:
    """Deletes a user-defined policy that is assigned to no volume."""
    store, tenancy = caller(request)
    store.delete_volume_backup_policy(tenancy=tenancy, policy_id=policy_id, if_match=if_match)
    return Response(status_code=204)


@oci.get("/volumeBackupPolicyAssignments", response_model=list[VolumeBackupPolicyAssignment],
            operation_id="GetVolumeBackupPolicyAssetAssignment", tags=ASSIGNMENT_TAGS)
async def get_volume_backup_policy_asset_assignment(
    request: Request,
    asset_id: Annotated[str, Query(alias="assetId", min_length=1, max_length=255)],
    limit: PageLimit = 100,
    page: PageToken = None,
) -> Response:
    """The policy assignment of a volume: a list of none or one (a single page)."""
    store, tenancy = caller(request)
    if page is not None:
        raise errors.InvalidParameter("Invalid page: this list has a single page.")
    items = store.get_volume_backup_policy_asset_assignment(tenancy=tenancy, asset_id=asset_id)
    return JSONBody(_list_body(items[:limit]))


@oci.post("/volumeBackupPolicyAssignments", response_model=VolumeBackupPolicyAssignment,
             operation_id="CreateVolumeBackupPolicyAssignment", tags=ASSIGNMENT_TAGS)
async def create_volume_backup_policy_assignment(
    details: CreateVolumeBackupPolicyAssignmentDetails, request: Request
) -> Response:
    """Assigns a policy to a volume (one per volume): its schedules run from now on the server's clock."""
    store, tenancy = caller(request)
    return record_response(store.create_volume_backup_policy_assignment(tenancy=tenancy, details=details))


@oci.get("/volumeBackupPolicyAssignments/{policyAssignmentId}", response_model=VolumeBackupPolicyAssignment,
            operation_id="GetVolumeBackupPolicyAssignment", tags=ASSIGNMENT_TAGS)
async def get_volume_backup_policy_assignment(assignment_id: AssignmentId, request: Request) -> Response:
    """Gets a policy assignment and its etag."""
    store, tenancy = caller(request)
    return record_response(store.get_volume_backup_policy_assignment(tenancy=tenancy, assignment_id=assignment_id))


@oci.delete("/volumeBackupPolicyAssignments/{policyAssignmentId}", status_code=204, response_class=Response,
               operation_id="DeleteVolumeBackupPolicyAssignment", tags=ASSIGNMENT_TAGS)
async def delete_volume_backup_policy_assignment(
    assignment_id: AssignmentId, request: Request, if_match: IfMatch = None
) -> Response:
    """Ends an assignment: no more scheduled backups (those made stay until they expire)."""
    store, tenancy = caller(request)
    store.delete_volume_backup_policy_assignment(tenancy=tenancy, assignment_id=assignment_id, if_match=if_match)
    return Response(status_code=204)
