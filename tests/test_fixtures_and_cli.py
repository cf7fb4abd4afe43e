"""Integration: `mockoci serve` and `python -m mockoci serve` as a user starts them, with fixtures and settings."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import oci
import pytest
from conftest import FIXTURES_DIR, make_client

from mockoci.fixtures import FixtureError, load_fixtures

POSTMAN_EXAMPLE_ID = "ea"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_healthy(url: str, process: subprocess.Popen[bytes], timeout: float = 20) -> None:
    import requests

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"server exited: {process.communicate()[1].decode()}")
        try:
            if requests.get(url + "/_mockoci/health", timeout=1).status_code == 200:
                return
        except requests.ConnectionError:
            time.sleep(0.05)
    raise AssertionError("server did not become healthy")


@contextmanager
def serve(*args: str, env: dict[str, str] | None = None, module: bool = False) -> Iterator[str]:
    port = free_port()
    command = [sys.executable, "-m", "mockoci"] if module else [str(Path(sys.executable).parent / "mockoci")]
    if not module and not Path(command[0]).exists():
        command = [sys.executable, "-c", "from mockoci.cli import main; raise SystemExit(main())"]
    full_env = {**os.environ, **(env or {})}
    if "MOCKOCI_PORT" not in (env or {}):
        args = (*args, "--port", str(port))
    else:
        port = int(full_env["MOCKOCI_PORT"])
    process = subprocess.Popen([*command, "serve", *args], env=full_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_healthy(url, process)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_mockoci_serve_with_fixtures_folder(oci_config: dict[str, Any]) -> None:
    with serve("--fixtures", str(FIXTURES_DIR), "--lifecycle-delay", "0") as url:
        client = make_client(oci_config, url)
        backup = client.get_volume_backup(POSTMAN_EXAMPLE_ID).data
        assert backup.display_name == "amet elit occaecat laboris"
        assert backup.size_in_gbs == 11402 and backup.unique_size_in_mbs == 13322289
        assert backup.lifecycle_state == "AVAILABLE"  # CREATING in the fixture; it progressed
        listed = client.list_volume_backups("eu et sint").data
        assert [b.id for b in listed] == [POSTMAN_EXAMPLE_ID]


def test_python_dash_m_and_environment_settings(oci_config: dict[str, Any]) -> None:
    port = free_port()
    env = {"MOCKOCI_PORT": str(port), "MOCKOCI_AUTH": "off", "MOCKOCI_REGION": "eu-frankfurt-1",
           "MOCKOCI_LIFECYCLE_DELAY": "0", "MOCKOCI_UNKNOWN_VOLUMES": "accept"}
    import requests

    with serve(env=env, module=True) as url:
        created = requests.post(url + "/20160918/volumeBackups", json={"volumeId": "v"}, timeout=5).json()
        assert created["id"].startswith("ocid1.volumebackup.oc1.fra.")
        assert created["lifecycleState"] == "AVAILABLE"


def test_seed_makes_generated_values_reproducible(oci_config: dict[str, Any]) -> None:
    runs = []
    for _ in range(2):
        with serve("--seed", "42", "--lifecycle-delay", "0", "--unknown-volumes", "accept") as url:
            client = make_client(oci_config, url)
            details = oci.core.models.CreateVolumeBackupDetails(volume_id="v")
            runs.append([(b.id, b.size_in_gbs, b.unique_size_in_gbs)
                         for b in (client.create_volume_backup(details).data for _ in range(3))])
    assert runs[0] == runs[1]


def test_postman_request_as_documented(oci_config: dict[str, Any]) -> None:
    """The UpdateVolumeBackup request of OCI's Postman collection, signed as its pre-request script signs it."""
    import requests

    signer = oci.signer.Signer(oci_config["tenancy"], oci_config["user"], oci_config["fingerprint"], None,
                               private_key_content=oci_config["key_content"])
    item = json.loads((Path(__file__).parent.parent.parent / "shared/reference/update-volume-backup.postman-item.json")
                      .read_text()) if (Path(__file__).parent.parent.parent / "shared").exists() else None
    body = item["request"]["body"]["raw"] if item else (
        '{\n "definedTags": {},\n "displayName": "cillum aute voluptate consectetur",\n "freeformTags": {}\n}')
    with serve("--fixtures", str(FIXTURES_DIR / "postman-example.json"), "--lifecycle-delay", "0") as url:
        base = url + "/20160918"
        # exactly as documented: path id and if-match are the collection's placeholder values
        missing = requests.put(f"{base}/volumeBackups/officia sed", data=body, auth=signer, timeout=5,
                               headers={"if-match": "officia sed", "Content-Type": "application/json"})
        assert missing.status_code == 404
        assert missing.json()["code"] == "NotAuthorizedOrNotFound"
        # against the example backup: first with a wrong etag, then with the current one
        stale = requests.put(f"{base}/volumeBackups/{POSTMAN_EXAMPLE_ID}", data=body, auth=signer, timeout=5,
                             headers={"if-match": "officia sed", "Content-Type": "application/json"})
        assert stale.status_code == 412 and stale.json()["code"] == "NoEtagMatch"
        etag = requests.get(f"{base}/volumeBackups/{POSTMAN_EXAMPLE_ID}", auth=signer, timeout=5).headers["etag"]
        ok = requests.put(f"{base}/volumeBackups/{POSTMAN_EXAMPLE_ID}", data=body, auth=signer, timeout=5,
                          headers={"if-match": etag, "Content-Type": "application/json"})
        assert ok.status_code == 200, ok.text
        assert ok.json()["displayName"] == "cillum aute voluptate consectetur"
        assert ok.json()["freeformTags"] == {} and ok.json()["definedTags"] == {}
        assert ok.headers["etag"] != etag and ok.headers["opc-request-id"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('[{"id": "x"}]', "volumeBackups[0].compartmentId"),
        ('[{"id": "x", "compartmentId": "c", "displayName": "d", "lifecycleState": "DONE", '
         '"timeCreated": "2026-01-01T00:00:00.000Z", "type": "FULL"}]', "volumeBackups[0].lifecycleState"),
        ('[{"id": "x", "compartmentId": "c", "displayName": "d", "lifecycleState": "AVAILABLE", '
         '"timeCreated": "2026-01-01T00:00:00.000Z", "type": "FULL", "sizeInGBs": "50"}]',
         "volumeBackups[0].sizeInGBs"),
        ('{"backups": []}', "unknown top-level key"),
        ("{not json", "not readable JSON"),
    ],
)
def test_bad_fixture_stops_start_up_naming_file_and_field(tmp_path: Path, content: str, message: str) -> None:
    good = tmp_path / "a-good.json"
    good.write_text((FIXTURES_DIR / "postman-example.json").read_text())
    bad = tmp_path / "b-bad.json"
    bad.write_text(content)
    with pytest.raises(FixtureError) as caught:
        load_fixtures([tmp_path])
    assert str(bad) in str(caught.value) and message in str(caught.value)
    result = subprocess.run(
        [sys.executable, "-m", "mockoci", "serve", "--port", str(free_port()), "--fixtures", str(tmp_path)],
        capture_output=True, timeout=30,
    )
    assert result.returncode == 2
    assert str(bad) in result.stderr.decode() and message in result.stderr.decode()


def test_every_shipped_fixture_loads() -> None:
    loaded = load_fixtures([FIXTURES_DIR])
    assert POSTMAN_EXAMPLE_ID in {b.id for b in loaded.backups}


def test_invalid_setting_is_reported() -> None:
    result = subprocess.run([sys.executable, "-m", "mockoci", "serve", "--lifecycle-delay", "-1"],
                            capture_output=True, timeout=30)
    assert result.returncode == 2 and b"lifecycle_delay" in result.stderr


def test_every_setting_is_a_serve_option_and_an_environment_variable() -> None:
    from mockoci.cli import _parser
    from mockoci.settings import Settings

    serve = _parser()._subparsers._group_actions[0].choices["serve"]  # type: ignore[union-attr]
    options = {option for action in serve._actions for option in action.option_strings}
    for name in Settings.model_fields:
        assert "--" + name.replace("_", "-") in options, name
    assert Settings.model_config["env_prefix"] == "MOCKOCI_"
