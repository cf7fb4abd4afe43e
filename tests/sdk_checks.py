"""SDK checks that run against any running mockoci server, wherever it runs.

The same checks drive an in-process server in the default suite (`test_sdk_checks.py`) and the container
image (`test_container.py`), so what the container is tested for is tested code. A check takes a `Target`:
the server's URL, an unmodified `oci.core.BlockstorageClient` pointed at it, and the compartment the
client's backups land in. The server must run with a lifecycle delay (so `wait_until` really waits) and
with the fixture folder `write_fixture_folder` makes.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import oci
from conftest import TENANCY, make_client

WAIT = {"max_wait_seconds": 30, "max_interval_seconds": 0.2}
FIXTURE_BACKUP: dict[str, Any] = {
    "id": "ocid1.volumebackup.oc1.iad.aaaaaaaafixturebackup0001",
    "displayName": "nightly-fixture",
    "compartmentId": TENANCY,
    "lifecycleState": "AVAILABLE",
    "timeCreated": "2024-05-06T07:08:09.000Z",
    "type": "FULL",
    "sourceType": "MANUAL",
    "volumeId": "ocid1.volume.oc1.iad.aaaaaaaafixturevolume0001",
    "sizeInGBs": 50,
    "sizeInMBs": 51200,
    "freeformTags": {"origin": "fixture"},
    "definedTags": {},
}


# The volume the checks back up: a fixture, as the server refuses backups of volumes it does not know.
CHECK_VOLUME = {"id": "ocid1.volume.oc1.iad.sdkcheckvolume", "compartmentId": TENANCY, "sizeInGBs": 50}


def write_fixture_folder(folder: Path) -> Path:
    """A fixture folder holding FIXTURE_BACKUP and CHECK_VOLUME, readable by any user (the image runs as a
    non-root one)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "backups.json"
    path.write_text(json.dumps({"volumeBackups": [FIXTURE_BACKUP], "volumes": [CHECK_VOLUME]}, indent=2),
                    encoding="utf-8")
    folder.chmod(0o755)
    path.chmod(0o644)
    return folder


@dataclass
class Target:
    """A running mockoci server and an SDK client pointed at it."""

    url: str
    client: Any
    compartment_id: str = TENANCY

    @classmethod
    def fresh(cls, url: str, oci_config: dict[str, Any]) -> Target:
        """A target for the server at `url`, with its state reset to the fixtures."""
        target = cls(url, make_client(oci_config, url))
        target.reset()
        return target

    def reset(self) -> None:
        """Forget all state through the admin API; the fixtures come back."""
        request = urllib.request.Request(self.url + "/_mockoci/reset", method="POST")
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 204

    def create(self, name: str, volume_id: str = "ocid1.volume.oc1.iad.sdkcheckvolume") -> Any:
        details = oci.core.models.CreateVolumeBackupDetails(volume_id=volume_id, display_name=name)
        return self.client.create_volume_backup(details)

    def wait(self, backup_id: str, state: str) -> Any:
        response = self.client.get_volume_backup(backup_id)
        return oci.wait_until(self.client, response, "lifecycle_state", state, **WAIT)


def service_error(call: Callable[[], Any]) -> Any:
    """The oci.exceptions.ServiceError that `call` raises."""
    try:
        call()
    except oci.exceptions.ServiceError as exc:
        return exc
    raise AssertionError("the call succeeded; a ServiceError was expected")


def check_create_wait_get(target: Target) -> None:
    created = target.create("sdk-create")
    assert created.status == 200
    assert created.headers["etag"] and created.headers["opc-request-id"]
    backup = created.data
    assert backup.id.startswith("ocid1.volumebackup.oc1.")
    assert backup.display_name == "sdk-create"
    assert backup.compartment_id == target.compartment_id
    assert backup.lifecycle_state in ("REQUEST_RECEIVED", "CREATING")

    available = target.wait(backup.id, "AVAILABLE")
    assert available.data.lifecycle_state == "AVAILABLE"

    got = target.client.get_volume_backup(backup.id)
    assert got.status == 200
    assert got.data.id == backup.id and got.data.display_name == "sdk-create"
    assert got.data.lifecycle_state == "AVAILABLE"
    assert got.headers["etag"] == available.headers["etag"] != created.headers["etag"]


def check_list_pagination(target: Target) -> None:
    created = {target.create(f"sdk-page-{n}").data.id for n in range(5)}
    expected = created | {FIXTURE_BACKUP["id"]}

    seen: list[str] = []
    page: str | None = None
    pages = 0
    while True:
        response = target.client.list_volume_backups(target.compartment_id, limit=2, page=page)
        assert response.status == 200
        assert len(response.data) <= 2
        seen.extend(backup.id for backup in response.data)
        pages += 1
        page = response.headers.get("opc-next-page")
        if page is None:
            break
        assert response.has_next_page and pages < 10
    assert pages == 3
    assert sorted(seen) == sorted(expected), "every backup exactly once across the pages"

    everything = oci.pagination.list_call_get_all_results(
        target.client.list_volume_backups, target.compartment_id, limit=2
    ).data
    assert sorted(backup.id for backup in everything) == sorted(expected)

    named = target.client.list_volume_backups(target.compartment_id, display_name="sdk-page-3").data
    assert [backup.display_name for backup in named] == ["sdk-page-3"]


def check_update_if_match(target: Target) -> None:
    backup_id = target.create("sdk-update").data.id
    etag = target.wait(backup_id, "AVAILABLE").headers["etag"]

    details = oci.core.models.UpdateVolumeBackupDetails(display_name="sdk-renamed", freeform_tags={"k": "v"})
    updated = target.client.update_volume_backup(backup_id, details, if_match=etag)
    assert updated.status == 200
    assert updated.data.display_name == "sdk-renamed" and updated.data.freeform_tags == {"k": "v"}
    assert updated.headers["etag"] != etag

    stale = oci.core.models.UpdateVolumeBackupDetails(display_name="sdk-stale")
    error = service_error(lambda: target.client.update_volume_backup(backup_id, stale, if_match=etag))
    assert (error.status, error.code) == (412, "NoEtagMatch")
    assert error.request_id

    after = target.client.get_volume_backup(backup_id)
    assert after.data.display_name == "sdk-renamed", "a refused update changes nothing"
    assert after.headers["etag"] == updated.headers["etag"]


def check_delete_wait_terminated(target: Target) -> None:
    backup_id = target.create("sdk-delete").data.id
    etag = target.wait(backup_id, "AVAILABLE").headers["etag"]

    error = service_error(lambda: target.client.delete_volume_backup(backup_id, if_match='"stale"'))
    assert (error.status, error.code) == (412, "NoEtagMatch")
    assert target.client.get_volume_backup(backup_id).data.lifecycle_state == "AVAILABLE"

    deleted = target.client.delete_volume_backup(backup_id, if_match=etag)
    assert deleted.status == 204 and deleted.data is None
    assert target.client.get_volume_backup(backup_id).data.lifecycle_state in ("TERMINATING", "TERMINATED")

    terminated = target.wait(backup_id, "TERMINATED")
    assert terminated.data.lifecycle_state == "TERMINATED"
    listed = target.client.list_volume_backups(target.compartment_id, lifecycle_state="TERMINATED").data
    assert [backup.id for backup in listed] == [backup_id]


def check_fixture_backup_visible(target: Target) -> None:
    got = target.client.get_volume_backup(FIXTURE_BACKUP["id"])
    assert got.status == 200 and got.headers["etag"]
    backup = got.data
    assert backup.display_name == "nightly-fixture"
    assert backup.lifecycle_state == "AVAILABLE"
    assert backup.size_in_gbs == 50 and backup.freeform_tags == {"origin": "fixture"}

    listed = target.client.list_volume_backups(target.compartment_id, display_name="nightly-fixture").data
    assert [b.id for b in listed] == [FIXTURE_BACKUP["id"]]

    target.client.delete_volume_backup(FIXTURE_BACKUP["id"])
    target.wait(FIXTURE_BACKUP["id"], "TERMINATED")
    target.reset()
    back = target.client.get_volume_backup(FIXTURE_BACKUP["id"]).data
    assert back.lifecycle_state == "AVAILABLE", "a reset brings the fixtures back"


CHECKS: list[Callable[[Target], None]] = [
    check_create_wait_get,
    check_list_pagination,
    check_update_if_match,
    check_delete_wait_terminated,
    check_fixture_backup_visible,
]
