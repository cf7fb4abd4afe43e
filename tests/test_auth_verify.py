"""Integration tests for `--auth verify`: a request with any one part of its signature wrong is refused
with 401 NotAuthenticated before the store is touched; correctly signed requests are accepted.

Requests are signed by hand (tests/signing_helpers.py) and sent to a real server on a real port, except
the content-length case, which plain HTTP/1.1 cannot carry (the server reads exactly content-length bytes)
and which is therefore sent to the ASGI app directly.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import os
from collections.abc import Callable
from typing import Any

import oci
import pytest
import requests
from conftest import TENANCY, USER, assert_oci_error, make_client
from cryptography.hazmat.primitives.asymmetric import rsa
from signing_helpers import SignedRequest, content_sha256, fingerprint_of, http_date, public_pem

from mockoci import errors
from mockoci.middleware import AUTH_FAILURE_KEY
from mockoci.models import CreateVolumeBackupDetails
from mockoci.server import MockOCIServer
from mockoci.store import StoredBackup

GENERIC_MESSAGE = "The required information to complete authentication was not provided or was incorrect."
OTHER_TENANCY = "ocid1.tenancy.oc1..aaaaaaaaothertenancy"
OTHER_USER = "ocid1.user.oc1..aaaaaaaaotheruser"


@pytest.fixture(scope="module")
def stranger_key() -> rsa.RSAPrivateKey:
    """A key no server knows."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def bound_key(verify_instance: MockOCIServer) -> rsa.RSAPrivateKey:
    """A key registered at runtime for TENANCY and USER only."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    response = requests.post(
        verify_instance.url + "/_mockoci/keys",
        data=public_pem(key),
        params={"tenancy": TENANCY, "user": USER},
        timeout=10,
    )
    assert response.status_code == 201, response.text
    return key


@pytest.fixture
def backup(verify_server: MockOCIServer) -> StoredBackup:
    details = CreateVolumeBackupDetails.model_validate({"volumeId": "ocid1.volume.oc1.iad.authvolume"})
    created = verify_server.store.create_volume_backup(tenancy=TENANCY, details=details)
    return verify_server.store.get_volume_backup(tenancy=TENANCY, backup_id=created.backup.id)


@pytest.fixture
def store_calls(
    verify_server: MockOCIServer, backup: StoredBackup, monkeypatch: pytest.MonkeyPatch
) -> list[str]:
    """Every tenancy the store is asked about from now on (each operation starts with `_advance`)."""
    calls: list[str] = []
    original = verify_server.store._advance

    def counting(tenancy: str) -> Any:
        calls.append(tenancy)
        return original(tenancy)

    monkeypatch.setattr(verify_server.store, "_advance", counting)
    return calls


@pytest.fixture
def update(
    verify_server: MockOCIServer, rsa_key: rsa.RSAPrivateKey, backup: StoredBackup
) -> Callable[..., SignedRequest]:
    """A correctly built (not yet signed) UpdateVolumeBackup request that renames `backup`."""

    def make(
        *,
        style: str = "python",
        key: rsa.RSAPrivateKey | None = None,
        key_id: str | None = None,
        body: bytes = b'{"displayName": "changed"}',
    ) -> SignedRequest:
        key = key or rsa_key
        return SignedRequest.build(
            "PUT",
            f"/20160918/volumeBackups/{backup.backup.id}",
            url=verify_server.url,
            key=key,
            key_id=key_id or f"{TENANCY}/{USER}/{fingerprint_of(key)}",
            body=body,
            style=style,
        )

    return make


def assert_refused(
    response: requests.Response, server: MockOCIServer, backup: StoredBackup, store_calls: list[str]
) -> None:
    body = assert_oci_error(response, 401, "NotAuthenticated")
    assert body["message"] == GENERIC_MESSAGE
    assert store_calls == [], "the store was consulted before the signature was checked"
    after = server.store.get_volume_backup(tenancy=TENANCY, backup_id=backup.backup.id)
    assert (after.etag, after.backup.display_name) == (backup.etag, backup.backup.display_name)


def _drop(request: SignedRequest, name: str) -> SignedRequest:
    request.headers.pop(name)
    return request


def _unsigned(name: str) -> Callable[[SignedRequest], SignedRequest]:
    def change(request: SignedRequest) -> SignedRequest:
        request.signed.remove(name)
        return request.sign()

    return change


def _other_bytes(request: SignedRequest) -> SignedRequest:
    request.sign()
    request.body = request.body.replace(b"changed", b"chang3d")  # same length: only the hash can tell
    return request


def _signed_but_not_sent(request: SignedRequest) -> SignedRequest:
    request.headers["x-date"] = http_date()
    request.signed.append("x-date")
    request.sign()
    return _drop(request, "x-date")


def _dated(offset: float) -> Callable[[SignedRequest], SignedRequest]:
    def change(request: SignedRequest) -> SignedRequest:
        request.headers["date"] = http_date(offset)
        return request.sign()

    return change


def _skewed_x_date_beside_a_good_date(request: SignedRequest) -> SignedRequest:
    request.style = "node"
    request.signed[request.signed.index("date")] = "x-date"
    request.headers["x-date"] = http_date(-400)
    return request.sign()  # `date` (current) is sent unsigned, as Node does


def _replayed(x_date_name: str) -> Callable[[SignedRequest], SignedRequest]:
    """Issue 9: a request signed over a month-old `date`, replayed with a fresh x-date the signature does not
    cover (in any case): the skew check must read the signed date."""

    def change(request: SignedRequest) -> SignedRequest:
        request.headers["date"] = http_date(-30 * 24 * 3600)
        request.sign()
        request.headers[x_date_name] = http_date()
        return request

    return change


def _hash_of_other_bytes(request: SignedRequest) -> SignedRequest:
    request.headers["x-content-sha256"] = content_sha256(b"{}")
    return request.sign()


def _path_changed_after_signing(request: SignedRequest) -> SignedRequest:
    request.sign()
    request.target += "?extra=1"
    return request


def _signature(forged: str) -> Callable[[SignedRequest], SignedRequest]:
    def change(request: SignedRequest) -> SignedRequest:
        value = request.sign().headers["authorization"]
        start = value.index('signature="') + len('signature="')
        request.headers["authorization"] = value[:start] + forged + value[value.index('"', start) :]
        return request

    return change


def _set_date(request: SignedRequest, value: str) -> SignedRequest:
    request.headers["date"] = value
    return request.sign()


def _authorization(value: str) -> Callable[[SignedRequest], SignedRequest]:
    def change(request: SignedRequest) -> SignedRequest:
        request.sign().headers["authorization"] = value
        return request

    return change


# (what is wrong, how to make the request so, what the server log says)
REJECTIONS: list[tuple[str, Callable[[SignedRequest], SignedRequest], str]] = [
    ("no-authorization", lambda r: _drop(r.sign(), "authorization"), "Authorization header is missing"),
    ("not-a-signature", _authorization("Bearer abc"), "scheme is 'Bearer'"),
    (
        "malformed-parameters",
        _authorization("Signature keyId=unquoted,algorithm=rsa-sha256"),
        "not a list of key",
    ),
    (
        "no-signature-parameter",
        _authorization(f'Signature keyId="{TENANCY}/{USER}/aa",headers="date",algorithm="rsa-sha256"'),
        "has no signature",
    ),
    (
        "unsupported-algorithm",
        lambda r: _authorization(r.sign().headers["authorization"].replace("rsa-sha256", "hmac-sha256"))(r),
        "not rsa-sha256",
    ),
    (
        "security-token-key-id",
        lambda r: _authorization(
            r.sign()
            .headers["authorization"]
            .replace(r.key_id, "ST$eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln")
        )(r),
        "not of the form tenancy/user/fingerprint",
    ),
    (
        "tampered-signature",
        _signature(base64.b64encode(os.urandom(256)).decode()),
        "signature does not match",
    ),
    ("signature-not-base64", _signature("%%%"), "not base64"),
    ("path-changed-after-signing", _path_changed_after_signing, "signature does not match"),
    ("request-target-not-signed", _unsigned("(request-target)"), "does not cover (request-target)"),
    ("host-not-signed", _unsigned("host"), "does not cover host"),
    ("date-not-signed", _unsigned("date"), "does not cover date or x-date"),
    ("x-content-sha256-not-signed", _unsigned("x-content-sha256"), "does not cover x-content-sha256"),
    ("content-type-not-signed", _unsigned("content-type"), "does not cover content-type"),
    ("content-length-not-signed", _unsigned("content-length"), "does not cover content-length"),
    ("signed-header-not-sent", _signed_but_not_sent, "signed header 'x-date' is not in the request"),
    ("date-6-minutes-behind", _dated(-360), "behind the server clock"),
    ("date-6-minutes-ahead", _dated(360), "ahead of the server clock"),
    ("date-not-a-date", lambda r: _set_date(r, "yesterday"), "not an HTTP date"),
    ("x-date-wins-and-is-skewed", _skewed_x_date_beside_a_good_date, "the x-date header is 40"),
    ("replayed-with-unsigned-x-date", _replayed("x-date"), "the date header is 25920"),
    ("replayed-with-unsigned-X-Date", _replayed("X-Date"), "the date header is 25920"),
    ("replayed-with-unsigned-X-DATE", _replayed("X-DATE"), "the date header is 25920"),
    ("x-content-sha256-of-other-bytes", _hash_of_other_bytes, "x-content-sha256 is"),
    ("body-changed-after-signing", _other_bytes, "x-content-sha256 is"),
]


@pytest.mark.parametrize(
    ("change", "reason"), [case[1:] for case in REJECTIONS], ids=[c[0] for c in REJECTIONS]
)
def test_one_thing_wrong_is_refused(
    change: Callable[[SignedRequest], SignedRequest],
    reason: str,
    update: Callable[..., SignedRequest],
    verify_server: MockOCIServer,
    backup: StoredBackup,
    store_calls: list[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    request = change(update())
    with caplog.at_level(logging.WARNING, logger="mockoci"):
        response = request.send(verify_server.url)
    assert_refused(response, verify_server, backup, store_calls)
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert reason in logged
    assert response.headers["opc-request-id"] in logged


def test_unknown_key_is_refused(
    update: Callable[..., SignedRequest],
    stranger_key: rsa.RSAPrivateKey,
    verify_server: MockOCIServer,
    backup: StoredBackup,
    store_calls: list[str],
) -> None:
    response = update(key=stranger_key).sign().send(verify_server.url)
    assert_refused(response, verify_server, backup, store_calls)


def test_a_signature_by_another_key_is_refused(
    update: Callable[..., SignedRequest],
    rsa_key: rsa.RSAPrivateKey,
    stranger_key: rsa.RSAPrivateKey,
    verify_server: MockOCIServer,
    backup: StoredBackup,
    store_calls: list[str],
) -> None:
    request = update(key=stranger_key, key_id=f"{TENANCY}/{USER}/{fingerprint_of(rsa_key)}")
    assert_refused(request.sign().send(verify_server.url), verify_server, backup, store_calls)


@pytest.mark.parametrize(
    ("tenancy", "user"), [(OTHER_TENANCY, USER), (TENANCY, OTHER_USER)], ids=["other-tenancy", "other-user"]
)
def test_a_bound_key_signs_only_for_its_tenancy_and_user(
    tenancy: str,
    user: str,
    update: Callable[..., SignedRequest],
    bound_key: rsa.RSAPrivateKey,
    verify_server: MockOCIServer,
    backup: StoredBackup,
    store_calls: list[str],
) -> None:
    request = update(key=bound_key, key_id=f"{tenancy}/{user}/{fingerprint_of(bound_key)}")
    assert_refused(request.sign().send(verify_server.url), verify_server, backup, store_calls)


def test_a_bound_key_works_for_its_tenancy_and_user(
    update: Callable[..., SignedRequest], bound_key: rsa.RSAPrivateKey, verify_server: MockOCIServer
) -> None:
    response = update(key=bound_key).sign().send(verify_server.url)
    assert response.status_code == 200, response.text
    assert response.json()["displayName"] == "changed"


@pytest.mark.parametrize("style", ["python", "node"])
def test_a_correctly_signed_request_is_accepted(
    style: str, update: Callable[..., SignedRequest], verify_server: MockOCIServer, backup: StoredBackup
) -> None:
    response = update(style=style).sign().send(verify_server.url)
    assert response.status_code == 200, response.text
    assert response.json()["displayName"] == "changed"
    stored = verify_server.store.get_volume_backup(tenancy=TENANCY, backup_id=backup.backup.id)
    assert stored.backup.display_name == "changed"
    assert response.headers["etag"] == stored.etag != backup.etag


def test_x_date_wins_over_a_skewed_date(
    update: Callable[..., SignedRequest], verify_server: MockOCIServer
) -> None:
    request = update(style="node")
    request.headers["date"] = http_date(-3600)  # unsigned and an hour old: ignored, x-date is current
    response = request.sign().send(verify_server.url)
    assert response.status_code == 200, response.text


def test_header_names_in_any_case_are_accepted(
    update: Callable[..., SignedRequest], verify_server: MockOCIServer
) -> None:
    request = update().sign()
    request.headers = {name.upper(): value for name, value in request.headers.items()}
    response = request.send(verify_server.url)
    assert response.status_code == 200, response.text


def test_authorization_parameters_in_any_order_are_accepted(
    update: Callable[..., SignedRequest], verify_server: MockOCIServer
) -> None:
    request = update().sign()
    params = request.headers["authorization"].removeprefix("Signature ").split('",')
    request.headers["authorization"] = (
        "Signature " + '",'.join(reversed([p.rstrip('"') for p in params])) + '"'
    )
    assert request.headers["authorization"].startswith('Signature version="1",signature=')
    response = request.send(verify_server.url)
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    "query",
    ["displayName=a+b%26c%2F%C3%A9", "displayName=a%20b%26c%2F%C3%A9"],
    ids=["python-encoding", "percent-encoding"],
)
def test_the_query_is_verified_as_sent(
    query: str, verify_server: MockOCIServer, rsa_key: rsa.RSAPrivateKey
) -> None:
    details = CreateVolumeBackupDetails.model_validate(
        {"volumeId": "ocid1.volume.oc1.iad.q", "displayName": "a b&c/é"}
    )
    created = verify_server.store.create_volume_backup(tenancy=TENANCY, details=details)
    target = f"/20160918/volumeBackups?compartmentId={TENANCY}&{query}"
    request = SignedRequest.build(
        "GET",
        target,
        url=verify_server.url,
        key=rsa_key,
        key_id=f"{TENANCY}/{USER}/{fingerprint_of(rsa_key)}",
    )
    response = request.sign().send(verify_server.url)
    assert response.status_code == 200, response.text
    assert [item["id"] for item in response.json()] == [created.backup.id]


def test_the_sdk_works_against_verify(verify_server: MockOCIServer, oci_config: dict[str, Any]) -> None:
    client = make_client(oci_config, verify_server.url)
    name = "sdk backup: a b&c/é"
    created = client.create_volume_backup(
        oci.core.models.CreateVolumeBackupDetails(volume_id="ocid1.volume.oc1.iad.sdk", display_name=name)
    ).data
    got = client.get_volume_backup(created.id)
    assert got.data.lifecycle_state == "AVAILABLE"
    listed = client.list_volume_backups(TENANCY, display_name=name).data
    assert [item.id for item in listed] == [created.id]
    updated = client.update_volume_backup(
        created.id,
        oci.core.models.UpdateVolumeBackupDetails(display_name="renamed"),
        if_match=got.headers["etag"],
    )
    assert updated.data.display_name == "renamed"
    assert client.delete_volume_backup(created.id, if_match=updated.headers["etag"]).status == 204
    stored = verify_server.store.get_volume_backup(tenancy=TENANCY, backup_id=created.id)
    assert stored.backup.lifecycle_state == "TERMINATED"
    assert stored.backup.display_name == "renamed"


def test_an_sdk_with_an_unknown_key_gets_the_generic_error(
    verify_server: MockOCIServer, oci_config: dict[str, Any], stranger_key: rsa.RSAPrivateKey
) -> None:
    from cryptography.hazmat.primitives import serialization

    pem = stranger_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()
    config = {**oci_config, "key_content": pem, "fingerprint": fingerprint_of(stranger_key)}
    with pytest.raises(oci.exceptions.ServiceError) as raised:
        make_client(config, verify_server.url).list_volume_backups(TENANCY)
    assert (raised.value.status, raised.value.code, raised.value.message) == (
        401,
        "NotAuthenticated",
        GENERIC_MESSAGE,
    )


def test_the_log_shows_the_signing_string_the_server_computed(
    update: Callable[..., SignedRequest], verify_server: MockOCIServer, caplog: pytest.LogCaptureFixture
) -> None:
    request = _path_changed_after_signing(update())
    with caplog.at_level(logging.WARNING, logger="mockoci"):
        request.send(verify_server.url)
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert f"(request-target): put {request.target}" in logged
    assert f"date: {request.headers['date']}" in logged
    assert f"x-content-sha256: {request.headers['x-content-sha256']}" in logged


# -- the ASGI app directly: what HTTP/1.1 cannot carry, and what the scope records --------------------------


def call_app(server: MockOCIServer, request: SignedRequest) -> tuple[int, dict[str, Any], dict[str, Any]]:
    """Run one request through the app in-process; returns the status, the OCI body and the final scope."""
    path, _, query = request.target.partition("?")
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": request.method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in request.headers.items()],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
    }
    messages: list[dict[str, Any]] = []
    pending = [{"type": "http.request", "body": request.body, "more_body": False}]

    async def receive() -> dict[str, Any]:
        if pending:
            return pending.pop()
        await asyncio.sleep(3600)
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)

    asyncio.run(server.app(scope, receive, send))
    status = messages[0]["status"]
    body = json.loads(b"".join(m.get("body", b"") for m in messages[1:]))
    return status, body, scope


def test_content_length_not_the_bytes_received_is_refused(
    update: Callable[..., SignedRequest],
    verify_server: MockOCIServer,
    backup: StoredBackup,
    store_calls: list[str],
) -> None:
    request = update()
    request.headers["content-length"] = str(len(request.body) + 5)
    status, body, scope = call_app(verify_server, request.sign())
    assert (status, body) == (401, {"code": "NotAuthenticated", "message": GENERIC_MESSAGE})
    assert "content-length is" in scope[AUTH_FAILURE_KEY]["reason"]
    assert store_calls == []


def test_the_failure_is_recorded_in_the_scope(
    update: Callable[..., SignedRequest], verify_server: MockOCIServer
) -> None:
    request = _dated(-600)(update())
    status, _, scope = call_app(verify_server, request)
    assert status == 401
    failure = scope[AUTH_FAILURE_KEY]
    assert "behind the server clock" in failure["reason"]
    assert failure["signing_string"] == request.signing_string()


def test_the_body_reaches_the_route_after_verification(
    update: Callable[..., SignedRequest], verify_server: MockOCIServer
) -> None:
    status, body, scope = call_app(verify_server, update().sign())
    assert status == 200 and body["displayName"] == "changed"
    assert AUTH_FAILURE_KEY not in scope


# -- the key registry API ---------------------------------------------------------------------------------


def test_registering_a_key_answers_its_fingerprint(verify_server: MockOCIServer) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    response = requests.post(
        verify_server.url + "/_mockoci/keys",
        data=public_pem(key),
        params={"tenancy": OTHER_TENANCY},
        timeout=10,
    )
    assert response.status_code == 201
    assert response.json() == {
        "fingerprint": fingerprint_of(key),
        "bindings": [{"tenancy": OTHER_TENANCY, "user": None}],
    }
    listed = requests.get(verify_server.url + "/_mockoci/keys", timeout=10).json()
    assert {
        "fingerprint": fingerprint_of(key),
        "bindings": [{"tenancy": OTHER_TENANCY, "user": None}],
    } in listed


def test_a_registered_key_is_accepted_at_once(
    verify_server: MockOCIServer, oci_config: dict[str, Any]
) -> None:
    from cryptography.hazmat.primitives import serialization

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()
    config = {**oci_config, "tenancy": OTHER_TENANCY, "key_content": pem, "fingerprint": fingerprint_of(key)}
    client = make_client(config, verify_server.url)
    with pytest.raises(oci.exceptions.ServiceError):
        client.list_volume_backups(OTHER_TENANCY)
    requests.post(verify_server.url + "/_mockoci/keys", data=public_pem(key), timeout=10).raise_for_status()
    assert client.list_volume_backups(OTHER_TENANCY).data == []


@pytest.mark.parametrize(
    "body",
    [b"", b"not a key", b"-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n"],
    ids=["empty", "garbage", "private-key"],
)
def test_registering_something_else_is_invalid(body: bytes, verify_server: MockOCIServer) -> None:
    response = requests.post(verify_server.url + "/_mockoci/keys", data=body, timeout=10)
    assert_oci_error(response, 400, "InvalidParameter")


def test_reset_keeps_the_keys(verify_server: MockOCIServer) -> None:
    before = requests.get(verify_server.url + "/_mockoci/keys", timeout=10).json()
    assert requests.post(verify_server.url + "/_mockoci/reset", timeout=10).status_code == 204
    assert requests.get(verify_server.url + "/_mockoci/keys", timeout=10).json() == before != []


def test_errors_module_message_is_the_generic_one() -> None:
    assert errors.NotAuthenticated().message == GENERIC_MESSAGE
