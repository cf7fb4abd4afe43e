"""Integration: racing clients on a real server, each thread on its own connection. No update is lost.

The small runs are in the default suite; the `stress` runs (more threads, more rounds, still bounded in count
and time) run separately: `pytest -m stress`.
"""

from __future__ import annotations

import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from mockoci.server import MockOCIServer
from mockoci.store import DEFAULT_TENANCY

BASE = "/20160918/volumeBackups"
TIME_LIMIT = 60.0  # seconds a race may run before its threads stop on their own
SMALL = pytest.param(4, 8, id="small")
STRESS = pytest.param(16, 60, id="stress", marks=pytest.mark.stress)


@pytest.fixture(scope="module")
def race_server(start_server: Callable[..., MockOCIServer]) -> MockOCIServer:
    return start_server(auth="off", lifecycle_delay=0)


@pytest.fixture
def url(race_server: MockOCIServer) -> str:
    race_server.store.reset()
    return race_server.url + BASE


@dataclass
class Outcome:
    operation: str
    etag: str
    status: int


Work = Callable[[int, requests.Session, threading.Barrier], list[Outcome]]


def run_threads(count: int, work: Work) -> list[Outcome]:
    """Runs `work` in `count` threads, each with its own session (its own keep-alive connection)."""
    barrier = threading.Barrier(count, timeout=30)
    results: list[list[Outcome]] = [[] for _ in range(count)]
    failures: list[BaseException] = []

    def run(index: int) -> None:
        with requests.Session() as session:
            try:
                results[index] = work(index, session, barrier)
            except BaseException as exc:
                failures.append(exc)
                barrier.abort()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIME_LIMIT + 30)
    assert not any(thread.is_alive() for thread in threads), "a racing thread did not finish"
    assert not failures, failures[0]
    return [outcome for result in results for outcome in result]


def create(url: str, **details: Any) -> dict[str, Any]:
    response = requests.post(url, json={"volumeId": "ocid1.volume.oc1..race", **details}, timeout=10)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def successes_per_etag(outcomes: list[Outcome]) -> Counter[str]:
    wins: Counter[str] = Counter()
    for outcome in outcomes:
        wins[outcome.etag] += outcome.status in (200, 204)
    return wins


@pytest.mark.parametrize(("threads", "rounds"), [SMALL, STRESS])
def test_etag_race_loses_no_update(url: str, threads: int, rounds: int) -> None:
    backup = create(url, freeformTags={"count": "0"})
    path = f"{url}/{backup['id']}"
    deadline = time.monotonic() + TIME_LIMIT

    def work(index: int, session: requests.Session, barrier: threading.Barrier) -> list[Outcome]:
        outcomes = []
        for _ in range(rounds):
            if time.monotonic() > deadline:
                break
            barrier.wait()
            got = session.get(path, timeout=10)
            assert got.status_code == 200, got.text
            count = int(got.json()["freeformTags"]["count"])
            etag = got.headers["etag"]
            barrier.wait()  # everyone has read; now everyone writes
            put = session.put(path, json={"freeformTags": {"count": str(count + 1)}},
                              headers={"if-match": etag}, timeout=10)
            outcomes.append(Outcome("update", etag, put.status_code))
        return outcomes

    outcomes = run_threads(threads, work)
    statuses = Counter(outcome.status for outcome in outcomes)
    assert set(statuses) <= {200, 412}, statuses
    wins = successes_per_etag(outcomes)
    assert set(wins.values()) == {1}, "each etag read must let exactly one update through"
    final = requests.get(path, timeout=10)
    assert final.json()["freeformTags"]["count"] == str(statuses[200])
    assert final.headers["etag"] not in wins  # the last write made a new etag
    assert statuses[200] == len(wins) >= min(rounds, 1)


@pytest.mark.parametrize(("threads", "rounds"), [SMALL, STRESS])
def test_deletes_racing_updates(url: str, threads: int, rounds: int) -> None:
    """Half the threads update, half delete, all with the etag they read: one delete wins, and no update
    lands after it."""
    for _ in range(max(1, rounds // 8)):
        backup = create(url, freeformTags={"count": "0"})
        path = f"{url}/{backup['id']}"

        def work(
            index: int, session: requests.Session, barrier: threading.Barrier, path: str = path
        ) -> list[Outcome]:
            outcomes = []
            while True:
                got = session.get(path, timeout=10)
                assert got.status_code == 200, got.text
                body = got.json()
                if body["lifecycleState"] != "AVAILABLE":
                    return outcomes
                etag = got.headers["etag"]
                if index % 2:
                    answer = session.delete(path, headers={"if-match": etag}, timeout=10)
                    outcomes.append(Outcome("delete", etag, answer.status_code))
                else:
                    count = int(body["freeformTags"]["count"])
                    answer = session.put(path, json={"freeformTags": {"count": str(count + 1)}},
                                         headers={"if-match": etag}, timeout=10)
                    outcomes.append(Outcome("update", etag, answer.status_code))

        outcomes = run_threads(threads, work)
        by_operation: dict[str, Counter[int]] = defaultdict(Counter)
        for outcome in outcomes:
            by_operation[outcome.operation][outcome.status] += 1
        assert set(by_operation["update"]) <= {200, 412, 409}, by_operation
        assert set(by_operation["delete"]) <= {204, 412}, by_operation
        assert by_operation["delete"][204] == 1
        assert set(successes_per_etag(outcomes).values()) == {1}
        final = requests.get(path, timeout=10).json()
        assert final["lifecycleState"] in ("TERMINATING", "TERMINATED")
        assert final["freeformTags"]["count"] == str(by_operation["update"][200])


@pytest.mark.parametrize(("threads", "rounds"), [SMALL, STRESS])
def test_creates_racing_with_one_retry_token_make_one_backup(url: str, threads: int, rounds: int) -> None:
    deadline = time.monotonic() + TIME_LIMIT
    tokens = [f"race-token-{i}" for i in range(rounds)]

    def work(index: int, session: requests.Session, barrier: threading.Barrier) -> list[Outcome]:
        outcomes = []
        for token in tokens:
            if time.monotonic() > deadline:
                break
            barrier.wait()
            answer = session.post(url, json={"volumeId": "ocid1.volume.oc1..race", "displayName": token},
                                  headers={"opc-retry-token": token}, timeout=10)
            outcomes.append(Outcome(token, answer.json().get("id", ""), answer.status_code))
        return outcomes

    outcomes = run_threads(threads, work)
    assert {outcome.status for outcome in outcomes} == {200}
    ids_per_token: dict[str, set[str]] = defaultdict(set)
    for outcome in outcomes:
        ids_per_token[outcome.operation].add(outcome.etag)
    assert all(len(ids) == 1 for ids in ids_per_token.values()), ids_per_token
    listed = requests.get(url, params={"compartmentId": DEFAULT_TENANCY, "limit": 1000}, timeout=10).json()
    assert sorted(backup["displayName"] for backup in listed) == sorted(ids_per_token)
    assert {backup["id"] for backup in listed} == set().union(*ids_per_token.values())
