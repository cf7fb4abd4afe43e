"""The pytest plugin, driven with pytester: the example suite from docs/pytest-plugin.md passes in-process and
against an already running server, and the fixtures behave as documented."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from mockoci.server import MockOCIServer
from mockoci.testing import AdminClient

pytest_plugins = ["pytester"]

DOCS = Path(__file__).parent.parent / "docs" / "pytest-plugin.md"
EXAMPLE = re.compile(r"<!-- example: (\S+) -->\n```python\n(.*?)```", re.DOTALL)


@pytest.fixture(autouse=True)
def _no_inherited_server(monkeypatch: pytest.MonkeyPatch) -> None:
    """The inner runs start their own server unless a test says otherwise, even if this run has MOCKOCI_URL."""
    monkeypatch.delenv("MOCKOCI_URL", raising=False)


def example_suite() -> dict[str, str]:
    return dict(EXAMPLE.findall(DOCS.read_text(encoding="utf-8")))


def test_the_docs_hold_the_example_suite() -> None:
    suite = example_suite()
    assert list(suite) == ["test_backups_example.py"]
    assert suite["test_backups_example.py"].count("\ndef test_") >= 6


def test_example_suite_passes_in_process(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(**{name.removesuffix(".py"): code for name, code in example_suite().items()})
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=7)


def test_example_suite_passes_against_a_running_server(
    pytester: pytest.Pytester, start_server: Callable[..., MockOCIServer]
) -> None:
    server = start_server(lifecycle_delay=5.0)
    pytester.makepyfile(**{name.removesuffix(".py"): code for name, code in example_suite().items()})
    result = pytester.runpytest_inprocess("--mockoci-url", server.url)
    result.assert_outcomes(passed=7)
    journal = AdminClient(server.url).request("GET", "/journal")
    tenancies = {entry["tenancy"] for entry in journal}
    assert len(tenancies) == 1 and next(iter(tenancies)).startswith("ocid1.tenancy.oc1..aaaaaaaamockocimain")
    # Each test reset the session's tenancy first: only the last test's request is left.
    assert [(e["operation"], e["status"], e["errorCode"]) for e in journal] == [
        ("ListVolumeBackups", 503, "ServiceUnavailable")
    ]


def test_example_suite_passes_with_signature_verification(pytester: pytest.Pytester) -> None:
    # The plugin registers its key (POST /_mockoci/keys); a verifying server then accepts every request.
    pytester.makeconftest(
        """
        import pytest

        @pytest.fixture(scope="session")
        def mockoci_settings():
            return {"auth": "verify"}
        """
    )
    pytester.makepyfile(**{name.removesuffix(".py"): code for name, code in example_suite().items()})
    pytester.makepyfile(
        test_verified="""
        def test_keys_are_registered_and_checked(mockoci_server, mockoci, mockoci_blockstorage_client):
            assert mockoci_server.server.settings.auth == "verify"
            mockoci_blockstorage_client.list_volume_backups(compartment_id=mockoci.tenancy)
            [entry] = mockoci.journal()
            assert entry["status"] == 200 and entry["authFailure"] is None
        """
    )
    pytester.runpytest_inprocess().assert_outcomes(passed=8)


def test_mockoci_url_comes_from_the_environment(
    pytester: pytest.Pytester, start_server: Callable[..., MockOCIServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    server = start_server()
    monkeypatch.setenv("MOCKOCI_URL", server.url)
    pytester.makepyfile(
        f"""
        def test_uses_the_running_server(mockoci_server, mockoci):
            assert mockoci_server.url == {server.url!r} == mockoci.url
            assert mockoci_server.server is None
        """
    )
    pytester.runpytest_inprocess().assert_outcomes(passed=1)


def test_an_unreachable_server_fails_clearly(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_needs_it(mockoci):\n    pass\n")
    result = pytester.runpytest_inprocess("--mockoci-url", "http://127.0.0.1:9", "--mockoci-timeout", "0.3")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*mockoci: no healthy mockoci server at http://127.0.0.1:9 within 0.3 s*"])


def test_fixtures_are_documented(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_inprocess("--fixtures")
    for name in ("mockoci_server", "mockoci", "mockoci_oci_config", "mockoci_blockstorage_client",
                 "mockoci_tenancy", "mockoci_settings", "mockoci_private_key"):
        result.stdout.fnmatch_lines([f"{name}*-- *pytest_plugin.py:*"])
    after = result.stdout.str().split("fixtures defined from mockoci.pytest_plugin")[1]
    ours = after.split("fixtures defined")[0]
    assert ours.count(" -- ") == 7
    assert "no docstring available" not in ours


def test_one_server_per_session_and_state_reset_per_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import oci

        URLS = set()

        def test_first(mockoci_server, mockoci):
            URLS.add(mockoci_server.url)
            mockoci.generate(3, seed=1)
            mockoci.inject_fault(operation="GetVolumeBackup", status=500)
            assert len(mockoci.faults()) == 1

        def test_second(mockoci_server, mockoci, mockoci_blockstorage_client):
            URLS.add(mockoci_server.url)
            assert URLS == {mockoci.url}
            assert mockoci.faults() == [] and mockoci.journal() == []
            client = mockoci_blockstorage_client
            assert client.list_volume_backups(compartment_id=mockoci.tenancy).data == []
            assert mockoci.lifecycle()["mode"] == "immediate"
        """
    )
    pytester.runpytest_inprocess().assert_outcomes(passed=2)


def test_the_config_is_valid_and_matches_the_key(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import oci

        def test_config(mockoci, mockoci_oci_config, mockoci_private_key):
            oci.config.validate_config(mockoci_oci_config)
            assert mockoci_oci_config["tenancy"] == mockoci.tenancy
            signer = oci.signer.Signer(
                mockoci_oci_config["tenancy"], mockoci_oci_config["user"], mockoci_oci_config["fingerprint"],
                None, private_key_content=mockoci_oci_config["key_content"],
            )
            assert signer.api_key.startswith(mockoci.tenancy + "/")

        def test_client_has_no_circuit_breaker(mockoci, mockoci_blockstorage_client):
            # The SDK's default breaker opens after 10 transient failures and then fails without HTTP.
            mockoci.inject_fault(operation="ListVolumeBackups", status=503)
            for _ in range(12):
                try:
                    mockoci_blockstorage_client.list_volume_backups(compartment_id=mockoci.tenancy)
                except oci.exceptions.ServiceError as error:
                    assert error.status == 503
            assert len(mockoci.journal("ListVolumeBackups")) == 12
        """
    )
    pytester.runpytest_inprocess().assert_outcomes(passed=2)


def test_settings_and_lifecycle_are_configurable(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
        import pytest

        @pytest.fixture(scope="session")
        def mockoci_settings():
            return {"seed": 3, "region": "eu-frankfurt-1", "unknown_volumes": "accept"}
        """
    )
    pytester.makeini("[pytest]\nmockoci_lifecycle = manual\n")
    pytester.makepyfile(
        """
        import oci

        def test_settings(mockoci_server, mockoci, mockoci_blockstorage_client):
            assert mockoci_server.server.settings.region == "eu-frankfurt-1"
            assert mockoci.lifecycle()["mode"] == "manual"
            backup = mockoci_blockstorage_client.create_volume_backup(
                oci.core.models.CreateVolumeBackupDetails(volume_id="ocid1.volume.oc1.fra.x")
            ).data
            assert backup.id.startswith("ocid1.volumebackup.oc1.fra.")
            assert backup.lifecycle_state == "REQUEST_RECEIVED"
        """
    )
    pytester.runpytest_inprocess().assert_outcomes(passed=1)


def test_the_command_line_lifecycle_wins(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nmockoci_lifecycle = manual\n")
    pytester.makepyfile("def test_mode(mockoci):\n    assert mockoci.lifecycle()['mode'] == 'delay'\n")
    pytester.runpytest_inprocess("--mockoci-lifecycle", "delay").assert_outcomes(passed=1)


def test_xdist_workers_share_a_server_without_seeing_each_other(
    pytester: pytest.Pytester, start_server: Callable[..., MockOCIServer]
) -> None:
    pytest.importorskip("xdist")
    server = start_server()
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.parametrize("n", range(6))
        def test_isolated(mockoci, mockoci_blockstorage_client, n):
            mockoci.generate(5)
            mockoci.inject_fault(operation="GetVolumeBackup", status=503)
            listed = mockoci_blockstorage_client.list_volume_backups(compartment_id=mockoci.tenancy).data
            assert len(listed) == 5
            assert len(mockoci.faults()) == 1
        """
    )
    result = pytester.runpytest_subprocess("-n", "2", "--mockoci-url", server.url, "-p", "no:randomly")
    result.assert_outcomes(passed=6)
    tenancies = {entry["tenancy"] for entry in AdminClient(server.url).request("GET", "/journal")}
    assert len(tenancies) == 2
    assert all(re.match(r"ocid1\.tenancy\.oc1\.\.aaaaaaaamockocigw[01][0-9a-f]{12}$", t) for t in tenancies)
