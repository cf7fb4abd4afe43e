"""Unit: the pure pieces (etags, page tokens, signature parsing, formatting) and the store without HTTP."""

from __future__ import annotations

import os
import random
import re
from datetime import UTC, datetime
from urllib.parse import parse_qsl

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mockoci import errors
from mockoci.app import AppState
from mockoci.clock import Clock
from mockoci.etags import if_match_matches, make_etag
from mockoci.factories import Factory
from mockoci.handlers import new_request_id
from mockoci.limits import query_pairs, repeated_parameter
from mockoci.models import (
    ChangeVolumeBackupCompartmentDetails,
    CreateVolumeBackupDetails,
    UpdateVolumeBackupDetails,
    format_datetime,
)
from mockoci.pagination import InvalidPageToken, PageTokens, query_digest
from mockoci.regions import region_key
from mockoci.signing import SignatureError, check_presence, parse_authorization
from mockoci.store import ListQuery, VolumeBackupStore

T = "ocid1.tenancy.oc1..t"


# -- etags ----------------------------------------------------------------------------------------------

@given(st.integers(1, 2**64), st.integers(1, 2**64))
def test_etags_differ_per_version(first: int, second: int) -> None:
    assert (make_etag(first) == make_etag(second)) == (first == second)
    assert re.fullmatch("[0-9a-f]{32}", make_etag(first))


def test_etags_of_consecutive_versions_look_unrelated() -> None:
    etags = [make_etag(version) for version in range(1, 1001)]
    assert len(set(etags)) == 1000
    assert len({etag[:4] for etag in etags}) > 900  # not a counter in disguise


@pytest.mark.parametrize(
    ("header", "matches"),
    [("abc", True), ("*", True), ('"abc"', True), ('W/"abc"', True), ("x, abc", True), (" abc ", True),
     ("abd", False), ("", False), ("ab", False), ("x,y", False)],
)
def test_if_match(header: str, matches: bool) -> None:
    assert if_match_matches(header, "abc") is matches


# -- page tokens ----------------------------------------------------------------------------------------

def test_page_token_round_trip_and_tamper_evidence() -> None:
    tokens = PageTokens(b"secret")
    digest = query_digest({"compartmentId": "c", "sortBy": "TIMECREATED", "volumeId": None})
    token = tokens.encode(("2026-01-01T00:00:00.000000", "id-1"), digest, tenancy="t1")
    assert tokens.decode(token, digest, tenancy="t1") == ("2026-01-01T00:00:00.000000", "id-1")
    for bad in (token[:-1], token + "0", token.split(".")[0], "x.y", "", "é.é", token.replace(".", "a.", 1)):
        with pytest.raises(InvalidPageToken):
            tokens.decode(bad, digest, tenancy="t1")
    with pytest.raises(InvalidPageToken):
        tokens.decode(token, query_digest({"compartmentId": "other"}), tenancy="t1")
    with pytest.raises(InvalidPageToken):
        PageTokens(b"another server").decode(token, digest, tenancy="t1")
    with pytest.raises(InvalidPageToken, match="this tenancy"):  # issue 9: bound to the tenancy it was issued to
        tokens.decode(token, digest, tenancy="t2")


@pytest.mark.parametrize("name", ['a "quoted", name', "back\\slash", "é ☃ 𝄞", "tab\tnew\nline\0", "\udfff", ""])
def test_a_page_token_gives_back_any_display_name(name: str) -> None:
    tokens = PageTokens(b"secret")
    digest = query_digest({"compartmentId": "c", "sortBy": "DISPLAYNAME"})
    token = tokens.encode((name, "id-1"), digest, tenancy="t1")
    assert token.isascii() and tokens.decode(token, digest, tenancy="t1") == (name, "id-1")


def test_query_digest_ignores_absent_parameters_and_order() -> None:
    assert query_digest({"a": "1", "b": None}) == query_digest({"a": "1"})
    assert query_digest({"a": "1", "b": "2"}) == query_digest({"b": "2", "a": "1"})
    assert query_digest({"a": "1"}) != query_digest({"a": "2"})


# -- signatures -----------------------------------------------------------------------------------------

PY_AUTH = ('Signature algorithm="rsa-sha256",headers="date (request-target) host",'
           'keyId="ocid1.tenancy.oc1..x/ocid1.user.oc1..y/1c:0c",signature="abc=",version="1"')
NODE_AUTH = ('Signature version="1",keyId="ocid1.tenancy.oc1..x/ocid1.user.oc1..y/1c:0c",algorithm="rsa-sha256",'
             'headers="x-date (request-target) host Content-Type Content-Length x-content-sha256",signature="abc="')


def test_parse_python_and_node_authorization_headers() -> None:
    python, node = parse_authorization(PY_AUTH), parse_authorization(NODE_AUTH)
    assert python.key_id == node.key_id
    assert (python.tenancy, python.user, python.fingerprint) == ("ocid1.tenancy.oc1..x", "ocid1.user.oc1..y", "1c:0c")
    assert python.headers == ("date", "(request-target)", "host")
    assert node.headers[-3:] == ("content-type", "content-length", "x-content-sha256")


@pytest.mark.parametrize(
    "value",
    [None, "", "Bearer x", "Signature", 'Signature keyId="a/b/c"', PY_AUTH.replace("keyId=", "keyid"),
     PY_AUTH.replace('x/ocid1.user.oc1..y/', "x/"), PY_AUTH.replace('version="1"', 'version="2"')],
)
def test_malformed_authorization_is_rejected(value: str | None) -> None:
    with pytest.raises(SignatureError):
        parse_authorization(value)


def test_presence_requires_date_and_body_headers() -> None:
    assert check_presence("GET", {"authorization": PY_AUTH, "x-date": "d"}).tenancy == "ocid1.tenancy.oc1..x"
    with pytest.raises(SignatureError, match="date"):
        check_presence("GET", {"authorization": PY_AUTH})
    with pytest.raises(SignatureError, match="content-length"):
        check_presence("PUT", {"authorization": PY_AUTH, "date": "d", "x-content-sha256": "h", "content-type": "j"})


# -- formatting and generated values -------------------------------------------------------------------

def test_datetimes_have_milliseconds_and_z() -> None:
    assert format_datetime(datetime(2026, 11, 27, 7, 53, 55, 123456, tzinfo=UTC)) == "2026-11-27T07:53:55.123Z"
    assert format_datetime(datetime(2026, 11, 27, tzinfo=UTC)) == "2026-11-27T00:00:00.000Z"


def test_factory_is_reproducible_with_a_seed() -> None:
    first, second = Factory(3), Factory(3)
    assert [first.ocid("volumebackup", "us-phoenix-1") for _ in range(3)] == [
        second.ocid("volumebackup", "us-phoenix-1") for _ in range(3)
    ]
    assert first.ocid("volumebackup", "us-phoenix-1").startswith("ocid1.volumebackup.oc1.phx.")
    assert region_key("xx-new-1") == "xx-new-1"


# -- the store, driven by a clock the test moves --------------------------------------------------------

@pytest.fixture
def store() -> VolumeBackupStore:
    return VolumeBackupStore(lifecycle_delay=10, terminated_retention=100, factory=Factory(1), clock=Clock())


def test_store_lifecycle_follows_the_clock(store: VolumeBackupStore) -> None:
    created = store.create_volume_backup(tenancy=T, details=CreateVolumeBackupDetails(volume_id="v"))
    etags = {created.etag}
    assert created.backup.lifecycle_state == "REQUEST_RECEIVED"
    for state, step in (("CREATING", 5), ("AVAILABLE", 5)):
        store.clock.advance(step)
        current = store.get_volume_backup(tenancy=T, backup_id=created.backup.id)
        assert current.backup.lifecycle_state == state
        etags.add(current.etag)
    store.delete_volume_backup(tenancy=T, backup_id=created.backup.id)
    store.clock.advance(10)
    assert store.get_volume_backup(tenancy=T, backup_id=created.backup.id).backup.lifecycle_state == "TERMINATED"
    store.clock.advance(100)
    with pytest.raises(errors.NotAuthorizedOrNotFound):
        store.get_volume_backup(tenancy=T, backup_id=created.backup.id)
    assert len(etags) == 3


def test_store_if_match_is_checked_with_the_write(store: VolumeBackupStore) -> None:
    created = store.create_volume_backup(tenancy=T, details=CreateVolumeBackupDetails(volume_id="v"))
    store.clock.advance(10)
    etag = store.get_volume_backup(tenancy=T, backup_id=created.backup.id).etag
    details = UpdateVolumeBackupDetails(display_name="n")
    store.update_volume_backup(tenancy=T, backup_id=created.backup.id, details=details, if_match=etag)
    with pytest.raises(errors.NoEtagMatch):
        store.update_volume_backup(tenancy=T, backup_id=created.backup.id, details=details, if_match=etag)


def test_store_partitions_are_isolated_and_reset_separately(store: VolumeBackupStore) -> None:
    store.lifecycle_delay = 0
    mine = store.create_volume_backup(tenancy=T, details=CreateVolumeBackupDetails(volume_id="v"))
    theirs = store.create_volume_backup(tenancy="other", details=CreateVolumeBackupDetails(volume_id="v"))
    with pytest.raises(errors.NotAuthorizedOrNotFound):
        store.get_volume_backup(tenancy="other", backup_id=mine.backup.id)
    store.change_volume_backup_compartment(
        tenancy=T, backup_id=mine.backup.id, details=ChangeVolumeBackupCompartmentDetails(compartment_id="c")
    )
    assert [s.backup.id for s in store.list_volume_backups(tenancy=T, query=ListQuery("c"), limit=5).items] == [
        mine.backup.id
    ]
    store.reset(T)
    with pytest.raises(errors.NotAuthorizedOrNotFound):
        store.get_volume_backup(tenancy=T, backup_id=mine.backup.id)
    assert store.get_volume_backup(tenancy="other", backup_id=theirs.backup.id)


def test_pending_transitions_stay_proportional_to_the_backups(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(VolumeBackupStore, "TRANSITIONS_COMPACT_FLOOR", 50)
    store = VolumeBackupStore(lifecycle_delay=0, terminated_retention=10_000, max_terminated_backups=5,
                              factory=Factory(2), clock=Clock())
    pending = store.create_volume_backup(tenancy=T, details=CreateVolumeBackupDetails(volume_id="v"))
    store.lifecycle_delay = 0
    for _ in range(500):  # every delete leaves a purge transition whose backup the cap soon forgets
        created = store.create_volume_backup(tenancy=T, details=CreateVolumeBackupDetails(volume_id="v"))
        store.delete_volume_backup(tenancy=T, backup_id=created.backup.id)
    assert len(store._transitions) <= 2 * 50
    # a slow backup created before all that still progresses: its pending transitions were kept
    store.lifecycle_delay = 10
    slow = store.create_volume_backup(tenancy=T, details=CreateVolumeBackupDetails(volume_id="v"))
    for _ in range(200):
        created = store.create_volume_backup(tenancy=T, details=CreateVolumeBackupDetails(volume_id="v"))
    store.clock.advance(10)
    assert store.get_volume_backup(tenancy=T, backup_id=slow.backup.id).backup.lifecycle_state == "AVAILABLE"
    assert store.get_volume_backup(tenancy=T, backup_id=pending.backup.id).backup.lifecycle_state == "AVAILABLE"


def test_forcing_a_state_drops_the_backups_pending_transitions() -> None:
    store = VolumeBackupStore(lifecycle_delay=10, factory=Factory(3), clock=Clock())
    created = store.create_volume_backup(tenancy=T, details=CreateVolumeBackupDetails(volume_id="v"))
    store.clock.advance(5)  # CREATING, with CREATING -> AVAILABLE due at 10
    store.force_state(tenancy=T, backup_id=created.backup.id, state="FAULTY")
    store.force_state(tenancy=T, backup_id=created.backup.id, state="CREATING")  # due again at 15
    store.clock.advance(6)
    assert store.get_volume_backup(tenancy=T, backup_id=created.backup.id).backup.lifecycle_state == "CREATING"
    store.clock.advance(5)
    assert store.get_volume_backup(tenancy=T, backup_id=created.backup.id).backup.lifecycle_state == "AVAILABLE"


def test_beyond_the_cap_only_tenancies_holding_no_client_data_are_forgotten() -> None:
    store = VolumeBackupStore(lifecycle_delay=0, max_tenancies=3, factory=Factory(4), clock=Clock())
    made = store.create_volume_backup(tenancy="t1", details=CreateVolumeBackupDetails(volume_id="v"))
    with pytest.raises(errors.NotAuthorizedOrNotFound):  # t2 and t3 only read: they hold nothing of a client's
        store.get_volume_backup(tenancy="t2", backup_id=made.backup.id)
    store.list_volume_backups(tenancy="t3", query=ListQuery("c"), limit=5)
    store.get_volume_backup(tenancy="t1", backup_id=made.backup.id)  # t1 is now the most recently used
    store.create_volume_backup(tenancy="t4", details=CreateVolumeBackupDetails(volume_id="v"))
    assert set(store.export_state()) == {"t1", "t3", "t4"}  # t2, the least recently used clean one, is gone
    store.create_volume_backup(tenancy="t5", details=CreateVolumeBackupDetails(volume_id="v"))
    assert set(store.export_state()) == {"t1", "t4", "t5"}
    assert store.get_volume_backup(tenancy="t1", backup_id=made.backup.id)  # never forgotten


def test_a_newcomer_is_refused_when_every_tenancy_kept_holds_client_data() -> None:
    store = VolumeBackupStore(lifecycle_delay=0, max_tenancies=2, factory=Factory(4), clock=Clock())
    made = {
        tenancy: store.create_volume_backup(tenancy=tenancy, details=CreateVolumeBackupDetails(volume_id="v"))
        for tenancy in ("t1", "t2")
    }
    with pytest.raises(errors.LimitExceeded) as refused:
        store.get_volume_backup(tenancy="t3", backup_id=made["t1"].backup.id)
    assert "max_tenancies" in refused.value.message and "--max-tenancies" in refused.value.message
    for tenancy in ("t1", "t2"):  # nothing acknowledged was lost
        assert store.get_volume_backup(tenancy=tenancy, backup_id=made[tenancy].backup.id)
    store.reset("t2")  # a reset makes room
    store.create_volume_backup(tenancy="t3", details=CreateVolumeBackupDetails(volume_id="v"))
    assert store.counts()["tenancies"] == 2


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet="ab=&;#%+2Fé", max_size=16))
def test_query_pairs_are_parse_qsl_s(query: str) -> None:
    """The query's pairs, split by hand when nothing needs decoding, are parse_qsl's (blank values kept)."""
    raw = query.encode("latin-1", "replace")
    assert query_pairs(raw) == parse_qsl(raw.decode("latin-1"), keep_blank_values=True)
    names = [name for name, _ in parse_qsl(raw.decode("latin-1"), keep_blank_values=True)]
    twice = next((name for index, name in enumerate(names) if name in names[:index]), None)
    assert repeated_parameter(raw) == twice


def test_request_ids_are_the_sdks_form_and_unique_whatever_a_test_does_to_random() -> None:
    random.seed(0)
    first = [new_request_id() for _ in range(1000)]
    random.seed(0)  # a test suite that seeds `random` does not make the server's ids repeat
    second = [new_request_id() for _ in range(1000)]
    assert all(re.fullmatch("[0-9A-F]{32}", request_id) for request_id in first)
    assert len(set(first + second)) == 2000
    reader, writer = os.pipe()
    child = os.fork()
    if child == 0:  # a forked child draws ids of its own, not the parent's next ones
        os.write(writer, new_request_id().encode())
        os._exit(0)
    os.waitpid(child, 0)
    assert os.read(reader, 32).decode() != new_request_id()


def test_the_app_state_is_read_as_plain_attributes_and_kept_as_starlettes(monkeypatch: pytest.MonkeyPatch) -> None:
    state = AppState()
    state.store = "a"
    state["journal"] = "b"
    monkeypatch.setattr(AppState, "__getattr__", lambda self, key: pytest.fail(f"read {key} through __getattr__"))
    assert (state.store, state.journal) == ("a", "b")  # found in the instance's dict
    assert dict(state._state) == {"store": "a", "journal": "b"} and len(state) == 2 and state["store"] == "a"
    state.store = "c"
    del state["journal"]
    assert (state.store, dict(state._state), "journal" in vars(state)) == ("c", {"store": "c"}, False)


@given(st.lists(st.datetimes(timezones=st.one_of(st.none(), st.timezones())), min_size=1, max_size=20))
def test_datetimes_serialise_as_format_datetime_whatever_was_serialised_before(values: list[datetime]) -> None:
    from mockoci import models

    for value in values * 2:  # each a second time: from the texts kept
        try:
            expected = format_datetime(value)
        except OverflowError:
            continue
        assert models._serialise_datetime(value) == expected
    assert len(models._serialised) <= models.SERIALISED_KEPT
