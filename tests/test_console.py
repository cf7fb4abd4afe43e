"""What a user sees in the terminal: `mockoci --help` and `mockoci serve --help`, the start-up banner, one line per
request, and a clear exit when the port is taken. Each test runs `python -m mockoci serve` as a child process."""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import oci
import pytest
import requests
from conftest import FIXTURES_DIR, TENANCY, make_client

from mockoci.cli import OPTION_GROUPS, _parser
from mockoci.settings import Settings


class Console:
    """`mockoci serve` as a child process on a free port, its stderr collected line by line."""

    def __init__(self, *args: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "mockoci", "serve", "--port", "0", *args],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        found = self.wait_for(r"running on (http://127\.0\.0\.1:\d+)")
        self.url = found.group(1)
        self.wait_for(r"^  (one line per request|requests are not logged)")  # the banner's last line
        requests.get(self.url + "/_mockoci/health", timeout=10).raise_for_status()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.append(line.rstrip("\n"))

    def wait_for(self, pattern: str, timeout: float = 20) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in self.lines:
                found = re.search(pattern, line)
                if found:
                    return found
            if self.process.poll() is not None and not self._reader.is_alive():
                break
            time.sleep(0.01)
        raise AssertionError(f"no line matching {pattern!r} in:\n" + "\n".join(self.lines))

    def stop(self) -> list[str]:
        """Stops the server and returns everything it printed."""
        self.process.terminate()
        self.process.wait(timeout=10)
        self._reader.join(timeout=10)
        return self.lines


@contextmanager
def console(*args: str) -> Iterator[Console]:
    server = Console(*args)
    try:
        yield server
    finally:
        server.stop()


def request_lines(lines: list[str]) -> list[str]:
    return [line for line in lines if re.match(r"\d\d:\d\d:\d\d\.\d{3} INFO (GET|PUT|POST|DELETE) ", line)]


def test_one_line_per_request_and_a_banner(oci_config: dict[str, Any]) -> None:
    with console("--fixtures", str(FIXTURES_DIR), "--lifecycle-delay", "0") as server:
        banner = server.lines[:4]
        client = make_client(oci_config, server.url)
        fetched = client.get_volume_backup("ea")
        with pytest.raises(oci.exceptions.ServiceError):
            client.update_volume_backup(
                "ea", oci.core.models.UpdateVolumeBackupDetails(display_name="x"), if_match="stale"
            )
        requests.post(server.url + "/_mockoci/faults", timeout=10,
                      json={"operation": "ListVolumeBackups", "status": 503, "times": 1})
        with pytest.raises(oci.exceptions.ServiceError):
            client.list_volume_backups(compartment_id=TENANCY)
        requests.get(server.url + "/20160918/volumeBackups/ea", timeout=10)  # unsigned
        server.wait_for(r"GET /20160918/volumeBackups/ea GetVolumeBackup 401 ")
        lines = server.stop()
    assert banner[0].startswith("mockoci ") and banner[0].endswith(f"running on {server.url} (auth: presence)")
    assert banner[1] == f"  1 fixture backup loaded from {FIXTURES_DIR}"
    assert f"dashboard {server.url}/_mockoci/ " in banner[2]
    assert f"{server.url}/_mockoci/docs" in banner[2] and f"{server.url}/_mockoci/health" in banner[2]
    assert "--log-level warning" in banner[3]
    logged = request_lines(lines)
    assert len(logged) == 4, lines  # the admin API's own requests are not among them
    get, update, listing, unsigned = (line.split(" INFO ", 1)[1] for line in logged)
    assert get == (
        f"GET /20160918/volumeBackups/ea GetVolumeBackup 200 {get.split()[4]} ms "
        f"opc-request-id={fetched.request_id}"
    )
    assert update.startswith("PUT /20160918/volumeBackups/ea UpdateVolumeBackup 412 NoEtagMatch ")
    assert listing.startswith(f"GET /20160918/volumeBackups?compartmentId={TENANCY} ListVolumeBackups 503 "
                              "ServiceUnavailable ")
    assert " fault=fault-1" in listing
    assert unsigned.startswith("GET /20160918/volumeBackups/ea GetVolumeBackup 401 NotAuthenticated ")
    assert unsigned.endswith("(Not authenticated: the Authorization header is missing.)")


def test_log_level_warning_logs_no_requests(oci_config: dict[str, Any]) -> None:
    with console("--log-level", "warning") as server:
        client = make_client(oci_config, server.url)
        client.list_volume_backups(compartment_id=TENANCY)
        lines = server.stop()
    assert request_lines(lines) == []
    assert lines[1] == "  no fixtures loaded (--fixtures PATH)"
    assert "requests are not logged at --log-level warning" in lines[3]


def test_the_banner_counts_public_keys(public_key_file: Path) -> None:
    with console("--auth", "verify", "--public-key", str(public_key_file)) as server:
        first = server.lines[0]
    assert first.endswith("(auth: verify, 1 public key; register more with POST /_mockoci/keys)")


def test_a_taken_port_names_the_setting_and_exits_2() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "mockoci", "serve", "--port", str(port), "--fixtures", str(FIXTURES_DIR)],
            capture_output=True, text=True, timeout=60,
        )
    assert result.returncode == 2
    assert result.stderr == (
        f"mockoci: cannot listen on 127.0.0.1:{port}: the port is already in use. Choose another port with --port "
        "or MOCKOCI_PORT (0 picks a free one).\n"
    )


def serve_help() -> str:
    serve = _parser()._subparsers._group_actions[0].choices["serve"]  # type: ignore[union-attr]
    text: str = serve.format_help()
    return text


def test_serve_help_groups_the_options_and_names_each_variable() -> None:
    text = serve_help()
    titles = [f"\n{title} options:\n" for title in OPTION_GROUPS]
    positions = [text.index(title) for title in titles]
    assert positions == sorted(positions)
    grouped = {name for names in OPTION_GROUPS.values() for name in names}
    assert grouped == set(Settings.model_fields), "every setting belongs to a --help group"
    flat = " ".join(text.split())  # argparse wraps the help text
    for name in Settings.model_fields:
        option = "--" + name.replace("_", "-")
        section = next(title for title, names in OPTION_GROUPS.items() if name in names)
        block = "\n" + text.split(f"\n{section} options:\n")[1].split("\n\n")[0]
        assert f"\n  {option} " in block, (option, section)
        assert f"env MOCKOCI_{name.upper()}" in flat, name
    assert "example:\n  mockoci serve --fixtures fixtures/" in text
    for path in ("/_mockoci/ ", "/_mockoci/docs ", "/_mockoci/health "):
        assert f"\n  {path}" in text, path


def test_mockoci_help_shows_an_example() -> None:
    result = subprocess.run([sys.executable, "-m", "mockoci", "--help"], capture_output=True, text=True,
                            timeout=60, check=True)
    assert "serve     run the server" in result.stdout
    assert "examples:\n  mockoci serve " in result.stdout
    assert "mockoci serve --help" in result.stdout


def test_ctrl_c_stops_the_server_without_a_traceback() -> None:
    server = Console()
    server.process.send_signal(signal.SIGINT)
    assert server.process.wait(timeout=20) == 130  # the shell's code for a process ended by SIGINT
    server._reader.join(timeout=10)
    assert not any("Traceback" in line or "KeyboardInterrupt" in line for line in server.lines), server.lines
