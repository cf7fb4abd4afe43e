"""The one source of generated values (OCIDs, sizes, names): a seeded Faker."""

from __future__ import annotations

from datetime import datetime
from random import Random
from typing import TYPE_CHECKING

from .regions import realm_of, region_key

if TYPE_CHECKING:
    from faker import Faker

_OCID_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"
_VOLUME_SIZES_GB = (50, 100, 128, 256, 512, 1024, 2048)


class Factory:
    """Realistic values for what clients do not send. The same seed gives the same values."""

    def __init__(self, seed: int | None = None) -> None:
        self._seed = seed
        self._faker: Faker | None = None
        self._random: Random | None = None

    @property
    def faker(self) -> Faker:
        """The seeded Faker, made on first use: importing and building it costs ~150 ms of start-up."""
        if self._faker is None:
            from faker import Faker

            self._faker = Faker()
            if self._seed is not None:
                self._faker.seed_instance(self._seed)
        return self._faker

    @property
    def random(self) -> Random:
        """The seeded Faker's generator, kept (Faker's proxy takes 1 us to hand it out)."""
        if self._random is None:
            self._random = self.faker.random
        return self._random

    def ocid(self, resource_type: str, region: str | None = None) -> str:
        """An OCID such as `ocid1.volumebackup.oc1.iad.abuw...`; regionless (`oc1..aaaa...`) without a region."""
        unique = lexify(self.random, 60)
        if region is None:
            return f"ocid1.{resource_type}.oc1..aaaaaaaa{unique[:52]}"
        return f"ocid1.{resource_type}.{realm_of(region)}.{region_key(region)}.ab{unique[:58]}"

    def volume_size_in_gbs(self) -> int:
        return int(self.faker.random_element(_VOLUME_SIZES_GB))

    def unique_size_in_gbs(self, size_in_gbs: int) -> int:
        # Faker's random_int(min=1, max=size): the same draw, without Faker's proxy and its step argument
        return self.random.randrange(1, max(1, size_in_gbs) + 1)

    def display_name(self) -> str:
        return f"{self.faker.word()}-{self.faker.word()}-backup"

    @staticmethod
    def default_backup_name(created: datetime) -> str:
        """The name OCI gives a backup created without one."""
        return "volumebackup" + created.strftime("%Y%m%d%H%M%S")

    @staticmethod
    def default_volume_name(created: datetime) -> str:
        """The name mockoci gives a volume created without one (as OCI names backups)."""
        return "volume" + created.strftime("%Y%m%d%H%M%S")


# A 32-bit draw's top byte -> its letter: random.choice of 32 letters takes a draw's top 6 bits (the byte >> 2)
# and draws again when they are 32 or more (the byte's top bit set: those bytes are deleted).
_LETTER_OF_TOP_BYTE = bytes(ord(_OCID_ALPHABET[byte >> 2]) if byte < 128 else 0 for byte in range(256))
_REDRAWN = bytes(range(128, 256))


def lexify(rng: Random, count: int) -> str:
    """`count` letters of the OCID alphabet: the ones `Faker.lexify("?" * count, letters=_OCID_ALPHABET)` gives
    from the same generator, 20x faster (Faker makes each letter through five calls: 50 us of a create).

    The 32-bit draws are taken as many at once as letters are still missing (`getrandbits(32 * n)` holds n
    draws, the first in its lowest bits), which never takes one more than letter by letter would: the generator
    ends where Faker leaves it, so the values drawn after are the same too."""
    letters = b""
    while len(letters) < count:
        wanted = count - len(letters)
        top_bytes = rng.getrandbits(32 * wanted).to_bytes(4 * wanted, "little")[3::4]
        letters += top_bytes.translate(_LETTER_OF_TOP_BYTE, _REDRAWN)
    return letters.decode()
