"""Integration: the `oci` CLI and the Node SDK, told no endpoint, reach mockoci through its HTTPS proxy.

The CLI gets `--region` and no `--endpoint`, plus `HTTPS_PROXY` and `REQUESTS_CA_BUNDLE`. The Node SDK
(oci-common 2.139.1) sends with Node's own `fetch`, which ignores `HTTPS_PROXY` unless Node is told to honour
it: `NODE_USE_ENV_PROXY=1` on Node 24 and later, or on older Node a preload script that installs undici's
`EnvHttpProxyAgent` (tests/node/proxy-from-env.js, through `NODE_OPTIONS`): no change to the application
either way. Slow (process start-up), so marked `clients`.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from conftest import PROXY_VARIABLES, TENANCY
from test_clients_verify import NODE_DIR, config_file  # noqa: F401  (a fixture)

from mockoci.server import MockOCIServer

pytestmark = pytest.mark.clients
VOLUME = "ocid1.volume.oc1.iad.cliproxyvolume"


def proxy_env(server: MockOCIServer, **extra: str) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if name not in PROXY_VARIABLES}
    return {**env, "HTTPS_PROXY": server.proxy_url, **extra}


def run_cli(server: MockOCIServer, config: Path, *args: str, check: bool = True, region: str = "us-ashburn-1") -> Any:
    command = ["oci", "--config-file", str(config), "--region", region, *args]  # no --endpoint
    env = proxy_env(server, REQUESTS_CA_BUNDLE=str(server.ca_bundle), SUPPRESS_LABEL_WARNING="True",
                    OCI_CLI_SUPPRESS_FILE_PERMISSIONS_WARNING="True")
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120, check=False)
    if not check:
        return result
    assert result.returncode == 0, f"{' '.join(args)}: rc={result.returncode}\n{result.stderr}"
    return json.loads(result.stdout) if result.stdout.strip() else {}


@pytest.mark.skipif(shutil.which("oci") is None, reason="the oci CLI is not installed (pip install oci-cli)")
def test_the_cli_with_only_a_region_works_through_the_proxy(
    proxy_server: MockOCIServer, config_file: Path  # noqa: F811
) -> None:
    created = run_cli(proxy_server, config_file, "bv", "backup", "create", "--volume-id", VOLUME,
                      "--display-name", "cli proxy", "--wait-for-state", "AVAILABLE", "--wait-interval-seconds", "1")
    backup_id = created["data"]["id"]
    assert created["data"]["lifecycle-state"] == "AVAILABLE"
    got = run_cli(proxy_server, config_file, "bv", "backup", "get", "--volume-backup-id", backup_id)
    listed = run_cli(proxy_server, config_file, "bv", "backup", "list", "-c", TENANCY, "--volume-id", VOLUME, "--all")
    assert [item["id"] for item in listed["data"]] == [backup_id]
    updated = run_cli(proxy_server, config_file, "bv", "backup", "update", "--volume-backup-id", backup_id,
                      "--display-name", "cli proxy renamed", "--if-match", got["etag"])
    assert updated["data"]["display-name"] == "cli proxy renamed"
    run_cli(proxy_server, config_file, "bv", "backup", "delete", "--volume-backup-id", backup_id,
            "--if-match", updated["etag"], "--force", "--wait-for-state", "TERMINATED", "--wait-interval-seconds", "1")
    stored = proxy_server.store.get_volume_backup(tenancy=TENANCY, backup_id=backup_id)
    assert (stored.backup.display_name, stored.backup.lifecycle_state) == ("cli proxy renamed", "TERMINATED")


@pytest.mark.skipif(shutil.which("oci") is None, reason="the oci CLI is not installed (pip install oci-cli)")
def test_a_service_mockoci_does_not_emulate_fails_and_the_server_says_which_host(
    proxy_server: MockOCIServer, config_file: Path, caplog: pytest.LogCaptureFixture  # noqa: F811
) -> None:
    with caplog.at_level(logging.WARNING, logger="mockoci.proxy"):
        result = run_cli(proxy_server, config_file, "--no-retry", "os", "ns", "get", check=False)
    # The CLI reports any failed CONNECT as a timeout; mockoci's log says what was refused and why.
    assert result.returncode != 0 and "objectstorage.us-ashburn-1.oraclecloud.com" in result.stderr
    assert "mockoci does not proxy CONNECT objectstorage.us-ashburn-1.oraclecloud.com:443" in caplog.text


def run_node(server: MockOCIServer, config: Path, name: str, **env: str) -> subprocess.CompletedProcess[str]:
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("node and npm are needed to run the Node SDK (oci-core)")
    if not (NODE_DIR / "node_modules" / "undici").is_dir():
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--loglevel=error"], cwd=NODE_DIR,
                       check=True, timeout=300)
    return subprocess.run(
        ["node", str(NODE_DIR / "crud.js"), "-", str(config), TENANCY, name],  # "-": the region's own endpoint
        capture_output=True, text=True, timeout=120, check=False,
        env=proxy_env(server, NODE_EXTRA_CA_CERTS=str(server.ca_bundle), **env),
    )


def node_major() -> int:
    version = subprocess.run(["node", "--version"], capture_output=True, text=True, check=True).stdout
    return int(version.strip().lstrip("v").split(".")[0])


def check_node_crud(server: MockOCIServer, result: subprocess.CompletedProcess[str], name: str) -> None:
    assert result.returncode == 0, result.stdout + result.stderr
    out = json.loads(result.stdout)
    backup_id = out["created"]["id"]
    assert out["got"]["state"] == "AVAILABLE" and out["listed"] == [backup_id]
    assert out["updated"]["displayName"] == name + " renamed"
    stored = server.store.get_volume_backup(tenancy=TENANCY, backup_id=backup_id)
    assert (stored.backup.display_name, stored.backup.lifecycle_state) == (name + " renamed", "TERMINATED")


def test_the_node_sdk_with_a_preload_works_through_the_proxy(
    proxy_server: MockOCIServer, config_file: Path  # noqa: F811
) -> None:
    preload = NODE_DIR / "proxy-from-env.js"
    result = run_node(proxy_server, config_file, "node proxy", NODE_OPTIONS=f"--require {preload}")
    check_node_crud(proxy_server, result, "node proxy")


def test_the_node_sdk_ignores_https_proxy_by_itself_before_node_24(
    proxy_server: MockOCIServer, config_file: Path  # noqa: F811
) -> None:
    if shutil.which("node") is None or node_major() >= 24:
        pytest.skip("Node 24 and later honour HTTPS_PROXY with NODE_USE_ENV_PROXY=1 (tested below)")
    journal = proxy_server.app.state.journal
    before = len(journal.entries())
    result = run_node(proxy_server, config_file, "node direct", NODE_USE_ENV_PROXY="1")
    assert result.returncode != 0  # it went straight for OCI's host (unreachable here), not through mockoci
    assert len(journal.entries()) == before


def test_the_node_sdk_with_node_use_env_proxy_on_node_24(
    proxy_server: MockOCIServer, config_file: Path  # noqa: F811
) -> None:
    if shutil.which("node") is None or node_major() < 24:
        pytest.skip("NODE_USE_ENV_PROXY needs Node 24 or later")
    result = run_node(proxy_server, config_file, "node env proxy", NODE_USE_ENV_PROXY="1")
    check_node_crud(proxy_server, result, "node env proxy")
