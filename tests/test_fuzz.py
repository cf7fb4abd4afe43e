"""Fuzzing: schemathesis drives mockoci's own OpenAPI document against the app, a bounded number of cases.

No case may get a 5xx; every answer must match the documented model (status, headers, body schema), and every
error must be OCI's `{"code", "message"}` body with an `opc-request-id`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import positive_data_acceptance

from mockoci.app import create_app
from mockoci.persistence import StateDocument, state_document
from mockoci.server import MockOCIServer
from mockoci.settings import Settings
from mockoci.store import DEFAULT_TENANCY

app = create_app(Settings(auth="off", lifecycle_delay=0, seed=1))
# Every operation but POST /_mockoci/keys: its body is a PEM public key (documented as an
# application/x-pem-file string). Schemathesis has no serializer for that media type, and a string it could
# generate is never a valid RSA key, so every case would be a rightly refused 400 (test_keys.py covers it).
schema = (
    schemathesis.openapi.from_asgi("/_mockoci/openapi.json", app)
    .exclude(method="POST", path="/_mockoci/keys")
)


@schema.parametrize()
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_every_answer_is_documented(case: schemathesis.Case) -> None:
    response = case.call()
    # A fault rule (slow, or failing with a 5xx) must not strike the OCI cases that run after it.
    app.state.faults.clear()
    excluded = []
    if case.query and "page" in case.query:
        # A page token is opaque: a schema-valid string the server did not issue is rightly refused.
        excluded.append(positive_data_acceptance)
    if isinstance(case.body, dict) and (case.body.get("schedules") or '"assetId"' in json.dumps(case.body)):
        # Rules across fields that a schema cannot state, rightly 400: a schedule's offsetSeconds must be less
        # than its period's shortest length (a yearly schedule's dayOfMonth must exist in its month); a state
        # document's assignment must name a policy and a volume the document holds.
        excluded.append(positive_data_acceptance)
    if response.status_code == 400 and b"leaves the years 1 to 9999" in response.content:
        # A date-time JSON Schema cannot bound: valid RFC 3339 text that is out of range once in UTC
        # (0001-01-01T00:01:00+01:00) is rightly refused (issue 9, item 4).
        excluded.append(positive_data_acceptance)
    case.validate_response(response, excluded_checks=excluded)
    assert response.status_code < 500, response.text
    assert response.headers.get("opc-request-id")
    if response.status_code >= 400:
        assert response.headers["content-type"] == ["application/json"]
        body = json.loads(response.content)
        assert set(body) == {"code", "message"}, body
        assert isinstance(body["code"], str) and isinstance(body["message"], str)


# -- issue 9: the tag-taking operations, fuzzed with any Unicode (surrogates and NUL included) -----------

tag_app = create_app(Settings(port=0, auth="off", lifecycle_delay=0, seed=2))
# CreateVolumeBackup, UpdateVolumeBackup, POST /_mockoci/backups (seed) and PUT /_mockoci/state
tag_schema = schemathesis.openapi.from_asgi("/_mockoci/openapi.json", tag_app).include(
    path_regex=r"^/(20160918/volumeBackups(/\{volumeBackupId\})?|_mockoci/(backups|state))$",
    method=["POST", "PUT"],
)
tag_schema.config.generation.update(codec=None, allow_x00=True)  # any code point, not only what UTF-8 can hold


@pytest.fixture(scope="module")
def tag_server() -> Iterator[str]:
    """The same app on a real port, to read what the cases stored as a client would."""
    with MockOCIServer(tag_app.state.settings, app=tag_app) as server:
        yield server.url
    session.close()


session = requests.Session()


def readable_everywhere(url: str, changed: bool) -> None:
    """What a stored value once broke (issue 9): every read of the store answers 200. After every case, the
    whole state is exported as GET /_mockoci/state does it (in-process: a thousand HTTP exports would double
    the run); after a case that changed something, over HTTP: the state, the last backups and their lists."""
    StateDocument.model_validate(state_document(tag_app.state.store)).model_dump_json()
    if not changed:
        return
    state = session.get(url + "/_mockoci/state", timeout=10)
    assert state.status_code == 200, state.text
    held = state.json()["tenancies"].get(DEFAULT_TENANCY, {"volumeBackups": []})  # auth off: the caller's
    for backup in held["volumeBackups"][-3:]:
        got = session.get(url + "/20160918/volumeBackups/" + quote(backup["id"], safe=""), timeout=10)
        assert got.status_code < 500, got.text  # 404 too: an id no OCI path can spell (`/`, 256 chars)
        query = {"compartmentId": backup["compartmentId"]}
        listed = session.get(url + "/20160918/volumeBackups", params=query, timeout=10)
        assert listed.status_code < 500, listed.text  # 400 too: a compartment no query can name ("", 256 chars)


@tag_schema.parametrize()
@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_tags_of_any_unicode_never_break_the_store(case: schemathesis.Case, tag_server: str) -> None:
    response = case.call()
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert set(json.loads(response.content)) == {"code", "message"}
    readable_everywhere(tag_server, changed=response.status_code < 300)


# -- issue 9: whole families of tag values, from Hypothesis strategies that schemathesis does not reach ---
# schemathesis draws text without lone surrogates and shallow values for an untyped schema; these draw any
# code point (lone surrogates and NUL included), every JSON scalar (NaN and the infinities, which Python's
# JSON reads), nesting up to 400 deep, and maps around the limits.

any_text = st.text(st.characters(exclude_categories=()), max_size=8) | st.sampled_from(
    ["", "k" * 100, "k" * 101, "v" * 256, "v" * 257, "\udfff", "a\ud800", "\x00", "🦆"]
)
scalars = (
    st.none() | st.booleans() | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=True, allow_infinity=True) | any_text
)


def nested(depth: int) -> Any:
    value: Any = "deep"
    for level in range(depth):
        value = {"a": value} if level % 2 else [value]
    return value


json_values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(any_text, inner, max_size=3),
    max_leaves=8,
) | st.integers(min_value=1, max_value=400).map(nested)
tag_keys = st.text(st.characters(exclude_categories=()), max_size=3) | any_text
freeform_tags = st.dictionaries(tag_keys, json_values, max_size=4) | st.dictionaries(
    st.text(min_size=1, max_size=4), st.text(max_size=4), min_size=60, max_size=70) | json_values
defined_tags = st.dictionaries(tag_keys, st.dictionaries(tag_keys, json_values, max_size=4), max_size=3) | json_values
tag_fields = st.fixed_dictionaries({}, optional={"freeformTags": freeform_tags, "definedTags": defined_tags,
                                                 "systemTags": defined_tags})


@pytest.fixture(scope="module")
def family_server() -> Iterator[str]:
    with MockOCIServer(Settings(port=0, auth="off", lifecycle_delay=0, seed=3, unknown_volumes="accept")) as server:
        yield server.url


JSON = "application/json"


def answer_of(response: requests.Response) -> dict[str, Any]:
    assert response.status_code < 500, response.text
    body: dict[str, Any] = response.json() if response.content else {}
    if response.status_code >= 400:
        assert set(body) == {"code", "message"} and response.headers.get("opc-request-id"), body
        assert body["code"] in ("InvalidParameter", "CannotParseRequest", "MissingParameter"), body
    return body


def post_json(url: str, body: Any, method: str = "POST") -> requests.Response:
    # json.dumps writes NaN and Infinity, and a lone surrogate as a \udXXX escape: JSON text OCI's parser
    # would refuse or take, as a careless client sends it
    return session.request(method, url, data=json.dumps(body), timeout=10, headers={"content-type": JSON})


def check_tag_family(url: str, fields: dict[str, Any]) -> None:
    """Whatever the tags: never a 5xx; a write that is accepted stores exactly what was sent (null: nothing),
    and everything stays readable (GET, list, the state export, which the server takes back); a refused write
    changes nothing."""
    base = url + "/20160918/volumeBackups"
    sent = {name: value for name, value in fields.items() if name != "systemTags"}  # not in OCI's requests
    expected = {name: value for name, value in sent.items() if value is not None}
    created = post_json(base, {"volumeId": "v", **sent})
    backup = answer_of(created)
    if created.status_code == 200:
        assert {name: backup[name] for name in expected} == expected
    else:
        backup = answer_of(post_json(base, {"volumeId": "v"}))
    before = session.get(url + "/_mockoci/state", timeout=10).json()
    updated = post_json(f"{base}/{backup['id']}", sent, method="PUT")
    answer_of(updated)
    seed = {"id": "ocid1.volumebackup.oc1..family", "compartmentId": "c", "displayName": "d",
            "lifecycleState": "AVAILABLE", "type": "FULL", "timeCreated": "2026-01-01T00:00:00Z", **fields}
    seeded = post_json(url + "/_mockoci/backups", [seed])
    answer_of(seeded)
    if updated.status_code >= 400 and seeded.status_code >= 400:
        assert session.get(url + "/_mockoci/state", timeout=10).json() == before
    state = session.get(url + "/_mockoci/state", timeout=10)
    assert state.status_code == 200, state.text
    imported = session.put(url + "/_mockoci/state", data=state.content, timeout=10, headers={"content-type": JSON})
    assert imported.status_code == 204, imported.text  # what the server exports, it takes back
    got = session.get(f"{base}/{backup['id']}", timeout=10)
    assert got.status_code == 200, got.text
    if updated.status_code == 200:
        assert {name: got.json()[name] for name in expected} == expected
    assert session.get(base, params={"compartmentId": backup["compartmentId"]}, timeout=10).status_code == 200
    session.post(url + "/_mockoci/reset", timeout=10)


@given(tag_fields)
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_tag_families_never_break_the_store(family_server: str, fields: dict[str, Any]) -> None:
    check_tag_family(family_server, fields)


@pytest.mark.stress
@given(tag_fields)
@settings(max_examples=3000, deadline=None, suppress_health_check=list(HealthCheck))
def test_tag_families_never_break_the_store_at_length(family_server: str, fields: dict[str, Any]) -> None:
    check_tag_family(family_server, fields)
