"""The `mockoci` command: `mockoci serve [options]`; every option also reads `MOCKOCI_<OPTION>`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from . import __version__
from .fixtures import FixtureError
from .keys import InvalidKey
from .persistence import StateFileError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mockoci", description="A local emulator of OCI volume backups.")
    parser.add_argument("--version", action="version", version=f"mockoci {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the server", argument_default=argparse.SUPPRESS)
    serve.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to listen on (default 12000)")
    serve.add_argument("--region", help="region the server pretends to be (default us-ashburn-1)")
    serve.add_argument("--auth", choices=["off", "presence", "verify"], help="signature check (default presence)")
    serve.add_argument("--public-key", type=Path, action="append", metavar="PATH",
                       help="public key (PEM) accepted in verify mode (repeatable)")
    serve.add_argument("--keys-dir", type=Path, metavar="DIR",
                       help="folder whose *.pem public keys are accepted in verify mode")
    serve.add_argument("--lifecycle-delay", type=float, metavar="SECONDS",
                       help="time a new backup takes to become AVAILABLE, a deleted one TERMINATED (default 0.5)")
    serve.add_argument("--terminated-retention", type=float, metavar="SECONDS",
                       help="time a TERMINATED backup stays readable (default 300)")
    serve.add_argument("--retry-token-ttl", type=float, metavar="SECONDS",
                       help="time an opc-retry-token is remembered (default 86400)")
    serve.add_argument("--seed", type=int, help="seed for generated values, for reproducible runs")
    serve.add_argument("--fixtures", type=Path, action="append", metavar="PATH",
                       help="fixture file or folder to load at start (repeatable)")
    serve.add_argument("--default-compartment-id", metavar="OCID",
                       help="compartment of backups of unknown volumes (default: the caller's tenancy)")
    serve.add_argument("--state-file", type=Path, metavar="PATH",
                       help="keep state in this file: loaded at start, saved periodically and at shutdown")
    serve.add_argument("--state-interval", type=float, metavar="SECONDS",
                       help="time between saves of the state file (default 30)")
    serve.add_argument("--max-body-bytes", type=int, metavar="N",
                       help="largest request body; a larger one gets 413 (default 1048576)")
    serve.add_argument("--max-header-bytes", type=int, metavar="N",
                       help="largest request header block; a larger one gets 431 (default 16384)")
    serve.add_argument("--max-retry-tokens", type=int, metavar="N",
                       help="opc-retry-tokens remembered per tenancy, oldest forgotten first (default 10000)")
    serve.add_argument("--max-terminated-backups", type=int, metavar="N",
                       help="TERMINATED backups kept per tenancy, oldest forgotten first (default 1000)")
    serve.add_argument("--log-level", choices=["critical", "error", "warning", "info", "debug"])
    serve.add_argument("--lifecycle-mode", choices=["immediate", "delay", "manual"],
                       help="how backups progress: at once, after --lifecycle-delay, or only when a test says so "
                            "(default delay)")
    serve.add_argument("--journal-size", type=int, metavar="N", help="requests the journal keeps (default 1000)")
    serve.add_argument("--request-log", choices=["off", "stdout", "stderr"],
                       help="write one JSON line per request there (default off)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args: dict[str, Any] = vars(_parser().parse_args(argv))
    args.pop("command")
    import uvicorn

    from .app import create_app
    from .settings import Settings

    try:
        settings = Settings(**args)
        app = create_app(settings)
    except ValidationError as exc:
        print(f"mockoci: invalid settings: {exc}", file=sys.stderr)
        return 2
    except FixtureError as exc:
        print(f"mockoci: cannot load fixtures: {exc}", file=sys.stderr)
        return 2
    except StateFileError as exc:
        print(f"mockoci: cannot load the state file (it is left as it is): {exc}", file=sys.stderr)
        return 2
    except InvalidKey as exc:
        print(f"mockoci: cannot load a public key: {exc}", file=sys.stderr)
        return 2
    auth: str = settings.auth
    if auth == "verify":
        auth += f", {len(app.state.keys)} public keys; register more with POST /_mockoci/keys"
    print(f"mockoci {__version__} listening on http://{settings.host}:{settings.port} (auth: {auth})",
          file=sys.stderr, flush=True)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level=settings.log_level, lifespan="on")
    return 0
