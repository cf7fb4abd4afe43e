"""Bulk operations at 100,000 and 1,000,000 backups: the dashboard, export, garbage-collector pauses, reset.

    python bench/bulk.py                        # 100,000 and 1,000,000 backups (a few minutes, ~3 GB of memory)
    python bench/bulk.py --sizes 2000           # the CI smoke run

The server runs in a child process (`mockoci serve`'s MockOCIServer, auth off) so that the client shares no GIL
with it; the child records every garbage collection's CPU time (`gc.callbacks`, `time.thread_time`: this shared
machine's other load is not in it) and says them on stdin's
request. For each size, backups built from a template (bench/data.py, ~1 KiB each, no Faker) are seeded through
`POST /_mockoci/backups`, then:

- dashboard: the page (`GET /_mockoci/`) and its auto-refresh part (`?part=live`), each the server CPU of one
  render (best of a few, /proc's 10 ms ticks) and the worst latency of GetVolumeBackup calls made one after
  another meanwhile (over a few more renders);
- export: `GET /_mockoci/state` read to the end, and the worst latency of GetVolumeBackup calls made one after
  another on another connection meanwhile (the ceiling: the same GET's worst latency with nothing else running);
- writes: CreateVolumeBackup calls for a few seconds, with the longest collection the server made meanwhile (of
  any generation) and the worst latency of the GETs made beside them; then a forced `gc.collect()` in the server;
- reset: `POST /_mockoci/reset`, and the first list after it.

Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import gc
import http.client
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).parent))
from data import COMPARTMENT, backup

TENANCY = "ocid1.tenancy.oc1..aaaaaaaamockocidefaulttenancy"  # auth off: the default tenancy
CHUNK = 5_000  # backups per seeding request


def _template(n: int) -> dict[str, Any]:
    """Backup `n` of ~1 KiB on the wire (bench/data.py's, with a few tags)."""
    item = backup(n)
    item["freeformTags"] = {"team": "storage", "purpose": "bulk-benchmark", "batch": f"{n // 1000:04d}"}
    item["definedTags"] = {"Operations": {"CostCenter": "42", "Environment": "benchmark"}}
    return item


# -- the server side (a child process) ------------------------------------------------------------------


def serve() -> None:
    """Runs a server and answers commands on stdin with one JSON line each: `pauses` (the collections since
    the last ask: the longest per generation, in seconds), `collect` (a forced full collection's seconds)."""
    from mockoci.server import MockOCIServer
    from mockoci.settings import Settings

    pauses: list[tuple[int, float]] = []
    started = [0.0]

    def record(phase: str, info: dict[str, int]) -> None:  # CPU time: this machine's other load is not in it
        if phase == "start":
            started[0] = time.thread_time()
        else:
            pauses.append((info["generation"], time.thread_time() - started[0]))

    settings = Settings(port=0, auth="off", lifecycle_mode="immediate", unknown_volumes="accept",
                        max_body_bytes=64 << 20, journal_size=100)
    with MockOCIServer(settings) as server:
        gc.callbacks.append(record)
        print(json.dumps({"port": server.port}), flush=True)
        for line in sys.stdin:
            command = line.strip()
            if command == "pauses":
                taken, pauses[:] = list(pauses), []
                worst = {str(g): max((s for gen, s in taken if gen == g), default=0.0) for g in range(3)}
                print(json.dumps({"worst": worst, "count": len(taken)}), flush=True)
            elif command == "collect":
                start = time.thread_time()
                gc.collect()
                print(json.dumps({"seconds": time.thread_time() - start}), flush=True)
            elif command == "quit":
                break


class Server:
    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, __file__, "--serve"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        self.port = self.ask(None)["port"]

    def ask(self, command: str | None) -> dict[str, Any]:
        assert self.process.stdin is not None and self.process.stdout is not None
        if command is not None:
            self.process.stdin.write(command + "\n")
            self.process.stdin.flush()
        answer: dict[str, Any] = json.loads(self.process.stdout.readline())
        return answer

    def cpu(self) -> float:
        """The server process's CPU seconds so far (user and system, from /proc)."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write("quit\n")
        self.process.stdin.close()
        self.process.wait(timeout=60)


# -- the client side --------------------------------------------------------------------------------------


class Client:
    def __init__(self, port: int) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)

    def call(self, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
        headers = {"content-type": "application/json"} if body is not None else {}
        try:
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
        except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):  # idle past keep-alive
            self.connection.close()
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
        return response.status, response.read()


class Prober(threading.Thread):
    """GetVolumeBackup calls one after another until stopped; keeps the worst latency."""

    def __init__(self, port: int, backup_id: str) -> None:
        super().__init__(daemon=True)
        self.client = Client(port)
        self.path = "/20160918/volumeBackups/" + quote(backup_id, safe="")
        self.worst = 0.0
        self.calls = 0
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            start = time.perf_counter()
            status, _ = self.client.call("GET", self.path)
            self.worst = max(self.worst, time.perf_counter() - start)
            self.calls += 1
            assert status == 200, status
            time.sleep(0.001)

    def stop(self) -> tuple[float, int]:
        self.stopping.set()
        self.join()
        return self.worst, self.calls


def probing(port: int, backup_id: str, seconds: float) -> float:
    """The worst GET latency over `seconds` with nothing else running (the ceiling)."""
    prober = Prober(port, backup_id)
    prober.start()
    time.sleep(seconds)
    return prober.stop()[0]


def seed(client: Client, count: int) -> float:
    start = time.perf_counter()
    for first in range(0, count, CHUNK):
        body = json.dumps([_template(n) for n in range(first, min(count, first + CHUNK))]).encode()
        status, answer = client.call("POST", "/_mockoci/backups", body)
        assert status == 201, answer[:300]
    return time.perf_counter() - start


def export(server: Server, backup_id: str) -> dict[str, float]:
    port = server.port
    prober = Prober(port, backup_id)
    prober.start()
    time.sleep(0.1)
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    cpu = server.cpu()
    start = time.perf_counter()
    connection.request("GET", "/_mockoci/state")
    response = connection.getresponse()
    assert response.status == 200, response.status
    size = 0
    while chunk := response.read(1 << 20):
        size += len(chunk)
    seconds = time.perf_counter() - start
    cpu = server.cpu() - cpu
    worst, calls = prober.stop()
    connection.close()
    return {"export_s": seconds, "export_cpu_s": cpu, "export_mb": size / 1e6, "get_worst_ms": worst * 1e3,
            "gets": calls}


def dashboard(server: Server, backup_id: str, rounds: int) -> dict[str, dict[str, float]]:
    """Per part of the dashboard: the best server CPU and wall time of a render over `rounds` with nothing else
    running, then the worst GET latency over `rounds` more renders made beside the GETs."""
    client = Client(server.port)
    figures = {}
    for part in ("page", "live"):
        path = "/_mockoci/?part=" + part
        cpu, wall, size = [], [], 0
        for _ in range(rounds):
            before, start = server.cpu(), time.perf_counter()
            status, body = client.call("GET", path)
            wall.append(time.perf_counter() - start)
            cpu.append(server.cpu() - before)
            assert status == 200, status
            size = len(body)
        prober = Prober(server.port, backup_id)
        prober.start()
        time.sleep(0.1)
        for _ in range(rounds):
            client.call("GET", path)
        worst, calls = prober.stop()
        figures[part] = {"cpu_ms": min(cpu) * 1e3, "wall_ms": min(wall) * 1e3, "kb": size / 1e3,
                         "get_worst_ms": worst * 1e3, "gets": calls}
    return figures


def writes(server: Server, client: Client, backup_id: str, seconds: float) -> dict[str, float]:
    server.ask("pauses")  # forget the collections so far
    prober = Prober(server.port, backup_id)
    prober.start()
    deadline = time.perf_counter() + seconds
    n = 0
    while time.perf_counter() < deadline:  # creates: updates allocate as much as they free, and never collect
        body = json.dumps({"volumeId": "ocid1.volume.oc1.iad.bulk", "displayName": f"new-{n}",
                           "freeformTags": {"round": str(n)}}).encode()
        status, answer = client.call("POST", "/20160918/volumeBackups", body)
        assert status == 200, answer[:300]
        n += 1
    worst, _ = prober.stop()
    pauses = server.ask("pauses")
    collect = server.ask("collect")["seconds"]
    return {
        "creates": n, "gc_worst_ms": {g: s * 1e3 for g, s in pauses["worst"].items()}, "gc_count": pauses["count"],
        "get_worst_ms": worst * 1e3, "forced_collect_ms": collect * 1e3,
    }


def reset(server: Server, client: Client) -> dict[str, float]:
    cpu = server.cpu()
    start = time.perf_counter()
    status, _ = client.call("POST", "/_mockoci/reset")
    assert status == 204, status
    reset_s = time.perf_counter() - start
    cpu = server.cpu() - cpu
    start = time.perf_counter()
    status, _ = client.call("GET", f"/20160918/volumeBackups?compartmentId={COMPARTMENT}&limit=50")
    assert status == 200, status
    next_list = time.perf_counter() - start
    return {"reset_ms": reset_s * 1e3, "reset_cpu_ms": cpu * 1e3, "next_list_ms": next_list * 1e3}


def measure(count: int, write_seconds: float, dashboard_rounds: int) -> dict[str, Any]:
    server = Server()
    try:
        client = Client(server.port)
        probed = backup(count // 2)["id"]
        figures: dict[str, Any] = {"backups": count, "seed_s": seed(client, count)}
        figures["get_worst_idle_ms"] = probing(server.port, probed, 1.0) * 1e3
        figures["dashboard"] = dashboard(server, probed, dashboard_rounds)
        figures["export"] = export(server, probed)
        figures["writes"] = writes(server, client, probed, write_seconds)
        figures["reset"] = reset(server, client)
        return figures
    finally:
        server.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--write-seconds", type=float, default=5.0)
    parser.add_argument("--dashboard-rounds", type=int, default=5)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve()
        return
    for count in args.sizes:
        figures = measure(count, args.write_seconds, args.dashboard_rounds)
        export_figures, write_figures, reset_figures = figures["export"], figures["writes"], figures["reset"]
        print(f"{count:>9,} backups: seeded in {figures['seed_s']:.1f} s")
        print(f"  export        {export_figures['export_s']:.2f} s for {export_figures['export_mb']:.0f} MB "
              f"({export_figures['export_s'] / count * 1e5:.2f} s per 100,000; target < 1; server CPU "
              f"{export_figures['export_cpu_s']:.2f} s); "
              f"concurrent GET worst {export_figures['get_worst_ms']:.1f} ms over {export_figures['gets']} calls "
              f"(idle worst {figures['get_worst_idle_ms']:.1f} ms)")
        for part, shown in figures["dashboard"].items():
            print(f"  dashboard {part:<4}{shown['cpu_ms']:>6.0f} ms server CPU ({shown['wall_ms']:.0f} ms wall, "
                  f"{shown['kb']:.0f} kB); concurrent GET worst {shown['get_worst_ms']:.1f} ms over "
                  f"{shown['gets']} calls")
        worst = write_figures["gc_worst_ms"]
        print(f"  writes        {write_figures['creates']} creates: longest collection gen0/1/2 "
              f"{worst['0']:.1f}/{worst['1']:.1f}/{worst['2']:.1f} ms of {write_figures['gc_count']} (target < 100); "
              f"concurrent GET worst {write_figures['get_worst_ms']:.1f} ms")
        print(f"  gc.collect()  {write_figures['forced_collect_ms']:.1f} ms (forced, in the server)")
        print(f"  reset         {reset_figures['reset_ms']:.1f} ms (target < 50; server CPU "
              f"{reset_figures['reset_cpu_ms']:.0f} ms, /proc's 10 ms ticks); "
              f"the list after it {reset_figures['next_list_ms']:.1f} ms")
        print(json.dumps(figures), flush=True)


if __name__ == "__main__":
    main()
