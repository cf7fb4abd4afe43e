"""Unit tests for mockoci.signing: Authorization parsing, signing strings, fingerprints, checks. No HTTP."""

from __future__ import annotations

import base64
import email.utils
import hashlib
import time
from typing import Any

import oci
import pytest
import requests
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from hypothesis import given, settings
from hypothesis import strategies as st
from signing_helpers import http_date
from starlette.datastructures import Headers

from mockoci.signing import (
    _PARAM_OR_NOT,
    SignatureError,
    _imf_fixdate,
    _plain_params,
    check_body,
    check_date,
    check_signed_list,
    fingerprint,
    parse_authorization,
    signing_string,
    verify_request,
    verify_signature,
)

KEY_ID = "ocid1.tenancy.oc1..aaaa/ocid1.user.oc1..bbbb/12:b4:ee:bb:ee:9f:dc:2a:bc:32:7d:43:a7:9a:e1:d1"
# Made with `openssl genrsa 2048 | openssl rsa -pubout`; its fingerprint from
# `openssl rsa -pubout -outform DER -in key.pem | openssl md5 -c`.
OPENSSL_PUBLIC_KEY = b"""-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA6LumoT+GwQsfPUiH7LSY
XcWTmjD5NX7fDq8KmSHiQZ/vUQIa9WgWmIiqUii8mkszdXECBjT0ZzWBEd5ROLdQ
VhHY/73DsF/bPQHRGeEqT5r9PEIKXrXDgjzlhDqpNZdLIgQNfm316uHc9cnFa4vR
RJyK6AFRopvhLGso5IRB13/0eLrTDNAa44PYPF7L//15J2wbva4D8E7KsBjQcz2v
Vj3UeGqLSFxsaRwHusChHFtOR2KyX0goCJT5emEYIh7IC0uO9RrivPawovZjGst3
C63WVQL3chgGccBUqDk09Ji14Ie7etYjudvxPRLJOvA7bi2f5dKy9kOPXjrcZc2I
3QIDAQAB
-----END PUBLIC KEY-----
"""
OPENSSL_FINGERPRINT = "12:b4:ee:bb:ee:9f:dc:2a:bc:32:7d:43:a7:9a:e1:d1"


def headers(**values: str) -> Headers:
    """ASGI-style headers (the server lower-cases the names)."""
    return Headers(raw=[(name.replace("_", "-").encode(), value.encode()) for name, value in values.items()])


# -- fingerprint ------------------------------------------------------------------------------------------


def test_fingerprint_matches_openssl() -> None:
    key = serialization.load_pem_public_key(OPENSSL_PUBLIC_KEY)
    assert isinstance(key, rsa.RSAPublicKey)
    assert fingerprint(key) == OPENSSL_FINGERPRINT


def test_fingerprint_is_the_md5_of_the_der_public_key(rsa_key: rsa.RSAPrivateKey) -> None:
    der = rsa_key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    expected = ":".join(f"{b:02x}" for b in hashlib.md5(der).digest())
    assert fingerprint(rsa_key.public_key()) == expected


# -- parsing the Authorization header ---------------------------------------------------------------------

PYTHON_AUTHORIZATION = (
    f'Signature algorithm="rsa-sha256",headers="date (request-target) host",keyId="{KEY_ID}",'
    'signature="c2ln",version="1"'
)
NODE_AUTHORIZATION = (
    f'Signature version="1",keyId="{KEY_ID}",algorithm="rsa-sha256",'
    'headers="x-date (request-target) host Content-Type Content-Length x-content-sha256",'
    'signature="c2ln"'
)


def test_python_style_parameters() -> None:
    params = parse_authorization(PYTHON_AUTHORIZATION)
    assert params.headers == ("date", "(request-target)", "host")
    assert (params.tenancy, params.user, params.fingerprint) == (
        "ocid1.tenancy.oc1..aaaa",
        "ocid1.user.oc1..bbbb",
        OPENSSL_FINGERPRINT,
    )
    assert params.signature == "c2ln"


def test_node_style_parameters_are_lower_cased() -> None:
    params = parse_authorization(NODE_AUTHORIZATION)
    assert params.headers == (
        "x-date",
        "(request-target)",
        "host",
        "content-type",
        "content-length",
        "x-content-sha256",
    )
    assert params.key_id == KEY_ID


def test_parameter_names_in_any_case_and_spacing() -> None:
    params = parse_authorization(
        f'signature KeyId="{KEY_ID}", Algorithm="rsa-sha256" ,HEADERS="date",Signature="c2ln"'
    )
    assert (params.key_id, params.headers, params.signature, params.version) == (
        KEY_ID,
        ("date",),
        "c2ln",
        "1",
    )


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "Basic abc",
        "Signature",
        'Signature keyId="a/b/c",algorithm="rsa-sha256",headers="date"',
        f'Signature keyId="{KEY_ID}",algorithm=rsa-sha256,headers="date",signature="c2ln"',
        f'Signature keyId="{KEY_ID}",algorithm="hmac-sha256",headers="date",signature="c2ln"',
        'Signature keyId="not-three-parts",algorithm="rsa-sha256",headers="date",signature="c2ln"',
        f'Signature keyId="{KEY_ID}",algorithm="rsa-sha256",headers="date",signature="c2ln",version="2"',
    ],
    ids=[
        "none",
        "empty",
        "basic",
        "no-params",
        "no-signature",
        "unquoted",
        "hmac",
        "bad-key-id",
        "version-2",
    ],
)
def test_malformed_authorization(value: str | None) -> None:
    with pytest.raises(SignatureError):
        parse_authorization(value)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet='abcXYZé=", \n', max_size=40) | st.lists(
    st.tuples(st.sampled_from(["keyId", "headers", "é", "", "a b"]), st.text(alphabet='ab, "=', max_size=6)),
    max_size=4,
).map(lambda pairs: ",".join(f'{name}="{value}"' for name, value in pairs)))
def test_plain_parameters_read_as_the_expression_reads_them(text: str) -> None:
    """The fast reading of spaceless parameters (`_plain_params`) reads what the regular expression reads, or
    leaves the text to it."""
    plain = _plain_params(text)
    if plain is None:
        return
    found = _PARAM_OR_NOT.findall(text)
    assert not any(other for *_, other in found)
    assert plain == {name.lower(): value for name, value, _ in found}


@settings(max_examples=300, deadline=None)
@given(st.floats(min_value=0, max_value=253402300799) | st.text(alphabet="TueMonDc, 0123456789:GMT+-", max_size=32))
def test_the_fixed_http_date_reads_as_parsedate_reads_it(sent: float | str) -> None:
    """The fast reading of `Tue, 01 Dec 2026 19:45:27 GMT` (`_imf_fixdate`) gives what parsedate_to_datetime
    gives, a ValueError where it raises one, or leaves the text to it."""
    text = email.utils.formatdate(sent, usegmt=True) if isinstance(sent, float) else sent
    try:
        fast = _imf_fixdate(text)
    except ValueError:
        with pytest.raises(ValueError):
            email.utils.parsedate_to_datetime(text)
        return
    if isinstance(sent, float):
        assert fast is not None
    if fast is not None:
        assert fast == email.utils.parsedate_to_datetime(text)


# -- the signing string -----------------------------------------------------------------------------------


def test_python_style_signing_string() -> None:
    request_headers = headers(
        date="Fri, 27 Nov 2026 07:53:55 GMT", host="127.0.0.1:18080", authorization=PYTHON_AUTHORIZATION
    )
    text = signing_string(
        parse_authorization(PYTHON_AUTHORIZATION).headers,
        "GET",
        "/20160918/volumeBackups?compartmentId=ocid1.compartment.oc1..aaaa&limit=2&displayName=a+b%26c",
        request_headers,
    )
    assert text == (
        "date: Fri, 27 Nov 2026 07:53:55 GMT\n"
        "(request-target): get /20160918/volumeBackups?compartmentId=ocid1.compartment.oc1..aaaa&limit=2"
        "&displayName=a+b%26c\n"
        "host: 127.0.0.1:18080"
    )


def test_node_style_signing_string_reads_mixed_case_names() -> None:
    request_headers = headers(
        x_date="Fri, 27 Nov 2026 07:53:55 GMT",
        date="Fri, 27 Nov 2026 07:53:54 GMT",
        host="127.0.0.1:18080",
        content_type="application/json",
        content_length="2",
        x_content_sha256="RBNvo1WzZ4oRRq0W9+hknpT7T8If536DEMBg9hyq/4o=",
    )
    text = signing_string(
        parse_authorization(NODE_AUTHORIZATION).headers, "POST", "/20160918/volumeBackups", request_headers
    )
    assert text == (
        "x-date: Fri, 27 Nov 2026 07:53:55 GMT\n"
        "(request-target): post /20160918/volumeBackups\n"
        "host: 127.0.0.1:18080\n"
        "content-type: application/json\n"
        "content-length: 2\n"
        "x-content-sha256: RBNvo1WzZ4oRRq0W9+hknpT7T8If536DEMBg9hyq/4o="
    )


def test_a_header_sent_twice_is_joined() -> None:
    request_headers = Headers(raw=[(b"x-thing", b"a"), (b"x-thing", b"b")])
    assert signing_string(("x-thing",), "GET", "/", request_headers) == "x-thing: a, b"


def test_a_signed_header_that_is_not_sent() -> None:
    with pytest.raises(SignatureError, match="'x-date' is not in the request"):
        signing_string(("x-date", "(request-target)"), "GET", "/", headers(date="now"))


def test_the_sdk_signature_verifies(rsa_key: rsa.RSAPrivateKey, oci_config: dict[str, Any]) -> None:
    """What the real oci SDK signer produces, verified by the pure functions alone."""
    signer = oci.signer.Signer(
        oci_config["tenancy"],
        oci_config["user"],
        oci_config["fingerprint"],
        None,
        private_key_content=oci_config["key_content"],
    )
    body = b'{"displayName": "a"}'
    prepared = requests.Request(
        "PUT",
        "http://127.0.0.1:9/20160918/volumeBackups/x?a=b+c",
        data=body,
        headers={"content-type": "application/json"},
    ).prepare()
    signer(prepared)
    assert prepared.headers["host"] == "127.0.0.1:9"  # the signer sets it
    sent = Headers(raw=[(name.lower().encode(), value.encode()) for name, value in prepared.headers.items()])
    params = verify_request(
        method="PUT",
        target="/20160918/volumeBackups/x?a=b+c",
        headers=sent,
        body=body,
        resolve=lambda p: rsa_key.public_key(),
        now=time.time(),
    )
    assert params.tenancy == oci_config["tenancy"]


def test_verify_signature(rsa_key: rsa.RSAPrivateKey) -> None:
    signature = base64.b64encode(rsa_key.sign(b"text", padding.PKCS1v15(), hashes.SHA256())).decode()
    verify_signature(rsa_key.public_key(), "text", signature)
    with pytest.raises(SignatureError, match="does not match"):
        verify_signature(rsa_key.public_key(), "texT", signature)
    with pytest.raises(SignatureError, match="not base64"):
        verify_signature(rsa_key.public_key(), "text", "!!")


# -- the other checks -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "signed", "missing"),
    [
        ("GET", ("date", "(request-target)", "host"), None),
        ("DELETE", ("x-date", "(request-target)", "host"), None),
        ("GET", ("(request-target)", "host"), "date or x-date"),
        ("GET", ("date", "host"), "(request-target)"),
        ("POST", ("date", "(request-target)", "host", "content-type", "content-length"), "x-content-sha256"),
        ("PUT", ("date", "(request-target)", "host", "x-content-sha256", "content-length"), "content-type"),
    ],
)
def test_required_signed_headers(method: str, signed: tuple[str, ...], missing: str | None) -> None:
    if missing is None:
        check_signed_list(method, signed)
    else:
        with pytest.raises(SignatureError, match=missing.replace("(", r"\(").replace(")", r"\)")):
            check_signed_list(method, signed)


def test_date_within_five_minutes() -> None:
    now = time.time()
    signed_date = ("date", "(request-target)", "host")
    signed_x_date = ("x-date", "(request-target)", "host")
    check_date(headers(date=http_date(-290)), now, signed_date)
    with pytest.raises(SignatureError, match="behind"):
        check_date(headers(date=http_date(-310)), now, signed_date)
    with pytest.raises(SignatureError, match="x-date"):
        check_date(headers(date=http_date(), x_date=http_date(400)), now, signed_x_date)
    check_date(headers(date=http_date(-4000), x_date=http_date()), now, signed_x_date)
    check_date(headers(date=email.utils.formatdate(now)), now, signed_date)  # "... -0000": UTC


def test_the_skew_check_reads_the_signed_date_only() -> None:
    """Issue 9: an unsigned x-date must not rescue a stale signed date, nor spoil a fresh one (the header names'
    case: test_auth_verify.py, over HTTP)."""
    now = time.time()
    signed_date = ("date", "(request-target)", "host")
    with pytest.raises(SignatureError, match=r"the date header is 259200[01] s behind"):
        check_date(headers(date=http_date(-30 * 24 * 3600), x_date=http_date()), now, signed_date)
    check_date(headers(date=http_date(), x_date=http_date(-4000)), now, signed_date)
    with pytest.raises(SignatureError, match="neither"):
        check_date(headers(date=http_date()), now, ("(request-target)", "host"))


def test_body_hash_and_length() -> None:
    body = b'{"a": 1}'
    digest = base64.b64encode(hashlib.sha256(body).digest()).decode()
    check_body(headers(x_content_sha256=digest, content_length="8"), body)
    with pytest.raises(SignatureError, match="x-content-sha256"):
        check_body(headers(x_content_sha256=digest), body + b" ")
    with pytest.raises(SignatureError, match="content-length"):
        check_body(headers(content_length="9"), body)
