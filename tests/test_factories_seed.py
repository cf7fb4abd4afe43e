"""Unit: the Faker behind Factory is made on first use, and the same seed still gives the same values."""

from __future__ import annotations

from faker import Faker

from mockoci.factories import Factory

ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"  # OCIDs' letters (base32)


def test_the_same_seed_gives_the_same_ocids_and_sizes() -> None:
    first, second = Factory(7), Factory(7)
    values = [(f.ocid("volumebackup", "us-ashburn-1"), f.volume_size_in_gbs()) for f in (first, second)]
    assert values[0] == values[1]
    assert values[0][0].startswith("ocid1.volumebackup.oc1.iad.ab")
    assert Factory(8).ocid("volumebackup", "us-ashburn-1") != values[0][0]


def test_ocids_are_the_ones_fakers_lexify_draws_from_the_same_seed() -> None:
    """mockoci.factories.lexify draws OCIDs' letters faster than Faker, and must draw the same ones, leaving the
    generator where Faker would (a seeded run's OCIDs and the sizes drawn after them stay what they were)."""
    for seed in range(40):
        factory, faker = Factory(seed), Faker()
        faker.seed_instance(seed)
        for _ in range(3):
            regional = faker.lexify("?" * 60, letters=ALPHABET)
            assert factory.ocid("volumebackup", "us-ashburn-1") == f"ocid1.volumebackup.oc1.iad.ab{regional[:58]}"
            regionless = faker.lexify("?" * 60, letters=ALPHABET)
            assert factory.ocid("volume") == f"ocid1.volume.oc1..aaaaaaaa{regionless[:52]}"
            assert factory.volume_size_in_gbs() == faker.random_element((50, 100, 128, 256, 512, 1024, 2048))


def test_unique_sizes_are_the_ones_fakers_random_int_draws_from_the_same_seed() -> None:
    for seed in range(20):
        factory, faker = Factory(seed), Faker()
        faker.seed_instance(seed)
        for size in (1, 2, 50, 1024, 0):
            assert factory.unique_size_in_gbs(size) == faker.random_int(min=1, max=max(1, size))
