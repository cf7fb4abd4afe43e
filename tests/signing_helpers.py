"""Requests signed by hand with `cryptography` (independently of mockoci.signing), so tests can get one
part of a signature wrong at a time and send exactly those bytes to a server."""

from __future__ import annotations

import base64
import email.utils
import hashlib
import time
from dataclasses import dataclass, field

import requests
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

PYTHON_SIGNED_BODY = [
    "date",
    "(request-target)",
    "host",
    "content-length",
    "content-type",
    "x-content-sha256",
]
PYTHON_SIGNED = ["date", "(request-target)", "host"]
NODE_SIGNED_BODY = [
    "x-date",
    "(request-target)",
    "host",
    "Content-Type",
    "Content-Length",
    "x-content-sha256",
]
NODE_SIGNED = ["x-date", "(request-target)", "host"]


def fingerprint_of(key: rsa.RSAPrivateKey) -> str:
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return ":".join(f"{b:02x}" for b in hashlib.md5(der).digest())


def public_pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def http_date(offset: float = 0.0) -> str:
    return email.utils.formatdate(time.time() + offset, usegmt=True)


def content_sha256(body: bytes) -> str:
    return base64.b64encode(hashlib.sha256(body).digest()).decode()


@dataclass
class SignedRequest:
    """One request: what is signed is computed from `headers` (lower-case names) when `sign()` is called;
    anything changed afterwards goes on the wire unsigned, as a tampered request would."""

    method: str
    target: str  # path and query exactly as on the request line
    host: str
    key: rsa.RSAPrivateKey
    key_id: str
    body: bytes = b""
    signed: list[str] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    style: str = "python"  # the order of the Authorization parameters: "python" or "node"

    @classmethod
    def build(
        cls,
        method: str,
        target: str,
        *,
        url: str,
        key: rsa.RSAPrivateKey,
        key_id: str,
        body: bytes = b"",
        style: str = "python",
    ) -> SignedRequest:
        host = url.removeprefix("http://").rstrip("/")
        with_body = method in ("POST", "PUT")
        date_name = "x-date" if style == "node" else "date"
        headers = {
            date_name: http_date(),
            "host": host,
            "content-type": "application/json",
            "accept": "application/json",
        }
        if with_body:
            headers |= {"content-length": str(len(body)), "x-content-sha256": content_sha256(body)}
        if style == "node":
            signed = list(NODE_SIGNED_BODY if with_body else NODE_SIGNED)
        else:
            signed = list(PYTHON_SIGNED_BODY if with_body else PYTHON_SIGNED)
        return cls(method, target, host, key, key_id, body, signed, headers, style)

    def signing_string(self) -> str:
        lines = []
        for name in self.signed:
            lower = name.lower()
            if lower == "(request-target)":
                lines.append(f"(request-target): {self.method.lower()} {self.target}")
            else:
                lines.append(f"{lower}: {self.headers[lower]}")
        return "\n".join(lines)

    def sign(self) -> SignedRequest:
        signature = base64.b64encode(
            self.key.sign(self.signing_string().encode(), padding.PKCS1v15(), hashes.SHA256())
        ).decode()
        names = " ".join(self.signed)
        if self.style == "node":
            value = (
                f'Signature version="1",keyId="{self.key_id}",algorithm="rsa-sha256",'
                f'headers="{names}",signature="{signature}"'
            )
        else:
            value = (
                f'Signature algorithm="rsa-sha256",headers="{names}",keyId="{self.key_id}",'
                f'signature="{signature}",version="1"'
            )
        self.headers["authorization"] = value
        return self

    def send(self, url: str) -> requests.Response:
        """Send exactly `headers` and `body` (no headers added by requests)."""
        prepared = requests.Request(self.method, url + self.target, data=self.body or None).prepare()
        prepared.url = url + self.target  # as written: never re-quoted
        prepared.headers = requests.structures.CaseInsensitiveDict(self.headers)
        prepared.body = self.body or None
        with requests.Session() as session:
            return session.send(prepared, timeout=10)

