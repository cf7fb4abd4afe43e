"""The oci CLI's `bv volume-backup-policy` and `bv volume-backup-policy-assignment` commands against a server.

Slow (a CLI process per command), so marked `clients`: `pytest -m clients tests/test_backup_policies_cli.py`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from test_clients_verify import config_file, run_cli

from mockoci.server import MockOCIServer
from mockoci.testing import AdminClient, MockOCI

pytestmark = [
    pytest.mark.clients,
    pytest.mark.skipif(shutil.which("oci") is None, reason="the oci CLI is not installed (pip install oci-cli)"),
]
__all__ = ["config_file"]  # the fixture, used by name
TENANCY = "ocid1.tenancy.oc1..aaaaaaaatesttenancy"
COMPARTMENT = "ocid1.compartment.oc1..aaaaaaaaclipolicies"
VOLUME = "ocid1.volume.oc1.iad.aaaaaaaaclipolicyvolume"
DAY = 86400


def test_the_cli_manages_policies_and_assignments(server: MockOCIServer, config_file: Path) -> None:
    mock = MockOCI(AdminClient(server.url), TENANCY)
    mock.seed(volumes=[{"id": VOLUME, "compartmentId": COMPARTMENT, "sizeInGBs": 50}])

    predefined = run_cli(server, config_file, "bv", "volume-backup-policy", "list")["data"]
    assert sorted(p["display-name"] for p in predefined) == ["bronze", "gold", "silver"]

    schedules = [{"backupType": "INCREMENTAL", "period": "ONE_DAY", "retentionSeconds": 3 * DAY,
                  "offsetType": "STRUCTURED", "hourOfDay": 1, "timeZone": "UTC"}]
    created = run_cli(server, config_file, "bv", "volume-backup-policy", "create", "-c", COMPARTMENT,
                      "--display-name", "cli-daily", "--schedules", json.dumps(schedules))
    policy = created["data"]
    assert created["etag"] and policy["schedules"][0]["hour-of-day"] == 1
    listed = run_cli(server, config_file, "bv", "volume-backup-policy", "list", "-c", COMPARTMENT)["data"]
    assert [p["id"] for p in listed] == [policy["id"]]
    updated = run_cli(server, config_file, "bv", "volume-backup-policy", "update", "--policy-id", policy["id"],
                      "--display-name", "cli-daily-2", "--if-match", created["etag"], "--force")
    assert updated["data"]["display-name"] == "cli-daily-2"
    got = run_cli(server, config_file, "bv", "volume-backup-policy", "get", "--policy-id", policy["id"])
    assert got["etag"] == updated["etag"]

    assignment = run_cli(server, config_file, "bv", "volume-backup-policy-assignment", "create",
                         "--asset-id", VOLUME, "--policy-id", policy["id"])["data"]
    assert assignment["asset-id"] == VOLUME and assignment["policy-id"] == policy["id"]
    found = run_cli(server, config_file, "bv", "volume-backup-policy-assignment",
                    "get-volume-backup-policy-asset-assignment", "--asset-id", VOLUME)["data"]
    assert [a["id"] for a in found] == [assignment["id"]]
    assert run_cli(server, config_file, "bv", "volume-backup-policy-assignment", "get",
                   "--policy-assignment-id", assignment["id"])["data"]["id"] == assignment["id"]

    mock.advance_clock(2 * DAY)
    backups = run_cli(server, config_file, "bv", "backup", "list", "-c", COMPARTMENT, "--volume-id", VOLUME)["data"]
    assert len(backups) == 2 and {b["source-type"] for b in backups} == {"SCHEDULED"}
    assert all(b["expiration-time"] for b in backups)

    run_cli(server, config_file, "bv", "volume-backup-policy-assignment", "delete",
            "--policy-assignment-id", assignment["id"], "--force")
    assert run_cli(server, config_file, "bv", "volume-backup-policy-assignment",
                   "get-volume-backup-policy-asset-assignment", "--asset-id", VOLUME) == {}
    run_cli(server, config_file, "bv", "volume-backup-policy", "delete", "--policy-id", policy["id"], "--force")
    assert run_cli(server, config_file, "bv", "volume-backup-policy", "list", "-c", COMPARTMENT) == {}
