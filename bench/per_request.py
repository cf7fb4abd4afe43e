"""mockoci's own CPU per OCI call, in-process: the app's ASGI callable driven directly, no sockets, no HTTP.

`python bench/per_request.py` builds the app as `mockoci serve` does (default settings: `auth presence`, the
request log line at `info`, written to /dev/null), and calls it with ASGI scopes holding the headers the `oci`
SDK sends, signed by the SDK's own signer: GetVolumeBackup, UpdateVolumeBackup with `if-match` (the current
etag, a pool of backups taken in turn), CreateVolumeBackup (with a retry token, of a real volume) and
ListVolumeBackups of 50. For each it prints the thread CPU time per call, next to a bare ASGI callable that
sends the same response messages, measured in the same run: the difference is mockoci's own CPU per call,
what the HTTP server around both adds being the same.

Options: `--calls N` per operation and round (default 3000), `--rounds R` (default 5; the best is kept),
`--auth verify` (signatures checked against the bench's key), `--profile OPERATION` (cProfile of that
operation: the functions by own and by cumulative time), `--ablate` (each middleware's CPU per call: the app's
CPU with it less without it), `--cold` (see below).

**Hot and cold.** Called in a tight loop, a request finds all of mockoci's code and data in the CPU's caches. A
server that the SDK calls one call at a time does not: between two calls the client's own work (about 1.2 ms of
CPU for a get) evicts them, and every call starts cold. `--cold` evicts the caches before each call (it writes
`EVICT_BYTES` of memory, untimed) and times each call alone: on this machine a get costs about 3.5x its hot
figure cold (43 us hot, 155 cold), which is what bench/sdk_calls.py sees over HTTP. What makes a cold call
expensive is how much code and data it touches, more than how many instructions it runs.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import hashlib
import io
import logging
import os
import pstats
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import oci
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

sys.path.insert(0, str(Path(__file__).parent))
from data import COMPARTMENT, backups

TENANCY = "ocid1.tenancy.oc1..aaaaaaaabenchtenancy"
USER = "ocid1.user.oc1..aaaaaaaabenchuser"
HOST = "127.0.0.1:12000"
POOL = 128  # backups the updates take in turn
EVICT_BYTES = 8 << 20  # written before each `--cold` call: more than this machine's L2 and most of its L3
LISTED = 50
ASGIApp = Callable[[dict[str, Any], Any, Any], Awaitable[None]]


class Identity:
    """A key pair, its public key in a PEM file, and the SDK's signer for it."""

    def __init__(self, folder: Path) -> None:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        public = key.public_key()
        der = public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        fingerprint = ":".join(f"{b:02x}" for b in hashlib.md5(der).digest())
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
        ).decode()
        self.public_key_path = folder / "bench-key.pub.pem"
        self.public_key_path.write_bytes(
            public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        )
        self.signer = oci.signer.Signer(TENANCY, USER, fingerprint, None, private_key_content=pem)


class Call:
    """One request as an ASGI scope and body; `sign()` again before each use keeps its date fresh."""

    def __init__(self, identity: Identity, method: str, target: str, body: bytes = b"",
                 extra: dict[str, str] | None = None) -> None:
        self.identity, self.method, self.target, self.body = identity, method, target, body
        self.extra = extra or {}
        self.sign()

    def sign(self) -> None:
        headers = {
            "accept": "application/json", "content-type": "application/json",
            "user-agent": "Oracle-PythonSDK/2.189.0 (python 3.11; x86_64-Linux)",
            "opc-client-info": "Oracle-PythonSDK/2.189.0", "opc-request-id": os.urandom(16).hex().upper(),
        }
        prepared = requests.Request(
            self.method, f"http://{HOST}{self.target}", data=self.body or None, headers=headers
        ).prepare()
        self.identity.signer(prepared)
        self.headers = [(name.lower().encode(), str(value).encode()) for name, value in prepared.headers.items()]
        self.path, _, query = self.target.partition("?")
        self.query = query.encode()

    def scope(self, extra: dict[str, str] | None = None) -> dict[str, Any]:
        headers = self.headers + [(k.encode(), v.encode()) for k, v in {**self.extra, **(extra or {})}.items()]
        return {
            "type": "http", "asgi": {"version": "3.0", "spec_version": "2.4"}, "http_version": "1.1",
            "method": self.method, "scheme": "http", "path": self.path, "raw_path": self.path.encode(),
            "query_string": self.query, "root_path": "", "headers": headers,
            "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 12000), "state": {},
        }


class Exchange:
    """Runs one call of an ASGI app and keeps what it sent."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []

    async def run(self, app: ASGIApp, scope: dict[str, Any], body: bytes) -> int:
        sent = False
        self.messages = []

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if sent:
                return {"type": "http.disconnect"}
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            self.messages.append(message)

        await app(scope, receive, send)
        return int(self.messages[0]["status"])

    def header(self, name: bytes) -> str:
        return str(next(v.decode() for k, v in self.messages[0]["headers"] if k == name))


def replay_app(messages: list[dict[str, Any]]) -> ASGIApp:
    """The ceiling: an ASGI callable that reads the body and sends `messages` (mockoci's own answer)."""
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        more = True
        while more:
            message = await receive()
            more = message.get("more_body", False)
        for message in messages:
            await send(dict(message))

    return app


def build(auth: str, identity: Identity) -> Any:
    from mockoci.app import create_app
    from mockoci.cli import _configure_logging
    from mockoci.models import VolumeBackup
    from mockoci.resources import VOLUMES
    from mockoci.resources.volumes import CreateVolumeDetails
    from mockoci.settings import Settings
    from mockoci.store import DEFAULT_TENANCY

    settings = Settings(auth=auth, public_key=[identity.public_key_path] if auth == "verify" else [])
    _configure_logging(settings.log_level)  # as `mockoci serve`: one line per request at info
    devnull = open(os.devnull, "w")  # noqa: SIM115 - for the process's life
    for handler in logging.getLogger("mockoci").handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(devnull)
    app = create_app(settings)
    store = app.state.store
    models = [VolumeBackup.model_validate(b) for b in backups(POOL + LISTED)]
    store.seed(tenancy=TENANCY, backups=models)
    store.seed(tenancy=DEFAULT_TENANCY, backups=models)  # what a request without a tenancy sees (--ablate)
    volume = store.create_volume(tenancy=TENANCY, details=CreateVolumeDetails(
        availability_domain="Uocm:US-ASHBURN-AD-1", compartment_id=COMPARTMENT, size_in_gbs=50,
    ))
    store.force_record_state(tenancy=TENANCY, kind=VOLUMES, record_id=volume.model.id, state="AVAILABLE")
    return app, volume.model.id


class Operation:
    """The calls of one operation, in turn, with what each next call needs (the etag an update sends)."""

    def __init__(self, name: str, identity: Identity, volume_id: str) -> None:
        self.name = name
        ids = [b["id"] for b in backups(POOL)]
        if name == "get":
            self.calls = [Call(identity, "GET", f"/20160918/volumeBackups/{ids[0]}")]
        elif name == "list":
            self.calls = [Call(identity, "GET", f"/20160918/volumeBackups?compartmentId={COMPARTMENT}&limit={LISTED}")]
        elif name == "update":
            self.calls = [
                Call(identity, "PUT", f"/20160918/volumeBackups/{i}", b'{"displayName": "bench-renamed"}')
                for i in ids
            ]
        elif name == "create":
            body = b'{"volumeId": "%s", "displayName": "bench-created"}' % volume_id.encode()
            self.calls = [Call(identity, "POST", "/20160918/volumeBackups", body)]
        self.etags: dict[tuple[bool, str], str] = {}
        self.signed = True  # whose etags: the bench tenancy's, or (without the signature check) the default's
        self.turn = 0

    def next(self) -> tuple[dict[str, Any], bytes, Call]:
        call = self.calls[self.turn % len(self.calls)]
        self.turn += 1
        extra = {}
        if self.name in ("create", "update"):
            extra["opc-client-retries"] = "true"
        if self.name == "create":
            extra["opc-retry-token"] = os.urandom(15).hex()
        return call.scope(extra), call.body, call

    def before(self, scope: dict[str, Any], call: Call) -> None:
        """What a call needs from the ones before it (known only then): an update's `if-match`."""
        if self.name == "update":
            scope["headers"].append((b"if-match", self.etags.get((self.signed, call.path), "*").encode()))

    def done(self, call: Call, exchange: Exchange) -> None:
        if self.name == "update":
            self.etags[self.signed, call.path] = exchange.header(b"etag")


_evicted = bytearray(EVICT_BYTES)


def evict_caches() -> None:
    """Write one byte per cache line of EVICT_BYTES: what the caches held is gone."""
    _evicted[::64] = bytes(len(range(0, EVICT_BYTES, 64)))


async def measure(
    app: ASGIApp, operation: Operation, calls: int, *, replay: bool = False, cold: bool = False
) -> tuple[float, list[dict[str, Any]]]:
    """Thread CPU seconds per call (scopes built beforehand), and the messages of the last answer (a replay's
    answers do not change what the next calls send). `cold`: the caches evicted before each call, each call
    timed alone."""
    exchange = Exchange()
    prepared = [operation.next() for _ in range(calls)]
    spent = 0.0
    started = time.thread_time()
    for scope, body, call in prepared:
        operation.before(scope, call)
        if cold:
            evict_caches()
            started = time.thread_time()
        status = await exchange.run(app, scope, body)
        if cold:
            spent += time.thread_time() - started
        if status >= 300:
            raise RuntimeError(f"{operation.name}: {status} {exchange.messages[1:]}")
        if not replay:
            operation.done(call, exchange)
    if not cold:
        spent = time.thread_time() - started
    return spent / calls, exchange.messages


async def ablate(app: Any, operations: dict[str, Operation], args: argparse.Namespace) -> None:
    """What each middleware costs: the CPU per call with it, less the CPU without it (best of the rounds). Not
    for create: without the signature check, a request is the default tenancy's, which has no volume; and an
    update without the RequestGate is not measured (the dispatcher takes the body the gate read)."""
    operations = {name: operation for name, operation in operations.items() if name != "create"}
    layers = list(app.user_middleware)
    # the Dispatcher serves the operations (FastAPI has no routes for them): it is never left out
    optional = [layer for layer in layers if layer.cls.__name__ != "Dispatcher"]
    variants = {"all": layers, **{
        "-" + layer.cls.__name__: [other for other in layers if other is not layer] for layer in optional
    }, "none": [layer for layer in layers if layer not in optional]}
    best: dict[tuple[str, str], float] = {}
    for _ in range(args.rounds):
        for variant, kept in variants.items():
            app.user_middleware = kept
            app.middleware_stack = None
            for name, operation in operations.items():
                operation.signed = any(layer.cls.__name__ == "RequestGate" for layer in kept)
                if not operation.signed and name == "update":
                    continue
                await measure(app, operation, 100)
                cpu, _ = await measure(app, operation, args.calls, cold=args.cold)
                best[variant, name] = min(cpu, best.get((variant, name), cpu))
    print(f"{'without':32}" + "".join(f"{name:>10}" for name in operations))
    for variant in variants:
        figures = [
            None if (variant, name) not in best else best[variant, name] if variant == "all"
            else best["all", name] - best[variant, name] for name in operations
        ]
        cells = "".join("        -" if figure is None else f"{figure * 1e6:8.1f}us" for figure in figures)
        print(f"{variant:32}{cells}")


async def run(args: argparse.Namespace) -> None:
    try:
        import uvloop
        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    except ImportError:
        pass
    with tempfile.TemporaryDirectory() as folder:
        identity = Identity(Path(folder))
        app, volume_id = build(args.auth, identity)
        names = [args.profile] if args.profile else args.operations
        operations = {name: Operation(name, identity, volume_id) for name in names}
        for operation in operations.values():  # warm up: the first request builds FastAPI's dependants
            await measure(app, operation, 200)
        if args.profile:
            operation = operations[args.profile]
            profile = cProfile.Profile()
            profile.enable()
            await measure(app, operation, args.calls)
            profile.disable()
            out = io.StringIO()
            pstats.Stats(profile, stream=out).sort_stats("tottime").print_stats(40)
            print(out.getvalue())
            out = io.StringIO()
            pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(60)
            print(out.getvalue())
            return
        if args.ablate:
            await ablate(app, operations, args)
            return
        best: dict[str, float] = {}
        ceiling: dict[str, float] = {}
        for _ in range(args.rounds):
            for name, operation in operations.items():
                for call in operation.calls:
                    call.sign()  # a fresh date for verify mode's clock-skew check
                cpu, messages = await measure(app, operation, args.calls, cold=args.cold)
                best[name] = min(cpu, best.get(name, cpu))
                bare, _ = await measure(replay_app(messages), operation, args.calls, replay=True, cold=args.cold)
                ceiling[name] = min(bare, ceiling.get(name, bare))
        caches = "cold (evicted before each call)" if args.cold else "hot (a tight loop)"
        print(f"auth {args.auth}, {args.calls} calls x {args.rounds} rounds, thread CPU per call (best round), "
              f"caches {caches}")
        print(f"{'operation':10} {'mockoci':>10} {'bare ASGI':>10} {'extra':>10}")
        for name in operations:
            extra = (best[name] - ceiling[name]) * 1e6
            print(f"{name:10} {best[name] * 1e6:8.1f}us {ceiling[name] * 1e6:8.1f}us {extra:8.1f}us")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--auth", choices=("presence", "verify"), default="presence")
    parser.add_argument("--operations", nargs="+", default=["get", "update", "create", "list"])
    parser.add_argument("--ablate", action="store_true", help="the CPU each middleware adds, by leaving it out")
    parser.add_argument("--profile", choices=("get", "update", "create", "list"))
    parser.add_argument("--cold", action="store_true", help="evict the CPU caches before each call")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
