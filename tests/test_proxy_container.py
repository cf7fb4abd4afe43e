"""The image as the HTTPS proxy: `MOCKOCI_PROXY_PORT` set, the CA fetched from the proxy (`GET /ca.pem`), and
the real `oci` Python SDK told only its region reaching the container at OCI's real hostname. Also the image
with `MOCKOCI_TLS=true`: HTTPS on the main port, its healthcheck passing."""

from __future__ import annotations

import ssl
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import oci
import pytest
import requests
from conftest import TENANCY, region_client
from test_container import Container, Engine, engine, free_port, image, run_container  # noqa: F401  (fixtures)

pytestmark = pytest.mark.container


def test_the_sdk_with_only_a_region_reaches_the_container_through_its_proxy(
    engine: Engine,  # noqa: F811
    run_container: Callable[..., Container],  # noqa: F811
    oci_config: dict[str, Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    proxy_port = free_port()
    container = run_container("-e", f"MOCKOCI_PROXY_PORT={proxy_port}", "-e", "MOCKOCI_LIFECYCLE_DELAY=0",
                              "-e", "MOCKOCI_UNKNOWN_VOLUMES=accept")  # the volume model of issue 10
    proxy_url = f"http://127.0.0.1:{proxy_port}"
    logs = engine("logs", container.id).stderr
    assert f"HTTPS_PROXY={proxy_url}" in logs and "REQUESTS_CA_BUNDLE=/var/lib/mockoci/tls/ca.pem" in logs

    ca = tmp_path / "ca.pem"
    ca.write_bytes(requests.get(proxy_url + "/ca.pem", timeout=10).content)  # what a CI job does
    for name in ("HTTPS_PROXY", "https_proxy", "NO_PROXY", "no_proxy", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTPS_PROXY", proxy_url)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(ca))
    client = region_client(oci_config)
    created = client.create_volume_backup(
        oci.core.models.CreateVolumeBackupDetails(volume_id="ocid1.volume.oc1.iad.containerproxy")
    ).data
    got = client.get_volume_backup(created.id)
    assert got.data.lifecycle_state == "AVAILABLE"
    details = oci.core.models.UpdateVolumeBackupDetails(display_name="via the image")
    updated = client.update_volume_backup(created.id, details, if_match=got.headers["etag"])
    assert updated.data.display_name == "via the image"
    assert [b.id for b in client.list_volume_backups(TENANCY).data] == [created.id]
    client.delete_volume_backup(created.id)
    with pytest.raises(requests.exceptions.ProxyError, match=r"mockoci does not proxy CONNECT example\.com:443"):
        requests.get("https://example.com/", timeout=10)


def test_the_image_serves_https_with_mockoci_tls(
    engine: Engine,  # noqa: F811
    run_container: Callable[..., Container],  # noqa: F811
) -> None:
    container = run_container("-e", "MOCKOCI_TLS=true", healthy=False)
    url = container.url.replace("http://", "https://")
    deadline = time.monotonic() + 60
    context = ssl._create_unverified_context()  # the CA is inside the container; the banner names it
    while True:
        try:
            with urllib.request.urlopen(url + "/_mockoci/health", timeout=1, context=context) as response:
                assert response.status == 200
                break
        except OSError:
            assert time.monotonic() < deadline, engine("logs", container.id, check=False).stderr
            time.sleep(0.1)
    pem = ssl.get_server_certificate(("127.0.0.1", int(url.rsplit(":", 1)[1])))
    assert "BEGIN CERTIFICATE" in pem
    assert "its certificate is signed by mockoci's CA: /var/lib/mockoci/tls/ca.pem" in engine(
        "logs", container.id).stderr
    check = engine.podman("healthcheck", "run", container.id)
    assert check.returncode == 0, check.stdout + check.stderr

