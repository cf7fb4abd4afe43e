"""Persistence: the state file (atomic writes, SIGTERM and SIGKILL) and the admin state export/import."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests
from conftest import COMPARTMENT, assert_oci_error

from mockoci import cli, persistence
from mockoci.app import create_app
from mockoci.models import CreateVolumeBackupDetails, VolumeBackup
from mockoci.persistence import StateFileError, parse_state, read_state_file, state_document, write_state_file
from mockoci.server import MockOCIServer
from mockoci.settings import Settings
from mockoci.store import DEFAULT_TENANCY, VolumeBackupStore

BASE = "/20160918/volumeBackups"
OTHER_TENANCY = "ocid1.tenancy.oc1..aaaaaaaaothertenancy"


def fill(store: VolumeBackupStore, tenancy: str, count: int) -> list[str]:
    ids = []
    for i in range(count):
        details = CreateVolumeBackupDetails(volume_id="ocid1.volume.oc1..v", display_name=f"n{i}",
                                            freeform_tags={"i": str(i)})
        ids.append(store.create_volume_backup(tenancy=tenancy, details=details).backup.id)
    return ids


def everything(store: VolumeBackupStore) -> dict[str, list[dict[str, Any]]]:
    return {
        tenancy: sorted((b.model_dump(mode="json") for b in held.backups), key=lambda b: b["id"])
        for tenancy, held in store.export_state().items()
    }


def test_export_then_import_gives_the_same_state() -> None:
    store = VolumeBackupStore(lifecycle_delay=0)
    ids = fill(store, COMPARTMENT, 3)
    fill(store, OTHER_TENANCY, 2)
    store.delete_volume_backup(tenancy=COMPARTMENT, backup_id=ids[0])
    document = json.loads(json.dumps(state_document(store)))
    copy = VolumeBackupStore(lifecycle_delay=0)
    copy.import_state(parse_state(document, "test"))
    assert everything(copy) == everything(store)
    assert set(everything(copy)) == {COMPARTMENT, OTHER_TENANCY}


@pytest.mark.parametrize(("document", "fragment"), [
    ([], "not a mockoci state document"),
    ({"format": "other"}, "not a mockoci state document"),
    ({"format": "mockoci-state", "version": 99, "tenancies": {}}, "version 99"),
    ({"format": "mockoci-state", "version": 1, "tenancies": []}, "tenancies"),
    ({"format": "mockoci-state", "version": 1, "tenancies": {"t": {"volumeBackups": [{"id": 1}]}}},
     "tenancy t"),
    ({"format": "mockoci-state", "version": 1, "tenancies": {"t": {"surprise": []}}}, "surprise"),
])
def test_foreign_documents_are_refused(document: Any, fragment: str) -> None:
    with pytest.raises(StateFileError, match=fragment):
        parse_state(document, "doc")


def test_a_failed_write_leaves_the_good_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "state.json"
    store = VolumeBackupStore(lifecycle_delay=0)
    fill(store, COMPARTMENT, 2)
    write_state_file(path, state_document(store))
    good = path.read_bytes()
    fill(store, COMPARTMENT, 1)

    def crash(fd: int) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(persistence.os, "fsync", crash)
    with pytest.raises(OSError, match="disk full"):
        write_state_file(path, state_document(store))
    assert path.read_bytes() == good
    assert os.listdir(tmp_path) == ["state.json"]  # no temporary file left behind


def test_a_half_written_temporary_file_is_never_read(tmp_path: Path) -> None:
    """A crash mid-write leaves only a temporary file beside the good one; loading reads the good one."""
    path = tmp_path / "state.json"
    store = VolumeBackupStore(lifecycle_delay=0)
    fill(store, COMPARTMENT, 2)
    write_state_file(path, state_document(store))
    (tmp_path / ".state.json.abc.tmp").write_bytes(path.read_bytes()[:40])
    loaded = read_state_file(path)
    assert loaded is not None and len(loaded[COMPARTMENT].backups) == 2


def test_a_missing_file_is_an_empty_start(tmp_path: Path) -> None:
    assert read_state_file(tmp_path / "none.json") is None


def test_a_missing_folder_stops_start_up(tmp_path: Path) -> None:
    with pytest.raises(StateFileError, match="does not exist"):
        read_state_file(tmp_path / "no" / "state.json")


# -- the admin API --------------------------------------------------------------------------------------


def test_admin_state_snapshot_and_restore(server: MockOCIServer, client: Any, create_backup: Any) -> None:
    kept = [create_backup(display_name=f"kept{i}") for i in range(3)]
    snapshot = requests.get(server.url + "/_mockoci/state", timeout=10)
    assert snapshot.status_code == 200
    assert snapshot.json()["format"] == "mockoci-state"
    create_backup(display_name="after the snapshot")
    client.delete_volume_backup(kept[0].id)
    restored = requests.put(server.url + "/_mockoci/state", json=snapshot.json(), timeout=10)
    assert restored.status_code == 204, restored.text
    listed = client.list_volume_backups(compartment_id=COMPARTMENT).data
    assert sorted(b.display_name for b in listed) == ["kept0", "kept1", "kept2"]
    assert {b.lifecycle_state for b in listed} == {"AVAILABLE"}
    assert client.get_volume_backup(kept[0].id).data.freeform_tags == kept[0].freeform_tags


def test_admin_state_import_refuses_a_bad_document_and_changes_nothing(
    server: MockOCIServer, client: Any, create_backup: Any
) -> None:
    create_backup(display_name="stays")
    foreign = json.dumps({"format": "mockoci-state", "version": 2, "tenancies": {}}).encode()
    for body in [b"{", b"[]", foreign]:
        response = requests.put(server.url + "/_mockoci/state", data=body,
                                headers={"content-type": "application/json"}, timeout=10)
        assert response.status_code == 400
        assert response.json()["code"] in ("CannotParseRequest", "InvalidParameter")
    assert [b.display_name for b in client.list_volume_backups(compartment_id=COMPARTMENT).data] == ["stays"]
    assert_oci_error(response, 400, "InvalidParameter")


def many_backups(count: int, tenancy: str) -> list[VolumeBackup]:
    return [VolumeBackup(
        id=f"ocid1.volumebackup.oc1.iad.{tenancy[-5:]}{n:06d}", compartment_id=COMPARTMENT, display_name=f"b{n}",
        lifecycle_state="AVAILABLE", type="FULL", time_created=datetime(2026, 1, 1, tzinfo=UTC),
        freeform_tags={"n": str(n), "text": "é ☃ \U0001f600"}, defined_tags={"ns": {"k": n % 7 / 4}}, system_tags={},
        size_in_gbs=50, volume_id="ocid1.volume.oc1.iad.v",
    ) for n in range(count)]


def test_a_large_export_streams_the_same_document_and_round_trips_through_import() -> None:
    """Several pieces' worth of backups (some already read, whose served bytes the export reuses) in two tenancies,
    with a volume, a copy's work request, a policy and an assignment: the export is the document its model gives,
    and importing it back gives the same export."""
    count = 2 * persistence.PIECE + 17
    settings = Settings(port=0, auth="off", lifecycle_delay=0, unknown_volumes="accept", max_body_bytes=64 << 20)
    with MockOCIServer(settings) as server:
        store = server.store
        seeded = store.seed(tenancy=DEFAULT_TENANCY, backups=many_backups(count, DEFAULT_TENANCY))
        store.seed(tenancy=OTHER_TENANCY, backups=many_backups(5, OTHER_TENANCY))
        for stored in seeded[::3]:
            stored.json()  # read: the export reuses these bytes
        volume = requests.post(server.url + "/20160918/volumes", json={
            "compartmentId": COMPARTMENT, "availabilityDomain": "AD-1", "displayName": "v"}, timeout=10)
        copy = requests.post(server.url + BASE + "/" + seeded[0].backup.id + "/actions/copy",
                             json={"destinationRegion": "us-phoenix-1"}, timeout=10)
        assert (volume.status_code, copy.status_code) == (200, 200), copy.text
        policy = requests.post(server.url + "/20160918/volumeBackupPolicies", json={
            "compartmentId": COMPARTMENT, "displayName": "p",
            "schedules": [{"backupType": "FULL", "period": "ONE_DAY", "retentionSeconds": 86400}]}, timeout=10)
        assigned = requests.post(server.url + "/20160918/volumeBackupPolicyAssignments", json={
            "assetId": volume.json()["id"], "policyId": policy.json()["id"]}, timeout=10)
        assert assigned.status_code == 200, assigned.text

        exported = requests.get(server.url + "/_mockoci/state", timeout=30)
        assert exported.status_code == 200
        assert exported.headers["content-type"] == "application/json"
        document = exported.json()
        assert persistence.StateDocument.model_validate(document).model_dump(mode="json", by_alias=True) == document
        held = document["tenancies"][DEFAULT_TENANCY]
        assert len(held["volumeBackups"]) == count + 1  # and the copy
        assert [len(held[name]) for name in ("volumes", "workRequests", "volumeBackupPolicies",
                                             "volumeBackupPolicyAssignments")] == [1, 1, 1, 1]
        assert document == state_document(store)

        assert requests.post(server.url + "/_mockoci/reset", timeout=10).status_code == 204
        assert requests.get(server.url + "/_mockoci/state", timeout=10).json()["tenancies"] == {}
        restored = requests.put(server.url + "/_mockoci/state", data=exported.content,
                                headers={"content-type": "application/json"}, timeout=30)
        assert restored.status_code == 204, restored.text
        again = requests.get(server.url + "/_mockoci/state", timeout=30).json()
    assert again == document


def test_other_requests_are_answered_while_an_export_streams() -> None:
    """Driven through the ASGI app: once the export has sent its first piece, a GetVolumeBackup and a health check
    made then are answered before the export sends its last piece."""
    app = create_app(Settings(auth="off"))
    [first, *_] = app.state.store.seed(tenancy=DEFAULT_TENANCY,
                                       backups=many_backups(3 * persistence.PIECE, DEFAULT_TENANCY))
    events: list[str] = []

    def scope(path: str) -> dict[str, Any]:
        return {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
                "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
                "headers": [(b"host", b"localhost")], "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80)}

    async def call(name: str, path: str, started: asyncio.Event | None = None) -> None:
        asked = False
        done = asyncio.Event()

        async def receive() -> dict[str, Any]:
            nonlocal asked
            if asked:
                await done.wait()
                return {"type": "http.disconnect"}
            asked = True
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                events.append(f"{name} {message['status']}")
            elif not message.get("more_body", False):
                events.append(f"{name} end")
            elif started is not None:
                events.append(f"{name} piece")
                started.set()

        await app(scope(path), receive, send)
        done.set()

    async def scenario() -> None:
        streaming = asyncio.Event()
        export = asyncio.create_task(call("export", "/_mockoci/state", streaming))
        await streaming.wait()
        await call("get", BASE + "/" + first.backup.id)
        await call("health", "/_mockoci/health")
        await export

    asyncio.run(scenario())
    assert events[0] == "export 200"
    assert events.index("get 200") < events.index("get end") < events.index("health end") < events.index("export end")
    assert events.index("export piece") < events.index("get 200")


# -- the state file across restarts of `mockoci serve` -----------------------------------------------------


class Serve:
    """`mockoci serve` as a child process on a free port, without signature checks."""

    def __init__(self, state_file: Path, interval: float) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "mockoci", "serve", "--port", "0", "--auth", "off", "--log-level", "info",
             "--lifecycle-delay", "0", "--state-file", str(state_file), "--state-interval", str(interval)],
            stderr=subprocess.PIPE, text=True,
        )
        assert self.process.stderr is not None
        deadline = time.monotonic() + 20
        for line in self.process.stderr:
            found = re.search(r"running on http://127\.0\.0\.1:(\d+)", line)
            if found:
                self.url = f"http://127.0.0.1:{found.group(1)}"
                break
            assert time.monotonic() < deadline, "mockoci serve did not start"
        else:
            raise AssertionError(f"mockoci serve exited with {self.process.wait()}")

    def create(self, name: str) -> str:
        """A backup called `name` of a new volume (both must survive restarts)."""
        volume = requests.post(self.url + "/20160918/volumes", json={
            "compartmentId": DEFAULT_TENANCY, "availabilityDomain": "AD-1", "displayName": name,
        }, timeout=10)
        assert volume.status_code == 200, volume.text
        details = {"volumeId": volume.json()["id"], "displayName": name}
        response = requests.post(self.url + BASE, json=details, timeout=10)
        assert response.status_code == 200, response.text
        backup_id: str = response.json()["id"]
        return backup_id

    def names(self) -> list[str]:
        """The names of the backups, after checking that their volumes are there too."""
        query = {"compartmentId": DEFAULT_TENANCY, "sortBy": "DISPLAYNAME"}
        response = requests.get(self.url + BASE, params=query, timeout=10)
        names = [backup["displayName"] for backup in response.json()]
        volumes = requests.get(self.url + "/20160918/volumes", params=query, timeout=10).json()
        # every backup's volume is there too; a save between a volume and its backup keeps the volume alone
        assert set(names) <= {volume["displayName"] for volume in volumes}
        return names

    def stop(self, sig: signal.Signals) -> int:
        self.process.send_signal(sig)
        try:
            return self.process.wait(timeout=20)
        finally:
            assert self.process.stderr is not None
            self.process.stderr.close()


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[..., Serve]]:
    started: list[Serve] = []

    def start(interval: float = 3600) -> Serve:
        started.append(Serve(tmp_path / "state.json", interval))
        return started[-1]

    yield start
    for one in started:
        if one.process.poll() is None:
            one.process.kill()
            one.process.wait()


def test_sigterm_keeps_everything(serve: Callable[..., Serve], tmp_path: Path) -> None:
    first = serve()
    for name in ("a", "b", "c"):
        first.create(name)
    first.stop(signal.SIGTERM)
    assert (tmp_path / "state.json").exists()
    second = serve()
    assert second.names() == ["a", "b", "c"]
    second.create("d")
    second.stop(signal.SIGINT)
    assert serve().names() == ["a", "b", "c", "d"]


def test_sigkill_loses_at_most_the_last_interval(serve: Callable[..., Serve]) -> None:
    first = serve(interval=0.3)
    first.create("saved")
    time.sleep(1.0)  # more than two intervals: a save has run since
    first.create("maybe lost")
    first.stop(signal.SIGKILL)
    names = serve().names()
    assert "saved" in names
    assert set(names) <= {"saved", "maybe lost"}


@pytest.mark.parametrize("content", [b"{\"format\": \"mockoci-state\", \"vers", b"[1, 2]", b"\xff\xfe", b"",
                                     b"[" + b"1" * 5000 + b"]"])  # over Python's integer digit limit
def test_a_corrupt_or_foreign_state_file_stops_start_up(tmp_path: Path, content: bytes) -> None:
    """... with a clear message, and the file is left as it was."""
    path = tmp_path / "state.json"
    path.write_bytes(content)
    result = subprocess.run(
        [sys.executable, "-m", "mockoci", "serve", "--port", "0", "--state-file", str(path)],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 2
    assert "cannot load the state file" in result.stderr and str(path) in result.stderr
    assert path.read_bytes() == content


def test_an_in_process_server_saves_at_stop(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    settings = Settings(port=0, auth="off", lifecycle_delay=0, state_file=path, state_interval=3600)
    with MockOCIServer(settings) as server:
        volume = requests.post(server.url + "/20160918/volumes", timeout=10,
                               json={"compartmentId": DEFAULT_TENANCY, "availabilityDomain": "AD-1"}).json()
        answer = requests.post(server.url + BASE, json={"volumeId": volume["id"]}, timeout=10)
        created = answer.json()
        assert not path.exists()  # no save yet: the interval is an hour
    loaded = read_state_file(path)
    assert loaded is not None
    assert [backup.id for backup in loaded[DEFAULT_TENANCY].backups] == [created["id"]]
    assert [saved.id for saved in loaded[DEFAULT_TENANCY].volumes] == [volume["id"]]
    with MockOCIServer(settings) as again:
        assert requests.get(f"{again.url}{BASE}/{created['id']}", timeout=10).json() == created
        assert requests.get(f"{again.url}/20160918/volumes/{volume['id']}", timeout=10).json() == volume


# -- issue 9: a saver that never dies, a symlinked state file, state files that cannot be read -------------


def unwritable_backup(backup_id: str) -> VolumeBackup:
    """A backup no request can make any more (the models refuse it): a tag value nested 300 deep, which
    pydantic cannot serialise. It stands for any value that slips into the store and cannot be written."""
    deep: Any = 1
    for _ in range(300):
        deep = {"a": deep}
    return VolumeBackup.model_construct(
        id=backup_id, compartment_id=COMPARTMENT, display_name="bad", lifecycle_state="AVAILABLE", type="FULL",
        time_created=datetime.now(UTC), defined_tags={"ns": {"k": deep}}, freeform_tags={}, system_tags={},
    )


def wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 20
    while not condition():
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(0.02)


def test_the_saver_survives_a_backup_it_cannot_write_and_saves_the_rest(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "state.json"
    store = VolumeBackupStore(lifecycle_delay=0)
    good = fill(store, COMPARTMENT, 2)
    store.seed(tenancy=OTHER_TENANCY, backups=[unwritable_backup("ocid1.volumebackup.oc1..bad")])
    keeper = persistence.StateKeeper(store, path, interval=0.05)
    with caplog.at_level(logging.ERROR, logger="mockoci"):
        keeper.start()
        wait_for(path.exists, "a first save")
        later = fill(store, COMPARTMENT, 1)  # saved by a later interval: the saver is still running
        wait_for(lambda: later[0].encode() in path.read_bytes(), "a later save")
        keeper.stop()
    loaded = read_state_file(path)
    assert loaded is not None
    assert sorted(backup.id for backup in loaded[COMPARTMENT].backups) == sorted(good + later)
    assert loaded[OTHER_TENANCY].backups == []
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "leaves out tenancy " + OTHER_TENANCY + ", backup ocid1.volumebackup.oc1..bad" in logged
    assert "at shutdown without 1 records" in logged


def test_a_save_that_fails_in_any_way_is_tried_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "state.json"
    store = VolumeBackupStore(lifecycle_delay=0)
    fill(store, COMPARTMENT, 1)
    failures = iter([RuntimeError("unexpected"), MemoryError(), OSError("disk full")])
    real = persistence.write_state_file

    def flaky(target: Path, document: Any) -> None:
        failure = next(failures, None)
        if failure is not None:
            raise failure
        real(target, document)

    monkeypatch.setattr(persistence, "write_state_file", flaky)
    keeper = persistence.StateKeeper(store, path, interval=0.05)
    with caplog.at_level(logging.ERROR, logger="mockoci"):
        keeper.start()
        wait_for(path.exists, "a save after three failed ones")
        keeper.stop()
    assert sum("will try again" in record.getMessage() for record in caplog.records) == 3


def test_a_final_save_that_fails_says_so_and_keeps_the_last_good_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "state.json"
    store = VolumeBackupStore(lifecycle_delay=0)
    fill(store, COMPARTMENT, 1)
    keeper = persistence.StateKeeper(store, path, interval=3600)
    keeper.save()
    good = path.read_bytes()
    fill(store, COMPARTMENT, 1)

    def broken(target: Path, document: Any) -> None:
        raise RuntimeError("cannot")

    monkeypatch.setattr(persistence, "write_state_file", broken)
    with caplog.at_level(logging.ERROR, logger="mockoci"):
        keeper.stop()  # never raises: shutdown goes on
    assert path.read_bytes() == good
    assert any("cannot save the state" in record.getMessage() and "at shutdown" in record.getMessage()
               for record in caplog.records)


def test_a_symlinked_state_file_updates_its_target(tmp_path: Path) -> None:
    target_folder = tmp_path / "data"
    target_folder.mkdir()
    target = target_folder / "real-state.json"
    link = tmp_path / "state.json"
    link.symlink_to(target)
    store = VolumeBackupStore(lifecycle_delay=0)
    ids = fill(store, COMPARTMENT, 2)
    persistence.StateKeeper(store, link, interval=3600).save()
    assert link.is_symlink() and link.resolve() == target
    loaded = read_state_file(link)
    assert loaded is not None and sorted(b.id for b in loaded[COMPARTMENT].backups) == sorted(ids)
    fill(store, COMPARTMENT, 1)
    persistence.StateKeeper(store, link, interval=3600).save()
    assert link.is_symlink()
    assert len(json.loads(target.read_bytes())["tenancies"][COMPARTMENT]["volumeBackups"]) == 3
    assert sorted(os.listdir(target_folder)) == ["real-state.json"]  # no temporary file left behind


def deep_json(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


@pytest.mark.parametrize("content", [
    deep_json(100_000),
    b'{"format": "mockoci-state", "version": 1, "tenancies": {"t": {"volumeBackups": ' + deep_json(100_000) + b"}}}",
])
def test_a_state_file_nested_too_deep_stops_start_up_with_one_line(tmp_path: Path, content: bytes,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "state.json"
    path.write_bytes(content)
    assert cli.main(["serve", "--port", "0", "--state-file", str(path)]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and str(path) in error and "too deeply" in error, error
    assert path.read_bytes() == content
