"""Integration tests: one server, several tenancies (the tenancy OCID of each request's keyId), each seeing
only its own backups. Driven by the real SDK against `--auth verify`."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import oci
import pytest
import requests
from conftest import TENANCY, make_client

from mockoci.server import MockOCIServer

OTHER_TENANCY = "ocid1.tenancy.oc1..aaaaaaaaisolatedtenancy"
Details = oci.core.models.CreateVolumeBackupDetails


@pytest.fixture
def client_for(verify_server: MockOCIServer, oci_config: dict[str, Any]) -> Callable[[str], Any]:
    """A real SDK client whose keyId names `tenancy` (the session key is registered for any tenancy)."""
    return lambda tenancy: make_client({**oci_config, "tenancy": tenancy}, verify_server.url)


def test_another_tenancy_cannot_see_a_backup(client_for: Callable[[str], Any]) -> None:
    mine, theirs = client_for(TENANCY), client_for(OTHER_TENANCY)
    backup = mine.create_volume_backup(
        Details(volume_id="ocid1.volume.oc1.iad.mine", display_name="mine")
    ).data
    for call in (
        lambda: theirs.get_volume_backup(backup.id),
        lambda: theirs.update_volume_backup(
            backup.id, oci.core.models.UpdateVolumeBackupDetails(display_name="x")
        ),
        lambda: theirs.delete_volume_backup(backup.id),
    ):
        with pytest.raises(oci.exceptions.ServiceError) as raised:
            call()
        assert (raised.value.status, raised.value.code) == (404, "NotAuthorizedOrNotFound")
    assert theirs.list_volume_backups(TENANCY).data == []
    assert theirs.list_volume_backups(backup.compartment_id, display_name="mine").data == []
    still = mine.get_volume_backup(backup.id).data
    assert (still.display_name, still.lifecycle_state) == ("mine", "AVAILABLE")
    assert [item.id for item in mine.list_volume_backups(TENANCY).data] == [backup.id]


def test_two_tenancies_at_once_never_see_each_other(client_for: Callable[[str], Any]) -> None:
    tenancies = [TENANCY, OTHER_TENANCY]
    seen: dict[str, list[set[str]]] = {tenancy: [] for tenancy in tenancies}
    created: dict[str, set[str]] = {tenancy: set() for tenancy in tenancies}
    failures: list[BaseException] = []
    start = threading.Barrier(len(tenancies))

    def work(tenancy: str) -> None:
        try:
            client = client_for(tenancy)
            start.wait()
            for index in range(8):
                details = Details(
                    volume_id=f"ocid1.volume.oc1.iad.{index}", display_name=f"{tenancy[-8:]}-{index}"
                )
                created[tenancy].add(client.create_volume_backup(details).data.id)
                listed = oci.pagination.list_call_get_all_results(
                    client.list_volume_backups, tenancy, limit=3
                ).data
                seen[tenancy].append({item.id for item in listed})
        except BaseException as exc:  # reported below, in the test's thread
            failures.append(exc)

    threads = [threading.Thread(target=work, args=(tenancy,)) for tenancy in tenancies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not failures, failures
    for tenancy in tenancies:
        assert len(created[tenancy]) == 8
        assert all(listing <= created[tenancy] for listing in seen[tenancy]), "a list showed another's backup"
        assert seen[tenancy][-1] == created[tenancy]
    assert not created[TENANCY] & created[OTHER_TENANCY]


def test_resetting_one_tenancy_keeps_the_other(
    verify_server: MockOCIServer, client_for: Callable[[str], Any]
) -> None:
    mine, theirs = client_for(TENANCY), client_for(OTHER_TENANCY)
    kept = theirs.create_volume_backup(Details(volume_id="ocid1.volume.oc1.iad.kept")).data
    mine.create_volume_backup(Details(volume_id="ocid1.volume.oc1.iad.gone"))
    response = requests.post(verify_server.url + "/_mockoci/reset", params={"tenancy": TENANCY}, timeout=10)
    assert response.status_code == 204
    assert mine.list_volume_backups(TENANCY).data == []
    assert [item.id for item in theirs.list_volume_backups(OTHER_TENANCY).data] == [kept.id]
    assert theirs.get_volume_backup(kept.id).data.lifecycle_state == "AVAILABLE"


def test_tenancy_churn_never_loses_acknowledged_data(
    start_server: Callable[..., MockOCIServer], oci_config: dict[str, Any]
) -> None:
    server = start_server(max_tenancies=3, lifecycle_delay=0)
    client_for = lambda tenancy: make_client({**oci_config, "tenancy": tenancy}, server.url)  # noqa: E731
    mine = client_for(TENANCY)
    backup = mine.create_volume_backup(Details(volume_id="ocid1.volume.oc1.iad.churn")).data
    for n in range(10):  # tenancies that only read come and go
        assert client_for(f"ocid1.tenancy.oc1..aaaaaaaareader{n}").list_volume_backups(TENANCY).data == []
    assert mine.get_volume_backup(backup.id).data.id == backup.id
    client_for(OTHER_TENANCY).create_volume_backup(Details(volume_id="ocid1.volume.oc1.iad.theirs"))
    client_for("ocid1.tenancy.oc1..aaaaaaaathird").create_volume_backup(Details(volume_id="v"))
    with pytest.raises(oci.exceptions.ServiceError) as refused:  # all three hold data: the newcomer is refused
        client_for("ocid1.tenancy.oc1..aaaaaaaanewcomer").list_volume_backups(TENANCY)
    assert (refused.value.status, refused.value.code) == (400, "LimitExceeded")
    assert "max_tenancies" in refused.value.message
    mine.delete_volume_backup(backup.id)  # the client's 200 for its create still holds
