"""Work requests (`/20160918/workRequests`, as `oci.work_requests.WorkRequestClient` calls them): the record of
an asynchronous operation, which follows the resource it makes.

A work request is `ACCEPTED` while the resource it follows is new (`REQUEST_RECEIVED`), `IN_PROGRESS` while it
is being made (`CREATING`), `SUCCEEDED` when it is `AVAILABLE`, and `FAILED` (with an error) if it turns `FAULTY`
or is deleted first; `percentComplete` is 0, 50, 100. It makes no transitions of its own: it moves when the
resource moves (on the clock, on settle, on force-state). A test can force it (and so the resource) to FAILED
through the admin API. Finished work requests beyond `max_terminated` per tenancy are forgotten, oldest first.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal, get_args

from pydantic import ConfigDict, Field

from ..engine import Engine, Kind, Partition, Record
from ..models import OCIDatetime, WireModel
from . import WORK_REQUESTS

WorkRequestStatus = Literal["ACCEPTED", "IN_PROGRESS", "FAILED", "SUCCEEDED", "CANCELING", "CANCELED"]
WORK_REQUEST_STATES: tuple[str, ...] = get_args(WorkRequestStatus)
FINISHED = frozenset({"FAILED", "SUCCEEDED", "CANCELED"})
ActionType = Literal["CREATED", "UPDATED", "DELETED", "RELATED", "IN_PROGRESS"]
# What a work request's status is while the resource it follows is in each state.
_FOLLOWS = {
    "REQUEST_RECEIVED": "ACCEPTED", "PROVISIONING": "ACCEPTED", "CREATING": "IN_PROGRESS",
    "RESTORING": "IN_PROGRESS", "AVAILABLE": "SUCCEEDED", "FAULTY": "FAILED", "TERMINATING": "FAILED",
    "TERMINATED": "FAILED",
}
_PERCENT = {"ACCEPTED": 0.0, "IN_PROGRESS": 50.0, "SUCCEEDED": 100.0}


class WorkRequestResource(WireModel):
    action_type: ActionType
    entity_type: str
    identifier: str
    entity_uri: str | None = None


class WorkRequestError(WireModel):
    code: str
    message: str
    timestamp: OCIDatetime


class WorkRequestLogEntry(WireModel):
    message: str
    timestamp: OCIDatetime


class WorkRequest(WireModel):
    """A work request as GetWorkRequest returns it."""

    model_config = ConfigDict(extra="forbid")

    operation_type: str
    lifecycle_state: WorkRequestStatus = Field(alias="status")
    id: str
    compartment_id: str
    resources: list[WorkRequestResource]
    percent_complete: float | None = None
    time_accepted: OCIDatetime
    time_started: OCIDatetime | None = None
    time_finished: OCIDatetime | None = None

    # what the index sorts by (every stored resource has them)
    @property
    def display_name(self) -> str:
        return self.operation_type

    @property
    def time_created(self) -> datetime:
        return self.time_accepted


class StoredWorkRequest(WorkRequest):
    """A work request as stored and saved: with the entries ListWorkRequestLogs and ListWorkRequestErrors serve."""

    log_entries: list[WorkRequestLogEntry] = Field(default_factory=list)
    error_entries: list[WorkRequestError] = Field(default_factory=list)


WIRE_EXCLUDE = {"log_entries", "error_entries"}


class WorkRequestRecord(Record):
    """A version of a work request; its JSON is OCI's (without mockoci's log and error entries)."""

    __slots__ = ()

    def json(self) -> bytes:
        if self._json is None:
            self._json = self.model.model_dump_json(by_alias=True, exclude=WIRE_EXCLUDE).encode()
        return self._json


KIND = Kind(
    name=WORK_REQUESTS,
    collection="workRequests",
    model=StoredWorkRequest,
    progress=lambda _: (),
    may_still_apply={},
    record=WorkRequestRecord,
    forget_terminated=False,
)
Engine.KINDS[KIND.name] = KIND


def _following(partition: Partition) -> dict[str, str]:
    """Ids of the resources work requests follow -> the work request's id."""
    following: dict[str, str] = partition.extras.setdefault("work_request_of", {})
    return following


def _finished(partition: Partition) -> dict[str, None]:
    """Ids of finished work requests, oldest first (capped)."""
    finished: dict[str, None] = partition.extras.setdefault("finished_work_requests", {})
    return finished


class WorkRequests(Engine):
    """Work requests, and how other resources start them."""

    def _start_work_request(
        self, partition: Partition, *, operation_type: str, compartment_id: str, region: str,
        resources: Sequence[WorkRequestResource], follows: str, accepted: str,
    ) -> Record:
        """A new ACCEPTED work request that follows the resource `follows` from now on."""
        now = self.clock.now()
        request = StoredWorkRequest(
            operation_type=operation_type, lifecycle_state="ACCEPTED",
            id=self.factory.ocid("coreservicesworkrequest", region),
            compartment_id=compartment_id, resources=list(resources), percent_complete=0.0, time_accepted=now,
            log_entries=[WorkRequestLogEntry(message=accepted, timestamp=now)],
        )
        _following(partition)[follows] = request.id
        return self._put(partition, KIND, request)

    def _changed(self, partition: Partition, kind: Kind, old: Record | None, new: Record) -> None:
        super()._changed(partition, kind, old, new)
        if kind.name == WORK_REQUESTS:
            for resource in new.model.resources:
                if resource.action_type in ("IN_PROGRESS", "CREATED"):
                    _following(partition).setdefault(resource.identifier, new.model.id)
            return
        following = partition.extras.get("work_request_of")
        request_id = following.get(new.model.id) if following else None
        if request_id is None or (old is not None and old.model.lifecycle_state == new.model.lifecycle_state):
            return
        current = partition.table(WORK_REQUESTS).get(request_id)
        status = _FOLLOWS.get(new.model.lifecycle_state)
        if current is None or status is None or current.model.lifecycle_state in FINISHED:
            return
        if status == current.model.lifecycle_state:
            return
        error = None
        if status == "FAILED":
            error = ("InternalError", f"The resource {new.model.id} became {new.model.lifecycle_state}.")
        self._move_work_request(partition, current, status, error)

    def _move_work_request(
        self, partition: Partition, current: Record, status: str, error: tuple[str, str] | None = None
    ) -> Record:
        now = self._event_time()
        request: StoredWorkRequest = current.model
        changes: dict[str, Any] = {"lifecycle_state": status}
        if status in _PERCENT:
            changes["percent_complete"] = _PERCENT[status]
        if status != "ACCEPTED" and request.time_started is None:
            changes["time_started"] = now
        logs = list(request.log_entries)
        if status in FINISHED:
            changes["time_finished"] = now
            changes["resources"] = [
                resource.model_copy(update={"action_type": "CREATED"})
                if resource.action_type == "IN_PROGRESS" and status == "SUCCEEDED" else resource
                for resource in request.resources
            ]
        logs.append(WorkRequestLogEntry(message=f"{request.operation_type} is {status}.", timestamp=now))
        changes["log_entries"] = logs
        if error is not None:
            changes["error_entries"] = [*request.error_entries,
                                        WorkRequestError(code=error[0], message=error[1], timestamp=now)]
        stored = self._put(partition, KIND, request.model_copy(update=changes))
        if status in FINISHED:
            finished = _finished(partition)
            finished[request.id] = None
            table = partition.table(WORK_REQUESTS)
            while len(finished) > self.max_terminated:
                oldest = next(iter(finished))
                del finished[oldest]
                table.pop(oldest, None)
        return stored

    def work_request_of(self, *, tenancy: str, resource_id: str) -> str | None:
        """The id of the work request that follows a resource (the copy of a backup), if any."""
        with self._lock:
            return _following(self._advance(tenancy)).get(resource_id)

    def get_work_request(self, *, tenancy: str, work_request_id: str, region: str | None = None) -> Record:
        with self._lock:
            return self._get(self._advance(tenancy), WORK_REQUESTS, work_request_id, region)

    def list_work_requests(
        self, *, tenancy: str, compartment_id: str, resource_id: str | None, limit: int,
        after: tuple[str, str] | None = None, region: str | None = None,
    ) -> tuple[list[Record], tuple[str, str] | None]:
        """A compartment's work requests, newest first (only those naming `resource_id`, if given)."""
        def matches(stored: Record) -> bool:
            return resource_id is None or any(r.identifier == resource_id for r in stored.model.resources)

        with self._lock:
            return self._advance(tenancy).table(WORK_REQUESTS).page(
                compartment_id=compartment_id, sort_by="TIMECREATED", descending=True, limit=limit, after=after,
                region=region, matches=matches,
            )

    def force_work_request(
        self, *, tenancy: str, work_request_id: str, status: str, code: str | None = None,
        message: str | None = None,
    ) -> Record:
        """Put a work request in `status` now. FAILED (with `code` and `message` as its error) also makes the
        resource it follows FAULTY, if that is not yet AVAILABLE; SUCCEEDED makes it AVAILABLE."""
        with self._lock:
            partition = self._advance(tenancy)
            current = self._get(partition, WORK_REQUESTS, work_request_id)
            error = None
            if status == "FAILED":
                error = (code or "InternalError", message or "The work request failed.")
            stored = self._move_work_request(partition, current, status, error)
            followed = [rid for rid, wid in _following(partition).items() if wid == work_request_id]
            target = {"FAILED": "FAULTY", "SUCCEEDED": "AVAILABLE"}.get(status)
            for record_id in followed:
                found = self._find(partition, record_id)
                if target is None or found is None or found.model.lifecycle_state in ("AVAILABLE", target):
                    continue
                kind = next(k for k in self.KINDS.values() if partition.table(k.name).get(record_id) is found)
                self._drop_transitions(tenancy, record_id)
                self._put(partition, kind, found.model.model_copy(update={"lifecycle_state": target}))
            return partition.table(WORK_REQUESTS).get(work_request_id) or stored


def entries_page(
    entries: Sequence[Any], *, descending: bool, limit: int, after: int
) -> tuple[list[Any], int | None]:
    """Up to `limit` log or error entries after position `after`, oldest first unless `descending`; and the
    position to continue from, if more remain."""
    ordered = list(reversed(entries)) if descending else list(entries)
    page = ordered[after:after + limit]
    rest = after + limit
    return page, (rest if rest < len(ordered) else None)

