"""The README's "Point a client at mockoci without changing it": its Python SDK and oci CLI recipes run as
pasted, against the proxy of a real server, with only the proxy's address and the CA's path changed."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from conftest import PROXY_VARIABLES

from mockoci.server import MockOCIServer

README = Path(__file__).parent.parent / "README.md"
SECTION = "Point a client at mockoci without changing it"
README_TENANCY = "ocid1.tenancy.oc1..aaaaaaaamocktenancy"  # the README's config names it


def section_blocks() -> list[tuple[str, str]]:
    text = README.read_text(encoding="utf-8")
    body = text.split(f"\n## {SECTION}\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^```(\w*)\n(.*?)^```", body, re.DOTALL | re.MULTILINE)


def recipe(marker: str) -> str:
    """The bash block of the section that runs `marker`."""
    found = [code for language, code in section_blocks() if language == "bash" and marker in code]
    assert len(found) == 1, marker
    return found[0]


@pytest.fixture
def folder(oci_config: dict[str, Any], tmp_path: Path) -> Path:
    """A folder with `mock-oci/config` and its key, as the README's first recipe makes them."""
    (tmp_path / "mock-oci").mkdir()
    key = tmp_path / "mock-oci" / "oci_api_key.pem"
    key.write_text(oci_config["key_content"])
    config = tmp_path / "mock-oci" / "config"
    config.write_text(
        f"[DEFAULT]\nuser={oci_config['user']}\nfingerprint={oci_config['fingerprint']}\n"
        f"tenancy={README_TENANCY}\nregion=us-ashburn-1\nkey_file={key}\n"
    )
    for path in (key, config):
        path.chmod(0o600)
    return tmp_path


def run_recipe(code: str, server: MockOCIServer, folder: Path) -> subprocess.CompletedProcess[str]:
    code = code.replace("http://127.0.0.1:12001", server.proxy_url).replace("~/.mockoci/tls/ca.pem",
                                                                           str(server.ca_bundle))
    env = {name: value for name, value in os.environ.items() if name not in PROXY_VARIABLES}
    env.update(SUPPRESS_LABEL_WARNING="True", OCI_CLI_SUPPRESS_FILE_PERMISSIONS_WARNING="True")
    return subprocess.run(["bash", "-euo", "pipefail", "-c", code], cwd=folder, env=env, capture_output=True,
                          text=True, timeout=120, check=False)


def test_the_serve_recipe_is_what_the_server_prints() -> None:
    serve = recipe("mockoci serve --proxy-port 12001")
    assert "#   HTTPS_PROXY=http://127.0.0.1:12001" in serve and "#   REQUESTS_CA_BUNDLE=" in serve


def test_the_python_recipe_runs_as_pasted(proxy_server: MockOCIServer, folder: Path) -> None:
    result = run_recipe(recipe("oci.core.BlockstorageClient("), proxy_server, folder)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"  # the README tenancy's backups: none yet, listed through the proxy
    journal = proxy_server.app.state.journal.entries(tenancy=README_TENANCY)
    assert [entry.operation for entry in journal][-1:] == ["ListVolumeBackups"]


@pytest.mark.clients
@pytest.mark.skipif(shutil.which("oci") is None, reason="the oci CLI is not installed (pip install oci-cli)")
def test_the_cli_recipe_runs_as_pasted(proxy_server: MockOCIServer, folder: Path) -> None:
    result = run_recipe(recipe("oci --config-file"), proxy_server, folder)
    assert result.returncode == 0, result.stderr
    journal = proxy_server.app.state.journal.entries(tenancy=README_TENANCY)
    assert [entry.operation for entry in journal][-1:] == ["ListVolumeBackups"]
