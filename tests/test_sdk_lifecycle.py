"""Integration: lifecycle transitions as the SDK's waiters see them, and what each state allows."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import oci
import pytest
from conftest import TENANCY, make_client

from mockoci.server import MockOCIServer

models = oci.core.models


@pytest.fixture(scope="module")
def slow_server(start_server: Callable[..., MockOCIServer]) -> MockOCIServer:
    return start_server(lifecycle_delay=0.6, terminated_retention=30)


@pytest.fixture
def slow(slow_server: MockOCIServer, oci_config: dict[str, Any]) -> Any:
    slow_server.store.reset()
    return make_client(oci_config, slow_server.url)


def new_backup(client: Any) -> Any:
    return client.create_volume_backup(models.CreateVolumeBackupDetails(volume_id="ocid1.volume.oc1.iad.v")).data


def test_wait_until_available_observes_the_transition(slow: Any) -> None:
    created = slow.create_volume_backup(models.CreateVolumeBackupDetails(volume_id="v"))
    assert created.data.lifecycle_state == "REQUEST_RECEIVED"
    done = oci.wait_until(slow, slow.get_volume_backup(created.data.id), "lifecycle_state", "AVAILABLE",
                          max_interval_seconds=1, max_wait_seconds=30)
    assert done.data.lifecycle_state == "AVAILABLE"
    assert done.headers["etag"] != created.headers["etag"]


def test_every_transition_is_a_new_version(slow: Any, slow_server: MockOCIServer) -> None:
    created = slow.create_volume_backup(models.CreateVolumeBackupDetails(volume_id="v"))
    seen: dict[str, str] = {created.data.lifecycle_state: created.headers["etag"]}
    for _ in range(3):
        slow_server.store.clock.advance(0.3)
        response = slow.get_volume_backup(created.data.id)
        seen.setdefault(response.data.lifecycle_state, response.headers["etag"])
    assert list(seen) == ["REQUEST_RECEIVED", "CREATING", "AVAILABLE"]
    assert len(set(seen.values())) == 3


def test_composite_create_and_delete_wait_for_state(slow: Any) -> None:
    composite = oci.core.BlockstorageClientCompositeOperations(slow)
    created = composite.create_volume_backup_and_wait_for_state(
        models.CreateVolumeBackupDetails(volume_id="v"), wait_for_states=["AVAILABLE"],
        waiter_kwargs={"max_interval_seconds": 1, "max_wait_seconds": 30},
    )
    assert created.data.lifecycle_state == "AVAILABLE"
    deleted = composite.delete_volume_backup_and_wait_for_state(
        created.data.id, wait_for_states=["TERMINATED"],
        waiter_kwargs={"max_interval_seconds": 1, "max_wait_seconds": 30},
    )
    assert deleted.data.lifecycle_state == "TERMINATED"


def test_delete_goes_terminating_then_terminated_and_stays_readable(slow: Any, slow_server: MockOCIServer) -> None:
    backup = new_backup(slow)
    slow_server.store.clock.advance(1)
    slow.delete_volume_backup(backup.id)
    assert slow.get_volume_backup(backup.id).data.lifecycle_state == "TERMINATING"
    done = oci.wait_until(slow, slow.get_volume_backup(backup.id), "lifecycle_state", "TERMINATED",
                          max_interval_seconds=1, max_wait_seconds=30)
    assert done.data.lifecycle_state == "TERMINATED"
    slow_server.store.clock.advance(29)
    assert slow.get_volume_backup(backup.id).data.lifecycle_state == "TERMINATED"
    slow_server.store.clock.advance(2)  # past terminated_retention: forgotten
    with pytest.raises(oci.exceptions.ServiceError) as caught:
        slow.get_volume_backup(backup.id)
    assert caught.value.status == 404


@pytest.mark.parametrize("operation", ["update", "delete", "copy", "change_compartment"])
def test_a_backup_still_being_created_is_incorrect_state(slow: Any, slow_server: MockOCIServer, operation: str) -> None:
    backup = new_backup(slow)
    etag = slow.get_volume_backup(backup.id).headers["etag"]
    with pytest.raises(oci.exceptions.ServiceError) as caught:
        mutate(slow, operation, backup.id)
    assert (caught.value.status, caught.value.code) == (409, "IncorrectState")
    assert slow.get_volume_backup(backup.id).headers["etag"] == etag
    slow_server.store.clock.advance(1)
    mutate(slow, operation, backup.id)  # once AVAILABLE, it works


@pytest.mark.parametrize("operation", ["update", "copy", "change_compartment"])
@pytest.mark.parametrize("state", ["TERMINATING", "TERMINATED", "FAULTY"])
def test_a_gone_or_faulty_backup_is_conflict(
    slow: Any, slow_server: MockOCIServer, operation: str, state: str
) -> None:
    backup = new_backup(slow)
    slow_server.store.force_state(tenancy=TENANCY, backup_id=backup.id, state=state)
    with pytest.raises(oci.exceptions.ServiceError) as caught:
        mutate(slow, operation, backup.id)
    assert (caught.value.status, caught.value.code) == (409, "Conflict")
    assert slow.get_volume_backup(backup.id).data.lifecycle_state == state


def test_a_faulty_backup_can_be_deleted(slow: Any, slow_server: MockOCIServer) -> None:
    backup = new_backup(slow)
    slow_server.store.force_state(tenancy=TENANCY, backup_id=backup.id, state="FAULTY")
    assert slow.delete_volume_backup(backup.id).status == 204
    assert slow.get_volume_backup(backup.id).data.lifecycle_state == "TERMINATING"


def test_a_copy_progresses_like_a_new_backup(slow: Any, slow_server: MockOCIServer) -> None:
    source = new_backup(slow)
    slow_server.store.clock.advance(1)
    copy = slow.copy_volume_backup(source.id, models.CopyVolumeBackupDetails(destination_region="us-phoenix-1")).data
    assert copy.lifecycle_state == "REQUEST_RECEIVED"
    slow_server.store.clock.advance(1)
    assert slow.get_volume_backup(copy.id).data.lifecycle_state == "AVAILABLE"
    assert slow.get_volume_backup(source.id).data.lifecycle_state == "AVAILABLE"


def mutate(client: Any, operation: str, backup_id: str) -> Any:
    if operation == "update":
        return client.update_volume_backup(backup_id, models.UpdateVolumeBackupDetails(display_name="n"))
    if operation == "delete":
        return client.delete_volume_backup(backup_id)
    if operation == "copy":
        return client.copy_volume_backup(backup_id, models.CopyVolumeBackupDetails(destination_region="us-phoenix-1"))
    return client.change_volume_backup_compartment(
        backup_id, models.ChangeVolumeBackupCompartmentDetails(compartment_id="ocid1.compartment.oc1..c2")
    )
