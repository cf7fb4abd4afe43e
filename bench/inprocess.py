"""Measurements of the in-process server (`MockOCIServer`, as the pytest fixtures use it), in a fresh process.

`python bench/inprocess.py startup|breakdown|reset|memory` prints one JSON object.
"""

from __future__ import annotations

import time

T0 = time.perf_counter()  # before mockoci and its stack are imported
C0 = time.process_time()

import gc  # noqa: E402
import http.client  # noqa: E402
import itertools  # noqa: E402
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


def now() -> tuple[float, float]:
    """Wall and CPU seconds (CPU: the whole process's, its server threads' included)."""
    return time.perf_counter(), time.process_time()


def spans(marks: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Wall and CPU ms between successive marks."""
    return [((end[0] - begin[0]) * 1000, (end[1] - begin[1]) * 1000) for begin, end in itertools.pairwise(marks)]


def breakdown(count: int = 15) -> dict[str, float]:
    """Where a start goes, wall and CPU ms: the imports (FastAPI, pydantic, uvicorn: `stack`; mockoci's own),
    then each step of the first server (`cold_*`) and the median of `count` more (`warm_*`). `create_app`
    includes the app's operation table (mockoci.operations), read from the OCI operations' declarations
    (Operations) and the admin API's routes."""
    import fastapi  # noqa: F401
    import uvicorn  # noqa: F401

    stack = now()
    from mockoci.app import create_app
    from mockoci.server import MockOCIServer
    from mockoci.settings import Settings

    imports = spans([(T0, C0), stack, now()])
    steps = ("settings", "create_app", "start", "first_200", "stop")

    def start_and_stop() -> list[tuple[float, float]]:
        marks = [now()]
        settings = Settings(port=0)
        marks.append(now())
        app = create_app(settings)
        marks.append(now())
        server = MockOCIServer(settings, app).start()
        marks.append(now())
        assert request(server.port, "GET", "/_mockoci/health") == 200
        marks.append(now())
        server.stop()
        marks.append(now())
        return spans(marks)

    cold = start_and_stop()
    warm = [start_and_stop() for _ in range(count)]
    result = {}
    for name, (wall, cpu) in zip(("import_stack", "import_mockoci"), imports, strict=True):
        result[f"{name}_ms"], result[f"{name}_cpu_ms"] = wall, cpu
    for index, step in enumerate(steps):
        result[f"cold_{step}_ms"], result[f"cold_{step}_cpu_ms"] = cold[index]
        result[f"warm_{step}_ms"] = statistics.median(times[index][0] for times in warm)
        result[f"warm_{step}_cpu_ms"] = statistics.median(times[index][1] for times in warm)
    return result


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
    probes = {"startup": startup, "breakdown": breakdown, "reset": reset, "memory": memory}
    print(json.dumps(probes[sys.argv[1]]()))
