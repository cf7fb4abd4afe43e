"""Unit: the Faker behind Factory is made on first use, and the same seed still gives the same values."""

from __future__ import annotations

from mockoci.factories import Factory


def test_the_same_seed_gives_the_same_ocids_and_sizes() -> None:
    first, second = Factory(7), Factory(7)
    values = [(f.ocid("volumebackup", "us-ashburn-1"), f.volume_size_in_gbs()) for f in (first, second)]
    assert values[0] == values[1]
    assert values[0][0].startswith("ocid1.volumebackup.oc1.iad.ab")
    assert Factory(8).ocid("volumebackup", "us-ashburn-1") != values[0][0]
