"""mockoci's benchmark: `python bench/run.py` starts everything it needs and prints one table.

Throughput is measured with wrk (a separate process) replaying requests signed by the oci SDK's own signer,
and every throughput figure is printed as a ratio to ceilings measured in the same run on the same stack.
The targets are issue 12's; the `sdk` section is bench/sdk_calls.py (the real SDK, one call at a time).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import oci
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

sys.path.insert(0, str(Path(__file__).parent))
from data import COMPARTMENT, backup, backups

BENCH = Path(__file__).parent
TENANCY = "ocid1.tenancy.oc1..aaaaaaaabenchtenancy"
USER = "ocid1.user.oc1..aaaaaaaabenchuser"
PUT_BODY = b'{"displayName":"bench-renamed"}'
PUT_POOL = 128  # backups the PUT load cycles through; more than the connections, so one is always free


# -- keys and signed requests ------------------------------------------------------------------------------


@dataclass
class Identity:
    signer: oci.signer.Signer
    config: dict[str, str]
    public_key_path: Path


def make_identity(folder: Path) -> Identity:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = key.public_key()
    der = public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    fingerprint = ":".join(f"{b:02x}" for b in hashlib.md5(der).digest())
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()
    public_key_path = folder / "bench-key.pub.pem"
    public_key_path.write_bytes(
        public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    signer = oci.signer.Signer(TENANCY, USER, fingerprint, None, private_key_content=pem)
    config = {
        "tenancy": TENANCY,
        "user": USER,
        "fingerprint": fingerprint,
        "key_content": pem,
        "region": "us-ashburn-1",
    }
    return Identity(signer, config, public_key_path)


def raw_request(signer: Any, method: str, port: int, path: str, body: bytes | None = None) -> tuple[str, str]:
    """A request signed by the SDK's signer as raw HTTP/1.1 text, split where `if-match` may be inserted."""
    headers = {"accept": "application/json"}
    if body is not None:
        headers["content-type"] = "application/json"
    prepared = requests.Request(
        method, f"http://127.0.0.1:{port}{path}", data=body, headers=headers
    ).prepare()
    signer(prepared)
    head = f"{method} {prepared.path_url} HTTP/1.1\r\n"
    head += "".join(f"{name}: {_text(value)}\r\n" for name, value in prepared.headers.items())
    return head, "\r\n" + (body or b"").decode()


def _text(value: str | bytes) -> str:
    return value if isinstance(value, str) else value.decode("latin-1")


def lua_string(text: str) -> str:
    return (
        '"' + "".join(c if c.isalnum() or c in " -_/:.=,;()+*?&%" else f"\\{ord(c):03d}" for c in text) + '"'
    )


def write_static(path: Path, head: str, tail: str) -> Path:
    path.write_text("return {mode = 'static', request = " + lua_string(head + tail) + "}\n")
    return path


def write_put_pool(path: Path, items: list[tuple[str, str, str, str]]) -> Path:
    lines = [
        f"{{id = {lua_string(i)}, etag = {lua_string(e)}, head = {lua_string(h)}, tail = {lua_string(t)}}},"
        for i, e, h, t in items
    ]
    path.write_text("return {mode = 'put', items = {\n" + "\n".join(lines) + "\n}}\n")
    return path


# -- processes ---------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for(
    port: int, process: subprocess.Popen[bytes], path: str = "/_mockoci/health", timeout: float = 120
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"server exited with {process.returncode}: {process.stderr.read().decode()[-2000:]}"
                if process.stderr
                else "server exited"
            )
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                sock.sendall(f"GET {path} HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n\r\n".encode())
                if sock.recv(64).startswith(b"HTTP/1.1 200"):
                    return
        except OSError:
            pass
        time.sleep(0.002)
    raise TimeoutError(f"no 200 on {path} within {timeout} s")


@dataclass
class Server:
    port: int
    process: subprocess.Popen[bytes]

    def cpu_seconds(self) -> float:
        """User + system CPU time the server process has used so far."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def rss(self) -> int:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        raise RuntimeError("no VmRSS")


@contextmanager
def mockoci(*args: str) -> Iterator[Server]:
    port = free_port()
    command = [sys.executable, "-m", "mockoci", "serve", "--port", str(port), "--lifecycle-delay", "0",
               "--log-level", "warning", *args]  # stderr is a pipe read only if the server dies
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_for(port, process)
        yield Server(port, process)
    finally:
        process.terminate()
        process.wait(10)


@contextmanager
def ceiling(kind: str, response_file: Path) -> Iterator[Server]:
    command = [sys.executable, str(BENCH / "ceiling.py"), kind, str(response_file)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE)
    try:
        assert process.stdout is not None
        port = int(process.stdout.readline())
        wait_for(port, process, "/20160918/volumeBackups/x")
        yield Server(port, process)
    finally:
        process.terminate()
        process.wait(10)


def write_fixtures(path: Path, count: int) -> Path:
    with path.open("w") as file:
        json.dump(list(backups(count)), file)
    return path


# -- wrk -----------------------------------------------------------------------------------------------------


@dataclass
class Load:
    rps: float
    p50_ms: float
    p99_ms: float
    cpu_us: float  # server CPU time per request: steadier than throughput on a busy machine


def wrk(server: Server, data: Path, connections: int, seconds: int) -> Load:
    command = [
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(BENCH / "replay.lua"),
        f"http://127.0.0.1:{server.port}",
        "--",
        str(data),
    ]
    cpu = server.cpu_seconds()
    run = subprocess.run(command, capture_output=True, text=True, check=True)
    cpu = server.cpu_seconds() - cpu
    result = json.loads(run.stdout.strip().splitlines()[-1])
    if result["non2xx"] or result["socket_errors"]:
        raise RuntimeError(f"wrk saw errors replaying {data.name}: {run.stdout}{run.stderr}")
    requests_done = result["requests"]
    return Load(
        requests_done / (result["duration_us"] / 1e6),
        result["p50_us"] / 1e3,
        result["p99_us"] / 1e3,
        cpu / requests_done * 1e6,
    )


# -- the measurements ----------------------------------------------------------------------------------------


class Session:
    def __init__(self, identity: Identity, port: int) -> None:
        self.http = requests.Session()
        self.http.auth = identity.signer
        self.base = f"http://127.0.0.1:{port}"

    def get(self, path: str, **params: Any) -> requests.Response:
        response = self.http.get(
            self.base + path, params=params, headers={"accept": "application/json"}, timeout=60
        )
        response.raise_for_status()
        return response


def sample_response(identity: Identity, port: int) -> dict[str, Any]:
    """The body and headers of mockoci's GetVolumeBackup response, for the ceilings to send."""
    response = Session(identity, port).get(f"/20160918/volumeBackups/{backup(0)['id']}")
    return {
        "body": response.text,
        "headers": {k: response.headers[k] for k in ("content-type", "etag", "opc-request-id")},
    }


def crud_data(identity: Identity, port: int, folder: Path, operation: str, etags: bool) -> Path:
    """wrk data: a signed GET of one backup, or signed PUTs of a pool of backups with their current etags."""
    if operation == "GET":
        path = f"/20160918/volumeBackups/{backup(0)['id']}"
        return write_static(folder / f"get-{port}.lua", *raw_request(identity.signer, "GET", port, path))
    session = Session(identity, port)
    items = []
    for n in range(1, PUT_POOL + 1):
        backup_id = backup(n)["id"]
        path = f"/20160918/volumeBackups/{backup_id}"
        etag = session.get(path).headers["etag"] if etags else "etag"
        items.append((backup_id, etag, *raw_request(identity.signer, "PUT", port, path, PUT_BODY)))
    return write_put_pool(folder / f"put-{port}.lua", items)


def verify_enforced(identity: Identity, port: int) -> bool:
    """Whether the server rejects a request whose signature does not verify."""
    head, tail = raw_request(identity.signer, "GET", port, f"/20160918/volumeBackups/{backup(0)['id']}")
    forged = head.replace('signature="', 'signature="AAAA', 1)
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall((forged.replace("\r\n", "\r\nconnection: close\r\n", 1) + tail).encode())
        return sock.recv(64).startswith(b"HTTP/1.1 401")


def measure_throughput(
    args: argparse.Namespace, identity: Identity, folder: Path
) -> dict[str, dict[str, Load]]:
    """The best of `args.rounds` runs per server and operation; the servers take turns, so drift hits all."""
    fixtures = write_fixtures(folder / "crud.json", PUT_POOL + 1)
    results: dict[str, dict[str, Load]] = {}
    with ExitStack() as stack:
        presence = stack.enter_context(mockoci("--fixtures", str(fixtures)))
        response_file = folder / "response.json"
        response_file.write_text(json.dumps(sample_response(identity, presence.port)))
        targets = {
            "asgi": (stack.enter_context(ceiling("asgi", response_file)), False),
            "fastapi": (stack.enter_context(ceiling("fastapi", response_file)), False),
            "presence": (presence, True),
        }
        if verify_supported(identity, fixtures):
            verify = stack.enter_context(mockoci("--fixtures", str(fixtures), *verify_args(identity)))
            targets["verify"] = (verify, True)
        for _ in range(args.rounds):
            for name, (server, etags) in targets.items():
                for operation in ("GET", "PUT"):
                    wrk(
                        server,
                        crud_data(identity, server.port, folder, operation, etags),
                        args.connections,
                        1,
                    )
                    data = crud_data(identity, server.port, folder, operation, etags)
                    load = wrk(server, data, args.connections, args.seconds)
                    best = results.setdefault(name, {}).get(operation)
                    if best is None or load.rps > best.rps:
                        results[name][operation] = Load(
                            load.rps,
                            load.p50_ms,
                            load.p99_ms,
                            min(load.cpu_us, best.cpu_us if best else load.cpu_us),
                        )
                    elif load.cpu_us < best.cpu_us:
                        best.cpu_us = load.cpu_us
    return results


def verify_args(identity: Identity) -> list[str]:
    return ["--auth", "verify", "--public-key", str(identity.public_key_path)]


def verify_supported(identity: Identity, fixtures: Path) -> bool:
    """Whether this mockoci has `--auth verify --public-key` and rejects a signature that does not verify."""
    try:
        with mockoci("--fixtures", str(fixtures), *verify_args(identity)) as server:
            return verify_enforced(identity, server.port)
    except (RuntimeError, TimeoutError):
        return False


@dataclass
class ListFigures:
    first: Load
    middle: Load


def measure_lists(args: argparse.Namespace, identity: Identity, folder: Path) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for count in args.list_sizes:
        fixtures = write_fixtures(folder / f"list-{count}.json", count)
        with mockoci("--fixtures", str(fixtures)) as server:
            port = server.port
            session = Session(identity, port)
            path = "/20160918/volumeBackups"
            session.get(
                path, compartmentId=COMPARTMENT, limit=1
            )  # the tenancy's fixtures are loaded on first use
            step = min(1000, count // 2)
            token = None
            for _ in range(count // 2 // step):
                response = session.get(
                    path, compartmentId=COMPARTMENT, limit=step, **({"page": token} if token else {})
                )
                token = response.headers["opc-next-page"]
            first = f"{path}?compartmentId={COMPARTMENT}&limit=100"
            middle = f"{first}&page={token}"
            figures = []
            for name, target in (("first", first), ("middle", middle)):
                data = write_static(
                    folder / f"list-{count}-{name}.lua", *raw_request(identity.signer, "GET", port, target)
                )
                wrk(server, data, 1, 1)
                figures.append(wrk(server, data, 1, args.list_seconds))
            results[f"list{count}"] = ListFigures(*figures)
            if count == 10_000:
                client = oci.core.BlockstorageClient(
                    identity.config,
                    service_endpoint=f"http://127.0.0.1:{port}",
                    circuit_breaker_strategy=oci.circuit_breaker.NoCircuitBreakerStrategy(),
                )
                start = time.perf_counter()
                walked = oci.pagination.list_call_get_all_results(
                    client.list_volume_backups, COMPARTMENT
                ).data
                results["walk_s"] = time.perf_counter() - start
                assert len(walked) == count, len(walked)
                results["reset_fixtures_s"] = timed_reset(session, port)
            if count == max(args.list_sizes):
                results["rss_serve_full"] = server.rss()
                results["rss_serve_count"] = count
    return results


def timed_reset(session: Session, port: int) -> float:
    """A reset of a server whose fixtures are 10,000 backups, until the next request is answered."""
    times = []
    for _ in range(5):
        start = time.perf_counter()
        requests.post(f"http://127.0.0.1:{port}/_mockoci/reset", timeout=60).raise_for_status()
        session.get("/20160918/volumeBackups", compartmentId=COMPARTMENT, limit=1)
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]


# compiles the mockoci that `python -m mockoci` would run from here (found as -m finds it, not executed)
COMPILE_MOCKOCI = (
    "import compileall, importlib.util, pathlib; "
    "compileall.compile_dir(pathlib.Path(importlib.util.find_spec('mockoci').origin).parent, quiet=1)"
)


def measure_startup() -> dict[str, float]:
    """`mockoci serve` from Popen to the first 200 (median of 5), and the CPU time it had used by then.

    With mockoci's bytecode compiled first (`compileall`, as `pip install .` does at install time, and as any
    start does for the next when Python may write bytecode): timed otherwise, under PYTHONDONTWRITEBYTECODE (CI
    images, this project's sandbox), every start compiles mockoci's source again, ~90 ms that no installed
    mockoci spends. The figures of the rounds before issue 12's fifth included that compilation."""
    subprocess.run([sys.executable, "-c", COMPILE_MOCKOCI], check=True)
    times, cpu, rss = [], [], 0
    for _ in range(5):
        port = free_port()
        start = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, "-m", "mockoci", "serve", "--port", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        wait_for(port, process)
        times.append(time.perf_counter() - start)
        cpu.append(Server(port, process).cpu_seconds())
        rss = Server(port, process).rss()
        process.terminate()
        process.wait(10)
    floor = []  # the same hour's price of the libraries alone: how fast this (shared) machine is right now
    for _ in range(5):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import fastapi, pydantic, pydantic_settings, uvicorn"], check=True)
        floor.append(time.perf_counter() - start)
    return {
        "serve_s": sorted(times)[2], "serve_cpu_s": sorted(cpu)[2], "rss_serve_empty": rss,
        "floor_s": sorted(floor)[2],
    }


def probe(name: str) -> dict[str, float]:
    output = subprocess.run(
        [sys.executable, str(BENCH / "inprocess.py"), name], capture_output=True, text=True, check=True
    ).stdout
    result: dict[str, float] = json.loads(output.strip().splitlines()[-1])
    return result


# -- the table -----------------------------------------------------------------------------------------------


def row(measure: str, figure: str, versus: str, target: str, met: bool | None) -> list[str]:
    return [measure, figure, versus, target, {True: "yes", False: "NO", None: ""}[met]]


def describe(load: Load) -> str:
    return f"{load.rps:,.0f}/s, p50 {load.p50_ms:.1f} p99 {load.p99_ms:.1f} ms, CPU {load.cpu_us:.0f} us/req"


def versus(load: Load, ceiling: Load, name: str) -> str:
    return f"{ceiling.cpu_us / load.cpu_us:.2f} of {name} by CPU ({load.rps / ceiling.rps:.2f} by req/s)"


def throughput_rows(results: dict[str, dict[str, Load]]) -> list[list[str]]:
    rows = []
    for operation in ("GET", "PUT"):
        fastapi, asgi = results["fastapi"][operation], results["asgi"][operation]
        rows.append(row(f"{operation} ceiling: bare ASGI", describe(asgi), "", "", None))
        rows.append(
            row(
                f"{operation} ceiling: bare FastAPI",
                describe(fastapi),
                versus(fastapi, asgi, "ASGI"),
                "",
                None,
            )
        )
        for mode, goal in (("presence", 1.0), ("verify", 0.7)):
            load = results.get(mode, {}).get(operation)
            measure = f"{operation} mockoci, auth {mode}"
            if load is None:
                rows.append(
                    row(measure, "n/a (no --auth verify --public-key)", "", f">= {goal} of FastAPI by CPU", None)
                )
                continue
            ratio = fastapi.cpu_us / load.cpu_us  # by CPU per request: steadier than req/s on a busy machine
            rows.append(
                row(
                    measure,
                    describe(load),
                    versus(load, fastapi, "FastAPI") + ", " + versus(load, asgi, "ASGI"),
                    f">= {goal} of FastAPI by CPU",
                    ratio >= goal,
                )
            )
    return rows


def list_rows(lists: dict[str, Any], sizes: list[int]) -> list[list[str]]:
    """Every page is compared with the first page of the smallest compartment: a full page there."""
    rows = []
    base: Load = lists[f"list{sizes[0]}"].first
    for count in sizes:
        figures: ListFigures = lists[f"list{count}"]
        for name, load in (("first", figures.first), ("middle", figures.middle)):
            ratio = load.p50_ms / base.p50_ms
            target, met = ("<= 1.5x", ratio <= 1.5) if count != sizes[0] else ("", None)
            rows.append(
                row(
                    f"list {name} page, {count:,} backups",
                    f"p50 {load.p50_ms:.2f} ms, CPU {load.cpu_us:.0f} us/req",
                    f"{ratio:.2f}x first page at {sizes[0]:,} (by CPU {load.cpu_us / base.cpu_us:.2f}x)",
                    target,
                    met,
                )
            )
    if "walk_s" in lists:
        rows.append(
            row("SDK list_call_get_all_results, 10,000", f"{lists['walk_s']:.2f} s", "100 pages", "", None)
        )
        rows.append(
            row(
                "reset + next request, 10,000 fixtures",
                f"{lists['reset_fixtures_s'] * 1000:.1f} ms",
                "fixtures reloaded",
                "< 50 ms",
                lists["reset_fixtures_s"] < 0.05,
            )
        )
    if "rss_serve_full" in lists:
        rows.append(
            row(
                f"RSS, mockoci serve, {lists['rss_serve_count']:,} fixtures",
                f"{lists['rss_serve_full'] / 2**20:.1f} MiB",
                "",
                "",
                None,
            )
        )
    return rows


def print_table(rows: list[list[str]]) -> None:
    header = ["measure", "figure", "versus", "target", "met"]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for line in [header, ["-" * w for w in widths], *rows]:
        print("| " + " | ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--seconds", type=int, default=4, help="length of one throughput run")
    parser.add_argument(
        "--rounds", type=int, default=2, help="runs per throughput figure, rounds of sdk; the best is kept"
    )
    parser.add_argument("--list-seconds", type=int, default=2)
    parser.add_argument("--list-sizes", type=int, nargs="+", default=[100, 10_000, 100_000])
    parser.add_argument("--sdk-calls", type=int, default=1000, help="calls per operation and server (sdk)")
    parser.add_argument(
        "--skip", nargs="*", default=[], choices=["throughput", "lists", "startup", "memory", "sdk"]
    )
    args = parser.parse_args()
    if ("throughput" not in args.skip or "lists" not in args.skip) and shutil.which("wrk") is None:
        sys.exit("bench/run.py needs wrk, the load generator: apt-get install -y wrk")
    started = time.monotonic()
    print(f"mockoci benchmark on {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f} at start", flush=True)
    rows: list[list[str]] = []
    with tempfile.TemporaryDirectory(prefix="mockoci-bench-") as tmp:
        folder = Path(tmp)
        identity = make_identity(folder)
        steps: list[tuple[str, Callable[[], list[list[str]]]]] = [
            ("throughput", lambda: throughput_rows(measure_throughput(args, identity, folder))),
            ("lists", lambda: list_rows(measure_lists(args, identity, folder), args.list_sizes)),
            ("startup", startup_rows),
            ("memory", memory_rows),
            ("sdk", lambda: sdk_rows(args, identity, folder)),
        ]
        for name, step in steps:
            if name not in args.skip:
                print(f"... {name}", file=sys.stderr, flush=True)
                rows.extend(step())
    print_table(rows)
    print(f"took {time.monotonic() - started:.0f} s, load {os.getloadavg()[0]:.2f} at end")


def startup_rows() -> list[list[str]]:
    serve = measure_startup()
    inproc = probe("startup")
    reset = probe("reset")
    rows = [
        row(
            "start-up, mockoci serve",
            f"{serve['serve_s'] * 1000:.0f} ms (CPU {serve['serve_cpu_s'] * 1000:.0f} ms)",
            "process start to first 200",
            "< 500 ms",
            serve["serve_s"] < 0.5,
        ),
        row(
            "start-up floor: python -c 'import fastapi, pydantic, pydantic_settings, uvicorn'",
            f"{serve['floor_s'] * 1000:.0f} ms",
            "the libraries alone, this hour",
            "",
            None,
        ),
        row(
            "start-up, MockOCIServer, cold",
            f"{inproc['cold_s'] * 1000:.0f} ms",
            "import + start + first 200",
            "",
            None,
        ),
        row(
            "start-up, MockOCIServer, warm",
            f"{inproc['warm_s'] * 1000:.0f} ms",
            "start + first 200",
            "< 30 ms",
            inproc["warm_s"] < 0.03,
        ),
        row(
            "reset, 10,000 backups stored",
            f"{reset['reset_s'] * 1000:.1f} ms",
            "POST /_mockoci/reset",
            "< 50 ms",
            reset["reset_s"] < 0.05,
        ),
        row("RSS, mockoci serve, empty", f"{serve['rss_serve_empty'] / 2**20:.1f} MiB", "", "", None),
    ]
    return rows


def sdk_rows(args: argparse.Namespace, identity: Identity, folder: Path) -> list[list[str]]:
    """bench/sdk_calls.py's figures: the real SDK against mockoci serve and a replay of its bytes."""
    sys.modules.setdefault("run", sys.modules[__name__])  # sdk_calls imports this module as `run`
    import sdk_calls

    return sdk_calls.rows(sdk_calls.run(folder, identity, args.sdk_calls, 100, args.rounds))


def memory_rows() -> list[list[str]]:
    memory = probe("memory")
    per, per_read = memory["per_backup_bytes"], memory["per_read_backup_bytes"]
    count = f"{memory['count']:,.0f}"
    return [
        row("RSS, MockOCIServer, 0 backups", f"{memory['empty_bytes'] / 2**20:.1f} MiB", "", "", None),
        row(
            f"RSS, MockOCIServer, {count} backups",
            f"{memory['full_bytes'] / 2**20:.1f} MiB",
            f"{per / 1024:.2f} KiB per backup",
            "< 1.5 KiB per backup",
            per < 1.5 * 1024,
        ),
        row(
            f"RSS, MockOCIServer, {count} backups, each read",
            f"{memory['read_bytes'] / 2**20:.1f} MiB",
            f"{per_read / 1024:.2f} KiB per backup (JSON cached)",
            "",
            None,
        ),
    ]


if __name__ == "__main__":
    main()
