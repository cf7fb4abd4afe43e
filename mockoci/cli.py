"""The `mockoci` command: `mockoci serve [options]`; every option also reads `MOCKOCI_<OPTION>`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from types import UnionType
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from . import __version__
from .connections import raise_open_file_limit, uvicorn_options
from .fixtures import FixtureError
from .keys import InvalidKey
from .persistence import StateFileError
from .settings import Settings


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mockoci", description="A local emulator of OCI volume backups.")
    parser.add_argument("--version", action="version", version=f"mockoci {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the server", argument_default=argparse.SUPPRESS)
    for name, field in Settings.model_fields.items():
        serve.add_argument("--" + name.replace("_", "-"), **_option(field))
    return parser


def _option(field: FieldInfo) -> dict[str, Any]:
    """An argparse option for a Settings field: its type (or choices), its description and default."""
    annotation = field.annotation
    if get_origin(annotation) in (Union, UnionType):  # `X | None`
        annotation = next(arg for arg in get_args(annotation) if arg is not type(None))
    option: dict[str, Any] = {"help": (field.description or "").rstrip(".")}
    if get_origin(annotation) is Literal:
        option["choices"] = get_args(annotation)
    elif get_origin(annotation) is list:
        option.update(type=get_args(annotation)[0], action="append", metavar="PATH")
        option["help"] += " (repeatable)"
    else:
        option["type"] = annotation
    if field.default not in (None, PydanticUndefined):
        option["help"] += f" (default {field.default})"
    return option


def main(argv: Sequence[str] | None = None) -> int:
    args: dict[str, Any] = vars(_parser().parse_args(argv))
    args.pop("command")
    import uvicorn

    from .app import create_app

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
    if settings.admin_token is not None:
        auth += "; the admin API needs its token"
    print(f"mockoci {__version__} listening on http://{settings.host}:{settings.port} (auth: {auth})",
          file=sys.stderr, flush=True)
    raise_open_file_limit()  # each connection is a file descriptor (docs/reliability.md, Connections)
    uvicorn.run(
        app, host=settings.host, port=settings.port, log_level=settings.log_level, lifespan="on",
        **uvicorn_options(settings),
    )
    return 0
