"""The pytest plugin against the Docker image: the example suite from docs/pytest-plugin.md, unchanged, passes
through `--mockoci-url` against a running container, also with two xdist workers sharing it."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from test_container import Container, engine, image, run_container  # noqa: F401  (fixtures)
from test_pytest_plugin import example_suite

from mockoci.testing import AdminClient

pytestmark = pytest.mark.container
pytest_plugins = ["pytester"]


@pytest.fixture(scope="module")
def plain_container(run_container: Callable[..., Container]) -> Container:  # noqa: F811
    """The image with its defaults: no fixtures, the default lifecycle (the plugin sets each test's)."""
    return run_container()


def test_example_suite_passes_against_the_container(pytester: pytest.Pytester, plain_container: Container) -> None:
    pytester.makepyfile(**{name.removesuffix(".py"): code for name, code in example_suite().items()})
    result = pytester.runpytest_inprocess("--mockoci-url", plain_container.url)
    result.assert_outcomes(passed=7)
    journal = AdminClient(plain_container.url).request("GET", "/journal")
    assert [(e["operation"], e["status"]) for e in journal] == [("ListVolumeBackups", 503)]


def test_xdist_workers_share_the_container(pytester: pytest.Pytester, plain_container: Container) -> None:
    pytest.importorskip("xdist")
    pytester.makepyfile(**{name.removesuffix(".py"): code for name, code in example_suite().items()})
    result = pytester.runpytest_subprocess("-n", "2", "--mockoci-url", plain_container.url, "-p", "no:randomly")
    result.assert_outcomes(passed=7)
