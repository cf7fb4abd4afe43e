"""What the dashboard shows, built from the admin API's own JSON documents (pure: no store, no HTTP).

The inputs are exactly what `GET /_mockoci/state`, `/journal`, `/faults`, `/clock` and `/lifecycle` answer, but
that the state document may list only each kind's newest RESOURCE_ROWS resources, with how many each kind holds
beside it (`held_counts`): the server reads no more than it shows (mockoci.routes.dashboard). Every list of
objects under a tenancy in the state document is a resource kind, shown as one table: a kind added to the state
document (volumes, work requests, ...) appears without a change here.

A table's rows are newest first by creation time (`timeCreated`, or a work request's `timeAccepted`), as the
state document writes it (to the millisecond); rows of equal text keep the document's order. The server's
shortened document lists them newest first to the microsecond, equal times by id, greatest first
(Store.newest), so that is the order of equal times there.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

NAME_FIELDS = ("displayName", "name")
STATE_FIELDS = ("lifecycleState", "status", "state")
CREATED_FIELDS = ("timeCreated", "timeAccepted")
JOURNAL_ROWS = 200  # per tenancy, newest first
RESOURCE_ROWS = 500  # per kind

EtagLookup = Callable[[str, str, Mapping[str, Any]], str | None]  # (tenancy, kind, item) -> etag


@dataclass(frozen=True, slots=True)
class ResourceRow:
    """One resource, with the columns every kind shares (None where the kind has no such field)."""

    id: str | None
    name: str | None
    state: str | None
    etag: str | None
    compartment_id: str | None
    created: str | None
    document: str  # the resource as the state document holds it, indented JSON


@dataclass(frozen=True, slots=True)
class ResourceTable:
    """The resources of one kind in one tenancy, newest first."""

    kind: str  # the state document's key: "volumeBackups"
    title: str  # "Volume backups"
    rows: list[ResourceRow]
    hidden: int  # how many more there are than shown


@dataclass(frozen=True, slots=True)
class JournalRow:
    """One journal entry as the page shows it."""

    seq: int
    time: str
    clock: str  # the time of day, to the millisecond
    method: str
    path: str
    query: str
    operation: str | None
    status: int
    error_code: str | None
    why: str | None  # for a 401: why authentication failed; for a fault: which rule
    signing_string: str | None
    opc_request_id: str | None
    duration_ms: float
    headers: dict[str, str]

    @property
    def failed(self) -> bool:
        return self.status >= 400


@dataclass(frozen=True, slots=True)
class TenancyView:
    """One tenancy's section of the page; `tenancy` None holds requests that named no tenancy."""

    tenancy: str | None
    lifecycle: Mapping[str, Any] | None
    tables: list[ResourceTable]
    faults: Sequence[Mapping[str, Any]]
    journal: list[JournalRow]
    journal_hidden: int

    @property
    def failed_requests(self) -> int:
        return sum(1 for row in self.journal if row.failed)


@dataclass(frozen=True, slots=True)
class DashboardView:
    """The whole page: the server-wide facts and one section per tenancy shown."""

    clock: Mapping[str, Any]
    lifecycle: Mapping[str, Any]
    tenancies: list[TenancyView]
    all_tenancies: list[str]  # every tenancy known, for the picker
    selected: str | None  # the tenancy the page is narrowed to, if any
    server_faults: Sequence[Mapping[str, Any]] = field(default_factory=list)  # rules for every tenancy


def kind_title(kind: str) -> str:
    """`volumeBackups` -> `Volume backups`."""
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", kind).lower()
    return words[:1].upper() + words[1:]


def _first(item: Mapping[str, Any], names: Iterable[str]) -> str | None:
    for name in names:
        value = item.get(name)
        if value is not None:
            return str(value)
    return None


def resource_tables(
    tenancy: str, held: Mapping[str, Any], etag_of: EtagLookup, limit: int = RESOURCE_ROWS,
    counts: Mapping[str, int] | None = None,
) -> list[ResourceTable]:
    """A table for every list of objects in one tenancy's part of the state document, in the document's
    order of kinds; the rows newest first where the kind has a creation time. `counts`: how many resources of
    each kind the tenancy holds, where `held` lists only the newest (a kind it does not name: all are listed)."""
    counts = counts or {}
    tables = []
    for kind, items in held.items():
        if not isinstance(items, list):
            continue
        resources = [item for item in items if isinstance(item, Mapping)]
        resources.sort(key=lambda item: _first(item, CREATED_FIELDS) or "", reverse=True)
        rows = [
            ResourceRow(
                id=_first(item, ("id",)),
                name=_first(item, NAME_FIELDS),
                state=_first(item, STATE_FIELDS),
                etag=_first(item, ("etag",)) or etag_of(tenancy, kind, item),
                compartment_id=_first(item, ("compartmentId",)),
                created=_first(item, CREATED_FIELDS),
                document=json.dumps(item, indent=2, sort_keys=True),
            )
            for item in resources[:limit]
        ]
        tables.append(ResourceTable(kind, kind_title(kind), rows, max(0, counts.get(kind, len(resources)) - limit)))
    return tables


def journal_row(entry: Mapping[str, Any]) -> JournalRow:
    """A journal entry (`GET /_mockoci/journal`'s form) as the page shows it."""
    status = int(entry["status"])
    why = entry.get("authFailure") if status == 401 else None
    if why is None and entry.get("fault"):
        why = f"injected by fault rule {entry['fault']}"
    time = str(entry.get("time") or "")
    return JournalRow(
        seq=int(entry["seq"]),
        time=time,
        clock=time[11:23] if len(time) >= 23 else time,
        method=str(entry.get("method") or ""),
        path=str(entry.get("path") or ""),
        query=str(entry.get("query") or ""),
        operation=entry.get("operation"),
        status=status,
        error_code=entry.get("errorCode"),
        why=why,
        signing_string=entry.get("signingString"),
        opc_request_id=entry.get("opcRequestId"),
        duration_ms=float(entry.get("durationMs") or 0.0),
        headers=dict(entry.get("headers") or {}),
    )


def known_tenancies(
    state: Mapping[str, Any], journal: Sequence[Mapping[str, Any]], faults: Sequence[Mapping[str, Any]]
) -> list[str]:
    """Every tenancy that holds state, made a request or has a fault rule, sorted."""
    known = set(state.get("tenancies") or {})
    known.update(str(entry["tenancy"]) for entry in journal if entry.get("tenancy"))
    known.update(str(rule["tenancy"]) for rule in faults if rule.get("tenancy"))
    return sorted(known)


def build_view(
    *,
    state: Mapping[str, Any],
    journal: Sequence[Mapping[str, Any]],
    faults: Sequence[Mapping[str, Any]],
    clock: Mapping[str, Any],
    lifecycle: Mapping[str, Any],
    tenancy_lifecycle: Callable[[str], Mapping[str, Any]],
    etag_of: EtagLookup,
    selected: str | None = None,
    journal_limit: int = JOURNAL_ROWS,
    held_counts: Mapping[str, Mapping[str, int]] | None = None,
) -> DashboardView:
    """The page's content. `journal` is oldest first, as the admin API gives it; the page shows it newest first.
    `selected` narrows the page to one tenancy. `held_counts`: per tenancy, how many resources of each kind it
    holds, where `state` lists only the newest (None: it lists them all)."""
    held: Mapping[str, Mapping[str, Any]] = state.get("tenancies") or {}
    all_tenancies = known_tenancies(state, journal, faults)
    shown: list[str | None] = [selected] if selected is not None else [*all_tenancies, None]
    sections = []
    for tenancy in shown:
        entries = [entry for entry in reversed(journal) if entry.get("tenancy") == tenancy]
        if tenancy is None:
            if not entries:
                continue  # no request without a tenancy: no section for them
            sections.append(TenancyView(
                None, None, [], [], [journal_row(e) for e in entries[:journal_limit]],
                max(0, len(entries) - journal_limit),
            ))
            continue
        sections.append(TenancyView(
            tenancy=tenancy,
            lifecycle=tenancy_lifecycle(tenancy),
            tables=resource_tables(tenancy, held.get(tenancy) or {}, etag_of,
                                   counts=(held_counts or {}).get(tenancy)),
            faults=[rule for rule in faults if rule.get("tenancy") == tenancy],
            journal=[journal_row(e) for e in entries[:journal_limit]],
            journal_hidden=max(0, len(entries) - journal_limit),
        ))
    return DashboardView(
        clock=clock,
        lifecycle=lifecycle,
        tenancies=sections,
        all_tenancies=all_tenancies,
        selected=selected,
        server_faults=[rule for rule in faults if not rule.get("tenancy")],
    )
