"""Integration: mockoci at OCI's real hostnames over HTTPS, for clients told no endpoint (issue 13).

The `oci` Python SDK with only `region` in its config, plus `HTTPS_PROXY` and `REQUESTS_CA_BUNDLE` in the
environment (set with monkeypatch: the SDK reads them at each request), reaches mockoci's proxy, which
answers `CONNECT iaas.<region>.oraclecloud.com:443` with a certificate from mockoci's CA. Also: other hosts
and plain HTTP refused, naming the host; verify mode over the proxy; `--tls` with mockoci's CA and with the
user's own certificate; the CA folder made once and shared.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import logging
import os
import socket
import ssl
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import oci
import pytest
import requests
from conftest import PROXY_VARIABLES, TENANCY, UNKNOWN_VOLUMES, region_client, use_proxy
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from mockoci.server import MockOCIServer
from mockoci.settings import Settings
from mockoci.tls import CertificateAuthority, TLSError

ASHBURN = "https://iaas.us-ashburn-1.oraclecloud.com"
VOLUME = "ocid1.volume.oc1.iad.proxyvolume"


def test_the_python_sdk_with_only_a_region_works_through_the_proxy(
    proxy_server: MockOCIServer, oci_config: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    use_proxy(monkeypatch, proxy_server)
    client = region_client(oci_config)
    assert client.base_client.get_endpoint() == ASHBURN  # no endpoint given: OCI's own

    created = client.create_volume_backup(
        oci.core.models.CreateVolumeBackupDetails(volume_id=VOLUME, display_name="through the proxy")
    ).data
    assert created.id.startswith("ocid1.volumebackup.oc1.iad.")
    got = oci.wait_until(client, client.get_volume_backup(created.id), "lifecycle_state", "AVAILABLE")
    assert got.data.display_name == "through the proxy"
    listed = oci.pagination.list_call_get_all_results(client.list_volume_backups, TENANCY, volume_id=VOLUME).data
    assert [backup.id for backup in listed] == [created.id]

    with pytest.raises(oci.exceptions.ServiceError) as stale:
        client.update_volume_backup(
            created.id, oci.core.models.UpdateVolumeBackupDetails(display_name="x"), if_match="stale-etag"
        )
    assert (stale.value.status, stale.value.code) == (412, "NoEtagMatch")
    updated = client.update_volume_backup(
        created.id, oci.core.models.UpdateVolumeBackupDetails(display_name="renamed"), if_match=got.headers["etag"]
    )
    assert updated.data.display_name == "renamed" and updated.headers["etag"] != got.headers["etag"]

    client.delete_volume_backup(created.id, if_match=updated.headers["etag"])
    gone = oci.wait_until(client, client.get_volume_backup(created.id), "lifecycle_state", "TERMINATED")
    assert gone.data.lifecycle_state == "TERMINATED"
    stored = proxy_server.store.get_volume_backup(tenancy=TENANCY, backup_id=created.id)
    assert stored.backup.display_name == "renamed"


def test_every_realm_domain_is_answered_with_a_certificate_for_its_host(
    proxy_server: MockOCIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_proxy(monkeypatch, proxy_server)
    for host in ("iaas.us-ashburn-1.oraclecloud.com", "iaas.eu-frankfurt-1.oraclecloud.com",
                 "iaas.uk-gov-london-1.oraclegovcloud.uk"):
        response = requests.get(f"https://{host}/20160918/volumeBackups", timeout=10)
        # an OCI error from the app (no signature), so TLS for that very host verified against mockoci's CA
        assert (response.status_code, response.json()["code"]) == (401, "NotAuthenticated"), host
        assert response.headers["opc-request-id"]


def test_a_client_that_does_not_trust_the_ca_is_refused_by_tls(
    proxy_server: MockOCIServer, oci_config: dict[str, Any], monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    use_proxy(monkeypatch, proxy_server, ca_bundle=Path(requests.certs.where()))  # the public CAs only
    with caplog.at_level(logging.WARNING, logger="mockoci.proxy"):
        with pytest.raises(requests.exceptions.SSLError):
            requests.get(ASHBURN + "/20160918/volumeBackups", timeout=10)
        with pytest.raises(oci.exceptions.RequestException):
            region_client(oci_config).list_volume_backups(TENANCY)
        deadline = time.monotonic() + 10  # the server logs from its own thread
        while "does the client trust" not in caplog.text and time.monotonic() < deadline:
            time.sleep(0.01)
    host = "iaas.us-ashburn-1.oraclecloud.com"
    assert f"TLS handshake for {host} failed (does the client trust {proxy_server.ca_bundle}?)" in caplog.text


@pytest.mark.parametrize(
    "target",
    [
        "example.com:443",
        "objectstorage.us-ashburn-1.oraclecloud.com:443",  # a real OCI service mockoci does not emulate
        "iaas.us-ashburn-1.oraclecloud.com:8443",
        "iaas.mars-north-1.oraclecloud.com:443",  # no such region
        "iaas.us-ashburn-1.oraclegovcloud.com:443",  # a real region under another realm's domain
    ],
)
def test_other_connect_targets_are_refused_naming_them(
    proxy_server: MockOCIServer, target: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_proxy(monkeypatch, proxy_server)
    with pytest.raises(requests.exceptions.ProxyError) as refused:
        requests.get(f"https://{target}/", timeout=10)
    message = str(refused.value)
    assert f"403 mockoci does not proxy CONNECT {target}" in message
    assert "emulates OCI's Core Services API only" in message and "iaas.<region>.<realm domain>:443" in message


def test_plain_http_proxy_requests_are_refused_naming_the_host(
    proxy_server: MockOCIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_proxy(monkeypatch, proxy_server)
    response = requests.get("http://example.com/path", proxies={"http": proxy_server.proxy_url}, timeout=10)
    assert response.status_code == 403
    assert "does not proxy plain-HTTP requests (to example.com)" in response.text
    assert "CONNECT iaas.<region>.<realm domain>:443" in response.text


def test_the_proxy_itself_serves_its_ca_certificate(proxy_server: MockOCIServer) -> None:
    response = requests.get(proxy_server.proxy_url + "/ca.pem", timeout=10)
    assert response.status_code == 200
    assert response.content == proxy_server.ca_bundle.read_bytes()  # type: ignore[union-attr]
    other = requests.get(proxy_server.proxy_url + "/", timeout=10)
    assert other.status_code == 404 and "GET /ca.pem" in other.text


def test_a_request_head_too_large_or_malformed_closes_the_connection(proxy_server: MockOCIServer) -> None:
    for head in (b"CONNECT iaas.us-ashburn-1.oraclecloud.com:443 HTTP/1.1\r\nX: " + b"a" * 20_000 + b"\r\n\r\n",
                 b"\x16\x03\x01 not http at all\r\n\r\n"):
        with socket.create_connection(("127.0.0.1", proxy_server.proxy_port), timeout=10) as sock:
            sock.sendall(head)
            answer = sock.recv(4096)
        assert answer == b"" or answer.startswith(b"HTTP/1.1 40"), answer


def test_a_tunnel_speaks_http_1_1_and_relays_the_bytes_as_sent(proxy_server: MockOCIServer) -> None:
    host = "iaas.sa-saopaulo-1.oraclecloud.com"
    with socket.create_connection(("127.0.0.1", proxy_server.proxy_port), timeout=10) as raw:
        raw.sendall(f"CONNECT {host}:443 HTTP/1.1\r\nHost: {host}:443\r\n\r\n".encode())
        assert raw.recv(4096) == b"HTTP/1.1 200 Connection established\r\n\r\n"
        context = ssl.create_default_context(cafile=str(proxy_server.ca_bundle))
        context.set_alpn_protocols(["h2", "http/1.1"])  # as Go and Node offer
        with context.wrap_socket(raw, server_hostname=host) as tls:
            assert tls.selected_alpn_protocol() == "http/1.1"
            tls.sendall(f"GET /_mockoci/health HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
            answer = b""
            while chunk := tls.recv(4096):
                answer += chunk
    assert answer.startswith(b"HTTP/1.1 200 ") and b'"ok"' in answer, answer


def test_verify_mode_works_over_the_proxy_and_the_signature_covers_the_real_host(
    oci_config: dict[str, Any], public_key_file: Path, tls_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(port=0, proxy_port=0, tls_dir=tls_dir, auth="verify", public_key=[public_key_file],
                        lifecycle_delay=0, **UNKNOWN_VOLUMES)
    with MockOCIServer(settings) as server:
        use_proxy(monkeypatch, server)
        client = region_client(oci_config)
        created = client.create_volume_backup(oci.core.models.CreateVolumeBackupDetails(volume_id=VOLUME)).data
        assert client.get_volume_backup(created.id).data.lifecycle_state == "AVAILABLE"

        # The same request signed for Ashburn's host but sent with Phoenix's: the app sees the host as sent
        # (the proxy relays the bytes unchanged), so the signature no longer matches.
        signer = oci.signer.Signer(oci_config["tenancy"], oci_config["user"], oci_config["fingerprint"], None,
                                   private_key_content=oci_config["key_content"])
        prepared = requests.Request("GET", f"{ASHBURN}/20160918/volumeBackups/{created.id}", auth=signer).prepare()
        through = {"proxies": {"https": server.proxy_url}, "verify": str(server.ca_bundle), "timeout": 10}
        with requests.Session() as session:
            assert session.send(prepared, **through).status_code == 200
            prepared.headers["host"] = "iaas.us-phoenix-1.oraclecloud.com"
            tampered = session.send(prepared, **through)
        assert tampered.status_code == 401 and tampered.json()["code"] == "NotAuthenticated"


def test_tls_with_mockoci_ca(oci_config: dict[str, Any], tls_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with MockOCIServer(Settings(port=0, tls=True, tls_dir=tls_dir, lifecycle_delay=0, **UNKNOWN_VOLUMES)) as server:
        assert server.url.startswith("https://127.0.0.1:")
        assert server.ca_bundle == tls_dir / "ca.pem"
        for host in ("127.0.0.1", "localhost"):
            url = server.url.replace("127.0.0.1", host)
            assert requests.get(url + "/_mockoci/health", verify=server.ca_bundle, timeout=10).status_code == 200
        with pytest.raises(requests.exceptions.SSLError):
            requests.get(server.url + "/_mockoci/health", verify=requests.certs.where(), timeout=10)
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(server.ca_bundle))
        client = region_client(oci_config, service_endpoint=server.url)
        created = client.create_volume_backup(oci.core.models.CreateVolumeBackupDetails(volume_id=VOLUME)).data
        assert client.get_volume_backup(created.id).data.id == created.id


def test_tls_and_the_proxy_together(
    oci_config: dict[str, Any], tls_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with MockOCIServer(Settings(port=0, tls=True, proxy_port=0, tls_dir=tls_dir, lifecycle_delay=0,
                                         **UNKNOWN_VOLUMES)) as server:
        use_proxy(monkeypatch, server)  # the proxy's hop to the HTTPS listener is TLS too
        client = region_client(oci_config, region="eu-frankfurt-1")
        created = client.create_volume_backup(oci.core.models.CreateVolumeBackupDetails(volume_id=VOLUME)).data
        assert client.get_volume_backup(created.id).data.id == created.id


def own_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and localhost, made as a user would, not by mockoci."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "my own localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1)).not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(
            [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "mine.pem", folder / "mine-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def test_tls_with_your_own_certificate(tmp_path: Path) -> None:
    cert, key = own_certificate(tmp_path)
    with MockOCIServer(Settings(port=0, tls_cert=cert, tls_key=key, tls_dir=tmp_path / "unused")) as server:
        assert server.url.startswith("https://") and server.ca_bundle is None
        assert requests.get(server.url + "/_mockoci/health", verify=cert, timeout=10).status_code == 200
        pem = ssl.get_server_certificate(("127.0.0.1", server.port))
        assert x509.load_pem_x509_certificate(pem.encode()).subject.rfc4514_string() == "CN=my own localhost"
    assert not (tmp_path / "unused").exists()  # no CA is made when nothing needs one


def test_a_certificate_without_its_key_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="tls_cert and tls_key go together"):
        Settings(tls_cert=Path("cert.pem"))
    cert, _ = own_certificate(tmp_path)
    (tmp_path / "other").mkdir()
    _, other_key = own_certificate(tmp_path / "other")  # a key that is not the certificate's
    result = subprocess.run(
        [sys.executable, "-m", "mockoci", "serve", "--port", "0", "--tls-cert", str(cert), "--tls-key", str(other_key)],
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert result.returncode == 2
    assert result.stderr.startswith(f"mockoci: cannot set up TLS: cannot use the certificate {cert} with the key")


def test_the_ca_is_made_once_kept_private_and_shared(tmp_path: Path) -> None:
    folder = tmp_path / "ca"
    made: list[CertificateAuthority] = []
    threads = [threading.Thread(target=lambda: made.append(CertificateAuthority(folder))) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({authority.cert_path.read_bytes() for authority in made}) == 1
    assert (folder / "ca-key.pem").stat().st_mode & 0o777 == 0o600
    assert sorted(path.name for path in folder.iterdir()) == ["ca-key.pem", "ca.pem"]
    ca = x509.load_pem_x509_certificate((folder / "ca.pem").read_bytes())
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert b"PRIVATE KEY" not in (folder / "ca.pem").read_bytes()

    again = CertificateAuthority(folder)  # a later run: the same CA, so a client trusts it once
    assert again.cert_path.read_bytes() == made[0].cert_path.read_bytes()
    leaf = x509.load_pem_x509_certificate(again.issue(["iaas.ap-tokyo-1.oraclecloud.com"]))
    leaf.verify_directly_issued_by(ca)
    names = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == ["iaas.ap-tokyo-1.oraclecloud.com"]
    context = again.server_context("iaas.ap-tokyo-1.oraclecloud.com")
    assert again.server_context("iaas.ap-tokyo-1.oraclecloud.com") is context  # cached


def test_a_broken_ca_folder_is_an_error_naming_the_file(tmp_path: Path) -> None:
    (tmp_path / "ca.pem").write_text("a certificate whose key is lost")
    with pytest.raises(TLSError, match=r"ca\.pem exists but its key"):
        CertificateAuthority(tmp_path)
    (tmp_path / "ca-key.pem").write_text("not a key")
    with pytest.raises(TLSError, match=r"ca-key\.pem: not a PEM private key"):
        CertificateAuthority(tmp_path)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_mockoci_serve_prints_the_two_variables_and_serves_through_the_proxy(
    oci_config: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    port, proxy_port = free_port(), free_port()
    command = [sys.executable, "-m", "mockoci", "serve", "--port", str(port), "--proxy-port", str(proxy_port),
               "--tls-dir", str(tmp_path), "--lifecycle-delay", "0"]
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True,
                               env={**{k: v for k, v in os.environ.items() if k not in PROXY_VARIABLES},
                                    "MOCKOCI_UNKNOWN_VOLUMES": "accept"})
    try:
        assert process.stderr is not None
        banner = [process.stderr.readline()]
        while "also served at" not in banner[-1] and len(banner) < 20:  # the proxy's lines end the banner
            banner.append(process.stderr.readline())
        assert banner[0].startswith(f"mockoci 0.1.0 running on http://127.0.0.1:{port} ")
        lines = [line.strip() for line in banner]  # however the banner indents them
        assert f"HTTPS_PROXY=http://127.0.0.1:{proxy_port}" in lines
        assert any(line.startswith(f"REQUESTS_CA_BUNDLE={tmp_path / 'ca.pem'}  ") for line in lines), banner
        assert f"the CA certificate is also served at http://127.0.0.1:{proxy_port}/ca.pem" in lines
        for name in PROXY_VARIABLES:
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{proxy_port}")
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tmp_path / "ca.pem"))
        # the banner comes once both sockets listen: a connection made now waits until the app has started
        client = region_client(oci_config, region="ap-tokyo-1")
        created = client.create_volume_backup(oci.core.models.CreateVolumeBackupDetails(volume_id=VOLUME)).data
        listed = client.list_volume_backups(TENANCY).data
        assert [backup.id for backup in listed] == [created.id]
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_mockoci_serve_with_a_proxy_port_in_use_stops_with_a_message(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        command = [sys.executable, "-m", "mockoci", "serve", "--port", str(free_port()),
                   "--proxy-port", str(taken.getsockname()[1]), "--tls-dir", str(tmp_path)]
        result = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 2
    assert "mockoci: cannot listen on 127.0.0.1:" in result.stderr
