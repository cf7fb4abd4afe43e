"""The public keys a server in `verify` mode accepts, each optionally bound to tenancies and users."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .signing import SignatureError, SignatureParams, fingerprint

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric import rsa

logger = logging.getLogger("mockoci")


class InvalidKey(ValueError):
    """A file or request body that does not hold an RSA public key in PEM form."""


@dataclass(frozen=True, slots=True)
class Binding:
    """Whom a key signs for: a tenancy and a user OCID, `None` meaning any."""

    tenancy: str | None = None
    user: str | None = None

    def admits(self, tenancy: str, user: str) -> bool:
        return self.tenancy in (None, tenancy) and self.user in (None, user)

    def __str__(self) -> str:
        return f"tenancy {self.tenancy or '*'}, user {self.user or '*'}"


@dataclass(frozen=True, slots=True)
class RegisteredKey:
    fingerprint: str
    public_key: rsa.RSAPublicKey
    bindings: frozenset[Binding]


def load_public_key(pem: bytes) -> rsa.RSAPublicKey:
    """An RSA public key from PEM (`PUBLIC KEY` or `RSA PUBLIC KEY`)."""
    if b"PRIVATE KEY" in pem:
        raise InvalidKey("this is a private key; register its public key (openssl rsa -pubout)")
    from cryptography.hazmat.primitives import serialization  # ~15 ms of start-up: only when keys are loaded
    from cryptography.hazmat.primitives.asymmetric import rsa

    try:
        key = serialization.load_pem_public_key(pem)
    except (ValueError, TypeError) as exc:
        raise InvalidKey("not a PEM public key") from exc
    if not isinstance(key, rsa.RSAPublicKey):
        raise InvalidKey(f"a {type(key).__name__.removeprefix('_')} key; OCI API keys are RSA")
    return key


class KeyRegistry:
    """Registered public keys by fingerprint. A key may be registered several times with different bindings;
    it then signs for the union of them. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._keys: dict[str, RegisteredKey] = {}

    def register(
        self, public_key: rsa.RSAPublicKey, *, tenancy: str | None = None, user: str | None = None
    ) -> str:
        """Accept `public_key` for the given tenancy and user (any, when `None`); returns its fingerprint."""
        key_fingerprint = fingerprint(public_key)
        binding = Binding(tenancy or None, user or None)
        with self._lock:
            known = self._keys.get(key_fingerprint)
            bindings = (known.bindings if known else frozenset()) | {binding}
            self._keys[key_fingerprint] = RegisteredKey(key_fingerprint, public_key, bindings)
        return key_fingerprint

    def register_pem(self, pem: bytes, *, tenancy: str | None = None, user: str | None = None) -> str:
        return self.register(load_public_key(pem), tenancy=tenancy, user=user)

    def load_file(self, path: Path) -> str:
        """Register the public key in `path` for any tenancy and user (raises InvalidKey)."""
        try:
            pem = path.read_bytes()
        except OSError as exc:
            raise InvalidKey(f"{path}: {exc.strerror or exc}") from exc
        try:
            return self.register_pem(pem)
        except InvalidKey as exc:
            raise InvalidKey(f"{path}: {exc}") from exc

    def load_dir(self, folder: Path) -> list[str]:
        """Register every public key in the `*.pem` files of `folder`; other files are skipped and logged."""
        if not folder.is_dir():
            raise InvalidKey(f"{folder}: not a folder")
        loaded = []
        for path in sorted(folder.glob("*.pem")):
            try:
                loaded.append(self.load_file(path))
            except InvalidKey as exc:
                logger.warning("keys dir: skipped %s", exc)
        return loaded

    def resolve(self, params: SignatureParams) -> rsa.RSAPublicKey:
        """The key that signs for `params.key_id`, or SignatureError saying why there is none."""
        with self._lock:
            known = self._keys.get(params.fingerprint)
        if known is None:
            raise SignatureError(f"no key with fingerprint {params.fingerprint} is registered")
        if not any(binding.admits(params.tenancy, params.user) for binding in known.bindings):
            allowed = "; ".join(sorted(map(str, known.bindings)))
            raise SignatureError(
                f"the key {params.fingerprint} is registered for {allowed}, "
                f"not for tenancy {params.tenancy}, user {params.user}"
            )
        return known.public_key

    def registered(self) -> list[RegisteredKey]:
        with self._lock:
            return sorted(self._keys.values(), key=lambda key: key.fingerprint)

    def __len__(self) -> int:
        with self._lock:
            return len(self._keys)


def registry_from(public_keys: Iterable[Path], keys_dir: Path | None) -> KeyRegistry:
    """A registry holding the keys named by the settings (raises InvalidKey on an unreadable one)."""
    registry = KeyRegistry()
    for path in public_keys:
        registry.load_file(path)
    if keys_dir is not None:
        registry.load_dir(keys_dir)
    return registry
