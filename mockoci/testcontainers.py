"""mockoci's image as a throwaway container for a test, on testcontainers-python, as LocalStack users know it.

    pip install 'mockoci[testcontainers]'

    from mockoci.testcontainers import MockOCIContainer

    with MockOCIContainer("mockoci:latest").with_fixtures("fixtures").with_setting("lifecycle_delay", 0) as mockoci:
        client = oci.core.BlockstorageClient(config, service_endpoint=mockoci.url)
        mockoci.admin.request("POST", "/reset")

`start()` (and `with`) returns once `GET /_mockoci/health` answers 200, or raises with the container's output.
The image is the one the repository's Dockerfile builds (mockoci publishes none yet: build and tag it first).
"""

from __future__ import annotations

import os
import socket
import time
from datetime import timedelta
from typing import Any, Self

from testcontainers.core.container import DockerContainer
from testcontainers.core.waiting_utils import WaitStrategy, WaitStrategyTarget

from .testing import AdminClient, MockOCI

__all__ = ["HealthWaitStrategy", "MockOCIContainer"]

PORT = 12000
HEALTH = "/_mockoci/health"


class HealthWaitStrategy(WaitStrategy):
    """Waits until a MockOCIContainer's `/_mockoci/health` answers 200; fails at once if the container exits."""

    def wait_until_ready(self, container: WaitStrategyTarget) -> None:
        assert isinstance(container, MockOCIContainer)
        deadline = time.monotonic() + self._startup_timeout
        while True:
            if AdminClient(container.url, timeout=2).healthy():
                return
            container.reload()
            if container.status in ("exited", "dead"):
                stdout, stderr = container.get_logs()
                raise RuntimeError(f"the mockoci container exited before it was healthy:\n"
                                   f"{stdout.decode(errors='replace')}{stderr.decode(errors='replace')}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"mockoci at {container.url} was not healthy within {self._startup_timeout:g} s")
            time.sleep(self._poll_interval)


class MockOCIContainer(DockerContainer):
    """A mockoci container: its URL for `service_endpoint=`, its admin API, settings as `MOCKOCI_*` variables.

    On the host network (`network_mode="host"`, for engines that cannot publish ports) the server listens on
    `port`, which defaults to a free one; otherwise on 12000 inside the container, published on a free host port.
    """

    def __init__(
        self, image: str = "mockoci:latest", *, network_mode: str | None = None, port: int | None = None,
        startup_timeout: float = 60, **kwargs: Any,
    ) -> None:
        if network_mode is not None:
            kwargs["network_mode"] = network_mode  # docker-py's container argument (with_kwargs would replace all)
        super().__init__(image, **kwargs)
        self.host_network = network_mode == "host"
        if self.host_network:
            self.port = port or _free_port()
        else:
            self.port = port or PORT
            self.with_exposed_ports(self.port)
        self.with_env("MOCKOCI_PORT", str(self.port))
        self.waiting_for(HealthWaitStrategy().with_startup_timeout(timedelta(seconds=startup_timeout)).with_poll_interval(0.1))

    def with_setting(self, name: str, value: object) -> Self:
        """Any mockoci setting by its field name (`lifecycle_delay`, `auth`, `seed`): `MOCKOCI_<NAME>`."""
        return self.with_env(f"MOCKOCI_{name.upper()}", str(value))

    def with_fixtures(self, path: str | os.PathLike[str]) -> Self:
        """Mounts a fixture folder (read-only) over the image's `/fixtures`, which it loads at start."""
        return self.with_volume_mapping(os.path.abspath(path), "/fixtures", "ro")

    @property
    def url(self) -> str:
        """The server's base URL, for `service_endpoint=` (and `--endpoint`)."""
        if self.host_network:
            return f"http://127.0.0.1:{self.port}"
        return f"http://{self.get_container_host_ip()}:{self.get_exposed_port(self.port)}"

    @property
    def admin(self) -> AdminClient:
        """The admin API (`/_mockoci/...`)."""
        return AdminClient(self.url)

    def mock(self, tenancy: str) -> MockOCI:
        """The helpers the pytest plugin's `mockoci` fixture offers, acting on `tenancy`."""
        return MockOCI(self.admin, tenancy)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port
