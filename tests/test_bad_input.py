"""Integration: strange and hostile requests get a specific OCI error, change nothing, and stop nothing."""

from __future__ import annotations

import http.client
import json
import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
from conftest import COMPARTMENT, TENANCY, assert_oci_error

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
                                                 ("abc", "limit"), ("", "limit"), ("1e3", "limit"),
                                                 # issue 9: OCI takes digits only; int() takes all these
                                                 ("+5", "limit"), ("5_0", "limit"), (" 5", "limit"),
                                                 ("5 ", "limit"), ("\u0665", "limit"), ("\uff15", "limit")])
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


UNPARSABLE = {  # issue 9: each was uvicorn's plain-text "Invalid HTTP request received."
    "unknown method": f"FROB {BASE} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n".encode(),
    "lower-case method": b"get / HTTP/1.1\r\nHost: a\r\n\r\n",
    "no target": b"GET\r\n\r\n",
    "unknown version": b"GET / HTTP/9.9\r\n\r\n",
    "control bytes": b"\x00\x01\x02\r\n\r\n",
    "space in a header name": b"GET / HTTP/1.1\r\nHost: a\r\nX A: b\r\n\r\n",
    "control byte in a header value": b"GET / HTTP/1.1\r\nHost: a\r\nX-A: b\x01c\r\n\r\n",
    "non-ASCII header name": b"GET / HTTP/1.1\r\nHost: a\r\nX\xff: b\r\n\r\n",
    "folded header": b"GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n c\r\n\r\n",
    "bare LF line ends": b"GET / HTTP/1.1\nHost: a\n\n",
    "Content-Length not a number": f"PUT {BASE}/x HTTP/1.1\r\nHost: a\r\nContent-Length: abc\r\n\r\n".encode(),
    "negative Content-Length": f"PUT {BASE}/x HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n".encode(),
    "two Content-Lengths": f"PUT {BASE}/x HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2"
                           "\r\n\r\nab".encode(),
    "Content-Length and chunked": f"POST {BASE} HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n"
                                  "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n".encode(),
    "bad chunk size": f"POST {BASE} HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n".encode(),
    "TLS on the HTTP port": b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03",
}


@pytest.mark.parametrize("request_bytes", UNPARSABLE.values(), ids=UNPARSABLE.keys())
def test_what_the_http_parser_refuses_gets_an_oci_body(open_server: MockOCIServer, request_bytes: bytes) -> None:
    answer = send_raw(open_server, request_bytes)
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.lower().split(": ", 1) for line in header_lines)
    assert status_line == "HTTP/1.1 400 Bad Request"
    assert headers["content-type"] == "application/json" and headers["connection"] == "close"
    assert len(headers["opc-request-id"]) == 32
    assert json.loads(body) == {
        "code": "CannotParseRequest",
        "message": "The request is not valid HTTP/1.1 (its request line, a header or its framing cannot be parsed).",
    }
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


# -- issue 9: every value that enters the store is one it can serialise ---------------------------------

DEEP = '{"a": ' * 300 + "1" + "}" * 300
# (body, the field the message must name): each is refused on create and update, and stores nothing.
BAD_TAGS = [
    ('{"definedTags": {"ns": {"k": "\\udfff"}}}', "definedTags.ns.k"),  # a lone low surrogate
    ('{"definedTags": {"ns": {"k": "a\\ud800b"}}}', "definedTags.ns.k"),  # a lone high surrogate
    ('{"definedTags": {"\\udfff": {"k": "v"}}}', "definedTags"),  # in a namespace
    ('{"definedTags": {"ns": {"\\ud800": "v"}}}', "definedTags.ns"),  # in a key
    ('{"freeformTags": {"k": "\\udfff"}}', "freeformTags.k"),
    ('{"freeformTags": {"\\udfff": "v"}}', "freeformTags"),
    ('{"definedTags": {"ns": {"k": ' + DEEP + "}}}", "definedTags.ns.k"),  # nested 300 deep
    ('{"definedTags": {"ns": {"k": {"a": "b"}}}}', "definedTags.ns.k"),  # nested at all
    ('{"definedTags": {"ns": {"k": ["a"]}}}', "definedTags.ns.k"),
    ('{"definedTags": {"ns": {"k": null}}}', "definedTags.ns.k"),
    ('{"definedTags": {"ns": {"k": NaN}}}', "definedTags.ns.k"),  # Python's JSON reads these: OCI's does not
    ('{"definedTags": {"ns": {"k": Infinity}}}', "definedTags.ns.k"),
    ('{"definedTags": {"ns": {"k": -Infinity}}}', "definedTags.ns.k"),
    ('{"definedTags": {"ns": {"k": 1e400}}}', "definedTags.ns.k"),  # an infinity once read
    ('{"definedTags": {"ns": "v"}}', "definedTags.ns"),
    ('{"definedTags": {"ns": {"k": "' + "v" * 257 + '"}}}', "definedTags.ns.k"),  # OCI's limits
    ('{"definedTags": {"' + "n" * 101 + '": {"k": "v"}}}', "definedTags"),
    ('{"definedTags": {"ns": {"' + "k" * 101 + '": "v"}}}', "definedTags.ns"),
    ('{"definedTags": {"": {"k": "v"}}}', "definedTags"),
    ('{"freeformTags": {"k": "' + "v" * 257 + '"}}', "freeformTags.k"),
    ('{"freeformTags": {"' + "k" * 101 + '": "v"}}', "freeformTags"),
    ('{"freeformTags": {"": "v"}}', "freeformTags"),
    ('{"freeformTags": {"k": 1}}', "freeformTags.k"),
    (json.dumps({"freeformTags": {f"k{i}": "v" for i in range(65)}}), "freeformTags"),
    (json.dumps({"definedTags": {f"ns{i}": {f"k{j}": "v" for j in range(13)} for i in range(5)}}), "definedTags"),
]


def readable(raw: Raw, mock_state: Callable[[], Any], backup_id: str) -> None:
    """Every read that a stored bad value broke (issue 9) still answers 200."""
    assert raw("GET", f"{BASE}/{backup_id}").status_code == 200
    assert raw("GET", BASE, params={"compartmentId": COMPARTMENT}).status_code == 200
    mock_state()


@pytest.fixture
def admin_state(server: MockOCIServer) -> Callable[[], Any]:
    from mockoci.testing import AdminClient

    return lambda: AdminClient(server.url).request("GET", "/state")


@pytest.mark.usefixtures("unchanged")
@pytest.mark.parametrize(("tags", "field"), BAD_TAGS, ids=range(len(BAD_TAGS)))
def test_tags_that_could_not_be_stored_are_refused(
    raw: Raw, backup: dict[str, Any], admin_state: Callable[[], Any], tags: str, field: str
) -> None:
    update = assert_oci_error(raw("PUT", f"{BASE}/{backup['id']}", body=tags), 400, "InvalidParameter")
    create = assert_oci_error(raw("POST", BASE, body='{"volumeId": "v", ' + tags[1:]), 400, "InvalidParameter")
    for error in (update, create):
        assert error["message"].startswith(f"Invalid {field}"), error
    readable(raw, admin_state, backup["id"])


GOOD_TAGS = [
    {"freeformTags": {f"k{i}": "v" for i in range(64)}},
    {"definedTags": {"n" * 100: {"k" * 100: "v" * 256}, "Operations": {"CostCenter": "42", "n": 7, "f": 1.5,
                                                                       "b": True, "big": 10**30}}},
    {"definedTags": {f"ns{i}": {f"k{j}": "v" for j in range(8)} for i in range(8)}},
]


@pytest.mark.parametrize("tags", GOOD_TAGS, ids=range(len(GOOD_TAGS)))
def test_tags_within_ocis_limits_are_stored_and_echoed_exactly(
    raw: Raw, backup: dict[str, Any], admin_state: Callable[[], Any], tags: dict[str, Any]
) -> None:
    for response in (raw("PUT", f"{BASE}/{backup['id']}", body=json.dumps(tags)),
                     raw("POST", BASE, body=json.dumps({"volumeId": "v", **tags}))):
        assert response.status_code == 200, response.text
        for name, value in tags.items():
            assert response.json()[name] == value
    readable(raw, admin_state, backup["id"])


def test_unicode_tags_at_the_limits_are_stored_and_echoed_exactly(
    raw: Raw, backup: dict[str, Any], admin_state: Callable[[], Any]
) -> None:
    tags = {"freeformTags": {"k" * 100: "v" * 256, "ünï©ødé 🦆": "値\u0000\t\u2028", "empty": ""}}
    response = raw("PUT", f"{BASE}/{backup['id']}", body=json.dumps(tags))
    assert response.status_code == 200, response.text
    assert response.json()["freeformTags"] == tags["freeformTags"]
    assert raw("GET", f"{BASE}/{backup['id']}").json()["freeformTags"] == tags["freeformTags"]
    readable(raw, admin_state, backup["id"])


# -- issue 9: admin input that once gave 500s is a 400 that changes nothing -------------------------------

SEEDED = {"id": "ocid1.volumebackup.oc1..seeded", "compartmentId": COMPARTMENT, "displayName": "seeded",
          "lifecycleState": "AVAILABLE", "type": "FULL", "timeCreated": "2026-01-01T00:00:00Z"}
BAD_BACKUP_FIELDS = [
    ({"timeCreated": "9999-12-31T23:59:59-05:00"}, "timeCreated"),  # the year 10000 in UTC
    ({"timeCreated": "0001-01-01T00:00:00+05:00"}, "timeCreated"),  # the year 0 in UTC
    ({"timeRequestReceived": "9999-12-31T23:00:00-01:00"}, "timeRequestReceived"),
    ({"expirationTime": "0001-01-01T00:00:00+00:01"}, "expirationTime"),
    ({"timeRetentionExpiresAt": "9999-12-31T23:59:59.999-00:01"}, "timeRetentionExpiresAt"),
    ({"definedTags": {"ns": {"k": json.loads(DEEP)}}}, "definedTags"),
    ({"systemTags": {"orcl": {"k": [1]}}}, "systemTags"),
    ({"freeformTags": {"k": "v" * 257}}, "freeformTags"),
]
BAD_BACKUP_TEXT = [  # what json.dumps cannot write: raw JSON text
    ('"definedTags": {"ns": {"k": "\\udfff"}}', "definedTags"),
    ('"definedTags": {"ns": {"k": NaN}}', "definedTags"),
    ('"definedTags": {"ns": {"k": ' + DEEP + "}}", "definedTags"),
]


def bad_backups() -> list[tuple[bytes, str]]:
    cases = [(json.dumps({**SEEDED, **fields}).encode(), name) for fields, name in BAD_BACKUP_FIELDS]
    cases += [(json.dumps(SEEDED)[:-1].encode() + b", " + text.encode() + b"}", name)
              for text, name in BAD_BACKUP_TEXT]
    return cases


@pytest.mark.parametrize(("backup_json", "field"), bad_backups(), ids=range(len(bad_backups())))
def test_seeding_or_importing_a_backup_that_could_not_be_served_is_refused(
    mock: Any, backup_json: bytes, field: str
) -> None:
    from mockoci.testing import MockOCIAdminError

    before = mock.admin.request("GET", "/state")
    seed = b'{"volumeBackups": [' + backup_json + b"]}"
    with pytest.raises(MockOCIAdminError) as seeded:
        mock.admin.request("POST", "/backups", params={"tenancy": TENANCY}, body=seed)
    state = b'{"format": "mockoci-state", "version": 1, "tenancies": {"%s": %s}}' % (TENANCY.encode(), seed)
    with pytest.raises(MockOCIAdminError) as imported:
        mock.admin.request("PUT", "/state", body=state)
    for refused in (seeded.value, imported.value):
        assert (refused.status, refused.code) == (400, "InvalidParameter"), refused
        assert field in refused.message
    assert mock.admin.request("GET", "/state") == before


@pytest.mark.parametrize("code", ["Bad\u0000Code", "Two Words", "Ünïcode", "", "9Lives", "a" * 101, "a-b"])
def test_a_fault_code_that_is_not_letters_and_digits_is_refused(mock: Any, raw: Raw, code: str) -> None:
    from mockoci.testing import MockOCIAdminError

    with pytest.raises(MockOCIAdminError) as refused:
        mock.inject_fault(status=503, code=code)
    assert (refused.value.status, refused.value.code) == (400, "InvalidParameter")
    assert "code" in refused.value.message
    assert mock.admin.request("GET", "/faults") == []
    assert raw("GET", BASE, params={"compartmentId": COMPARTMENT}).status_code == 200


def test_a_fault_code_of_letters_and_digits_is_answered(mock: Any, raw: Raw) -> None:
    mock.inject_fault(status=503, code="Busy2Day", times=1)
    assert_oci_error(raw("GET", BASE, params={"compartmentId": COMPARTMENT}), 503, "Busy2Day")


@pytest.mark.parametrize("delay", [b"Infinity", b"-Infinity", b"NaN", b"1e400"])
def test_a_lifecycle_delay_must_be_finite(mock: Any, delay: bytes) -> None:
    from mockoci.testing import MockOCIAdminError

    before = mock.lifecycle()
    with pytest.raises(MockOCIAdminError) as refused:
        mock.admin.request("PUT", "/lifecycle", params={"tenancy": TENANCY},
                           body=b'{"mode": "delay", "delay": ' + delay + b"}")
    assert (refused.value.status, refused.value.code) == (400, "InvalidParameter")
    assert "delay" in refused.value.message
    assert mock.lifecycle() == before


def test_the_clock_stops_before_the_calendar_ends(start_server: Callable[..., MockOCIServer]) -> None:
    """Advancing in legal 10-year steps once made the clock, and every create, 500 for good."""
    from mockoci.testing import AdminClient, MockOCIAdminError

    server = start_server(auth="off", lifecycle_delay=0)
    admin = AdminClient(server.url)
    ten_years = 10 * 365 * 24 * 3600
    with pytest.raises(MockOCIAdminError) as refused:
        for _ in range(1000):
            admin.request("POST", "/clock/advance", body={"seconds": ten_years})
    assert (refused.value.status, refused.value.code) == (400, "InvalidParameter")
    assert "9999" in refused.value.message
    clock = admin.request("GET", "/clock")
    assert clock["now"].startswith("99")
    created = requests.post(server.url + BASE, json={"volumeId": "v"}, timeout=10)
    assert created.status_code == 200, created.text
    assert created.json()["timeCreated"].startswith("99")
    with pytest.raises(MockOCIAdminError):
        admin.request("POST", "/clock/advance", body={"seconds": ten_years})
    assert admin.request("GET", "/clock")["offset"] == clock["offset"]  # the refused step changed nothing


# -- issue 9: no redirect built from Host, page tokens bound to their tenancy ----------------------------

@pytest.mark.parametrize("path", [f"{BASE}/?compartmentId={COMPARTMENT}", f"{BASE}/", f"{BASE}/ocid1.x/",
                                  f"{BASE}/ocid1.x/actions/copy/", "/_mockoci/health/", "/_mockoci/state/"])
def test_a_trailing_slash_is_not_found_never_a_redirect(open_server: MockOCIServer, path: str) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", open_server.port, timeout=10)
    try:
        connection.request("GET", path, headers={"Host": "evil.example"})
        response = connection.getresponse()
        body = json.loads(response.read())
    finally:
        connection.close()
    assert (response.status, body["code"]) == (404, "NotFound"), body
    assert response.getheader("location") is None
    assert response.getheader("opc-request-id")


def test_a_page_token_works_only_for_the_tenancy_it_was_issued_to(
    raw: Raw, server: MockOCIServer, oci_config: dict[str, Any]
) -> None:
    import oci

    for name in ("a", "b"):
        raw("POST", BASE, body=json.dumps({"volumeId": "ocid1.volume.oc1.iad.v", "displayName": name}))
    token = raw("GET", BASE, params={"compartmentId": COMPARTMENT, "limit": 1}).headers["opc-next-page"]
    other = oci.signer.Signer("ocid1.tenancy.oc1..aaaaaaaaanother", oci_config["user"], oci_config["fingerprint"],
                              None, private_key_content=oci_config["key_content"])
    answer = requests.get(server.url + BASE, params={"compartmentId": COMPARTMENT, "page": token}, auth=other,
                          timeout=10)
    error = assert_oci_error(answer, 400, "InvalidParameter")
    assert "tenancy" in error["message"]
    mine = raw("GET", BASE, params={"compartmentId": COMPARTMENT, "page": token})
    assert mine.status_code == 200 and len(mine.json()) == 1


def test_tags_over_the_limit_once_merged_with_the_volumes_are_invalid(raw: Raw) -> None:
    """A backup takes its volume's tags and the request's: together past OCI's 64 they are the request's fault, a
    400 InvalidParameter (never a 500), and nothing is stored."""
    volume = raw("POST", "/20160918/volumes", body=json.dumps({
        "availabilityDomain": "Uocm:US-ASHBURN-AD-1", "compartmentId": "ocid1.compartment.oc1..tagmerge",
        "sizeInGBs": 50, "freeformTags": {f"v{i}": "x" for i in range(40)},
    }))
    assert volume.status_code == 200, volume.text
    body = {"volumeId": volume.json()["id"], "freeformTags": {f"b{i}": "x" for i in range(40)}}
    error = assert_oci_error(raw("POST", BASE, body=json.dumps(body)), 400, "InvalidParameter")
    assert error["message"].startswith("Invalid freeformTags: merged with the volume's tags"), error
    listed = raw("GET", f"{BASE}?compartmentId=ocid1.compartment.oc1..tagmerge")
    assert listed.status_code == 200 and listed.json() == [], listed.text
