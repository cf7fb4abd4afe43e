"""Seed data in OCI's wire shape: read, validate whole, and only then load."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from .models import VolumeBackup
from .resources.backup_policies import PREDEFINED, VolumeBackupPolicy, VolumeBackupPolicyAssignment
from .resources.volumes import Volume, VolumeSpec, volume_from_spec
from .resources.work_requests import StoredWorkRequest

ModelT = TypeVar("ModelT", bound=BaseModel)

VOLUME_KEYS = {"id", "compartmentId", "sizeInGBs"}  # the short form of a volume: an AVAILABLE one


class FixtureError(ValueError):
    """A fixture that cannot be loaded; the message names the file and the field."""


@dataclass
class FixtureSet:
    backups: list[VolumeBackup] = field(default_factory=list)
    volumes: list[Volume] = field(default_factory=list)
    work_requests: list[StoredWorkRequest] = field(default_factory=list)
    policies: list[VolumeBackupPolicy] = field(default_factory=list)
    assignments: list[VolumeBackupPolicyAssignment] = field(default_factory=list)
    etags: dict[str, str] = field(default_factory=dict)  # backup id -> the etag its fixture pins


def fixture_files(paths: Iterable[Path]) -> list[Path]:
    """The JSON files named, folders expanded to the *.json files in them, in name order."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(path.glob("*.json")))
        elif path.is_file():
            files.append(path)
        else:
            raise FixtureError(f"{path}: no such file or folder")
    return files


def parse_document(document: Any, source: str, *, region: str = "us-ashburn-1") -> FixtureSet:
    """A fixture document: a JSON array of VolumeBackup objects, or {"volumeBackups": [...], "volumes": [...],
    "workRequests": [...], "volumeBackupPolicies": [...], "volumeBackupPolicyAssignments": [...]}.

    A volume is either a Volume object (as GetVolume returns it) or the short form {"id", "compartmentId",
    "sizeInGBs"}: an AVAILABLE, hydrated volume in `region`'s first availability domain, created now. A
    backup may carry an `etag` (not an OCI field): the etag of its first version, instead of a generated one."""
    if isinstance(document, list):
        document = {"volumeBackups": document}
    if not isinstance(document, dict):
        raise FixtureError(f"{source}: expected a JSON array of volume backups or an object")
    unknown = set(document) - {
        "volumeBackups", "volumes", "workRequests", "volumeBackupPolicies", "volumeBackupPolicyAssignments",
    }
    if unknown:
        raise FixtureError(f"{source}: unknown top-level key(s) {', '.join(sorted(unknown))}")
    result = FixtureSet()
    for index, item in enumerate(_array(document, "volumeBackups", source)):
        etag = item.get("etag") if isinstance(item, dict) else None
        if isinstance(item, dict) and "etag" in item:
            if not isinstance(etag, str) or not etag:
                raise FixtureError(f"{source}: volumeBackups[{index}].etag: must be a non-empty string")
            item = {key: value for key, value in item.items() if key != "etag"}
        result.backups.append(_validated(VolumeBackup, item, f"{source}: volumeBackups[{index}]"))
        if etag is not None:
            result.etags[result.backups[-1].id] = etag
    now = datetime.now(UTC)
    for index, item in enumerate(_array(document, "volumes", source)):
        if isinstance(item, dict) and set(item) <= VOLUME_KEYS:
            if not isinstance(item.get("id"), str):
                raise FixtureError(f"{source}: volumes[{index}].id: a volume needs a string id")
            compartment, size = item.get("compartmentId"), item.get("sizeInGBs")
            if not isinstance(compartment, str) or not isinstance(size, int) or isinstance(size, bool):
                raise FixtureError(
                    f"{source}: volumes[{index}]: needs compartmentId (string) and sizeInGBs (integer)"
                )
            spec = VolumeSpec(compartment_id=compartment, size_in_gbs=size)
            result.volumes.append(volume_from_spec(item["id"], spec, region=region, created=now))
            continue
        result.volumes.append(_validated(Volume, item, f"{source}: volumes[{index}]"))
    models: tuple[tuple[str, type[BaseModel], list[Any]], ...] = (
        ("workRequests", StoredWorkRequest, result.work_requests),
        ("volumeBackupPolicies", VolumeBackupPolicy, result.policies),
        ("volumeBackupPolicyAssignments", VolumeBackupPolicyAssignment, result.assignments),
    )
    for key, model, items in models:
        for index, item in enumerate(_array(document, key, source)):
            items.append(_validated(model, item, f"{source}: {key}[{index}]"))
    _check_assignments(result, source)
    return result


def _validated(model: type[ModelT], item: Any, where: str) -> ModelT:
    """`item` as `model`; a FixtureError naming `where`, the field and why, if it is not one."""
    try:
        return model.model_validate(item)
    except ValidationError as exc:
        first = exc.errors()[0]
        reason = str(first["msg"]).removeprefix("Value error, ")
        name = ".".join(str(part) for part in first["loc"])
        raise FixtureError(f"{where}.{name}: {reason}") from exc


def _check_assignments(fixtures: FixtureSet, source: str) -> None:
    """Each assignment names a policy (Oracle's or one given) and a volume given, one policy per volume."""
    policies = set(PREDEFINED) | {policy.id for policy in fixtures.policies}
    volumes = {volume.id for volume in fixtures.volumes}
    assets: set[str] = set()
    for index, assignment in enumerate(fixtures.assignments):
        where = f"{source}: volumeBackupPolicyAssignments[{index}]"
        if assignment.policy_id not in policies:
            raise FixtureError(f"{where}.policyId: no policy {assignment.policy_id} is defined")
        if assignment.asset_id not in volumes:
            raise FixtureError(f"{where}.assetId: no volume {assignment.asset_id} is defined")
        if assignment.asset_id in assets:
            raise FixtureError(f"{where}.assetId: the volume {assignment.asset_id} already has a policy")
        assets.add(assignment.asset_id)


def load_fixtures(paths: Iterable[Path], *, region: str = "us-ashburn-1") -> FixtureSet:
    """Every fixture file under `paths`, merged; raises FixtureError (and loads nothing) on any problem."""
    merged = FixtureSet()
    seen: dict[str, str] = {}
    for path in fixture_files(paths):
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:  # UnicodeDecodeError, JSONDecodeError, a 5,000-digit integer
            raise FixtureError(f"{path}: not readable JSON: {exc}") from exc
        except RecursionError:
            raise FixtureError(f"{path}: the JSON nests too deeply to read") from None
        try:
            parsed = parse_document(document, str(path), region=region)
        except RecursionError:
            raise FixtureError(f"{path}: a value nests too deeply to read") from None
        for backup in parsed.backups:
            if backup.id in seen:
                raise FixtureError(f"{path}: id {backup.id!r} is already defined in {seen[backup.id]}")
            seen[backup.id] = str(path)
        merged.backups.extend(parsed.backups)
        merged.volumes.extend(parsed.volumes)
        merged.etags.update(parsed.etags)
        merged.policies.extend(parsed.policies)
        merged.assignments.extend(parsed.assignments)
    return merged


def _array(document: dict[str, Any], key: str, source: str) -> list[Any]:
    value = document.get(key, [])
    if not isinstance(value, list):
        raise FixtureError(f"{source}: {key} must be a JSON array")
    return value
