"""The `mockoci` command: `mockoci serve [options]`; every option also reads `MOCKOCI_<OPTION>`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from types import UnionType
from typing import TYPE_CHECKING, Any, Literal, Union, get_args, get_origin

from pydantic import ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from . import __version__
from .fixtures import FixtureError
from .keys import InvalidKey
from .persistence import StateFileError
from .settings import Settings
from .tls import TLSError

if TYPE_CHECKING:
    from .server import MockOCIServer


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
    if annotation is bool:
        option["action"] = "store_true"  # off unless given (or its variable set)
    elif get_origin(annotation) is Literal:
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
    from .app import create_app
    from .server import MockOCIServer

    try:
        settings = Settings(**args)
        app = create_app(settings)
        server = MockOCIServer(settings, app).bind()
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
    except TLSError as exc:
        print(f"mockoci: cannot set up TLS: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"mockoci: cannot listen on {exc.strerror}", file=sys.stderr)
        return 2
    print(_banner(server), file=sys.stderr, flush=True)
    server.run()
    return 0


def _banner(server: MockOCIServer) -> str:
    """What the server is and, with the proxy, the two variables a client needs."""
    settings = server.settings
    auth: str = settings.auth
    if auth == "verify":
        auth += f", {len(server.app.state.keys)} public keys; register more with POST /_mockoci/keys"
    lines = [f"mockoci {__version__} running on {server.url} (auth: {auth})"]
    if settings.https and server.ca_bundle is not None:
        lines.append(f"  its certificate is signed by mockoci's CA: {server.ca_bundle}")
    if settings.proxy_port is not None:
        lines += [
            f"HTTPS proxy for OCI's hosts (iaas.<region>.<realm domain>) on {server.proxy_url}; a client needs:",
            f"  HTTPS_PROXY={server.proxy_url}",
            f"  REQUESTS_CA_BUNDLE={server.ca_bundle}"
            "  (Python, oci CLI; Go and Terraform: SSL_CERT_FILE, Node: NODE_EXTRA_CA_CERTS)",
            f"  the CA certificate is also served at {server.proxy_url}/ca.pem",
        ]
    return "\n".join(lines)
