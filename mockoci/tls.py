"""mockoci's own certificate authority, and the certificates it signs for HTTPS and for the proxy's hosts.

The CA lives in one folder (`--tls-dir`, default `~/.mockoci/tls`), made on first use and kept across runs,
so a client trusts it once:

    DIR/ca.pem        the CA certificate: the bundle a client trusts (REQUESTS_CA_BUNDLE, SSL_CERT_FILE, ...)
    DIR/ca-key.pem    the CA's private key and certificate (mode 0600): what signs; never hand it out
    DIR/server.pem    with `mockoci serve --tls`: the listener's key and certificate (0600), made at each start

Leaf certificates are made on demand: the listener's at start (for localhost, 127.0.0.1, ::1 and the
address it listens on), and one for each `iaas.<region>...` host the proxy answers as, kept in memory for the
life of the process. Every key is ECDSA P-256: quick to make, and accepted by OpenSSL, Go, Node and Java.
Built on `cryptography` (already a dependency). `trustme` would build the certificates in fewer lines, but
it is made for throwaway CAs inside one test process (certificates valid until the year 3000 by default),
and keeping the CA on disk and sharing it between processes, most of this module, would remain ours.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import ipaddress
import os
import ssl
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

# cryptography's x509 is imported by the functions that make certificates: a server without TLS or the proxy,
# or the CLI, never loads it (~10 ms of start-up)
if TYPE_CHECKING:
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import ec

CA_CERT = "ca.pem"
CA_KEY = "ca-key.pem"
CA_NAME = "mockoci local certificate authority"
CA_DAYS = 3650
LEAF_DAYS = 397  # the longest validity clients that check it (Apple's, Chrome's) accept


class TLSError(ValueError):
    """A CA folder or certificate that cannot be used; the message names the file."""


def default_tls_dir() -> Path:
    return Path.home() / ".mockoci" / "tls"


class CertificateAuthority:
    """The CA kept in `directory` (made there if absent), and the leaf certificates it has signed so far."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.cert_path = directory / CA_CERT
        self._key, self._cert = _load_or_create(directory)
        self._contexts: dict[str, ssl.SSLContext] = {}
        self._lock = threading.Lock()

    def issue(self, names: list[str]) -> bytes:
        """A new leaf certificate for `names` (host names or IP addresses): its private key and certificate, PEM."""
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

        key = ec.generate_private_key(ec.SECP256R1())
        now = dt.datetime.now(dt.UTC)
        ca_key_id = self._cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
            .issuer_name(self._cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=LEAF_DAYS))
            .add_extension(x509.SubjectAlternativeName([_general_name(name) for name in names]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_key_usage(signs_certificates=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_key_id), critical=False)
            .sign(self._key, hashes.SHA256())
        )
        return _key_pem(key) + cert.public_bytes(serialization.Encoding.PEM)

    def server_context(self, host: str) -> ssl.SSLContext:
        """A TLS server context presenting a certificate for `host`, made on first use and then reused."""
        with self._lock:
            context = self._contexts.get(host)
            if context is None:
                context = self._contexts[host] = server_context(self.issue([host]))
            return context


def server_context(key_and_cert: bytes) -> ssl.SSLContext:
    """A TLS server context (HTTP/1.1 only) presenting this PEM private key and certificate."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.set_alpn_protocols(["http/1.1"])  # Go and Node would otherwise try HTTP/2, which mockoci does not speak
    with _secret_file(key_and_cert) as path:  # the ssl module loads certificates only from files
        context.load_cert_chain(path)
    return context


def check_key_pair(certfile: Path, keyfile: Path | None) -> None:
    """Raises TLSError, naming the files, unless they hold a certificate and its private key (PEM)."""
    try:
        ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER).load_cert_chain(certfile, keyfile)
    except (OSError, ssl.SSLError) as exc:
        raise TLSError(f"cannot use the certificate {certfile} with the key {keyfile}: {exc}") from exc


@contextlib.contextmanager
def _secret_file(data: bytes, directory: Path | None = None) -> Iterator[str]:
    descriptor, path = tempfile.mkstemp(prefix=".mockoci-", suffix=".pem", dir=directory)  # mode 0600
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
        yield path
    finally:
        with contextlib.suppress(FileNotFoundError):  # renamed into place: nothing left to remove
            os.unlink(path)


def _load_or_create(directory: Path) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    """The CA in `directory`; made there if it has none. Two processes starting at once end up with one CA:
    the key file appears atomically (a hard link, which fails if the file exists) and the loser reads it."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key_path = directory / CA_KEY
    try:
        directory.mkdir(parents=True, exist_ok=True)
        if not key_path.exists():
            # ca.pem is written after the key: with it there and the key still not, the key was removed
            if (directory / CA_CERT).exists() and not key_path.exists():
                raise TLSError(f"{directory / CA_CERT} exists but its key {key_path} does not: remove both or neither")
            key, cert = _new_ca()
            pem = _key_pem(key) + cert.public_bytes(serialization.Encoding.PEM)
            with _secret_file(pem, directory) as path, contextlib.suppress(FileExistsError):
                os.link(path, key_path)
        data = key_path.read_bytes()
        loaded = serialization.load_pem_private_key(data, password=None)
        cert = x509.load_pem_x509_certificate(data)
        if not isinstance(loaded, ec.EllipticCurvePrivateKey):
            raise TLSError(f"{key_path}: not the ECDSA key of a mockoci CA")
        key = loaded
        _write_if_changed(directory / CA_CERT, cert.public_bytes(serialization.Encoding.PEM))
    except OSError as exc:
        raise TLSError(f"cannot use the TLS folder {directory}: {exc}") from exc
    except ValueError as exc:
        if isinstance(exc, TLSError):
            raise
        raise TLSError(f"{key_path}: not a PEM private key and certificate: {exc}") from exc
    return key, cert


def _new_ca() -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "mockoci"),
            # a unique name per CA, so two machines' CAs never look like the same issuer
            x509.NameAttribute(NameOID.COMMON_NAME, f"{CA_NAME} {x509.random_serial_number():x}"[:64]),
        ]
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=CA_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(signs_certificates=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def _key_usage(*, signs_certificates: bool) -> x509.KeyUsage:
    from cryptography import x509

    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=signs_certificates,
        crl_sign=signs_certificates,
        encipher_only=False,
        decipher_only=False,
    )


def _general_name(name: str) -> x509.GeneralName:
    from cryptography import x509

    try:
        return x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        return x509.DNSName(name)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def write_secret(path: Path, data: bytes) -> None:
    """Replaces `path` with `data` atomically, readable by its owner only."""
    with _secret_file(data, path.parent) as temporary:
        os.replace(temporary, path)


def _write_if_changed(path: Path, data: bytes) -> None:
    """Writes the public CA certificate, atomically, unless it is already there as it is."""
    if path.exists() and path.read_bytes() == data:
        return
    with _secret_file(data, path.parent) as temporary:
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
