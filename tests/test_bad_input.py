"""Integration: strange and hostile requests get a specific OCI error, change nothing, and stop nothing."""

from __future__ import annotations

import http.client
import json
import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from conftest import COMPARTMENT, assert_oci_error

from mockoci.server import MockOCIServer

BASE = "/20160918/volumeBackups"
Raw = Callable[..., Any]


@pytest.fixture
def backup(raw: Raw) -> dict[str, Any]:
    details = {"volumeId": "ocid1.volume.oc1.iad.bad", "displayName": "keep"}
    response = raw("POST", BASE, body=json.dumps(details))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.fixture
def unchanged(raw: Raw, backup: dict[str, Any]) -> Iterator[None]:
    """Asserts, after the test, that the backup and the list are exactly as before it."""

    def state() -> tuple[Any, ...]:
        got = raw("GET", f"{BASE}/{backup['id']}")
        listed = raw("GET", BASE, params={"compartmentId": COMPARTMENT})
        return got.status_code, got.headers["etag"], got.json(), listed.json()

    before = state()
    yield
    assert state() == before


def send_raw(server: MockOCIServer, request: bytes) -> bytes:
    """Sends bytes as they are (no client normalises them) and returns the whole answer."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


@pytest.fixture(scope="module")
def open_server(start_server: Callable[..., MockOCIServer]) -> MockOCIServer:
    """A server without signature checks, for requests no signing client can produce."""
    return start_server(auth="off", lifecycle_delay=0, max_body_bytes=4096, max_header_bytes=4096)


BODIES = [
    (b'{"displayName": "x"', 400, "CannotParseRequest"),  # truncated
    (b'{"displayName": x}', 400, "CannotParseRequest"),  # malformed
    (b'["displayName"]', 400, "CannotParseRequest"),  # array
    (b"42", 400, "CannotParseRequest"),  # scalar
    (b'"text"', 400, "CannotParseRequest"),
    (b"null", 400, "CannotParseRequest"),
    (b'{"displayName": "\xff\xfe"}', 400, "CannotParseRequest"),  # invalid UTF-8
    (b"[" * 600_000 + b"]" * 600_000, 413, "PayloadTooLarge"),  # over the 1 MiB default
    (b"[" * 5_000 + b"]" * 5_000, 400, "CannotParseRequest"),  # deep nesting
    (b'{"displayName": 7}', 400, "InvalidParameter"),  # wrong type
    (b'{"displayName": ""}', 400, "InvalidParameter"),
    (b'{"freeformTags": {"a": {"b": 1}}}', 400, "InvalidParameter"),
    (b'{"freeformTags": ["a"]}', 400, "InvalidParameter"),
    (b'{"isPreventDeletionEnabled": "yes"}', 400, "InvalidParameter"),
    (b'{"retentionPeriod": {"retentionTimeUnit": "WEEKS", "retentionTimeAmount": 1}}',
     400, "InvalidParameter"),
    (b'{"retentionPeriod": {"retentionTimeUnit": "YEARS", "retentionTimeAmount": 99999999999999999999}}',
     400, "InvalidParameter"),
    (b'{"retentionPeriod": {"retentionTimeUnit": "DAYS", "retentionTimeAmount": NaN}}',
     400, "InvalidParameter"),
]


@pytest.mark.usefixtures("unchanged")
@pytest.mark.parametrize(("body", "status", "code"), BODIES, ids=range(len(BODIES)))
def test_bad_update_bodies(raw: Raw, backup: dict[str, Any], body: bytes, status: int, code: str) -> None:
    assert_oci_error(raw("PUT", f"{BASE}/{backup['id']}", body=body), status, code)


@pytest.mark.usefixtures("unchanged")
@pytest.mark.parametrize(("body", "status", "code"), BODIES[:9], ids=range(9))
def test_bad_create_bodies(raw: Raw, body: bytes, status: int, code: str) -> None:
    assert_oci_error(raw("POST", BASE, body=body), status, code)


@pytest.mark.usefixtures("unchanged")
def test_create_with_wrong_types_names_the_field(raw: Raw) -> None:
    error = assert_oci_error(raw("POST", BASE, body=b'{"volumeId": 3}'), 400, "InvalidParameter")
    assert "volumeId" in error["message"]
    error = assert_oci_error(raw("POST", BASE, body=b'{"displayName": "x"}'), 400, "MissingParameter")
    assert "volumeId" in error["message"]


def test_unknown_fields_are_ignored(raw: Raw, backup: dict[str, Any]) -> None:
    """Decision (docs/reliability.md): as a forward-compatible service does, unknown fields are dropped."""
    body = b'{"displayName": "renamed", "noSuchField": {"a": 1}}'
    response = raw("PUT", f"{BASE}/{backup['id']}", body=body)
    assert response.status_code == 200, response.text
    assert response.json()["displayName"] == "renamed"
    assert "noSuchField" not in response.json()
    assert "noSuchField" not in raw("GET", f"{BASE}/{backup['id']}").json()


@pytest.mark.usefixtures("unchanged")
@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "text/json"])
def test_a_body_that_is_not_json_is_unsupported(raw: Raw, backup: dict[str, Any], content_type: str) -> None:
    response = raw("PUT", f"{BASE}/{backup['id']}", body=b'{"displayName": "x"}',
                   headers={"content-type": content_type})
    error = assert_oci_error(response, 415, "UnsupportedMediaType")
    assert content_type in error["message"]


def test_json_with_parameters_and_suffix_is_json(raw: Raw, backup: dict[str, Any]) -> None:
    for content_type, name in [("application/json; charset=utf-8", "a"), ("application/vnd.oci+json", "b")]:
        response = raw("PUT", f"{BASE}/{backup['id']}", body=json.dumps({"displayName": name}),
                       headers={"content-type": content_type})
        assert response.status_code == 200, response.text
        assert response.json()["displayName"] == name


@pytest.mark.usefixtures("unchanged")
def test_body_over_the_limit_is_refused_from_its_content_length(open_server: MockOCIServer) -> None:
    """Checked before the body is read: a client that announces 1 GB gets 413 without sending it."""
    head = (f"PUT {BASE}/x HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n"
            "Content-Length: 1000000000\r\n\r\n").encode()
    answer = send_raw(open_server, head + b"{")
    status_line, _, rest = answer.partition(b"\r\n")
    assert status_line == b"HTTP/1.1 413 Request Entity Too Large"
    assert b"opc-request-id: " in rest
    expected = b'{"code": "PayloadTooLarge", "message": "The request body is larger than 4096 bytes."}'
    assert rest.endswith(b"\r\n\r\n" + expected)


def test_streamed_body_over_the_limit_is_refused(open_server: MockOCIServer) -> None:
    """Without a content-length (chunked), the bytes are counted as they arrive."""
    chunk = b"a" * 3000
    request = (f"POST {BASE} HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n"
               "Transfer-Encoding: chunked\r\n\r\n").encode()
    request += b"%x\r\n%s\r\n" % (len(chunk), chunk) * 2 + b"0\r\n\r\n"
    answer = send_raw(open_server, request)
    assert answer.startswith(b"HTTP/1.1 413 ")
    assert b'"code": "PayloadTooLarge"' in answer
    listed = http_get(open_server, f"{BASE}?compartmentId={COMPARTMENT}")
    assert listed == (200, [])


def http_get(server: MockOCIServer, path: str, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


def test_headers_over_the_limit_get_431(open_server: MockOCIServer) -> None:
    status, body = http_get(open_server, f"{BASE}?compartmentId=c", {"x-padding": "a" * 5000})
    assert (status, body["code"]) == (431, "RequestHeaderFieldsTooLarge")
    assert http_get(open_server, f"{BASE}?compartmentId=c", {"x-padding": "a" * 2000})[0] == 200


def test_headers_far_over_the_limit_leave_the_server_serving(open_server: MockOCIServer) -> None:
    answer = send_raw(open_server, b"GET / HTTP/1.1\r\nHost: a\r\nX-Huge: " + b"a" * 2_000_000 + b"\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 4")  # 431 from mockoci (httptools) or 400 from h11: never served
    assert http_get(open_server, "/_mockoci/health") == (200, {"status": "ok"})


ODD_IDS = ["%2F", "a%2Fb", "%2f..%2f", "%C3%BC", "ocid1.volumebackup%00", "%20", "a" * 255]


@pytest.mark.usefixtures("unchanged")
@pytest.mark.parametrize("odd_id", ODD_IDS, ids=range(len(ODD_IDS)))
def test_odd_ids_are_not_found(raw: Raw, odd_id: str) -> None:
    for method, body in [("GET", None), ("PUT", b"{}"), ("DELETE", None)]:
        assert_oci_error(raw(method, f"{BASE}/{odd_id}", body=body), 404, "NotAuthorizedOrNotFound")
    assert_oci_error(raw("POST", f"{BASE}/{odd_id}/actions/copy", body=b'{"destinationRegion": "r"}'),
                     404, "NotAuthorizedOrNotFound")


@pytest.mark.usefixtures("unchanged")
def test_a_10_kb_id_is_an_invalid_path_parameter(raw: Raw) -> None:
    for method, body in [("GET", None), ("PUT", b"{}"), ("DELETE", None)]:
        assert_oci_error(raw(method, f"{BASE}/{'x' * 10_240}", body=body), 404, "InvalidParameter")


def test_dot_segments_are_no_operation(open_server: MockOCIServer) -> None:
    for path in [f"{BASE}/..", f"{BASE}/../..", f"{BASE}/%2E%2E"]:
        status, body = http_get(open_server, path)
        assert status == 404 and body["code"] in ("NotFound", "NotAuthorizedOrNotFound"), (path, body)


@pytest.mark.parametrize(("limit", "fragment"), [("0", "limit"), ("-1", "limit"), ("1001", "limit"),
                                                 ("abc", "limit"), ("", "limit"), ("1e3", "limit")])
def test_bad_limits(raw: Raw, limit: str, fragment: str) -> None:
    error = assert_oci_error(raw("GET", BASE, params={"compartmentId": COMPARTMENT, "limit": limit}),
                             400, "InvalidParameter")
    assert fragment in error["message"]


def test_limit_bounds_are_accepted(raw: Raw) -> None:
    for limit in ("1", "1000"):
        assert raw("GET", BASE, params={"compartmentId": COMPARTMENT, "limit": limit}).status_code == 200


def test_page_tokens_forged_truncated_or_reused_across_queries(raw: Raw) -> None:
    for name in ("a", "b", "c"):
        raw("POST", BASE, body=json.dumps({"volumeId": "ocid1.volume.oc1.iad.v", "displayName": name}))
    first = raw("GET", BASE, params={"compartmentId": COMPARTMENT, "limit": 1})
    token = first.headers["opc-next-page"]
    payload, _, mac = token.partition(".")
    for bad in [token[:-1], token[: len(token) // 2], payload, f"{payload}.{'0' * len(mac)}", "x" * 1024,
                f"A{token}", "%%%", "..."]:
        error = assert_oci_error(raw("GET", BASE, params={"compartmentId": COMPARTMENT, "page": bad}),
                                 400, "InvalidParameter")
        assert "page" in error["message"]
    other_query = {"compartmentId": COMPARTMENT, "page": token, "sortBy": "DISPLAYNAME"}
    error = assert_oci_error(raw("GET", BASE, params=other_query), 400, "InvalidParameter")
    assert "different query" in error["message"]
    other_compartment = {"compartmentId": "ocid1.compartment.oc1..other", "page": token}
    assert_oci_error(raw("GET", BASE, params=other_compartment), 400, "InvalidParameter")
    # the token still works for its own query, and a limit change is allowed between pages
    again = raw("GET", BASE, params={"compartmentId": COMPARTMENT, "page": token, "limit": 5})
    assert again.status_code == 200 and len(again.json()) == 2


@pytest.mark.parametrize("query", [
    "compartmentId=a&compartmentId=b",
    f"compartmentId={COMPARTMENT}&limit=1&limit=2",
    f"compartmentId={COMPARTMENT}&sortBy=DISPLAYNAME&sortBy=DISPLAYNAME",
])
def test_duplicate_query_parameters(raw: Raw, query: str) -> None:
    error = assert_oci_error(raw("GET", f"{BASE}?{query}"), 400, "InvalidParameter")
    assert "more than once" in error["message"]


@pytest.mark.usefixtures("unchanged")
@pytest.mark.parametrize("if_match", ['"', '""', ",,,", "W/", "W/\"\"", "not-an-etag", "e" * 4000, "**"])
def test_if_match_of_the_wrong_shape_never_matches(raw: Raw, backup: dict[str, Any], if_match: str) -> None:
    path = f"{BASE}/{backup['id']}"
    assert_oci_error(raw("PUT", path, body=b'{"displayName": "no"}', headers={"if-match": if_match}),
                     412, "NoEtagMatch")
    assert_oci_error(raw("DELETE", path, headers={"if-match": if_match}), 412, "NoEtagMatch")


@pytest.mark.usefixtures("unchanged")
@pytest.mark.parametrize(("method", "path", "status", "code"), [
    ("PATCH", f"{BASE}/x", 405, "MethodNotAllowed"),
    ("POST", f"{BASE}/x", 405, "MethodNotAllowed"),
    ("DELETE", BASE, 405, "MethodNotAllowed"),
    ("PATCH", BASE, 405, "MethodNotAllowed"),
    ("GET", "/20160918/instances", 404, "NotFound"),
    ("GET", "/20160918", 404, "NotFound"),
    ("GET", "/nothing/here", 404, "NotFound"),
    ("POST", f"{BASE}/x/actions/explode", 404, "NotFound"),
])
def test_unknown_methods_and_paths(raw: Raw, method: str, path: str, status: int, code: str) -> None:
    body = b"{}" if method in ("POST", "PUT", "PATCH") else None
    assert_oci_error(raw(method, path, body=body), status, code)


def test_a_method_the_http_parser_does_not_know_is_refused(open_server: MockOCIServer) -> None:
    answer = send_raw(open_server, f"FROB {BASE} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n".encode())
    assert answer.split(b"\r\n", 1)[0].split(b" ")[1] in (b"400", b"405", b"501")
    assert http_get(open_server, "/_mockoci/health") == (200, {"status": "ok"})


def test_garbage_and_half_requests_leave_the_server_serving(open_server: MockOCIServer) -> None:
    long_line = b"GET " + b"/a" * 40_000 + b" HTTP/1.1\r\n\r\n"
    for junk in [b"\x00\x01\x02\r\n\r\n", b"GET / HTTP/9.9\r\n\r\n", long_line]:
        send_raw(open_server, junk)
    half = socket.create_connection(("127.0.0.1", open_server.port), timeout=10)
    half.sendall(f"PUT {BASE}/x HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\n{{".encode())
    try:
        assert http_get(open_server, "/_mockoci/health") == (200, {"status": "ok"})
    finally:
        half.close()


def test_method_not_allowed_names_every_allowed_method(raw: Raw) -> None:
    response = raw("PATCH", f"{BASE}/x", body=b"{}")
    assert_oci_error(response, 405, "MethodNotAllowed")
    assert response.headers["allow"] == "DELETE, GET, PUT"
    assert raw("DELETE", BASE).headers["allow"] == "GET, POST"


def test_retention_past_the_year_9999_ends_with_the_calendar(raw: Raw, backup: dict[str, Any]) -> None:
    body = b'{"retentionPeriod": {"retentionTimeUnit": "YEARS", "retentionTimeAmount": 2147483647}}'
    response = raw("PUT", f"{BASE}/{backup['id']}", body=body)
    assert response.status_code == 200, response.text
    assert response.json()["timeRetentionExpiresAt"] == "9999-12-31T23:59:59.999Z"
    body = b'{"retentionPeriod": {"retentionTimeUnit": "DAYS", "retentionTimeAmount": 30.0}}'
    updated = raw("PUT", f"{BASE}/{backup['id']}", body=body).json()
    assert updated["retentionPeriod"]["retentionTimeAmount"] == 30
