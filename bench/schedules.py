"""Scheduled backups: how long a clock advance takes to run backup policies, and a list page among many of them.

    python bench/schedules.py                      # 100 volumes, hourly policy, 30 days; list at 10,000
    python bench/schedules.py --volumes 10 --days 2 --list-sizes 100 1000 --requests 50   # the CI smoke run

An in-process server (`MockOCIServer`, auth off) on a free port, driven over HTTP: the volumes are seeded, an
hourly policy (1 day retention) is created and assigned to each, then one `POST /_mockoci/clock/advance` runs
`--days` of it (most of the backups made expire again). The list figures time `GET /20160918/volumeBackups`
(limit 100, first page and a middle page) in a compartment of N scheduled backups, against the first page at the
smallest N: bench/run.py's list target is <= 1.5x. Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import time
from typing import Any

from mockoci.server import MockOCIServer
from mockoci.settings import Settings

HOUR = 3600


class Client:
    def __init__(self, port: int) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any, dict[str, str]]:
        data = json.dumps(body).encode() if body is not None else None
        headers = {"content-type": "application/json"} if data is not None else {}
        self.connection.request(method, path, body=data, headers=headers)
        response = self.connection.getresponse()
        raw = response.read()
        return response.status, json.loads(raw) if raw else None, dict(response.getheaders())


def scheduled(client: Client, *, volumes: int, compartment: str, retention: int, hours: float) -> float:
    """Seeds `volumes` volumes with an hourly policy each; returns the seconds one advance of `hours` took."""
    client.call("POST", "/_mockoci/reset")
    ids = [f"ocid1.volume.oc1.iad.bench{compartment[-6:]}{n:05d}" for n in range(volumes)]
    status, _, _ = client.call("POST", "/_mockoci/backups", {
        "volumes": [{"id": volume, "compartmentId": compartment, "sizeInGBs": 50} for volume in ids]
    })
    assert status == 201, status
    status, policy, _ = client.call("POST", "/20160918/volumeBackupPolicies", {
        "compartmentId": compartment, "displayName": "hourly",
        "schedules": [{"backupType": "INCREMENTAL", "period": "ONE_HOUR", "retentionSeconds": retention}],
    })
    assert status == 200, policy
    for volume in ids:
        status, _, _ = client.call("POST", "/20160918/volumeBackupPolicyAssignments",
                                   {"assetId": volume, "policyId": policy["id"]})
        assert status == 200
    started = time.perf_counter()
    status, _, _ = client.call("POST", "/_mockoci/clock/advance", {"seconds": hours * HOUR})
    assert status == 200
    return time.perf_counter() - started


def page_ms(client: Client, path: str, requests: int) -> float:
    times = []
    for _ in range(requests):
        started = time.perf_counter()
        status, _, _ = client.call("GET", path)
        times.append((time.perf_counter() - started) * 1000)
        assert status == 200
    return statistics.median(times)


def list_figures(client: Client, count: int, requests: int) -> tuple[float, float]:
    """(first page, middle page) p50 ms in a compartment of `count` live scheduled backups (100 volumes)."""
    compartment = f"ocid1.compartment.oc1..benchlist{count:06d}"
    volumes = min(100, count)
    scheduled(client, volumes=volumes, compartment=compartment, retention=365 * 24 * HOUR,
              hours=count / volumes + 0.5)
    path = f"/20160918/volumeBackups?compartmentId={compartment}&limit=100"
    first = page_ms(client, path, requests)
    walk = path
    for _ in range(count // 200):
        _, _, headers = client.call("GET", walk)
        walk = f"{path}&page={headers['opc-next-page']}"
    return first, page_ms(client, walk, requests)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--volumes", type=int, default=100)
    parser.add_argument("--days", type=float, default=30)
    parser.add_argument("--list-sizes", type=int, nargs="+", default=[100, 10_000])
    parser.add_argument("--requests", type=int, default=200, help="requests per list figure")
    args = parser.parse_args()
    server = MockOCIServer(Settings(port=0, auth="off", lifecycle_delay=0.5, seed=1)).start()
    try:
        client = Client(server.port)
        seconds = scheduled(client, volumes=args.volumes, compartment="ocid1.compartment.oc1..benchsched",
                            retention=24 * HOUR, hours=args.days * 24)
        _, stats, _ = client.call("GET", "/_mockoci/stats")
        print(f"advance {args.days:g} days, hourly policy on {args.volumes} volumes: {seconds:.2f} s "
              f"({stats['scheduled_backups_made']:,} scheduled backups made, {stats['backups']:,} still stored; "
              "target < 5 s at 100 volumes and 30 days)")
        base: float | None = None
        for count in args.list_sizes:
            first, middle = list_figures(client, count, args.requests)
            base = base or first
            print(f"list page at {count:,} scheduled backups: first p50 {first:.2f} ms ({first / base:.2f}x), "
                  f"middle p50 {middle:.2f} ms ({middle / base:.2f}x; target <= 1.5x the first page at "
                  f"{args.list_sizes[0]:,})")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
