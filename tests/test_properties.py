"""Properties (Hypothesis, store level): whatever the history, listing pages every match exactly once, in
order, and a backup's etags never repeat."""

from __future__ import annotations

import contextlib
from collections import defaultdict
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st

from mockoci import errors
from mockoci.clock import Clock
from mockoci.models import CreateVolumeBackupDetails, UpdateVolumeBackupDetails, VolumeBackup
from mockoci.server import MockOCIServer
from mockoci.store import DEFAULT_TENANCY, ListQuery, StoredBackup, VolumeBackupStore

TENANCY = "ocid1.tenancy.oc1..aaaaaaaaproperties"
VOLUMES = ["ocid1.volume.oc1..a", "ocid1.volume.oc1..b"]
NAMES = ["a", "B", "b", "ab", "é"]
STATES = ["AVAILABLE", "TERMINATED", "TERMINATING", "CREATING"]


class FrozenClock(Clock):
    """Time that moves only when told, so no transition falls due while a test pages."""

    def time(self) -> float:
        return 1_800_000_000.0 + self.offset


operations = st.lists(
    st.one_of(
        st.tuples(st.just("create"), st.sampled_from(VOLUMES), st.sampled_from(NAMES)),
        st.tuples(st.just("update"), st.integers(0, 30), st.sampled_from(NAMES)),
        st.tuples(st.just("delete"), st.integers(0, 30), st.none()),
        st.tuples(st.just("wait"), st.sampled_from([0.0, 0.001, 1.0, 400.0]), st.none()),
    ),
    max_size=40,
)
queries = st.builds(
    ListQuery,
    compartment_id=st.just(TENANCY),
    volume_id=st.none() | st.sampled_from(VOLUMES),
    display_name=st.none() | st.sampled_from(NAMES),
    lifecycle_state=st.none() | st.sampled_from(STATES),
    sort_by=st.sampled_from(["TIMECREATED", "DISPLAYNAME"]),
    sort_order=st.none() | st.sampled_from(["ASC", "DESC"]),
)


History = list[tuple[Any, Any, Any]]


def replay(history: History, delay: float) -> tuple[VolumeBackupStore, dict[str, list[str]]]:
    """Runs `history` on a fresh store; returns it and every etag seen per backup, in order."""
    clock = FrozenClock()
    store = VolumeBackupStore(lifecycle_delay=delay, terminated_retention=300, clock=clock)
    ids: list[str] = []
    etags: dict[str, list[str]] = defaultdict(list)

    def seen(stored: StoredBackup) -> None:
        etags[stored.backup.id].append(stored.etag)

    for operation, argument, name in history:
        try:
            if operation == "create":
                details = CreateVolumeBackupDetails(volume_id=argument, display_name=name)
                created = store.create_volume_backup(tenancy=TENANCY, details=details)
                ids.append(created.backup.id)
                seen(created)
            elif operation == "update" and ids:
                update = UpdateVolumeBackupDetails(display_name=name)
                seen(store.update_volume_backup(tenancy=TENANCY, backup_id=ids[argument % len(ids)],
                                                details=update))
            elif operation == "delete" and ids:
                store.delete_volume_backup(tenancy=TENANCY, backup_id=ids[argument % len(ids)])
            elif operation == "wait":
                clock.advance(argument)
        except (errors.IncorrectState, errors.Conflict, errors.NotAuthorizedOrNotFound):
            pass  # the store refused: that is part of the history too
        for backup_id in ids:
            with contextlib.suppress(errors.NotAuthorizedOrNotFound):
                seen(store.get_volume_backup(tenancy=TENANCY, backup_id=backup_id))
    return store, etags


def expected(store: VolumeBackupStore, query: ListQuery) -> list[str]:
    """The matching backups in the documented order, worked out without the store's list code."""
    held = store.export_state().get(TENANCY)
    backups: list[VolumeBackup] = held.backups if held else []
    matching = [
        b for b in backups
        if (query.volume_id is None or b.volume_id == query.volume_id)
        and (query.display_name is None or b.display_name == query.display_name)
        and (query.lifecycle_state is None or b.lifecycle_state == query.lifecycle_state)
    ]
    descending = query.sort_order == "DESC" if query.sort_order else query.sort_by == "TIMECREATED"
    if query.sort_by == "DISPLAYNAME":
        matching.sort(key=lambda b: (b.display_name, b.id), reverse=descending)
    else:
        matching.sort(key=lambda b: (b.time_created, b.id), reverse=descending)
    return [b.id for b in matching]


@settings(max_examples=150, deadline=None)
@given(history=operations, query=queries, limit=st.integers(1, 7), delay=st.sampled_from([0.0, 0.5]))
def test_paging_returns_every_match_once_in_order(
    history: list[tuple[Any, Any, Any]], query: ListQuery, limit: int, delay: float
) -> None:
    store, _ = replay(history, delay)
    paged: list[str] = []
    after = None
    for _ in range(100):
        page = store.list_volume_backups(tenancy=TENANCY, query=query, limit=limit, after=after)
        assert len(page.items) <= limit
        paged.extend(stored.backup.id for stored in page.items)
        if page.next_cursor is None:
            break
        after = page.next_cursor
    assert paged == expected(store, query)


@settings(max_examples=150, deadline=None)
@given(history=operations, delay=st.sampled_from([0.0, 0.5]))
def test_a_backups_etags_never_repeat(history: list[tuple[Any, Any, Any]], delay: float) -> None:
    _, etags = replay(history, delay)
    for versions in etags.values():
        distinct = [etag for i, etag in enumerate(versions) if i == 0 or etag != versions[i - 1]]
        assert len(distinct) == len(set(distinct)), versions


# -- the same property over HTTP, page tokens and all ------------------------------------------------------

BASE = "/20160918/volumeBackups"
wire_queries = st.fixed_dictionaries(
    {"compartmentId": st.just(DEFAULT_TENANCY)},
    optional={
        "volumeId": st.sampled_from(VOLUMES),
        "displayName": st.sampled_from(NAMES),
        "lifecycleState": st.sampled_from([*STATES, "available", "terminated"]),
        "sortBy": st.sampled_from(["TIMECREATED", "DISPLAYNAME"]),
        "sortOrder": st.sampled_from(["ASC", "DESC"]),
    },
)


@pytest.fixture(scope="module")
def http(start_server: Callable[..., MockOCIServer]) -> Iterator[Wire]:
    server = start_server(auth="off", lifecycle_delay=0)
    with requests.Session() as session:
        yield Wire(server.url, session)


class Wire:
    """A session bound to one server, so a test can say `http.get(path)`."""

    def __init__(self, url: str, session: requests.Session) -> None:
        self.url, self.session = url, session

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.session.get(self.url + path, timeout=10, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.session.post(self.url + path, timeout=10, **kwargs)

    def delete(self, path: str) -> requests.Response:
        return self.session.delete(self.url + path, timeout=10)


@settings(max_examples=40, deadline=None)
@given(
    names=st.lists(st.tuples(st.sampled_from(VOLUMES), st.sampled_from(NAMES)), max_size=25),
    deleted=st.sets(st.integers(0, 24)),
    query=wire_queries,
    limits=st.lists(st.integers(1, 6), min_size=1, max_size=4),
)
def test_paging_over_http_matches_one_big_page(
    http: Wire,
    names: list[tuple[str, str]], deleted: set[int], query: dict[str, str], limits: list[int]
) -> None:
    """Following opc-next-page with any limits (changing from page to page) gives the one-page answer."""
    http.post("/_mockoci/reset")
    ids = []
    for volume, name in names:
        created = http.post(BASE, json={"volumeId": volume, "displayName": name})
        assert created.status_code == 200, created.text
        ids.append(created.json()["id"])
    for index in sorted(deleted):
        if index < len(ids):
            assert http.delete(f"{BASE}/{ids[index]}").status_code == 204
    whole = http.get(BASE, params={**query, "limit": 1000})
    assert whole.status_code == 200 and "opc-next-page" not in whole.headers
    paged: list[dict[str, Any]] = []
    page: str | None = None
    for turn in range(200):
        params = {**query, "limit": limits[turn % len(limits)], **({"page": page} if page else {})}
        answer = http.get(BASE, params=params)
        assert answer.status_code == 200, answer.text
        assert len(answer.json()) <= params["limit"]
        paged.extend(answer.json())
        page = answer.headers.get("opc-next-page")
        if page is None:
            break
    assert [b["id"] for b in paged] == [b["id"] for b in whole.json()]
    assert len({b["id"] for b in paged}) == len(paged)
    by_name = query.get("sortBy") == "DISPLAYNAME"
    descending = query.get("sortOrder", "ASC" if by_name else "DESC") == "DESC"
    keys = [b["displayName" if by_name else "timeCreated"] for b in paged]
    assert keys == sorted(keys, reverse=descending)
