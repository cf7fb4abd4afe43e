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
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from .engine import Record
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
    """The store's whole state as a JSON-ready document, read whole (tests); the export and the state file are
    written from `state_pieces`, a piece at a time, and the dashboard reads only what it shows (`record_document`)."""
    document: dict[str, Any] = json.loads(b"".join(state_pieces(store.snapshot(), [])))
    return document


def _json(value: Any) -> bytes:
    """Strict JSON bytes: no NaN or Infinity, valid UTF-8 (a lone surrogate raises), as the loader reads it."""
    return json.dumps(value, separators=(",", ":"), allow_nan=False, ensure_ascii=False).encode("utf-8")


_SINGULAR = {
    "volumeBackups": "backup", "volumes": "volume", "workRequests": "work request",
    "volumeBackupPolicies": "backup policy", "volumeBackupPolicyAssignments": "policy assignment",
}
PIECE = 1000  # records a piece of the document holds: a few milliseconds of writing, then the loop runs others


def _document_json(record: Record) -> bytes:
    """A record as the state document holds it, its whole model by alias: the bytes readers were already served
    when its wire form is that (its class keeps Record.json), else written now (and not kept: a save reads every
    record, and keeping them all would double the store's memory)."""
    if type(record).json is Record.json:
        served = record.cached_json()
        if served is not None:
            return served
    model: BaseModel = record.model
    return model.model_dump_json(by_alias=True).encode()


def record_document(record: Record) -> dict[str, Any] | None:
    """A record as the state document holds it, read back as JSON (the dashboard's rows: `state_document`'s
    items, for a few records); None for one the state document leaves out (see `state_pieces`)."""
    try:
        document: dict[str, Any] = json.loads(_document_json(record))
    except (ValueError, TypeError, RecursionError):
        return None
    return document


def state_pieces(snapshot: dict[str, dict[str, list[Record]]], problems: list[str]) -> Iterator[bytes]:
    """The state document of a snapshot (Store.snapshot) in pieces of at most PIECE records, each record written
    on its own: one that cannot be written as JSON the loader takes back (none should: the request models refuse
    such values) is left out and said in `problems`, so that one bad value never stops the rest from being
    written."""
    yield b'{"format":' + _json(FORMAT) + b',"version":' + _json(VERSION) + b',"tenancies":{'
    for t, (tenancy, collections) in enumerate(snapshot.items()):
        yield (b"," if t else b"") + _json(tenancy) + b":{"
        for c, (name, records) in enumerate(collections.items()):
            yield (b"," if c else b"") + _json(name) + b":["
            separator = b""
            for start in range(0, len(records), PIECE):
                written = []
                for record in records[start:start + PIECE]:
                    try:
                        written.append(_document_json(record))
                    except (ValueError, TypeError, RecursionError) as exc:  # PydanticSerializationError: a ValueError
                        problems.append(f"tenancy {tenancy}, {_SINGULAR[name]} {record.model.id}: "
                                        f"{type(exc).__name__}: {exc}")
                if written:
                    yield separator + b",".join(written)
                    separator = b","
            yield b"]"
        yield b"}"
    yield b"}}"


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
    except ValueError as exc:  # JSONDecodeError, or an integer over Python's 4,300-digit limit
        raise StateFileError(f"{path}: the state file is not JSON (corrupt or truncated?): {exc}") from exc
    except RecursionError:
        raise StateFileError(f"{path}: the state file nests its JSON too deeply to read") from None
    try:
        return parse_state(document, str(path))
    except RecursionError:
        raise StateFileError(f"{path}: the state file nests its values too deeply to read") from None


def write_state_file(path: Path, document: dict[str, Any] | bytes | Iterable[bytes]) -> None:
    """Replaces `path` with `document` (a document, its bytes, or its bytes in pieces) atomically: a temporary file
    beside it, fsync, rename, fsync.

    A crash at any point leaves either the old file or the new one, never a mix. A `path` that is a symbolic
    link stays one: the file it points to is replaced (the temporary file goes beside that one)."""
    pieces = [document] if isinstance(document, bytes) else [_json(document)] if isinstance(document, dict) \
        else document
    path = Path(os.path.realpath(path))
    folder = path.parent
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as file:
            for piece in pieces:  # a piece at a time: writing releases the GIL, and no whole copy is made
                file.write(piece)
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
    """Saves a store to a file every `interval` seconds in a thread, and once more at `stop()`.

    A save that fails is logged and tried again at the next interval: nothing stops the saving but `stop()`.
    A backup that cannot be written is left out of the file and logged; the others are saved."""

    def __init__(self, store: VolumeBackupStore, path: Path, interval: float) -> None:
        self.store = store
        self.path = path
        self.interval = interval
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._save_lock = threading.Lock()

    def save(self) -> list[str]:
        """Writes the state; returns what it had to leave out (and logs it). Raises if nothing was written."""
        problems: list[str] = []
        with self._save_lock:
            write_state_file(self.path, state_pieces(self.store.snapshot(), problems))
        for problem in problems:
            logger.error("the state saved to %s leaves out %s", self.path, problem)
        return problems

    def start(self) -> None:
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name="mockoci-state", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stops the periodic saving and saves the final state, saying (in the log) what it could not save."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None
        try:
            problems = self.save()
        except Exception:
            logger.exception("cannot save the state to %s at shutdown: the file keeps the last good save", self.path)
            return
        if problems:
            logger.error("saved the state to %s at shutdown without %d records (logged above)", self.path,
                         len(problems))

    def _run(self) -> None:
        while not self._stopping.wait(self.interval):
            try:
                self.save()
            except Exception:  # whatever it is, the next interval tries again: persistence never stops
                logger.exception("cannot save the state to %s; will try again in %s s", self.path, self.interval)
