"""Plausible volume backups in bulk, for tests that need many: the same seed gives the same backups."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from .factories import Factory
from .models import LifecycleState, VolumeBackup

# Generated backups are created within this year, so that a seed fixes their times too.
_WINDOW_START = datetime(2025, 1, 1, tzinfo=UTC)
_WINDOW_SECONDS = 365 * 24 * 3600


def fake_backups(
    factory: Factory,
    *,
    count: int,
    region: str,
    compartment_id: str,
    volume_id: str | None = None,
    lifecycle_state: LifecycleState = "AVAILABLE",
) -> list[VolumeBackup]:
    """`count` backups of a few volumes (or of `volume_id`), oldest first."""
    faker = factory.faker
    volumes = [volume_id] if volume_id else [
        factory.ocid("volume", region) for _ in range(max(1, count // 4))
    ]
    sizes = {volume: factory.volume_size_in_gbs() for volume in volumes}
    offsets = sorted(faker.random_int(0, _WINDOW_SECONDS) for _ in range(count))
    backups = []
    for offset in offsets:
        volume = faker.random_element(volumes)
        size = sizes[volume]
        created = _WINDOW_START + timedelta(seconds=offset, milliseconds=faker.random_int(0, 999))
        unique = factory.unique_size_in_gbs(size)
        backups.append(
            VolumeBackup(
                id=factory.ocid("volumebackup", region),
                compartment_id=compartment_id,
                display_name=factory.display_name(),
                lifecycle_state=lifecycle_state,
                type=faker.random_element(("FULL", "INCREMENTAL")),
                volume_id=volume,
                defined_tags={},
                freeform_tags={},
                system_tags={},
                size_in_gbs=size,
                size_in_mbs=size * 1024,
                unique_size_in_gbs=unique,
                unique_size_in_mbs=unique * 1024,
                source_type=faker.random_element(("MANUAL", "SCHEDULED")),
                time_created=created,
                time_request_received=created,
            )
        )
    return backups
