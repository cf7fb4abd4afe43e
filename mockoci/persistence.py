"""State on disk: the whole store as one JSON document, written atomically, loaded at start.

The document wraps the fixture format (see fixtures.py) per tenancy:

    {"format": "mockoci-state", "version": 1,
     "tenancies": {"ocid1.tenancy...": {"volumeBackups": [...], "volumes": [...], "workRequests": [...],
                                        "volumeBackupPolicies": [...], "volumeBackupPolicyAssignments": [...]}}}

Volumes are saved whole (as GetVolume returns them); the short fixture form is read too.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
import threading
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from .fixtures import FixtureError, parse_document
from .models import VolumeBackup
from .resources.backup_policies import VolumeBackupPolicy, VolumeBackupPolicyAssignment
from .resources.volumes import Volume
from .resources.work_requests import StoredWorkRequest
from .store import TenancyState, VolumeBackupStore

FORMAT = "mockoci-state"
VERSION = 1
logger = logging.getLogger("mockoci")


class VolumeRecord(BaseModel):
    """A volume in short (fixtures): an AVAILABLE volume with this id, compartment and size."""

    model_config = ConfigDict(extra="forbid", strict=True)
    id: str
    compartmentId: str
    sizeInGBs: int


class TenancyDocument(BaseModel):
    """One tenancy's state: the fixture format."""

    model_config = ConfigDict(extra="forbid")
    volumeBackups: list[VolumeBackup] = Field(default_factory=list)
    volumes: list[Volume | VolumeRecord] = Field(default_factory=list)
    workRequests: list[StoredWorkRequest] = Field(default_factory=list)
    volumeBackupPolicies: list[VolumeBackupPolicy] = Field(default_factory=list)
    volumeBackupPolicyAssignments: list[VolumeBackupPolicyAssignment] = Field(default_factory=list)


class StateDocument(BaseModel):
    """The whole state, as GET /_mockoci/state gives it and PUT /_mockoci/state and --state-file take it."""

    model_config = ConfigDict(extra="forbid")
    format: Literal["mockoci-state"]
    version: Literal[1]
    tenancies: dict[str, TenancyDocument]


class StateFileError(ValueError):
    """A state document or file that cannot be loaded; the message says where and why."""


def state_document(store: VolumeBackupStore) -> dict[str, Any]:
    """The store's whole state as a JSON-ready document."""
    tenancies = {
        tenancy: {
            "volumeBackups": [backup.model_dump(mode="json", by_alias=True) for backup in held.backups],
            "volumes": [volume.model_dump(mode="json", by_alias=True) for volume in held.volumes],
            "workRequests": [request.model_dump(mode="json", by_alias=True) for request in held.work_requests],
            "volumeBackupPolicies": [policy.model_dump(mode="json", by_alias=True) for policy in held.policies],
            "volumeBackupPolicyAssignments": [
                assignment.model_dump(mode="json", by_alias=True) for assignment in held.assignments
            ],
        }
        for tenancy, held in store.export_state().items()
    }
    return {"format": FORMAT, "version": VERSION, "tenancies": tenancies}


def parse_state(document: Any, source: str) -> dict[str, TenancyState]:
    """The tenancies in a state document; raises StateFileError, naming `source`, on anything unexpected."""
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise StateFileError(f"{source}: not a mockoci state document (no \"format\": \"{FORMAT}\")")
    if document.get("version") != VERSION:
        raise StateFileError(f"{source}: state version {document.get('version')!r} is not {VERSION}")
    tenancies = document.get("tenancies")
    if not isinstance(tenancies, dict):
        raise StateFileError(f"{source}: \"tenancies\" must be an object")
    state: dict[str, TenancyState] = {}
    for tenancy, held in tenancies.items():
        try:
            parsed = parse_document(held, f"{source}: tenancy {tenancy}")
        except FixtureError as exc:
            raise StateFileError(str(exc)) from exc
        unique = {backup.id: backup for backup in parsed.backups}  # an id given twice: the last one wins
        volumes = {volume.id: volume for volume in parsed.volumes}
        requests = {request.id: request for request in parsed.work_requests}
        state[tenancy] = TenancyState(list(unique.values()), list(volumes.values()), list(requests.values()),
                                      parsed.policies, parsed.assignments)
    return state


def read_state_file(path: Path) -> dict[str, TenancyState] | None:
    """The state in `path`, or None if there is no such file yet; raises StateFileError if it is unusable."""
    if not path.parent.is_dir():
        raise StateFileError(f"{path}: the folder {path.parent} does not exist, so the state cannot be saved")
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise StateFileError(f"{path}: cannot read the state file: {exc}") from exc
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise StateFileError(f"{path}: the state file is not JSON (corrupt or truncated?): {exc}") from exc
    return parse_state(document, str(path))


def write_state_file(path: Path, document: dict[str, Any]) -> None:
    """Replaces `path` with `document` atomically: a temporary file beside it, fsync, rename, fsync.

    A crash at any point leaves either the old file or the new one, never a mix."""
    data = json.dumps(document, separators=(",", ":")).encode()
    folder = path.parent
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    directory = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


class StateKeeper:
    """Saves a store to a file every `interval` seconds in a thread, and once more at `stop()`."""

    def __init__(self, store: VolumeBackupStore, path: Path, interval: float) -> None:
        self.store = store
        self.path = path
        self.interval = interval
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._save_lock = threading.Lock()

    def save(self) -> None:
        with self._save_lock:
            write_state_file(self.path, state_document(self.store))

    def start(self) -> None:
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name="mockoci-state", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stops the periodic saving and saves the final state."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None
        self.save()

    def _run(self) -> None:
        while not self._stopping.wait(self.interval):
            try:
                self.save()
            except OSError:
                logger.exception("cannot save the state to %s; will try again", self.path)
