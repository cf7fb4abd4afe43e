"""The SDK checks the container is tested with, run here against an in-process server (default suite)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sdk_checks import CHECKS, Target, write_fixture_folder

from mockoci.server import MockOCIServer


@pytest.fixture(scope="module")
def fixture_server(
    start_server: Callable[..., MockOCIServer], tmp_path_factory: pytest.TempPathFactory
) -> MockOCIServer:
    """Configured as the container test configures the image: a lifecycle delay and a fixture folder."""
    folder = write_fixture_folder(tmp_path_factory.mktemp("fixtures"))
    return start_server(lifecycle_delay=0.2, fixtures=[folder], unknown_volumes="reject")  # the default, as the image


@pytest.fixture
def target(fixture_server: MockOCIServer, oci_config: dict[str, Any]) -> Target:
    return Target.fresh(fixture_server.url, oci_config)


@pytest.mark.parametrize("check", CHECKS, ids=lambda check: check.__name__.removeprefix("check_"))
def test_sdk_check_in_process(check: Callable[[Target], None], target: Target) -> None:
    check(target)
