"""Soak: a long, bounded run of mixed requests against `mockoci serve`; its memory must level off.

`pytest -m soak`. The number of requests is MOCKOCI_SOAK_REQUESTS (default 100,000); the run also stops after
MOCKOCI_SOAK_SECONDS (default 480) whatever the count, and then checks what it did.
"""

from __future__ import annotations

import os
import random
import re
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from mockoci.store import DEFAULT_TENANCY

BASE = "/20160918/volumeBackups"
REQUESTS = int(os.environ.get("MOCKOCI_SOAK_REQUESTS", "100000"))
SECONDS = float(os.environ.get("MOCKOCI_SOAK_SECONDS", "480"))
THREADS = 4
CAPS = {"max_retry_tokens": 500, "max_terminated_backups": 200}

pytestmark = pytest.mark.soak


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def serve() -> Iterator[tuple[str, int]]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "mockoci", "serve", "--port", str(port), "--auth", "off",
         "--log-level", "warning", "--lifecycle-delay", "0", "--terminated-retention", "30"],
        env={**os.environ, "MOCKOCI_MAX_RETRY_TOKENS": str(CAPS["max_retry_tokens"]),
             "MOCKOCI_MAX_TERMINATED_BACKUPS": str(CAPS["max_terminated_backups"]),
             "MOCKOCI_UNKNOWN_VOLUMES": "accept"},  # the soak is about backups: volumes as before
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                requests.get(url + "/_mockoci/health", timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.05)
        else:
            raise AssertionError("mockoci serve did not start")
        yield url, process.pid
    finally:
        process.terminate()
        process.wait(timeout=30)


def resident_kib(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    found = re.search(r"VmRSS:\s+(\d+) kB", status)
    assert found
    return int(found.group(1))


def test_memory_levels_off_under_mixed_load(serve: tuple[str, int]) -> None:
    url, pid = serve
    deadline = time.monotonic() + SECONDS
    budget = iter(range(REQUESTS))
    budget_lock = threading.Lock()
    statuses: Counter[int] = Counter()
    samples: list[tuple[int, int]] = []  # (requests done, RSS in KiB)
    done = 0

    def take() -> bool:
        nonlocal done
        with budget_lock:
            if time.monotonic() > deadline or next(budget, None) is None:
                return False
            done += 1
            if done % max(1, REQUESTS // 40) == 0:
                samples.append((done, resident_kib(pid)))
            return True

    def work(seed: int) -> None:
        rng = random.Random(seed)
        mine: list[str] = []
        with requests.Session() as session:
            while take():
                roll = rng.random()
                if roll < 0.25 or not mine:
                    token = f"t{seed}-{rng.randrange(10**9)}" if rng.random() < 0.5 else None
                    details = {"volumeId": f"ocid1.volume.oc1..v{rng.randrange(5)}",
                               "displayName": f"n{rng.randrange(10**6)}",
                               "freeformTags": {"k": "v" * rng.randrange(100)}}
                    answer = session.post(url + BASE, json=details,
                                          headers={"opc-retry-token": token} if token else {}, timeout=30)
                    if answer.status_code == 200:
                        mine.append(answer.json()["id"])
                elif roll < 0.45:
                    answer = session.get(f"{url}{BASE}/{rng.choice(mine)}", timeout=30)
                elif roll < 0.60:
                    answer = session.put(f"{url}{BASE}/{rng.choice(mine)}",
                                         json={"displayName": f"u{rng.randrange(10**6)}"}, timeout=30)
                elif roll < 0.80 or len(mine) > 40:
                    answer = session.delete(f"{url}{BASE}/{mine.pop(rng.randrange(len(mine)))}", timeout=30)
                else:
                    query = {"compartmentId": DEFAULT_TENANCY, "limit": rng.choice([1, 10, 100, 1000]),
                             "sortBy": rng.choice(["TIMECREATED", "DISPLAYNAME"])}
                    answer = session.get(url + BASE, params=query, timeout=30)
                    if "opc-next-page" in answer.headers:
                        query["page"] = answer.headers["opc-next-page"]
                        answer = session.get(url + BASE, params=query, timeout=30)
                with budget_lock:
                    statuses[answer.status_code] += 1

    threads = [threading.Thread(target=work, args=(seed,)) for seed in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(SECONDS + 120)
    stats = requests.get(url + "/_mockoci/stats", timeout=30).json()
    print(f"\nsoak: {done} requests, statuses {dict(statuses)}, RSS samples (requests, KiB) {samples}, "
          f"store {stats}")
    assert not any(thread.is_alive() for thread in threads)
    assert set(statuses) <= {200, 204, 404, 409, 412}, statuses
    assert all(status < 500 for status in statuses)
    assert done >= min(REQUESTS, 20_000), "the soak ran too few requests to say anything"
    assert stats["retry_tokens"] <= CAPS["max_retry_tokens"]
    assert stats["terminated"] <= CAPS["max_terminated_backups"]
    assert stats["backups"] <= THREADS * 41 + CAPS["max_terminated_backups"] + 10
    # Levels off: over the second half of the run, resident memory grows by less than 10% (and < 24 MiB).
    half = [rss for count, rss in samples if count >= done // 2]
    assert half, samples
    growth = half[-1] - half[0]
    assert growth < max(half[0] // 10, 1024) and growth < 24 * 1024, samples
