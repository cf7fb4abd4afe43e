"""Integration: the whole backup workflow with the oci CLI and with the Node SDK, each against `mockoci serve`
(default settings): create a volume, back it up and wait, copy to another region and wait, see the copy only in
its region, restore a volume from the backup and wait for hydration, refuse a locked deletion, delete.

Slow (process start-up), so marked `clients`: `pytest -m clients`. The Node test needs `node` and the packages
of tests/node (`npm install` there)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from conftest import TENANCY
from test_clients_verify import config_file  # noqa: F401  (a fixture)
from test_fixtures_and_cli import serve

from mockoci.testing import AdminClient

pytestmark = pytest.mark.clients
NODE_DIR = Path(__file__).parent / "node"
AD = "Uocm:US-ASHBURN-AD-1"


def cli(endpoint: str, config: Path, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SUPPRESS_LABEL_WARNING": "True", "OCI_CLI_SUPPRESS_FILE_PERMISSIONS_WARNING": "True"}
    command = ["oci", "--config-file", str(config), "--endpoint", endpoint, *args]
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120, check=False)
    if ok:
        assert result.returncode == 0, f"{' '.join(args)}: rc={result.returncode}\n{result.stderr}"
    return result


def data(result: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    parsed: dict[str, Any] = json.loads(result.stdout)["data"]
    return parsed


WAIT = ("--wait-interval-seconds", "1", "--max-wait-seconds", "60")


@pytest.mark.skipif(shutil.which("oci") is None, reason="the oci CLI is not installed (pip install oci-cli)")
def test_the_cli_workflow(config_file: Path) -> None:  # noqa: F811
    with serve("--lifecycle-delay", "0.2") as url:
        volume = data(cli(url, config_file, "bv", "volume", "create", "-c", TENANCY, "--availability-domain", AD,
                          "--size-in-gbs", "60", "--wait-for-state", "AVAILABLE", *WAIT))
        assert volume["lifecycle-state"] == "AVAILABLE"
        retention = json.dumps({"retentionTimeUnit": "DAYS", "retentionTimeAmount": 1})
        backup = data(cli(url, config_file, "bv", "backup", "create", "--volume-id", volume["id"],
                          "--display-name", "cli nightly", "--retention-period", retention,
                          "--is-retention-lock-enabled", "true", "--wait-for-state", "AVAILABLE", *WAIT))
        assert (backup["lifecycle-state"], backup["size-in-gbs"], backup["compartment-id"]) == (
            "AVAILABLE", 60, TENANCY)
        # the CLI waits for the copy through a client of the destination region: with --endpoint, the same one
        copy = data(cli(url, config_file, "bv", "backup", "copy", "--volume-backup-id", backup["id"],
                        "--destination-region", "us-phoenix-1", "--wait-for-state", "AVAILABLE", *WAIT))
        assert copy["lifecycle-state"] == "AVAILABLE" and copy["id"].startswith("ocid1.volumebackup.oc1.phx.")
        from_source = cli(url + "/us-ashburn-1", config_file, "bv", "backup", "get", "--volume-backup-id",
                          copy["id"], ok=False)
        assert from_source.returncode != 0 and "NotAuthorizedOrNotFound" in from_source.stderr
        in_phoenix = data(cli(url + "/us-phoenix-1", config_file, "bv", "backup", "get", "--volume-backup-id",
                              copy["id"]))
        assert in_phoenix["source-volume-backup-id"] == backup["id"]

        restored = data(cli(url, config_file, "bv", "volume", "create", "--volume-backup-id", backup["id"],
                            "--availability-domain", AD, "--wait-for-state", "AVAILABLE", *WAIT))
        assert restored["source-details"] == {"id": backup["id"], "type": "volumeBackup"}
        assert (restored["size-in-gbs"], restored["compartment-id"]) == (60, TENANCY)
        for _ in range(30):
            current = data(cli(url, config_file, "bv", "volume", "get", "--volume-id", restored["id"]))
            if current["is-hydrated"]:
                break
        assert current["is-hydrated"] is True

        locked = cli(url, config_file, "bv", "backup", "delete", "--volume-backup-id", backup["id"], "--force",
                     ok=False)
        assert locked.returncode != 0 and "Conflict" in locked.stderr
        AdminClient(url).request("POST", "/clock/advance", body={"seconds": 86401})
        cli(url, config_file, "bv", "backup", "delete", "--volume-backup-id", backup["id"], "--force",
            "--wait-for-state", "TERMINATED", *WAIT)
        cli(url, config_file, "bv", "volume", "delete", "--volume-id", restored["id"], "--force")


@pytest.mark.skipif(shutil.which("node") is None or not (NODE_DIR / "node_modules" / "oci-workrequests").is_dir(),
                    reason="node or the Node SDK packages are not installed (npm install in tests/node)")
def test_the_node_workflow(config_file: Path) -> None:  # noqa: F811
    with serve("--lifecycle-delay", "0.2") as url:
        result = subprocess.run(["node", str(NODE_DIR / "workflow.js"), url, str(config_file), TENANCY],
                                capture_output=True, text=True, timeout=180, check=False)
        assert result.returncode == 0, result.stdout + result.stderr
        out = json.loads(result.stdout)
        assert (out["backup"]["state"], out["backup"]["sizeInGBs"]) == ("AVAILABLE", 80)
        assert (out["workRequest"]["status"], out["workRequest"]["percentComplete"]) == ("SUCCEEDED", 100)
        assert out["copyFromSource"] == {"statusCode": 404, "serviceCode": "NotAuthorizedOrNotFound"}
        assert (out["copy"]["state"], out["copy"]["source"]) == ("AVAILABLE", out["backup"]["id"])
        assert out["restored"]["hydrated"] is True and out["restored"]["sizeInGBs"] == 80
        assert out["restored"]["sourceDetails"] == {"type": "volumeBackup", "id": out["backup"]["id"]}
        assert out["lockedDelete"] == {"statusCode": 409, "serviceCode": "Conflict"}
        assert out["deleted"] == {"state": "TERMINATED"}
