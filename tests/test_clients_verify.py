"""Integration tests: the `oci` CLI and the Node SDK (oci-core 2.139.1), run as subprocesses against a
server in `--auth verify` mode, each doing create, get, list with a filter, update with if-match, delete.

Slow (process start-up), so marked `clients`: `pytest -m clients`. The Node test needs `node` and `npm`
and the packages of tests/node (`npm install` there; .ci/run does it).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from conftest import TENANCY

from mockoci.server import MockOCIServer

pytestmark = pytest.mark.clients
NODE_DIR = Path(__file__).parent / "node"


@pytest.fixture
def config_file(oci_config: dict[str, Any], tmp_path: Path) -> Path:
    """An OCI config file and key file for the session key, as both clients read them."""
    key_file = tmp_path / "oci_api_key.pem"
    key_file.write_text(oci_config["key_content"])
    key_file.chmod(0o600)
    path = tmp_path / "config"
    path.write_text(
        "[DEFAULT]\n"
        f"user={oci_config['user']}\nfingerprint={oci_config['fingerprint']}\ntenancy={oci_config['tenancy']}\n"
        f"region={oci_config['region']}\nkey_file={key_file}\n"
    )
    path.chmod(0o600)
    return path


def run_cli(server: MockOCIServer, config_file: Path, *args: str) -> dict[str, Any]:
    command = ["oci", "--config-file", str(config_file), "--endpoint", server.url, *args]
    env = {
        **os.environ,
        "SUPPRESS_LABEL_WARNING": "True",
        "OCI_CLI_SUPPRESS_FILE_PERMISSIONS_WARNING": "True",
    }
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120, check=False)
    assert result.returncode == 0, f"{' '.join(args)}: rc={result.returncode}\n{result.stderr}"
    if not result.stdout.strip():
        return {}
    output: dict[str, Any] = json.loads(result.stdout)
    return output


@pytest.mark.skipif(shutil.which("oci") is None, reason="the oci CLI is not installed (pip install oci-cli)")
def test_the_cli_works_against_verify(verify_server: MockOCIServer, config_file: Path) -> None:
    name = "cli backup a&b"
    created = run_cli(
        verify_server,
        config_file,
        "bv",
        "backup",
        "create",
        "--volume-id",
        "ocid1.volume.oc1.iad.clivolume",
        "--display-name",
        name,
    )["data"]
    got = run_cli(verify_server, config_file, "bv", "backup", "get", "--volume-backup-id", created["id"])
    assert got["data"]["lifecycle-state"] == "AVAILABLE"
    listed = run_cli(
        verify_server, config_file, "bv", "backup", "list", "-c", TENANCY, "--display-name", name
    )
    assert [item["id"] for item in listed["data"]] == [created["id"]]
    updated = run_cli(
        verify_server,
        config_file,
        "bv",
        "backup",
        "update",
        "--volume-backup-id",
        created["id"],
        "--display-name",
        "cli renamed",
        "--if-match",
        got["etag"],
    )
    assert updated["data"]["display-name"] == "cli renamed"
    run_cli(
        verify_server,
        config_file,
        "bv",
        "backup",
        "delete",
        "--volume-backup-id",
        created["id"],
        "--if-match",
        updated["etag"],
        "--force",
    )
    stored = verify_server.store.get_volume_backup(tenancy=TENANCY, backup_id=created["id"])
    assert (stored.backup.display_name, stored.backup.lifecycle_state) == ("cli renamed", "TERMINATED")


def test_the_node_sdk_works_against_verify(verify_server: MockOCIServer, config_file: Path) -> None:
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("node and npm are needed to run the Node SDK (oci-core)")
    if not (NODE_DIR / "node_modules" / "oci-core").is_dir():
        subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=NODE_DIR,
            check=True,
            timeout=300,
        )
    name = "node backup"  # Node sends query values unencoded: only values fetch can repair (a space) work
    result = subprocess.run(
        ["node", str(NODE_DIR / "crud.js"), verify_server.url, str(config_file), TENANCY, name],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = json.loads(result.stdout)
    backup_id = out["created"]["id"]
    assert out["created"]["displayName"] == name
    assert out["got"]["id"] == backup_id and out["got"]["state"] == "AVAILABLE"
    assert out["listed"] == [backup_id]
    assert out["updated"]["displayName"] == name + " renamed"
    assert out["updated"]["etag"] != out["got"]["etag"]
    stored = verify_server.store.get_volume_backup(tenancy=TENANCY, backup_id=backup_id)
    assert (stored.backup.display_name, stored.backup.lifecycle_state) == (name + " renamed", "TERMINATED")
