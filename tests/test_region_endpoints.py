"""Integration: regions. Each region has its own endpoint (the base URL followed by the region's identifier, or
a request whose Host is OCI's `iaas.<region>.<domain>`), through which a copy is found only in its destination
region; the plain endpoint keeps seeing every region, as before."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import oci
import pytest
import requests
from conftest import TENANCY, assert_oci_error, make_client

from mockoci.server import MockOCIServer
from mockoci.testing import AdminClient, MockOCI

models = oci.core.models
AD = "Uocm:US-ASHBURN-AD-1"


@pytest.fixture(scope="module")
def regional_server(start_server: Callable[..., MockOCIServer]) -> MockOCIServer:
    return start_server(unknown_volumes="reject", lifecycle_delay=0)


@pytest.fixture
def endpoint(regional_server: MockOCIServer, oci_config: dict[str, Any]) -> Callable[[str | None], Any]:
    MockOCI(AdminClient(regional_server.url), TENANCY).reset()

    def client_for(region: str | None) -> Any:
        url = regional_server.url + (f"/{region}" if region else "")
        return make_client({**oci_config, **({"region": region} if region else {})}, url)

    return client_for


def signed(oci_config: dict[str, Any]) -> Any:
    return oci.signer.Signer(TENANCY, oci_config["user"], oci_config["fingerprint"], None,
                             private_key_content=oci_config["key_content"])


def backup_in_ashburn(client: Any) -> Any:
    volume = client.create_volume(models.CreateVolumeDetails(compartment_id=TENANCY, availability_domain=AD)).data
    return client.create_volume_backup(models.CreateVolumeBackupDetails(volume_id=volume.id)).data


def test_a_copy_lives_in_its_destination_region(
    endpoint: Callable[[str | None], Any], regional_server: MockOCIServer
) -> None:
    ashburn, phoenix, plain = endpoint("us-ashburn-1"), endpoint("us-phoenix-1"), endpoint(None)
    source = backup_in_ashburn(ashburn)
    assert source.id.startswith("ocid1.volumebackup.oc1.iad.")
    copied = ashburn.copy_volume_backup(source.id, models.CopyVolumeBackupDetails(destination_region="us-phoenix-1"))
    copy = copied.data
    assert copy.id.startswith("ocid1.volumebackup.oc1.phx.")
    assert copied.headers["location"] == f"{regional_server.url}/us-phoenix-1/20160918/volumeBackups/{copy.id}"
    with pytest.raises(oci.exceptions.ServiceError) as through_source:  # the classic DR-script bug, caught
        ashburn.get_volume_backup(copy.id)
    assert (through_source.value.status, through_source.value.code) == (404, "NotAuthorizedOrNotFound")
    assert phoenix.get_volume_backup(copy.id).data.source_volume_backup_id == source.id
    with pytest.raises(oci.exceptions.ServiceError):
        phoenix.get_volume_backup(source.id)
    assert [b.id for b in ashburn.list_volume_backups(TENANCY).data] == [source.id]
    assert [b.id for b in phoenix.list_volume_backups(TENANCY).data] == [copy.id]
    assert {b.id for b in plain.list_volume_backups(TENANCY).data} == {source.id, copy.id}  # as before
    assert plain.get_volume_backup(copy.id).data.id == copy.id
    work_requests = oci.work_requests.WorkRequestClient(  # through the source region's endpoint
        ashburn.base_client.config, service_endpoint=regional_server.url + "/us-ashburn-1")
    assert work_requests.get_work_request(copied.headers["opc-work-request-id"]).data.status == "SUCCEEDED"
    # a copy can be restored, in its own region only
    restored = phoenix.create_volume(models.CreateVolumeDetails(
        compartment_id=TENANCY, availability_domain="Uocm:PHX-AD-1",
        source_details=models.VolumeSourceFromVolumeBackupDetails(id=copy.id))).data
    assert restored.id.startswith("ocid1.volume.oc1.phx.")
    with pytest.raises(oci.exceptions.ServiceError) as elsewhere:
        ashburn.create_volume(models.CreateVolumeDetails(
            compartment_id=TENANCY, availability_domain=AD,
            source_details=models.VolumeSourceFromVolumeBackupDetails(id=copy.id)))
    assert elsewhere.value.status == 404
    assert [v.id for v in phoenix.list_volumes(compartment_id=TENANCY).data] == [restored.id]


def test_a_volume_is_backed_up_in_its_region_only(endpoint: Callable[[str | None], Any]) -> None:
    ashburn, phoenix = endpoint("us-ashburn-1"), endpoint("us-phoenix-1")
    volume = phoenix.create_volume(models.CreateVolumeDetails(compartment_id=TENANCY, availability_domain=AD)).data
    with pytest.raises(oci.exceptions.ServiceError) as other_region:
        ashburn.create_volume_backup(models.CreateVolumeBackupDetails(volume_id=volume.id))
    assert (other_region.value.status, other_region.value.code) == (404, "NotAuthorizedOrNotFound")
    backup = endpoint(None).create_volume_backup(models.CreateVolumeBackupDetails(volume_id=volume.id)).data
    assert backup.id.startswith("ocid1.volumebackup.oc1.phx.")  # the plain endpoint backs it up where it is


def test_the_destination_must_be_another_real_region(endpoint: Callable[[str | None], Any]) -> None:
    ashburn = endpoint("us-ashburn-1")
    source = backup_in_ashburn(ashburn)
    for destination in ("us-nowhere-1", "us-ashburn-1"):
        with pytest.raises(oci.exceptions.ServiceError) as refused:
            ashburn.copy_volume_backup(source.id, models.CopyVolumeBackupDetails(destination_region=destination))
        assert (refused.value.status, refused.value.code) == (400, "InvalidParameter")
        assert "destinationRegion" in refused.value.message
    assert ashburn.list_volume_backups(TENANCY).data[0].id == source.id


def test_an_oci_host_names_the_region(
    endpoint: Callable[[str | None], Any], regional_server: MockOCIServer, oci_config: dict[str, Any]
) -> None:
    ashburn = endpoint("us-ashburn-1")
    source = backup_in_ashburn(ashburn)
    copy = ashburn.copy_volume_backup(source.id, models.CopyVolumeBackupDetails(destination_region="uk-london-1")).data
    path = f"{regional_server.url}/20160918/volumeBackups/{copy.id}"
    for host, status in [("iaas.uk-london-1.oraclecloud.com", 200), ("iaas.us-ashburn-1.oraclecloud.com:443", 404),
                         ("localhost", 200), ("iaas.uk-london-1.example.com", 200)]:
        answer = requests.get(path, headers={"host": host}, auth=signed(oci_config), timeout=10)
        assert answer.status_code == status, (host, answer.text)
    copied = requests.post(f"{regional_server.url}/20160918/volumeBackups/{source.id}/actions/copy",
                           headers={"host": "iaas.us-ashburn-1.oraclecloud.com"}, auth=signed(oci_config),
                           json={"destinationRegion": "us-phoenix-1"}, timeout=10)
    assert copied.headers["location"].startswith("http://iaas.us-phoenix-1.oraclecloud.com/20160918/volumeBackups/")


def test_an_unknown_region_prefix_is_not_found(regional_server: MockOCIServer, oci_config: dict[str, Any]) -> None:
    answer = requests.get(f"{regional_server.url}/us-nowhere-1/20160918/volumeBackups",
                          params={"compartmentId": TENANCY}, auth=signed(oci_config), timeout=10)
    assert_oci_error(answer, 404, "NotFound")


def test_verify_mode_checks_the_path_as_sent_through_a_region_prefix(
    verify_server: MockOCIServer, oci_config: dict[str, Any]
) -> None:
    phoenix = make_client({**oci_config, "region": "us-phoenix-1"}, verify_server.url + "/us-phoenix-1")
    listed = phoenix.list_volumes(compartment_id=TENANCY)  # signed over /us-phoenix-1/20160918/volumes?...
    assert listed.status == 200
    request = requests.Request(
        "GET", f"{verify_server.url}/20160918/volumeBackups", params={"compartmentId": TENANCY}
    ).prepare()
    signed(oci_config)(request)  # signed over the path without the prefix...
    request.url = f"{verify_server.url}/us-phoenix-1/20160918/volumeBackups?compartmentId={TENANCY}"
    with requests.Session() as session:
        answer = session.send(request, timeout=10)  # ...and sent with it: the signature does not cover it
    assert_oci_error(answer, 401, "NotAuthenticated")
