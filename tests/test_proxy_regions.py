"""Integration: two regions through the proxy, with clients told only their region (issue 13, part 3).

A request whose Host is `iaas.<region>.oraclecloud.com` is served in that region, and a copy is visible only
in its destination region (the region model of issue 10). Through the proxy, an Ashburn client and a Phoenix
client, neither told an endpoint, then see what they would see on OCI: a copy made from Ashburn is found by
the Phoenix client only, and the CLI's `bv backup copy --wait-for-state`, which builds a second client for
the destination region to wait, works with `--region` alone.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import oci
import pytest
from conftest import TENANCY, region_client, use_proxy
from test_clients_verify import config_file  # noqa: F401  (a fixture)
from test_proxy_clients import run_cli

from mockoci.server import MockOCIServer

VOLUME = "ocid1.volume.oc1.iad.regionsvolume"


def test_a_copy_is_found_only_in_its_destination_region(
    proxy_server: MockOCIServer, oci_config: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    use_proxy(monkeypatch, proxy_server)
    ashburn, phoenix = region_client(oci_config, "us-ashburn-1"), region_client(oci_config, "us-phoenix-1")
    source = ashburn.create_volume_backup(
        oci.core.models.CreateVolumeBackupDetails(volume_id=VOLUME, display_name="source")
    ).data
    assert ".iad." in source.id
    oci.wait_until(ashburn, ashburn.get_volume_backup(source.id), "lifecycle_state", "AVAILABLE")

    copied = ashburn.copy_volume_backup(
        source.id, oci.core.models.CopyVolumeBackupDetails(destination_region="us-phoenix-1", display_name="copy")
    ).data
    assert ".phx." in copied.id and copied.source_volume_backup_id == source.id
    found = oci.wait_until(phoenix, phoenix.get_volume_backup(copied.id), "lifecycle_state", "AVAILABLE").data
    assert (found.display_name, found.source_volume_backup_id) == ("copy", source.id)

    # The known trap (oracle/oci-python-sdk#344): the copy is not visible through the source region's client,
    # and the source is not visible through the destination's.
    for client, backup_id in ((ashburn, copied.id), (phoenix, source.id)):
        with pytest.raises(oci.exceptions.ServiceError) as missing:
            client.get_volume_backup(backup_id)
        assert (missing.value.status, missing.value.code) == (404, "NotAuthorizedOrNotFound")
    assert [b.id for b in ashburn.list_volume_backups(TENANCY).data] == [source.id]
    assert [b.id for b in phoenix.list_volume_backups(TENANCY).data] == [copied.id]


def test_the_copy_composite_operation_waits_in_the_destination_region(
    proxy_server: MockOCIServer, oci_config: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    use_proxy(monkeypatch, proxy_server)
    ashburn, phoenix = region_client(oci_config, "us-ashburn-1"), region_client(oci_config, "us-phoenix-1")
    source = ashburn.create_volume_backup(oci.core.models.CreateVolumeBackupDetails(volume_id=VOLUME)).data
    oci.wait_until(ashburn, ashburn.get_volume_backup(source.id), "lifecycle_state", "AVAILABLE")
    composite = oci.core.BlockstorageClientCompositeOperations(ashburn)  # its work-request client: Ashburn's
    done = composite.copy_volume_backup_and_wait_for_work_request(
        source.id, oci.core.models.CopyVolumeBackupDetails(destination_region="us-phoenix-1"),
        waiter_kwargs={"max_wait_seconds": 60, "max_interval_seconds": 1},
    )
    assert done.data.status == "SUCCEEDED"
    copies = [b for b in phoenix.list_volume_backups(TENANCY).data if b.source_volume_backup_id == source.id]
    assert len(copies) == 1 and copies[0].lifecycle_state == "AVAILABLE"


@pytest.mark.clients
@pytest.mark.skipif(shutil.which("oci") is None, reason="the oci CLI is not installed (pip install oci-cli)")
def test_the_cli_copy_waits_for_the_copy_in_the_destination_region(
    proxy_server: MockOCIServer, config_file: Path  # noqa: F811
) -> None:
    created = run_cli(proxy_server, config_file, "bv", "backup", "create", "--volume-id", VOLUME,
                      "--wait-for-state", "AVAILABLE", "--wait-interval-seconds", "1")
    source_id = created["data"]["id"]
    # copy, then (inside the CLI) a second client for --destination-region waits: no --endpoint anywhere
    copied = run_cli(proxy_server, config_file, "bv", "backup", "copy", "--volume-backup-id", source_id,
                     "--destination-region", "us-phoenix-1", "--display-name", "cli copy",
                     "--wait-for-state", "AVAILABLE", "--wait-interval-seconds", "1")
    copy_id = copied["data"]["id"]
    assert ".phx." in copy_id and copied["data"]["lifecycle-state"] == "AVAILABLE"
    assert copied["data"]["source-volume-backup-id"] == source_id
    got = run_cli(proxy_server, config_file, "bv", "backup", "get", "--volume-backup-id", copy_id,
                  region="us-phoenix-1")
    assert got["data"]["display-name"] == "cli copy"
    missing = run_cli(proxy_server, config_file, "bv", "backup", "get", "--volume-backup-id", copy_id, check=False)
    assert missing.returncode != 0 and "NotAuthorizedOrNotFound" in missing.stderr
