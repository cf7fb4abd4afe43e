"""Unit tests for mockoci.keys: registration, bindings, key files and folders. No HTTP."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from signing_helpers import fingerprint_of, public_pem

from mockoci import cli
from mockoci.keys import InvalidKey, KeyRegistry, load_public_key, registry_from
from mockoci.signing import SignatureError, SignatureParams

TENANCY, USER = "ocid1.tenancy.oc1..aaaa", "ocid1.user.oc1..bbbb"


def params_for(key: rsa.RSAPrivateKey, tenancy: str = TENANCY, user: str = USER) -> SignatureParams:
    return SignatureParams(f"{tenancy}/{user}/{fingerprint_of(key)}", "rsa-sha256", ("date",), "c2ln")


def test_an_unbound_key_signs_for_anyone(rsa_key: rsa.RSAPrivateKey) -> None:
    registry = KeyRegistry()
    assert registry.register_pem(public_pem(rsa_key)) == fingerprint_of(rsa_key)
    assert registry.resolve(params_for(rsa_key, "ocid1.tenancy.oc1..x", "ocid1.user.oc1..y")) is not None


def test_an_unknown_fingerprint(rsa_key: rsa.RSAPrivateKey) -> None:
    with pytest.raises(SignatureError, match="no key with fingerprint"):
        KeyRegistry().resolve(params_for(rsa_key))


def test_bindings_add_up(rsa_key: rsa.RSAPrivateKey) -> None:
    registry = KeyRegistry()
    registry.register(rsa_key.public_key(), tenancy=TENANCY, user=USER)
    registry.register(rsa_key.public_key(), tenancy="ocid1.tenancy.oc1..other")
    registry.resolve(params_for(rsa_key))
    registry.resolve(params_for(rsa_key, "ocid1.tenancy.oc1..other", "ocid1.user.oc1..anyone"))
    with pytest.raises(SignatureError, match="registered for"):
        registry.resolve(params_for(rsa_key, TENANCY, "ocid1.user.oc1..intruder"))
    with pytest.raises(SignatureError, match="registered for"):
        registry.resolve(params_for(rsa_key, "ocid1.tenancy.oc1..third", USER))
    assert len(registry) == 1


def test_load_public_key_refuses_what_is_not_an_rsa_public_key(rsa_key: rsa.RSAPrivateKey) -> None:
    private = rsa_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    ec_public = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    for pem, reason in [(private, "private key"), (ec_public, "RSA"), (b"junk", "not a PEM")]:
        with pytest.raises(InvalidKey, match=reason):
            load_public_key(pem)
    pkcs1 = rsa_key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.PKCS1)
    assert load_public_key(pkcs1).public_numbers() == rsa_key.public_key().public_numbers()


def test_a_keys_dir_loads_every_public_pem(
    rsa_key: rsa.RSAPrivateKey, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    (tmp_path / "oci_api_key_public.pem").write_bytes(public_pem(rsa_key))
    (tmp_path / "second.pem").write_bytes(public_pem(other))
    (tmp_path / "oci_api_key.pem").write_bytes(
        rsa_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    (tmp_path / "notes.txt").write_text("not a key")
    registry = registry_from([], tmp_path)
    assert sorted(key.fingerprint for key in registry.registered()) == sorted(
        [fingerprint_of(rsa_key), fingerprint_of(other)]
    )
    assert "oci_api_key.pem" in caplog.text


def test_a_bad_public_key_file_stops_the_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "bad.pem").write_text("junk")
    assert cli.main(["serve", "--auth", "verify", "--public-key", str(tmp_path / "bad.pem")]) == 2
    assert "bad.pem" in capsys.readouterr().err
    assert cli.main(["serve", "--auth", "verify", "--keys-dir", str(tmp_path / "missing")]) == 2


def test_settings_read_key_paths_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from mockoci.settings import Settings

    monkeypatch.setenv("MOCKOCI_PUBLIC_KEY", "/a.pem:/b.pem")
    monkeypatch.setenv("MOCKOCI_KEYS_DIR", "/keys")
    settings = Settings()
    assert (settings.public_key, settings.keys_dir) == ([Path("/a.pem"), Path("/b.pem")], Path("/keys"))
