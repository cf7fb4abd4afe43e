"""The `mockoci` command's start (mockoci.__main__): its modules imported with the garbage collector paused and
frozen afterwards, the collector running again before the server does, and --python-gc leaving it as it was."""

from __future__ import annotations

import gc
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from mockoci import __main__ as entry
from mockoci import cli


@pytest.fixture
def collector_restored() -> Iterator[None]:
    """Whatever a test froze is unfrozen after it, and the collector left enabled."""
    yield
    gc.unfreeze()
    gc.enable()


@pytest.mark.usefixtures("collector_restored")
def test_the_command_runs_with_the_collector_enabled_and_its_modules_frozen(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[bool, int]] = []
    monkeypatch.setattr(cli, "main", lambda: seen.append((gc.isenabled(), gc.get_freeze_count())) or 0)
    assert entry.main() == 0
    [(enabled, frozen)] = seen
    assert enabled and frozen > 0


@pytest.mark.usefixtures("collector_restored")
def test_python_gc_unfreezes_what_the_command_froze(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    path.write_bytes(b"not a state file")  # the start stops after the settings are read
    gc.freeze()
    assert cli.main(["serve", "--port", "0", "--python-gc", "--state-file", str(path)]) == 2
    assert gc.get_freeze_count() == 0


def test_python_m_mockoci_is_the_command() -> None:
    version = subprocess.run([sys.executable, "-m", "mockoci", "--version"], capture_output=True, text=True,
                             check=True, timeout=60)
    assert version.stdout.strip().startswith("mockoci ")
