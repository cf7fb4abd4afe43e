"""Integration: in the default `presence` mode, OCI requests must carry what a signed OCI request carries."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import COMPARTMENT, TENANCY, assert_oci_error

from mockoci.server import MockOCIServer

BACKUPS = "/20160918/volumeBackups"
DATE = "Fri, 27 Nov 2026 07:53:55 GMT"
AUTH = ('Signature version="1",keyId="ocid1.tenancy.oc1..t/ocid1.user.oc1..u/aa:bb",algorithm="rsa-sha256",'
        'headers="date (request-target) host",signature="c2ln"')
BODY_HEADERS = {"x-content-sha256": "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", "content-type": "application/json"}


@pytest.mark.parametrize(
    ("method", "headers", "reason"),
    [
        ("GET", {"date": DATE}, "Authorization header is missing"),
        ("GET", {"date": DATE, "authorization": "Basic dXNlcjpwYXNz"}, "scheme"),
        ("GET", {"date": DATE, "authorization": AUTH.replace('keyId="ocid1.tenancy.oc1..t/', 'keyId="')}, "keyId"),
        ("GET", {"date": DATE, "authorization": AUTH.replace(',signature="c2ln"', "")}, "signature"),
        ("GET", {"date": DATE, "authorization": AUTH.replace('headers="date (request-target) host",', "")}, "headers"),
        ("GET", {"date": DATE, "authorization": AUTH.replace("rsa-sha256", "hmac-sha1")}, "algorithm"),
        ("GET", {"date": DATE, "authorization": "Signature garbage"}, "key=\"value\""),
        ("GET", {"authorization": AUTH}, "date"),
        ("POST", {"date": DATE, "authorization": AUTH, "content-type": "application/json"}, "x-content-sha256"),
        ("PUT", {"x-date": DATE, "authorization": AUTH, "x-content-sha256": "x"}, "content-type"),
    ],
)
def test_missing_or_malformed_signature_headers_are_401(
    raw: Any, server: MockOCIServer, method: str, headers: dict[str, str], reason: str
) -> None:
    path = BACKUPS if method == "POST" else f"{BACKUPS}/x" if method == "PUT" else BACKUPS
    body = b'{"volumeId": "v"}' if method in ("POST", "PUT") else None
    response = raw(method, path + ("" if method != "GET" else f"?compartmentId={COMPARTMENT}"), body=body,
                   signed=False, headers={"content-type": "", **headers})
    error = assert_oci_error(response, 401, "NotAuthenticated")
    assert reason in error["message"]
    assert server.store.list_volume_backups(
        tenancy=TENANCY, query=__import__("mockoci.store").store.ListQuery(compartment_id=COMPARTMENT), limit=10
    ).items == []


def test_header_names_and_param_order_do_not_matter(raw: Any) -> None:
    reordered = ('Signature signature="c2ln",headers="x-date (request-target) host",'
                 'algorithm="rsa-sha256",keyId="ocid1.tenancy.oc1..t/ocid1.user.oc1..u/aa:bb",version="1"')
    response = raw("GET", f"{BACKUPS}?compartmentId=c", signed=False,
                   headers={"X-Date": DATE, "Authorization": reordered})
    assert response.status_code == 200


def test_admin_routes_are_never_signed(raw: Any) -> None:
    assert raw("GET", "/_mockoci/health", signed=False).status_code == 200


def test_auth_off_accepts_unsigned_requests(start_server: Any, raw: Any) -> None:
    import requests

    server = start_server(auth="off", lifecycle_delay=0)
    created = requests.post(server.url + BACKUPS, json={"volumeId": "v"}, timeout=5)
    assert created.status_code == 200
    assert requests.get(server.url + f"{BACKUPS}/{created.json()['id']}", timeout=5).status_code == 200


def test_each_tenancy_sees_only_its_own_backups(raw: Any, create_backup: Any) -> None:
    mine = create_backup()
    other = AUTH.replace("ocid1.tenancy.oc1..t/", "ocid1.tenancy.oc1..other/")
    response = raw("GET", f"{BACKUPS}/{mine.id}", signed=False, headers={"date": DATE, "authorization": other})
    assert_oci_error(response, 404, "NotAuthorizedOrNotFound")
