"""The `mockoci` command: `mockoci serve [options]`; every option also reads `MOCKOCI_<OPTION>`, and `--help` lists
them in groups, each with its variable."""

from __future__ import annotations

import argparse
import errno
import gc
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from types import UnionType
from typing import TYPE_CHECKING, Any, Literal, Union, get_args, get_origin

from pydantic import ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from . import __version__
from .connections import raise_open_file_limit
from .console import Console
from .fixtures import FixtureError
from .keys import InvalidKey
from .persistence import StateFileError
from .settings import Settings
from .tls import TLSError

if TYPE_CHECKING:
    from .server import MockOCIServer

# The --help groups, in this order; a setting not named here is listed under "other".
OPTION_GROUPS: dict[str, tuple[str, ...]] = {
    "network": ("host", "port", "request_timeout", "timeout_keep_alive", "limit_concurrency"),
    "https and proxy": ("tls", "tls_dir", "tls_cert", "tls_key", "proxy_port"),
    "auth": ("auth", "public_key", "keys_dir", "admin_token"),
    "lifecycle": ("lifecycle_mode", "lifecycle_delay", "terminated_retention", "retry_token_ttl"),
    "data": (
        "region", "seed", "fixtures", "default_compartment_id", "unknown_volumes", "state_file", "state_interval",
    ),
    "limits": (
        "max_body_bytes", "max_header_bytes", "max_retry_tokens", "max_terminated_backups", "max_tenancies",
        "journal_size", "python_gc",
    ),
    "logging": ("log_level", "request_log"),
}
PATHS = (
    ("/_mockoci/", "the dashboard: backups, the request journal, fault rules"),
    ("/_mockoci/docs", "the API documentation (OpenAPI)"),
    ("/_mockoci/health", "200 once the server is ready"),
)
_PATHS_HELP = "\n".join(f"  {path:<18} {what}" for path, what in PATHS)
MAIN_EPILOG = """examples:
  mockoci serve                                 serve on http://127.0.0.1:12000
  mockoci serve --fixtures fixtures/ --port 12001
  mockoci serve --help                          every setting, with its environment variable
"""
SERVE_EPILOG = f"""example:
  mockoci serve --fixtures fixtures/ --lifecycle-delay 0 --log-level warning
  MOCKOCI_PORT=12001 MOCKOCI_AUTH=verify MOCKOCI_KEYS_DIR=keys/ mockoci serve

Every option is also an environment variable (shown with it); an option wins over its variable.
Once running, at http://HOST:PORT:
{_PATHS_HELP}
"""


def env_name(name: str) -> str:
    """The environment variable of a Settings field: `MOCKOCI_LIFECYCLE_DELAY`."""
    return str(Settings.model_config.get("env_prefix", "")) + name.upper()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mockoci", description="A local emulator of OCI Block Storage volume backups.",
        epilog=MAIN_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"mockoci {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve = commands.add_parser(
        "serve", help="run the server", description="Run the mockoci server.", epilog=SERVE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter, argument_default=argparse.SUPPRESS,
    )
    grouped = {name for names in OPTION_GROUPS.values() for name in names}
    other = tuple(name for name in Settings.model_fields if name not in grouped)
    for title, names in (*OPTION_GROUPS.items(), ("other", other)):
        present = [name for name in names if name in Settings.model_fields]
        if not present:
            continue
        group = serve.add_argument_group(f"{title} options")
        for name in present:
            group.add_argument("--" + name.replace("_", "-"), **_option(name, Settings.model_fields[name]))
    return parser


def _option(name: str, field: FieldInfo) -> dict[str, Any]:
    """An argparse option for a Settings field: its type (or choices), its description, default and variable."""
    annotation = field.annotation
    if get_origin(annotation) in (Union, UnionType):  # `X | None`
        annotation = next(arg for arg in get_args(annotation) if arg is not type(None))
    option: dict[str, Any] = {"help": (field.description or "").rstrip(".")}
    notes: list[str] = []
    if annotation is bool:
        option["action"] = "store_true"  # off unless given (or its variable set)
    elif get_origin(annotation) is Literal:
        option["choices"] = get_args(annotation)
    elif get_origin(annotation) is list:
        option.update(type=get_args(annotation)[0], action="append", metavar="PATH")
        notes.append("repeatable")
    else:
        option["type"] = annotation
        option["metavar"] = _metavar(annotation, option["help"]) or name.upper()
    if field.default not in (None, PydanticUndefined):
        default = field.default
        notes.append(f"default {default:g}" if isinstance(default, float) else f"default {default}")
    variable = env_name(name)
    notes.append(f"env {variable}, ':'-separated" if get_origin(annotation) is list else f"env {variable}")
    option["help"] += f" ({'; '.join(notes)})"
    return option


def _metavar(annotation: Any, description: str) -> str | None:
    if annotation is Path:
        return "PATH"
    if annotation is int:
        return "N"
    if annotation is float:
        return "SECONDS" if description.startswith("Seconds") else "NUMBER"
    return None


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def banner(server: MockOCIServer) -> str:
    """What `mockoci serve` prints once its sockets are bound: where it listens, what it loaded, where to look,
    and, with the proxy, the two variables a client needs."""
    settings, app = server.settings, server.app
    url = server.url
    auth: str = settings.auth
    if auth == "verify":
        auth += f", {_plural(len(app.state.keys), 'public key')}; register more with POST /_mockoci/keys"
    if settings.admin_token is not None:
        auth += "; the admin API needs its token"
    fixtures = app.state.store.counts()["fixtures"]
    if settings.fixtures:
        loaded = f"{_plural(fixtures, 'fixture backup')} loaded from {', '.join(map(str, settings.fixtures))}"
    else:
        loaded = "no fixtures loaded (--fixtures PATH)"
    if settings.log_level in ("info", "debug"):
        requests = "one line per request below (quieter: --log-level warning)"
    else:
        requests = f"requests are not logged at --log-level {settings.log_level} (see them: --log-level info)"
    listening = f"listening on {settings.host}:{server.port}; " if settings.host in ("0.0.0.0", "::", "") else ""
    lines = [
        f"mockoci {__version__} running on {url} ({listening}auth: {auth})",
        f"  {loaded}",
        f"  dashboard {url}/_mockoci/   API docs {url}/_mockoci/docs   health {url}/_mockoci/health",
    ]
    if settings.https and server.ca_bundle is not None:
        lines.append(f"  its certificate is signed by mockoci's CA: {server.ca_bundle}")
    lines.append(f"  {requests}")
    if settings.proxy_port is not None:  # last: the two variables a client needs stand out
        lines += [
            f"HTTPS proxy for OCI's hosts (iaas.<region>.<realm domain>) on {server.proxy_url}; a client needs:",
            f"  HTTPS_PROXY={server.proxy_url}",
            f"  REQUESTS_CA_BUNDLE={server.ca_bundle}"
            "  (Python, oci CLI; Go and Terraform: SSL_CERT_FILE, Node: NODE_EXTRA_CA_CERTS)",
            f"  the CA certificate is also served at {server.proxy_url}/ca.pem",
        ]
    return "\n".join(lines)


def _configure_logging(level: str) -> None:
    """mockoci's loggers (the request lines, warnings such as why a signature failed) print to stderr."""
    handler = Console(sys.stderr)
    logger = logging.getLogger("mockoci")
    logger.handlers[:] = [handler]
    logger.setLevel(level.upper())
    logger.propagate = False


def _cannot_listen(settings: Settings, exc: OSError) -> int:
    where = exc.filename or f"{settings.host}:{settings.port}"  # bind_socket names the address it tried
    setting = "port"
    if settings.proxy_port is not None and where.endswith(f":{settings.proxy_port}") and settings.proxy_port:
        setting = "proxy_port"
    if exc.errno == errno.EADDRINUSE:
        option = "--" + setting.replace("_", "-")
        print(f"mockoci: cannot listen on {where}: the port is already in use. Choose another port with "
              f"{option} or {env_name(setting)} (0 picks a free one).", file=sys.stderr)
    else:
        print(f"mockoci: cannot listen on {where}: {exc.strerror or exc}. The address is set by --host or "
              f"{env_name('host')} and --port or {env_name('port')}.", file=sys.stderr)
    return 2


def main(argv: Sequence[str] | None = None) -> int:
    args: dict[str, Any] = vars(_parser().parse_args(argv))
    args.pop("command")
    from .app import create_app
    from .server import MockOCIServer

    try:
        settings = Settings(**args)
    except ValidationError as exc:
        print(f"mockoci: invalid settings: {exc}", file=sys.stderr)
        return 2
    if settings.python_gc:  # the command froze its modules' objects (mockoci.__main__): leave the collector as it was
        gc.unfreeze()
    raise_open_file_limit()  # each connection is a file descriptor (docs/reliability.md, Connections)
    try:
        server = MockOCIServer(settings, create_app(settings)).bind()  # bound before anything is printed
    except (FixtureError, StateFileError, InvalidKey, TLSError) as exc:
        what = next(text for kind, text in _LOAD_ERRORS.items() if isinstance(exc, kind))
        print(f"mockoci: {what}: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        return _cannot_listen(settings, exc)
    _configure_logging(settings.log_level)  # only now: a failed start leaves this process's logging as it was
    print(banner(server), file=sys.stderr, flush=True)
    try:
        return 0 if server.run() else 3  # 3: uvicorn's code for a failed start-up, as uvicorn.run exits
    except KeyboardInterrupt:  # Ctrl-C: uvicorn shuts down, then raises the signal it caught again
        return 130  # the shell's code for a process ended by SIGINT; no traceback


_LOAD_ERRORS: dict[type[Exception], str] = {
    FixtureError: "cannot load fixtures",
    StateFileError: "cannot load the state file (it is left as it is)",
    InvalidKey: "cannot load a public key",
    TLSError: "cannot set up TLS",
}
