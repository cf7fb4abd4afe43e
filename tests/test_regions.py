"""The region table: real names and keys, realms, and the hosts the SDKs build for a region."""

from __future__ import annotations

import oci
import pytest

from mockoci import regions
from mockoci.factories import Factory


def test_the_table_holds_every_region_the_sdk_knows() -> None:
    for name in oci.regions.REGIONS:
        known = regions.region(name)
        assert known is not None, name
        assert known.realm == oci.regions.REGION_REALMS[name]
        assert oci.regions.REGIONS_SHORT_NAMES[known.key] == name


def test_a_region_is_found_by_name_or_key_in_any_case() -> None:
    assert regions.region("US-PHOENIX-1") == regions.region("phx") == regions.REGIONS["us-phoenix-1"]
    assert regions.region("us-nowhere-1") is None
    assert not regions.is_region("")
    assert regions.region_key("xx-new-1") == "xx-new-1"


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("iaas.us-phoenix-1.oraclecloud.com", "us-phoenix-1"),
        ("IAAS.eu-frankfurt-1.oraclecloud.com:443", "eu-frankfurt-1"),
        ("iaas.us-langley-1.oraclegovcloud.com", "us-langley-1"),
        ("iaas.us-phoenix-1.oraclecloud.com.", "us-phoenix-1"),
        ("iaas.us-phoenix-1.oraclegovcloud.com", None),  # a real region, but not of that realm
        ("iaas.us-nowhere-1.oraclecloud.com", None),
        ("objectstorage.us-phoenix-1.oraclecloud.com", None),
        ("127.0.0.1:12000", None),
        ("iaas.us-phoenix-1.oraclecloud.com.evil.example", None),
    ],
)
def test_region_from_host(host: str, expected: str | None) -> None:
    found = regions.region_from_host(host)
    assert (found.name if found else None) == expected
    if found is not None:
        assert found.iaas_host == oci.regions.endpoint_for("blockstorage", found.name).removeprefix("https://")


def test_ocids_carry_the_realm_and_key_of_their_region() -> None:
    assert Factory(1).ocid("volumebackup", "us-langley-1").startswith("ocid1.volumebackup.oc2.lfi.")
    assert Factory(1).ocid("volumebackup", "eu-frankfurt-1").startswith("ocid1.volumebackup.oc1.fra.")
