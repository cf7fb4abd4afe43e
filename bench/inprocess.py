"""Measurements of the in-process server (`MockOCIServer`, as the pytest fixtures use it), in a fresh process.

`python bench/inprocess.py startup|reset|memory` prints one JSON object.
"""

from __future__ import annotations

import time

T0 = time.perf_counter()  # before mockoci and its stack are imported

import gc  # noqa: E402
import http.client  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
from data import backups  # noqa: E402

TENANCY = "ocid1.tenancy.oc1..aaaaaaaabenchtenancy"


def rss_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def request(port: int, method: str, path: str) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request(method, path)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def until_healthy(port: int) -> None:
    while True:
        try:
            if request(port, "GET", "/_mockoci/health") == 200:
                return
        except OSError:
            pass
        time.sleep(0.002)


def startup() -> dict[str, float]:
    from mockoci.server import MockOCIServer
    from mockoci.settings import Settings

    first = MockOCIServer(Settings(port=0)).start()
    until_healthy(first.port)
    cold = time.perf_counter() - T0
    warm = []
    for _ in range(5):
        start = time.perf_counter()
        server = MockOCIServer(Settings(port=0)).start()
        until_healthy(server.port)
        warm.append(time.perf_counter() - start)
        server.stop()
    first.stop()
    return {"cold_s": cold, "warm_s": statistics.median(warm)}


def reset(count: int = 10_000) -> dict[str, float]:
    from mockoci.models import VolumeBackup
    from mockoci.server import MockOCIServer
    from mockoci.settings import Settings

    models = [VolumeBackup.model_validate(item) for item in backups(count)]
    with MockOCIServer(Settings(port=0)) as server:
        times = []
        for _ in range(5):
            server.store.seed(tenancy=TENANCY, backups=models)
            start = time.perf_counter()
            assert request(server.port, "POST", "/_mockoci/reset") == 204
            times.append(time.perf_counter() - start)
    return {"reset_s": statistics.median(times), "count": count}


def memory(count: int = 100_000) -> dict[str, float]:
    """Resident size with no backups, with `count` stored, and once each was read (its JSON bytes cached)."""
    from mockoci.models import VolumeBackup
    from mockoci.server import MockOCIServer
    from mockoci.settings import Settings

    with MockOCIServer(Settings(port=0)) as server:
        until_healthy(server.port)
        gc.collect()
        empty = rss_bytes()
        models = (VolumeBackup.model_validate(item) for item in backups(count))
        stored = server.store.seed(tenancy=TENANCY, backups=models)
        gc.collect()
        full = rss_bytes()
        for backup in stored:
            backup.json()
        read = rss_bytes()
    return {
        "empty_bytes": empty,
        "full_bytes": full,
        "read_bytes": read,
        "count": count,
        "per_backup_bytes": (full - empty) / count,
        "per_read_backup_bytes": (read - empty) / count,
    }


if __name__ == "__main__":
    probes = {"startup": startup, "reset": reset, "memory": memory}
    print(json.dumps(probes[sys.argv[1]]()))
