"""The Docker image, built from the top-level Dockerfile and run with podman through the shared engine.sh.

The engine is `<repo>/../shared/container/engine.sh` (beside the clone in CI, beside the worktree here), or
the script named by `MOCKOCI_ENGINE` when that one is missing. The tests skip, saying why, when neither
exists or the engine cannot be set up (no podman and no way to install it). A failing image build fails.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import TENANCY, make_client
from sdk_checks import CHECKS, FIXTURE_BACKUP, Target, write_fixture_folder

pytestmark = pytest.mark.container

REPO = Path(__file__).resolve().parent.parent
TAG = "localhost/mockoci:test"


def engine_script() -> Path | None:
    beside = REPO.parent / "shared" / "container" / "engine.sh"
    if beside.is_file():
        return beside
    named = os.environ.get("MOCKOCI_ENGINE")
    return Path(named) if named and Path(named).is_file() else None


def free_port() -> int:
    # The engine runs containers on the host network, which other servers share: ask the kernel for a port.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Engine:
    script: Path

    def __call__(
        self, *args: str, timeout: float = 60, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        # BUILDAH_FORMAT=docker: podman's default OCI image format has no place for HEALTHCHECK.
        env = {**os.environ, "BUILDAH_FORMAT": "docker"}
        result = subprocess.run(["bash", str(self.script), *args], capture_output=True, text=True,
                                timeout=timeout, env=env)
        if check and result.returncode != 0:
            raise AssertionError(f"engine.sh {' '.join(args)} failed ({result.returncode}):\n"
                                 f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
        return result

    @staticmethod
    def podman(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["podman", *args], capture_output=True, text=True, timeout=timeout)


@dataclass
class Container:
    id: str
    url: str
    started_in: float  # seconds from `engine.sh run` to the first healthy answer


@pytest.fixture(scope="session")
def engine() -> Engine:
    script = engine_script()
    if script is None:
        pytest.skip("no container engine: no ../shared/container/engine.sh, MOCKOCI_ENGINE names no file")
    engine = Engine(script)
    base = engine("base", timeout=900, check=False)
    if base.returncode != 0 or shutil.which("podman") is None:
        pytest.skip(f"no usable container engine: `engine.sh base` failed ({base.returncode}): "
                    f"{(base.stderr or base.stdout).strip()[-500:]}")
    return engine


@pytest.fixture(scope="session")
def image(engine: Engine) -> str:
    """The image built from the repository's Dockerfile (a failed build fails the tests)."""
    engine("build", str(REPO), TAG, timeout=900)
    return TAG


def wait_healthy(engine: Engine, container_id: str, url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "/_mockoci/health", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        state = engine.podman("inspect", "--format", "{{.State.Status}}", container_id).stdout.strip()
        if state in ("exited", "stopped"):
            break
        time.sleep(0.05)
    logs = engine("logs", container_id, check=False)
    raise AssertionError(f"the container did not become healthy at {url}:\n{logs.stdout}{logs.stderr}")


@pytest.fixture(scope="session")
def run_container(engine: Engine, image: str) -> Iterator[Callable[..., Container]]:
    """Starts the image with extra `podman run` arguments on a free port; all are removed at the end."""
    started: list[str] = []

    def run(*args: str, healthy: bool = True) -> Container:
        port = free_port()
        began = time.monotonic()
        output = engine("run", image, "-e", f"MOCKOCI_PORT={port}", *args).stdout
        container_id = output.strip().splitlines()[-1]
        started.append(container_id)
        url = f"http://127.0.0.1:{port}"
        if healthy:
            wait_healthy(engine, container_id, url)
        return Container(container_id, url, time.monotonic() - began)

    yield run
    for container_id in started:
        engine("stop", container_id, check=False)


@pytest.fixture(scope="module")
def container(run_container: Callable[..., Container], tmp_path_factory: pytest.TempPathFactory) -> Container:
    """The image with a fixture folder mounted at /fixtures and a lifecycle delay, as the SDK checks need."""
    folder = write_fixture_folder(tmp_path_factory.mktemp("container-fixtures"))
    return run_container("-v", f"{folder}:/fixtures:ro", "-e", "MOCKOCI_LIFECYCLE_DELAY=0.2")


@pytest.fixture
def target(container: Container, oci_config: dict[str, Any]) -> Target:
    return Target.fresh(container.url, oci_config)


@pytest.mark.parametrize("check", CHECKS, ids=lambda check: check.__name__.removeprefix("check_"))
def test_sdk_check_against_container(check: Callable[[Target], None], target: Target) -> None:
    check(target)


def test_image_size_and_start_up_time(
    engine: Engine, image: str, container: Container, record_property: Callable[[str, object], None],
    capsys: pytest.CaptureFixture[str],
) -> None:
    size = int(engine.podman("image", "inspect", "--format", "{{.Size}}", image).stdout.strip())
    record_property("image_size_bytes", size)
    record_property("start_up_seconds", round(container.started_in, 3))
    with capsys.disabled():
        print(f"\nmockoci image {image}: {size / 1e6:.0f} MB; "
              f"start-up (engine.sh run to first healthy answer): {container.started_in:.2f} s")
    assert size > 0


def test_image_metadata(engine: Engine, image: str) -> None:
    inspected = json.loads(engine.podman("image", "inspect", image).stdout)[0]
    config = inspected["Config"]
    assert "12000/tcp" in config["ExposedPorts"]
    assert config["User"] == "10001:10001"
    env = dict(item.split("=", 1) for item in config["Env"])
    assert env["MOCKOCI_HOST"] == "0.0.0.0"
    assert env["MOCKOCI_PORT"] == "12000"
    assert env["MOCKOCI_FIXTURES"] == "/fixtures"
    assert config["Cmd"] == ["mockoci", "serve"]
    healthcheck = inspected["Healthcheck"]["Test"]  # podman shows it beside Config, not in it
    assert healthcheck[0] == "CMD" and "curl" not in " ".join(healthcheck)


def test_runs_as_non_root(engine: Engine, container: Container) -> None:
    uid = engine.podman("exec", container.id, "id", "-u")
    assert uid.returncode == 0, uid.stderr
    assert int(uid.stdout) != 0
    pid1 = engine.podman("exec", container.id, "python3", "-c", "import os; print(os.stat('/proc/1').st_uid)")
    assert int(pid1.stdout) == int(uid.stdout), "the server process itself runs as that user"


def test_healthcheck_command_succeeds(engine: Engine, container: Container) -> None:
    check = engine.podman("healthcheck", "run", container.id)
    assert check.returncode == 0, check.stdout + check.stderr
    status = engine.podman("inspect", "--format", "{{.State.Health.Status}}", container.id).stdout.strip()
    assert status == "healthy"


def test_healthcheck_fails_when_the_server_does_not_answer(engine: Engine, container: Container) -> None:
    # The same command against a port nothing listens on: the check must be able to fail.
    command = json.loads(engine.podman("image", "inspect", TAG).stdout)[0]["Healthcheck"]["Test"][1:]
    wrong = engine.podman("exec", "-e", f"MOCKOCI_PORT={free_port()}", container.id, *command)
    assert wrong.returncode != 0
    right = engine.podman("exec", container.id, *command)
    assert right.returncode == 0, right.stderr


def test_without_a_fixture_mount_the_server_starts_empty(
    run_container: Callable[..., Container], oci_config: dict[str, Any]
) -> None:
    container = run_container()
    client = make_client(oci_config, container.url)
    assert client.list_volume_backups(TENANCY).data == []
    assert json.loads(urllib.request.urlopen(container.url + "/_mockoci/health", timeout=5).read()) == {
        "status": "ok"
    }


def test_a_bad_fixture_stops_the_container_with_a_message(
    engine: Engine, run_container: Callable[..., Container], tmp_path: Path
) -> None:
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "broken.json").write_text(json.dumps([{**FIXTURE_BACKUP, "lifecycleState": "SLEEPING"}]))
    folder.chmod(0o755)
    (folder / "broken.json").chmod(0o644)
    container = run_container("-v", f"{folder}:/fixtures:ro", healthy=False)
    exit_code = engine.podman("wait", container.id, timeout=60)
    assert exit_code.stdout.strip() == "2", exit_code.stdout + exit_code.stderr
    logs = engine("logs", container.id)
    output = logs.stdout + logs.stderr
    assert "cannot load fixtures" in output
    assert "/fixtures/broken.json" in output and "lifecycleState" in output
