"""Generated volume backups in OCI's wire shape, for fixtures files and store.seed()."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

COMPARTMENT = "ocid1.compartment.oc1..aaaaaaaabenchcompartment"
_START = datetime(2026, 1, 1, tzinfo=UTC)


def _ocid(kind: str, n: int) -> str:
    unique = (
        base64.b32encode(hashlib.blake2b(f"{kind}{n}".encode(), digest_size=40).digest()).decode().lower()
    )
    return f"ocid1.{kind}.oc1.iad.ab{unique[:58]}"


def backup(n: int, compartment: str = COMPARTMENT) -> dict[str, Any]:
    """Backup number `n`: AVAILABLE, created `n` seconds into 2026, shaped like a created backup."""
    created = (_START + timedelta(seconds=n)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    size = (50, 100, 256, 1024)[n % 4]
    return {
        "compartmentId": compartment,
        "definedTags": {},
        "systemTags": {},
        "displayName": f"bench-backup-{n:06d}",
        "expirationTime": None,
        "freeformTags": {},
        "id": _ocid("volumebackup", n),
        "kmsKeyId": None,
        "lifecycleState": "AVAILABLE",
        "sizeInGBs": size,
        "sizeInMBs": size * 1024,
        "sourceType": "MANUAL",
        "sourceVolumeBackupId": None,
        "timeCreated": created,
        "timeRequestReceived": created,
        "type": "INCREMENTAL",
        "uniqueSizeInGBs": size // 2,
        "uniqueSizeInMbs": size // 2 * 1024,
        "volumeId": _ocid("volume", n % 50),
        "timeRetentionExpiresAt": None,
        "retentionPeriod": None,
        "isPreventDeletionEnabled": None,
        "isRetentionLockEnabled": None,
        "isIndefiniteRetentionEnabled": None,
        "volumeGroupBackupId": None,
    }


def backups(count: int, compartment: str = COMPARTMENT) -> Iterator[dict[str, Any]]:
    return (backup(n, compartment) for n in range(count))
