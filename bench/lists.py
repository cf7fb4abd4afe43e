"""List pages at a million: `python bench/lists.py [--sizes 1000 1000000]` prints, for every filter, order, page
and endpoint of ListVolumeBackups, the p50 and the server CPU per request at each size, and the ratio of each
size to the first (the target: at most 2x).

For each size a server process (this script with `--serve N`: a `MockOCIServer` in presence-auth mode) holds
N synthetic backups in one compartment, made from one template:

- 4 volumes, two in us-ashburn-1 and two in us-phoenix-1; a backup is of volume n % 4, in that volume's region;
- every 10th backup (n % 10 == 9) is instead a copy, in the other region, of one of the first 8 backups;
- every 5th is named `nightly` (a copy takes its source's name), the others a name of their own;
- 1% TERMINATED, 5% FAULTY, the others AVAILABLE; created a second apart.

Every case is one signed GET (the oci SDK's signer) sent `--requests` times over one keep-alive connection; the
figures are the medians of each request's wall time and of the server's CPU time around it (from
/proc/PID/task/*/schedstat, to the nanosecond; on this shared machine CPU is steadier than wall time). A
"later page" is the page after walking up to 20 pages of the same limit (the last page there is, if fewer).
Building a million takes 3 to 9 minutes here (Faker would take an hour); then the server freezes what it holds
out of the garbage collector (gc.freeze), so that no full collection of a million objects lands in a page's
time: collector pauses are bench/bulk.py's business.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import http.client
import json
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

BENCH = Path(__file__).parent
sys.path.insert(0, str(BENCH))
from data import COMPARTMENT, _ocid  # noqa: E402

TENANCY = "ocid1.tenancy.oc1..aaaaaaaabenchtenancy"  # the tenancy of bench/run.py's signing identity
REGIONS = ("us-ashburn-1", "us-phoenix-1")
REGION_KEYS = ("iad", "phx")
VOLUME_IDS = tuple(_ocid("volume", v) for v in range(4))
START = datetime(2026, 1, 1, tzinfo=UTC)
HOPS = 20  # pages of the measured limit walked at most to a later page


def _region_of_volume(volume: int) -> int:
    return volume // 2


def backup_id(n: int) -> str:
    """Backup n's id: its region's key in the OCID, so the server stores it in that region."""
    region = _region_of_volume(_source(n) % 4) ^ 1 if _is_copy(n) else _region_of_volume(n % 4)
    return _ocid("volumebackup", n).replace(".iad.", f".{REGION_KEYS[region]}.", 1)


def _is_copy(n: int) -> bool:
    return n % 10 == 9


def _source(n: int) -> int:
    return (n // 10) % 8


def _name(n: int) -> str:
    return "nightly" if n % 5 == 0 else f"backup-{n:07d}"


def synthetic(count: int) -> Any:
    """The backups, as models made from one validated template (model_copy: no validation per backup)."""
    from mockoci.models import VolumeBackup

    template = VolumeBackup.model_validate({
        "id": backup_id(0), "compartmentId": COMPARTMENT, "displayName": "template", "lifecycleState": "AVAILABLE",
        "type": "INCREMENTAL", "sourceType": "MANUAL", "sizeInGBs": 50, "sizeInMBs": 51200, "uniqueSizeInGBs": 25,
        "uniqueSizeInMbs": 25600, "volumeId": VOLUME_IDS[0], "timeCreated": START.isoformat(),
        "timeRequestReceived": START.isoformat(), "definedTags": {}, "freeformTags": {}, "systemTags": {},
    })
    for n in range(count):
        created = START + timedelta(seconds=n)
        state = "TERMINATED" if n % 100 == 7 else "FAULTY" if n % 20 == 3 else "AVAILABLE"
        if _is_copy(n):
            source = _source(n)
            update = {"volume_id": VOLUME_IDS[source % 4], "display_name": _name(source),
                      "source_volume_backup_id": backup_id(source), "source_type": "MANUAL"}
        else:
            update = {"volume_id": VOLUME_IDS[n % 4], "display_name": _name(n)}
        yield template.model_copy(update={
            **update, "id": backup_id(n), "lifecycle_state": state, "time_created": created,
            "time_request_received": created,
        })


def serve(count: int) -> None:
    """Build a server holding `count` backups, print its port, and serve until stdin closes."""
    from mockoci.server import MockOCIServer
    from mockoci.settings import Settings

    settings = Settings(port=0, max_terminated_backups=count, terminated_retention=10**9, log_level="warning")
    with MockOCIServer(settings) as server:
        server.store.seed(tenancy=TENANCY, backups=synthetic(count))
        gc.collect()
        gc.freeze()
        print(server.port, flush=True)
        sys.stdin.read()


# -- the client side ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    filters: str  # a label
    params: tuple[tuple[str, str], ...]
    sort_by: str
    sort_order: str
    page: str  # first, later
    region: str | None  # None: the plain endpoint


def cases() -> list[Case]:
    nightly, unique, source = "nightly", _name(13), backup_id(0)
    filters: list[tuple[str, dict[str, str]]] = [
        ("none", {}),
        ("volumeId", {"volumeId": VOLUME_IDS[0]}),
        ("displayName unique", {"displayName": unique}),
        ("displayName shared (20%)", {"displayName": nightly}),
        ("sourceVolumeBackupId", {"sourceVolumeBackupId": source}),
        ("lifecycleState TERMINATED (1%)", {"lifecycleState": "TERMINATED"}),
        ("lifecycleState AVAILABLE", {"lifecycleState": "AVAILABLE"}),
        ("volumeId + lifecycleState FAULTY", {"volumeId": VOLUME_IDS[1], "lifecycleState": "FAULTY"}),
        ("volumeId + displayName shared", {"volumeId": VOLUME_IDS[0], "displayName": nightly}),
        ("volumeId + state AVAILABLE", {"volumeId": VOLUME_IDS[0], "lifecycleState": "AVAILABLE"}),
        ("all four", {"volumeId": VOLUME_IDS[0], "displayName": nightly, "sourceVolumeBackupId": source,
                      "lifecycleState": "AVAILABLE"}),
    ]
    orders = [("TIMECREATED", "DESC"), ("TIMECREATED", "ASC"), ("DISPLAYNAME", "ASC"), ("DISPLAYNAME", "DESC")]
    return [
        Case(label, tuple(params.items()), sort_by, sort_order, page, region)
        for region in (None, REGIONS[1])
        for label, params in filters
        for sort_by, sort_order in orders
        for page in ("first", "later")
    ]


class Client:
    """Signed GETs over one keep-alive connection."""

    def __init__(self, port: int, folder: Path) -> None:
        from run import make_identity

        self.signer = make_identity(folder).signer
        self.port = port
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)

    def signed(self, target: str) -> dict[str, str]:
        import requests

        prepared = requests.Request(
            "GET", f"http://127.0.0.1:{self.port}{target}", headers={"accept": "application/json"}
        ).prepare()
        self.signer(prepared)
        return {name: value if isinstance(value, str) else value.decode("latin-1")
                for name, value in prepared.headers.items()}

    def get(self, target: str, headers: dict[str, str]) -> tuple[int, bytes, str | None]:
        self.connection.request("GET", target, headers=headers)
        response = self.connection.getresponse()
        body = response.read()
        if response.status != 200:
            raise RuntimeError(f"GET {target}: {response.status} {body[:300]!r}")
        return response.status, body, response.getheader("opc-next-page")


def target(case: Case, limit: int, token: str | None) -> str:
    prefix = f"/{case.region}" if case.region else ""
    params = {"compartmentId": COMPARTMENT, **dict(case.params), "sortBy": case.sort_by, "sortOrder": case.sort_order,
              "limit": str(limit), **({"page": token} if token else {})}
    return f"{prefix}/20160918/volumeBackups?{urlencode(params)}"


def later_token(client: Client, case: Case, limit: int) -> str | None:
    """The token of a later page: after up to HOPS pages (None: there is no second page)."""
    token, last = None, None
    for _ in range(HOPS):
        path = target(case, limit, token)
        _, _, next_token = client.get(path, client.signed(path))
        if next_token is None:
            break
        token = last = next_token
    return last


@dataclass
class Figure:
    items: int
    p50_ms: float
    cpu_us: float


def cpu_seconds(pid: int) -> float:
    """CPU time the process's threads have run, in ns resolution (/proc/PID/task/*/schedstat; /proc/PID/stat
    counts 10 ms ticks, too coarse for a page of a millisecond)."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(FileNotFoundError):  # a thread that just ended
            total += int((task / "schedstat").read_text().split()[0])
    return total / 1e9


def measure(client: Client, pid: int, case: Case, limit: int, requests: int) -> Figure | None:
    token = None
    if case.page == "later":
        token = later_token(client, case, limit)
        if token is None:
            return None
    path = target(case, limit, token)
    headers = client.signed(path)
    for _ in range(3):
        _, body, _ = client.get(path, headers)  # warm: the page's JSON bytes are cached once read
    times, cpus = [], []
    for _ in range(requests):
        cpu = cpu_seconds(pid)
        start = time.perf_counter()
        client.get(path, headers)
        times.append(time.perf_counter() - start)
        cpus.append(cpu_seconds(pid) - cpu)
    return Figure(len(json.loads(body)), statistics.median(times) * 1000, statistics.median(cpus) * 1e6)


def run_size(count: int, all_cases: list[Case], args: argparse.Namespace, folder: Path) -> dict[Case, Figure | None]:
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, __file__, "--serve", str(count)], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line:
            raise RuntimeError(f"the server for {count:,} backups exited with {process.wait()}")
        rss = next(int(line.split()[1]) * 1024 for line in Path(f"/proc/{process.pid}/status").read_text().splitlines()
                   if line.startswith("VmRSS:"))
        print(f"# {count:,} backups built and served in {time.perf_counter() - started:.1f} s; server RSS "
              f"{rss / 2**20:,.0f} MiB", file=sys.stderr)
        client = Client(int(line), folder)
        return {case: measure(client, process.pid, case, args.limit, args.requests) for case in all_cases}
    finally:
        if process.stdin is not None:
            process.stdin.close()
        process.wait(60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 1_000_000])
    parser.add_argument("--requests", type=int, default=30, help="requests per case and size")
    parser.add_argument("--limit", type=int, default=10, help="the measured pages' limit")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve is not None:
        serve(args.serve)
        return
    all_cases = cases()
    with tempfile.TemporaryDirectory() as folder:
        results = {count: run_size(count, all_cases, args, Path(folder)) for count in args.sizes}
    report(all_cases, results, args)


def report(all_cases: list[Case], results: dict[int, dict[Case, Figure | None]], args: argparse.Namespace) -> None:
    base, sizes = args.sizes[0], args.sizes[1:]
    print(f"ListVolumeBackups, limit {args.limit}: medians of {args.requests} requests' wall time (p50) and server "
          f"CPU; each size against {base:,} backups (target: at most 2x, judged by CPU)")
    header = f"{'filters':<32} {'sortBy':<11} {'order':<5} {'page':<5} {'endpoint':<13} {'items':>9}"
    for count in (base, *sizes):
        header += f" | {f'{count:,}: p50, CPU':>22}"
        if count != base:
            header += f" {'p50 x':>6} {'CPU x':>6} {'met':>4}"
    print(header)
    worst: dict[int, tuple[float, Case]] = {}
    for case in all_cases:
        figures = [results[count][case] for count in (base, *sizes)]
        items = "/".join(str(f.items) if f else "-" for f in figures)
        line = f"{case.filters:<32} {case.sort_by:<11} {case.sort_order:<5} {case.page:<5} "
        line += f"{('/' + case.region) if case.region else 'plain':<13} {items:>9}"
        first = figures[0]
        for count, figure in zip((base, *sizes), figures, strict=True):
            if figure is None:
                line += f" | {'no such page':>22}" + ("" if count == base else f" {'':>6} {'':>6} {'':>4}")
                continue
            line += f" | {figure.p50_ms:9.2f} ms {figure.cpu_us:6.0f} us"
            if count != base and first is not None and not first.cpu_us:  # under /proc's 10 ms tick: too few calls
                line += f" {figure.p50_ms / first.p50_ms:6.2f} {'n/a':>6} {'':>4}"
            elif count != base and first is not None:
                ratio = figure.cpu_us / first.cpu_us
                line += f" {figure.p50_ms / first.p50_ms:6.2f} {ratio:6.2f} {'yes' if ratio <= 2 else 'NO':>4}"
                if ratio > worst.get(count, (0.0, case))[0]:
                    worst[count] = (ratio, case)
        print(line)
    for count, (ratio, case) in worst.items():
        pairs = [(results[base][c], results[count][c]) for c in all_cases]
        measured = [(small, big) for small, big in pairs if small is not None and big is not None and small.cpu_us]
        met = sum(1 for small, big in measured if big.cpu_us <= 2 * small.cpu_us)
        print(f"at {count:,}: {met} of the {len(measured)} pages there are at both sizes within 2x by CPU; the worst "
              f"{ratio:.2f}x: {case.filters}, {case.sort_by} {case.sort_order}, {case.page} page, "
              f"{('/' + case.region) if case.region else 'plain'}")


if __name__ == "__main__":
    main()
