"""Integration: ListVolumeBackups filters, sorts and pages through the real `oci` SDK's paginators."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import oci
import pytest
from conftest import COMPARTMENT, TENANCY, assert_oci_error

from mockoci.models import VolumeBackup
from mockoci.server import MockOCIServer

list_all = oci.pagination.list_call_get_all_results


def seed(server: MockOCIServer, count: int, compartment: str = COMPARTMENT, **overrides: Any) -> list[VolumeBackup]:
    """`count` AVAILABLE backups with distinct creation times and shuffled, partly equal names."""
    start = datetime(2026, 1, 1, tzinfo=UTC)
    backups = [
        VolumeBackup(
            id=f"ocid1.volumebackup.oc1.iad.seed{i:05d}",
            compartment_id=compartment,
            display_name=f"name-{(i * 7919) % 97:03d}",
            lifecycle_state="AVAILABLE",
            type="FULL",
            time_created=start + timedelta(seconds=(i * 37) % count, milliseconds=i),
            volume_id=f"ocid1.volume.oc1.iad.v{i % 3}",
            **overrides,
        )
        for i in range(count)
    ]
    server.store.seed(tenancy=TENANCY, backups=backups)
    return backups


@pytest.mark.parametrize(
    ("sort_by", "sort_order", "key", "descending"),
    [
        (None, None, lambda b: (b.time_created, b.id), True),
        ("TIMECREATED", None, lambda b: (b.time_created, b.id), True),
        ("TIMECREATED", "ASC", lambda b: (b.time_created, b.id), False),
        ("DISPLAYNAME", None, lambda b: (b.display_name, b.id), False),
        ("DISPLAYNAME", "DESC", lambda b: (b.display_name, b.id), True),
    ],
)
def test_all_pages_return_every_backup_once_in_order(
    client: Any, server: MockOCIServer, sort_by: str | None, sort_order: str | None, key: Any, descending: bool
) -> None:
    backups = seed(server, 300)
    kwargs = {k: v for k, v in {"sort_by": sort_by, "sort_order": sort_order}.items() if v}
    listed = list_all(client.list_volume_backups, COMPARTMENT, limit=7, **kwargs).data
    expected = [b.id for b in sorted(backups, key=key, reverse=descending)]
    assert [b.id for b in listed] == expected


def test_next_page_header_exactly_when_more_results_exist(client: Any, server: MockOCIServer) -> None:
    seed(server, 10)
    first = client.list_volume_backups(COMPARTMENT, limit=4)
    assert len(first.data) == 4 and first.has_next_page
    second = client.list_volume_backups(COMPARTMENT, limit=4, page=first.next_page)
    third = client.list_volume_backups(COMPARTMENT, limit=4, page=second.next_page)
    assert len(third.data) == 2
    assert "opc-next-page" not in third.headers
    assert not third.has_next_page
    exact = client.list_volume_backups(COMPARTMENT, limit=10)
    assert len(exact.data) == 10 and "opc-next-page" not in exact.headers
    assert client.list_volume_backups(COMPARTMENT).headers.get("opc-next-page") is None


def test_default_limit_is_100(client: Any, server: MockOCIServer) -> None:
    seed(server, 150)
    response = client.list_volume_backups(COMPARTMENT)
    assert len(response.data) == 100 and response.has_next_page


def test_filters_combine(client: Any, server: MockOCIServer) -> None:
    backups = seed(server, 30)
    server.store.force_state(tenancy=TENANCY, backup_id=backups[4].id, state="FAULTY")
    by_volume = list_all(client.list_volume_backups, COMPARTMENT, volume_id="ocid1.volume.oc1.iad.v1").data
    assert {b.id for b in by_volume} == {b.id for b in backups if b.volume_id == "ocid1.volume.oc1.iad.v1"}
    name = backups[5].display_name
    by_name = client.list_volume_backups(COMPARTMENT, display_name=name).data
    assert {b.id for b in by_name} == {b.id for b in backups if b.display_name == name}
    faulty = client.list_volume_backups(COMPARTMENT, lifecycle_state="FAULTY").data
    assert [b.id for b in faulty] == [backups[4].id]
    both = client.list_volume_backups(
        COMPARTMENT, volume_id=backups[4].volume_id, lifecycle_state="AVAILABLE"
    ).data
    assert backups[4].id not in {b.id for b in both} and both
    assert client.list_volume_backups("ocid1.compartment.oc1..empty").data == []


def test_display_name_needing_url_encoding(client: Any, create_backup: Any) -> None:
    create_backup(display_name="a b&c+d#é")
    create_backup(display_name="a b")
    listed = client.list_volume_backups(COMPARTMENT, display_name="a b&c+d#é").data
    assert [b.display_name for b in listed] == ["a b&c+d#é"]


def test_lifecycle_state_filter_is_case_insensitive(raw: Any, server: MockOCIServer) -> None:
    seed(server, 3)
    params = {"compartmentId": COMPARTMENT, "lifecycleState": "available"}
    response = raw("GET", "/20160918/volumeBackups", params=params)
    assert response.status_code == 200 and len(response.json()) == 3


def test_page_token_survives_changes_between_pages(client: Any, server: MockOCIServer, create_backup: Any) -> None:
    backups = seed(server, 20)
    first = client.list_volume_backups(COMPARTMENT, limit=5, sort_by="TIMECREATED", sort_order="ASC")
    create_backup()  # newest: sorts after every seeded backup, so it shows up on a later page
    rest = list_all(
        client.list_volume_backups, COMPARTMENT, limit=5, sort_by="TIMECREATED", sort_order="ASC", page=first.next_page
    ).data
    ids = [b.id for b in first.data] + [b.id for b in rest]
    assert len(ids) == len(set(ids)) == 21
    assert ids[:20] == [b.id for b in sorted(backups, key=lambda b: (b.time_created, b.id))]


@pytest.mark.parametrize(
    ("params", "code", "field"),
    [
        ({}, "MissingParameter", "compartmentId"),
        ({"limit": "0"}, "InvalidParameter", "limit"),
        ({"limit": "-1"}, "InvalidParameter", "limit"),
        ({"limit": "1001"}, "InvalidParameter", "limit"),
        ({"limit": "abc"}, "InvalidParameter", "limit"),
        ({"sortBy": "SIZE"}, "InvalidParameter", "sortBy"),
        ({"sortOrder": "UP"}, "InvalidParameter", "sortOrder"),
        ({"lifecycleState": "GONE"}, "InvalidParameter", "lifecycleState"),
        ({"page": "garbage"}, "InvalidParameter", "page"),
    ],
)
def test_bad_list_parameters(raw: Any, params: dict[str, str], code: str, field: str) -> None:
    query = {"compartmentId": COMPARTMENT, **params} if code != "MissingParameter" else params
    body = assert_oci_error(raw("GET", "/20160918/volumeBackups", params=query), 400, code)
    assert field in body["message"]


def test_page_token_from_another_query_is_rejected(client: Any, raw: Any, server: MockOCIServer) -> None:
    seed(server, 10)
    token = client.list_volume_backups(COMPARTMENT, limit=2).next_page
    for other in ({"sortBy": "DISPLAYNAME"}, {"displayName": "x"}, {"sortOrder": "ASC"}):
        response = raw("GET", "/20160918/volumeBackups", params={"compartmentId": COMPARTMENT, "page": token, **other})
        assert_oci_error(response, 400, "InvalidParameter")
    ok = raw("GET", "/20160918/volumeBackups", params={"compartmentId": COMPARTMENT, "page": token, "limit": "3"})
    assert ok.status_code == 200 and len(ok.json()) == 3
    truncated = raw("GET", "/20160918/volumeBackups", params={"compartmentId": COMPARTMENT, "page": token[:-2]})
    assert_oci_error(truncated, 400, "InvalidParameter")


def test_list_body_is_a_bare_array(raw: Any, create_backup: Any) -> None:
    backup = create_backup()
    response = raw("GET", "/20160918/volumeBackups", params={"compartmentId": COMPARTMENT})
    assert response.status_code == 200
    assert response.headers["opc-request-id"]
    body = response.json()
    assert isinstance(body, list) and body[0]["id"] == backup.id


@pytest.mark.parametrize("letter", ["é", "名", "\U0001f600", "\x01"], ids=["latin", "cjk", "emoji", "control"])
def test_pages_go_on_after_the_longest_names_in_any_script(client: Any, create_backup: Any, letter: str) -> None:
    """A page token holds the last display name: 255 characters of any script still give a token the next
    request takes."""
    volume = f"ocid1.volume.oc1.iad.longnames{ord(letter)}"
    names = sorted(letter * 254 + suffix for suffix in "abc")
    for name in names:
        create_backup(volume_id=volume, display_name=name)
    query = {"volume_id": volume, "limit": 1, "sort_by": "DISPLAYNAME", "sort_order": "ASC"}
    first = client.list_volume_backups(COMPARTMENT, **query)
    rest = list_all(client.list_volume_backups, COMPARTMENT, page=first.next_page, **query).data
    assert [backup.display_name for backup in first.data + rest] == names
