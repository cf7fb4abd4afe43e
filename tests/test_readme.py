"""The README as a new user follows it: its set-up commands, then its client snippets run as pasted, in order,
from one folder, against a real server (only the port differs: the README's 12000 may be taken here)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest

from mockoci.server import MockOCIServer
from mockoci.testing import AdminClient

ROOT = Path(__file__).parent.parent
README = ROOT / "README.md"
NODE_MODULES = Path(__file__).parent / "node" / "node_modules"
BLOCK = re.compile(r"^```(\w*)\n(.*?)^```", re.DOTALL | re.MULTILINE)
README_URL = "http://127.0.0.1:12000"
TENANCY = "ocid1.tenancy.oc1..aaaaaaaamocktenancy"  # the README's config names it

pytest_plugins = ["pytester"]


def section(title: str) -> str:
    text = README.read_text(encoding="utf-8")
    return text.split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]


def blocks(title: str) -> list[tuple[str, str]]:
    """The fenced blocks of a README section: (language, code)."""
    return BLOCK.findall(section(title))


# Where each of the README's blocks is run: a new block must be added here, with the place that runs it.
WHERE_RUN = {
    "Set up": ["bash", "bash"],  # .ci/run runs both (test_the_set_up_is_two_commands_from_a_clone)
    "Point your client at it": ["bash", "python", "bash", "js"],  # here, in order, in one folder
    # tests/test_readme_proxy.py runs the serve, Python and CLI blocks as pasted (only the port and the CA's path
    # changed), tests/test_proxy_clients.py the Node recipe (Node 20, preload); Go and Terraform cannot run here
    "Point a client at mockoci without changing it": ["bash", "bash", "bash", "bash", "js", "bash", "hcl", "bash"],
    "Use it from pytest": ["python"],  # here, as a test file
    "Docker": ["bash", "yaml", "yaml"],  # the container suite builds and runs the same Dockerfile
    "Performance": ["bash"],  # .ci/run's benchmark smoke run
}


def test_every_block_of_the_readme_is_accounted_for() -> None:
    text = README.read_text(encoding="utf-8")
    found = {
        title: [language for language, _ in blocks(title)]
        for title in re.findall(r"^## (.+)$", text, re.MULTILINE) if blocks(title)
    }
    assert found == WHERE_RUN


def test_the_set_up_is_two_commands_from_a_clone() -> None:
    text = section("Set up")
    assert blocks("Set up") == [
        ("bash", "pip install . && mockoci serve\n"),
        ("bash", "pip install '.[test]' && pytest\n"),
    ]
    assert text.index("git clone") < text.index("pip install . && mockoci serve")
    assert "&& cd mockoci" in text
    ci = (ROOT / ".ci" / "run").read_text()
    assert "README command 1: install and run the server" in ci and "pip install -q .\nmockoci serve" in ci
    assert "README command 2: the tests" in ci and "pip install -q '.[test]'\npytest\n" in ci
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert sorted(re.split(r"[<>=]", requirement)[0] for requirement in extras["pytest"]) == ["oci", "pytest"]
    assert "mockoci[pytest]" in text


def client_snippets() -> list[tuple[str, str]]:
    snippets = blocks("Point your client at it")
    assert [language for language, _ in snippets] == ["bash", "python", "bash", "js"]
    for _, code in snippets[1:]:
        assert README_URL in code  # the one thing the test changes
    return snippets


def run(command: list[str], folder: Path, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(command, cwd=folder, capture_output=True, text=True, timeout=180,
                            env={**os.environ, **(env or {})}, check=False)
    assert result.returncode == 0, f"{command[:2]}: rc={result.returncode}\n{result.stdout}\n{result.stderr}"
    return result.stdout


def run_snippet(language: str, code: str, folder: Path, url: str) -> str:
    code = code.replace(README_URL, url)
    # the venv's own `oci` and `python` come first on PATH, as in an activated venv
    path = {"PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    if language == "bash":
        return run(["bash", "-euo", "pipefail", "-c", code], folder, path)
    if language == "python":
        (folder / "try_mockoci.py").write_text(code)
        return run([sys.executable, "try_mockoci.py"], folder, path)
    (folder / "try_mockoci.js").write_text(code)
    return run(["node", "try_mockoci.js"], folder, {**path, "NODE_PATH": str(NODE_MODULES)})


@pytest.fixture
def readme_server(start_server: Callable[..., MockOCIServer]) -> MockOCIServer:
    """A server as `mockoci serve` starts with no options (but on a free port)."""
    server = start_server()
    AdminClient(server.url).request("POST", "/reset")
    return server


def test_the_key_and_python_snippets_run_as_pasted(readme_server: MockOCIServer, tmp_path: Path) -> None:
    (_, keys), (_, python) = client_snippets()[:2]
    said = run_snippet("bash", keys, tmp_path, readme_server.url)
    assert re.fullmatch(r"wrote mock-oci/config, key fingerprint ([0-9a-f]{2}:){15}[0-9a-f]{2}\n", said), said
    assert {path.name for path in (tmp_path / "mock-oci").iterdir()} == {
        "config", "oci_api_key.pem", "oci_api_key_public.pem"
    }
    said = run_snippet("python", python, tmp_path, readme_server.url)
    created = re.fullmatch(
        r"created (ocid1\.volumebackup\.oc1\.iad\.\S+): REQUEST_RECEIVED, then AVAILABLE\n"
        rf"1 backup\(s\) listed in {re.escape(TENANCY)}\n",
        said,
    )
    assert created, said
    journal = AdminClient(readme_server.url).request("GET", "/journal", params={"tenancy": TENANCY})
    operations = [entry["operation"] for entry in journal]
    assert operations[0] == "CreateVolume" and operations[-1] == "ListVolumeBackups"
    assert "CreateVolumeBackup" in operations
    assert all(entry["status"] == 200 for entry in journal)


@pytest.mark.clients
@pytest.mark.skipif(shutil.which("oci") is None and not (Path(sys.executable).parent / "oci").exists(),
                    reason="the oci CLI is not installed (pip install oci-cli)")
@pytest.mark.skipif(shutil.which("node") is None or not NODE_MODULES.exists(),
                    reason="needs node and the packages of tests/node (npm install there)")
def test_every_client_snippet_runs_as_pasted_in_order(readme_server: MockOCIServer, tmp_path: Path) -> None:
    said = [run_snippet(language, code, tmp_path, readme_server.url) for language, code in client_snippets()]
    assert said[0].startswith("wrote mock-oci/config") and said[1].startswith("created ocid1.volumebackup.")
    assert '"lifecycle-state": "AVAILABLE"' in said[2]  # the CLI prints what it made and what it listed
    assert said[2].count('"id": "ocid1.volumebackup.') == 3  # created, then both listed
    assert re.fullmatch(r"ocid1\.volumebackup\.oc1\.iad\.\S+ REQUEST_RECEIVED\n", said[3]), said[3]
    journal = AdminClient(readme_server.url).request("GET", "/journal", params={"tenancy": TENANCY})
    assert [entry["status"] for entry in journal if entry["status"] != 200] == []


def test_the_pytest_snippet_passes(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MOCKOCI_URL", raising=False)
    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)
    [(language, code)] = blocks("Use it from pytest")
    assert language == "python"
    pytester.makepyfile(test_readme_example=code)
    pytester.runpytest_inprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)
