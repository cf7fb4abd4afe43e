"""mockoci.testcontainers against the real image, through the Docker API that podman serves (`podman system
service`): testcontainers-python starts the image built from the Dockerfile (tests/test_container.py builds it
with the shared engine.sh), waits on /_mockoci/health, and the real `oci` SDK runs against it.

These machines have no Docker daemon and podman's containers need the engine's settings (runc, explicit
ulimits, the host network: see engine.sh), which the tests pass as testcontainers' container arguments. They
skip, saying why, when podman or its service cannot be had.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import oci
import pytest
from conftest import TENANCY, make_client
from sdk_checks import FIXTURE_BACKUP, write_fixture_folder
from test_container import Engine, engine, image  # noqa: F401 (fixtures: the engine and the built image)

pytestmark = pytest.mark.container

testcontainers = pytest.importorskip("testcontainers", reason="testcontainers is not installed (pip install '.[test]')")
from docker.types import Ulimit  # noqa: E402
from testcontainers.core.config import ConnectionMode, testcontainers_config  # noqa: E402

from mockoci.testcontainers import MockOCIContainer  # noqa: E402

# What engine.sh passes to `podman run` on these machines, as docker-py container arguments.
ENGINE_KWARGS: dict[str, Any] = {
    "runtime": "runc",
    "ulimits": [Ulimit(name="nofile", soft=1024, hard=20000), Ulimit(name="nproc", soft=1024, hard=1024)],
}


@pytest.fixture(scope="session")
def docker_host(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:  # noqa: F811
    """A Docker-compatible API on a unix socket, served by `podman system service` for this session."""
    if shutil.which("podman") is None:
        pytest.skip("no podman: cannot serve a Docker API")
    folder = tmp_path_factory.mktemp("podman-api")
    socket_path, log_path = folder / "docker.sock", folder / "service.log"
    url = f"unix://{socket_path}"
    with log_path.open("wb") as log:
        service = subprocess.Popen(["podman", "system", "service", "--time=0", url], stdout=log, stderr=log)
    try:
        if not _answers(url, timeout=30):
            pytest.skip(f"`podman system service` did not serve a Docker API: {log_path.read_text()[-1000:]}")
        saved = (os.environ.get("DOCKER_HOST"), testcontainers_config.ryuk_disabled,
                 testcontainers_config.connection_mode_override)
        os.environ["DOCKER_HOST"] = url
        # Ryuk, testcontainers' reaper, is an image from Docker Hub, which these machines cannot reach;
        # the containers are removed by the tests' own `with` blocks.
        testcontainers_config.ryuk_disabled = True
        # These machines have a /.dockerenv, from which testcontainers concludes it runs inside a container
        # (Docker in Docker) and looks for a gateway; the engine runs beside the tests: reach it directly.
        testcontainers_config.connection_mode_override = ConnectionMode.docker_host
        yield url
        testcontainers_config.ryuk_disabled, testcontainers_config.connection_mode_override = saved[1:]
        if saved[0] is None:
            os.environ.pop("DOCKER_HOST", None)
        else:
            os.environ["DOCKER_HOST"] = saved[0]
    finally:
        service.terminate()
        service.wait(timeout=30)


def _answers(url: str, timeout: float) -> bool:
    import docker

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            client = docker.DockerClient(base_url=url, timeout=5)
            try:
                return bool(client.ping())
            finally:
                client.close()
        except Exception:  # not up yet: the socket is missing or refuses
            time.sleep(0.2)
    return False


def mockoci_container(image_tag: str, **kwargs: Any) -> MockOCIContainer:
    return MockOCIContainer(image_tag, **ENGINE_KWARGS, **kwargs)


@pytest.mark.parametrize("network_mode", [None, "host"], ids=["published-port", "host-network"])
def test_the_container_serves_the_sdk(
    docker_host: str, image: str, oci_config: dict[str, Any], tmp_path: Path, network_mode: str | None  # noqa: F811
) -> None:
    folder = write_fixture_folder(tmp_path)
    container = mockoci_container(image, network_mode=network_mode)
    with container.with_fixtures(folder).with_setting("lifecycle_delay", 0) as mockoci:
        assert mockoci.admin.healthy()
        if network_mode is None:  # 12000 in the container, published on a port the engine picked
            assert mockoci.port == 12000 and not mockoci.url.endswith(":12000")
        assert mockoci.get_wrapped_container().status == "running"
        client = make_client(oci_config, mockoci.url)
        fixture = client.get_volume_backup(FIXTURE_BACKUP["id"]).data  # mounted at /fixtures, loaded at start
        assert fixture.display_name == FIXTURE_BACKUP["displayName"]
        volume = mockoci.mock(TENANCY).create_volume()  # the image refuses backups of unknown volumes, as OCI
        created = client.create_volume_backup(
            oci.core.models.CreateVolumeBackupDetails(volume_id=volume["id"], display_name="from-testcontainers")
        ).data
        assert created.lifecycle_state == "AVAILABLE"  # MOCKOCI_LIFECYCLE_DELAY=0 reached the server
        listed = client.list_volume_backups(compartment_id=TENANCY).data
        assert created.id in {backup.id for backup in listed}
        mock = mockoci.mock(TENANCY)
        journal = mock.admin.request("GET", "/journal", params={"tenancy": TENANCY})
        assert [entry["operation"] for entry in journal][-2:] == ["CreateVolumeBackup", "ListVolumeBackups"]
        mock.reset()
        with pytest.raises(oci.exceptions.ServiceError) as gone:
            client.get_volume_backup(created.id)
        assert gone.value.status == 404
        container_id = mockoci.get_container_id()
    import docker

    client_api = docker.DockerClient(base_url=docker_host)
    try:
        assert container_id not in {container.id for container in client_api.containers.list(all=True)}
    finally:
        client_api.close()


def test_a_container_that_cannot_start_says_why(docker_host: str, image: str, tmp_path: Path) -> None:  # noqa: F811
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps([{"id": "not-a-backup"}]))
    tmp_path.chmod(0o755)
    broken.chmod(0o644)  # readable by the image's user: the error is the content's
    container = mockoci_container(image, network_mode="host", startup_timeout=60).with_fixtures(tmp_path)
    began = time.monotonic()
    with pytest.raises(RuntimeError, match="exited before it was healthy") as error:
        container.start()
    try:
        assert "cannot load fixtures" in str(error.value) and "broken.json" in str(error.value)
        assert time.monotonic() - began < 50, "an exited container is reported at once, not after the timeout"
    finally:
        container.stop()

