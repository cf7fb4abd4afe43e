"""The pages for people: the dashboard at /_mockoci/ (and / leading there), and the API docs at /_mockoci/docs
served with no network. The page's content is checked here over HTTP against a real server driven by the `oci`
SDK; tests/test_dashboard_browser.py clicks through it in a real browser. Unit tests cover the view model."""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from typing import Any

import oci
import pytest
import requests
from conftest import TENANCY, make_client
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from mockoci.dashboard import short_ocid
from mockoci.dashboard.view import RESOURCE_ROWS, build_view, journal_row, kind_title, known_tenancies
from mockoci.models import ChangeVolumeBackupCompartmentDetails, CopyVolumeBackupDetails, VolumeBackup
from mockoci.persistence import state_document
from mockoci.resources.backup_policies import (
    CreateVolumeBackupPolicyAssignmentDetails,
    CreateVolumeBackupPolicyDetails,
)
from mockoci.resources.volumes import CreateVolumeDetails
from mockoci.routes.dashboard import shown_state
from mockoci.server import MockOCIServer
from mockoci.store import Store

OTHER_TENANCY = "ocid1.tenancy.oc1..aaaaaaaadashboardother"


class Page(HTMLParser):
    """The parts of a dashboard page the tests read: sections by tenancy, table rows by their data attributes,
    and every URL the page loads."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tenancy_sections: list[str] = []
        self.resource_ids: list[str] = []
        self.journal_seqs: list[int] = []
        self.journal_statuses: list[int] = []
        self.loads: list[str] = []  # src of scripts, href of stylesheets and icons
        self.links: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if tag == "section" and "data-tenancy" in attributes:
            self.tenancy_sections.append(attributes["data-tenancy"])
        if tag == "tr" and "data-id" in attributes:
            self.resource_ids.append(attributes["data-id"])
        if tag == "tr" and "data-seq" in attributes:
            self.journal_seqs.append(int(attributes["data-seq"]))
            self.journal_statuses.append(int(attributes["data-status"]))
        if tag == "script" and attributes.get("src"):
            self.loads.append(attributes["src"])
        if tag == "link" and attributes.get("href"):
            self.loads.append(attributes["href"])
        if tag == "a" and attributes.get("href"):
            self.links.append(attributes["href"])


def get_page(server: MockOCIServer, **params: str) -> tuple[requests.Response, Page]:
    response = requests.get(server.url + "/_mockoci/", params=params, timeout=10)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    return response, Page(response.text)


def stranger_config(oci_config: dict[str, Any]) -> dict[str, Any]:
    """The session's config with a key no server knows."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    ).decode()
    return {**oci_config, "key_content": pem, "fingerprint": "11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff:00"}


# ---- the docs page, offline


def test_the_docs_page_loads_only_from_this_server(server: MockOCIServer) -> None:
    response = requests.get(server.url + "/_mockoci/docs", timeout=10)
    assert response.status_code == 200
    assert "cdn" not in response.text.lower()
    page = Page(response.text)
    assert page.loads, response.text
    assert "/_mockoci/openapi.json" in response.text
    for url in page.loads:
        assert url.startswith("/_mockoci/static/swagger-ui/"), url
        asset = requests.get(server.url + url, timeout=10)
        assert asset.status_code == 200, url
        assert len(asset.content) > 500, url
    types = {url.rsplit(".", 1)[1]: requests.get(server.url + url, timeout=10).headers["content-type"]
             for url in page.loads}
    assert types["js"].startswith(("text/javascript", "application/javascript"))
    assert types["css"].startswith("text/css")


def test_the_swagger_ui_bundle_renders_openapi_3_1(server: MockOCIServer) -> None:
    """FastAPI writes OpenAPI 3.1, which Swagger UI renders from version 5 on: the packaged copy must be one."""
    document = requests.get(server.url + "/_mockoci/openapi.json", timeout=10).json()
    assert document["openapi"].startswith("3.1")
    bundle = requests.get(server.url + "/_mockoci/static/swagger-ui/swagger-ui-bundle.js", timeout=10).text
    assert "SwaggerUIBundle" in bundle
    assert "OAS31" in bundle or "oas31" in bundle


def test_a_missing_asset_is_an_oci_error(server: MockOCIServer) -> None:
    response = requests.get(server.url + "/_mockoci/static/dashboard/nothing.js", timeout=10)
    assert response.status_code == 404
    assert response.json()["code"] == "NotFound"
    assert response.headers.get("opc-request-id")


# ---- the landing page


@pytest.mark.parametrize("path", ["/", "/_mockoci"])
def test_the_root_leads_to_the_dashboard(server: MockOCIServer, path: str) -> None:
    response = requests.get(server.url + path, params={"tenancy": TENANCY}, allow_redirects=False, timeout=10)
    assert response.status_code == 307
    assert response.headers["location"] == f"/_mockoci/?tenancy={TENANCY}"
    followed = requests.get(server.url + path, timeout=10)
    assert followed.url == server.url + "/_mockoci/"
    assert "mockoci dashboard" in followed.text


def test_the_landing_page_links_to_docs_health_and_state(server: MockOCIServer) -> None:
    _, page = get_page(server)
    for path in ("/_mockoci/docs", "/_mockoci/health", "/_mockoci/state", "/_mockoci/journal"):
        assert path in page.links
        assert requests.get(server.url + path, timeout=10).status_code == 200, path


def test_pages_are_not_journaled_nor_faulted(server: MockOCIServer) -> None:
    requests.delete(server.url + "/_mockoci/journal", timeout=10)
    fault = requests.post(server.url + "/_mockoci/faults", json={"status": 503}, timeout=10)
    assert fault.status_code == 201
    try:
        for path in ("/", "/_mockoci/", "/_mockoci/docs", "/_mockoci/static/dashboard/dashboard.js"):
            assert requests.get(server.url + path, timeout=10).status_code == 200, path
        assert requests.get(server.url + "/_mockoci/journal", timeout=10).json() == []
    finally:
        requests.delete(server.url + "/_mockoci/faults", timeout=10)


# ---- the dashboard's content, from real SDK requests


def test_the_dashboard_shows_backups_with_their_state_and_etag(
    server: MockOCIServer, client: Any, create_backup: Callable[..., Any]
) -> None:
    created = create_backup(display_name="nightly-db")
    etag = client.get_volume_backup(created.id).headers["etag"]
    response, page = get_page(server)
    assert TENANCY in page.tenancy_sections
    assert created.id in page.resource_ids
    row = re.search(rf'<tr data-id="{re.escape(created.id)}">(.*?)</tr>', response.text, re.S)
    assert row is not None
    assert "nightly-db" in row.group(1)
    assert ">AVAILABLE<" in row.group(1)
    assert etag in row.group(1)


def test_the_journal_is_newest_first_with_each_failure_and_why(
    verify_server: MockOCIServer, oci_config: dict[str, Any]
) -> None:
    requests.delete(verify_server.url + "/_mockoci/journal", timeout=10)
    client = make_client(oci_config, verify_server.url)
    created = client.create_volume_backup(
        oci.core.models.CreateVolumeBackupDetails(volume_id="ocid1.volume.oc1.iad.dashboardvolume")
    ).data
    with pytest.raises(oci.exceptions.ServiceError) as missing:
        client.get_volume_backup(created.id + "x")
    assert missing.value.status == 404
    stranger = make_client(stranger_config(oci_config), verify_server.url, retry_strategy=oci.retry.NoneRetryStrategy())
    with pytest.raises(oci.exceptions.ServiceError) as refused:
        stranger.list_volume_backups(compartment_id=TENANCY)
    assert refused.value.status == 401
    journal = requests.get(verify_server.url + "/_mockoci/journal", timeout=10).json()
    assert [entry["status"] for entry in journal] == [200, 404, 401]

    response, page = get_page(verify_server, tenancy=TENANCY)
    assert page.journal_seqs == sorted((entry["seq"] for entry in journal), reverse=True)
    assert page.journal_statuses == [401, 404, 200]
    rows = re.findall(r'<tr class="failed" data-seq="\d+" data-status="(\d+)">(.*?)</tr>', response.text, re.S)
    failures = dict(rows)
    assert "NotAuthorizedOrNotFound" in failures["404"]
    assert "NotAuthenticated" in failures["401"]
    assert journal[2]["authFailure"]
    assert journal[2]["authFailure"] in failures["401"].replace("&#39;", "'").replace("&#34;", '"')


def test_fault_rules_lifecycle_and_clock_are_shown(server: MockOCIServer) -> None:
    base = server.url + "/_mockoci"
    rule = requests.post(base + "/faults", json={
        "operation": "CreateVolumeBackup", "tenancy": TENANCY, "status": 429, "times": 2,
    }, timeout=10).json()
    everywhere = requests.post(base + "/faults", json={"latency": 0.01, "method": "DELETE"}, timeout=10).json()
    requests.put(base + "/lifecycle", params={"tenancy": TENANCY}, json={"mode": "manual"}, timeout=10)
    requests.post(base + "/clock/advance", json={"seconds": 3600}, timeout=10)
    try:
        response, page = get_page(server)
        assert TENANCY in page.tenancy_sections  # a fault rule makes a tenancy known
        section = response.text.split(f'data-tenancy="{TENANCY}"', 1)[1]
        assert f'data-fault="{rule["id"]}"' in section
        fault_row = section.split(f'data-fault="{rule["id"]}"', 1)[1].split("</tr>", 1)[0]
        assert "operation=CreateVolumeBackup" in fault_row and "429" in fault_row and "0 of 2" in fault_row
        assert '<span class="pill">manual</span>' in section
        server_part = response.text.split('<section class="server">', 1)[1].split("</section>", 1)[0]
        assert f'data-fault="{everywhere["id"]}"' in server_part
        clock = requests.get(base + "/clock", timeout=10).json()
        assert clock["offset"] >= 3600
        assert f"+{clock['offset']} s" in server_part
        assert clock["now"][:13] in server_part  # the server's clock, to the hour
    finally:
        requests.post(base + "/reset", timeout=10)


def test_reset_through_the_admin_api_empties_the_page(
    server: MockOCIServer, create_backup: Callable[..., Any]
) -> None:
    created = create_backup()
    _, page = get_page(server)
    assert created.id in page.resource_ids
    assert requests.post(server.url + "/_mockoci/reset", params={"tenancy": TENANCY}, timeout=10).status_code == 204
    _, page = get_page(server)
    assert created.id not in page.resource_ids
    assert page.journal_seqs == []


def test_the_live_part_is_what_auto_refresh_fetches(server: MockOCIServer, create_backup: Callable[..., Any]) -> None:
    created = create_backup()
    response = requests.get(server.url + "/_mockoci/", params={"part": "live"}, timeout=10)
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    assert "<html" not in response.text and "<section" in response.text
    assert created.id in Page(response.text).resource_ids
    bad = requests.get(server.url + "/_mockoci/", params={"part": "nope"}, timeout=10)
    assert bad.status_code == 400 and bad.json()["code"] == "InvalidParameter"


def test_one_tenancy_can_be_picked(server: MockOCIServer, create_backup: Callable[..., Any]) -> None:
    create_backup()
    requests.post(server.url + "/_mockoci/backups/generate", params={"tenancy": OTHER_TENANCY},
                  json={"count": 2, "seed": 1}, timeout=10)
    _, everything = get_page(server)
    assert {TENANCY, OTHER_TENANCY} <= set(everything.tenancy_sections)
    assert f"?tenancy={OTHER_TENANCY}" in everything.links
    _, one = get_page(server, tenancy=OTHER_TENANCY)
    assert one.tenancy_sections == [OTHER_TENANCY]
    assert len(one.resource_ids) == 2


def test_what_clients_sent_is_escaped(server: MockOCIServer, create_backup: Callable[..., Any]) -> None:
    create_backup(display_name='<script>alert("x")</script>')
    response, _ = get_page(server)
    assert '<script>alert("x")</script>' not in response.text
    assert "&lt;script&gt;alert(" in response.text


# ---- more than the page shows: the newest of each kind, and how many more


def backup_item(n: int, *, second: int, compartment: str, region: str) -> dict[str, Any]:
    """A seeded backup (the fixture format), created `second` seconds into 2025."""
    created = (datetime(2025, 1, 1, tzinfo=UTC) + timedelta(seconds=second)).isoformat()
    return {"id": f"ocid1.volumebackup.oc1.{region}.dashboard{n:05d}", "compartmentId": compartment,
            "displayName": f"many-{n}", "lifecycleState": "AVAILABLE", "type": "FULL", "timeCreated": created}


def shown_table(html: str, tenancy: str, kind: str) -> tuple[list[str], int, int]:
    """A tenancy's table of `kind` on a page: the ids of its rows in order, the count in its heading, and how
    many more it says there are."""
    section = html.split(f'<section class="tenancy" data-tenancy="{tenancy}">', 1)[1].split("</section>", 1)[0]
    heading, table = section.split(f'<table class="resources" data-kind="{kind}">', 1)
    count = re.findall(r'<span class="count">(\d+)</span></h3>', heading)[-1]
    rows, after = table.split("</table>", 1)
    more = re.match(r'\s*<p class="muted">and (\d+) more', after)
    return re.findall(r'<tr data-id="([^"]*)">', rows), int(count), int(more.group(1)) if more else 0


def test_past_the_rows_shown_the_newest_of_every_compartment_and_region_with_a_count_of_the_rest(
    server: MockOCIServer,
) -> None:
    """Of 700 backups in three compartments and two regions, each creation time shared by two of them, and of 501
    in another tenancy, the page shows the newest RESOURCE_ROWS of each (equal times: the greater id first) and
    how many more each tenancy holds; as the whole page, its live part, and one tenancy picked."""
    compartments = [f"ocid1.compartment.oc1..aaaaaaaadashboard{c}" for c in range(3)]
    many = [backup_item(n, second=n * 11 % 350, compartment=compartments[n % 3], region=("iad", "phx")[n // 7 % 2])
            for n in range(700)]
    fewer = [backup_item(n, second=n, compartment=compartments[n % 2], region="iad") for n in range(1000, 1501)]
    volumes = [{"id": f"ocid1.volume.oc1.iad.dashboard{n}", "compartmentId": compartments[0], "sizeInGBs": 50}
               for n in range(3)]
    for tenancy, document in ((TENANCY, many), (OTHER_TENANCY, {"volumeBackups": fewer, "volumes": volumes})):
        seeded = requests.post(server.url + "/_mockoci/backups", params={"tenancy": tenancy}, json=document,
                               timeout=30)
        assert seeded.status_code == 201, seeded.text

    def newest(items: list[dict[str, Any]]) -> list[str]:
        ordered = sorted(items, key=lambda item: (item["timeCreated"], item["id"]), reverse=True)
        return [item["id"] for item in ordered[:RESOURCE_ROWS]]

    assert len({item["timeCreated"] for item in many}) == 350
    for params in ({}, {"part": "live"}):
        html = requests.get(server.url + "/_mockoci/", params=params, timeout=30).text
        assert shown_table(html, TENANCY, "volumeBackups") == (newest(many), 700, 700 - RESOURCE_ROWS)
        assert shown_table(html, OTHER_TENANCY, "volumeBackups") == (newest(fewer), 501, 1)
        ids, count, more = shown_table(html, OTHER_TENANCY, "volumes")
        assert (sorted(ids), count, more) == ([volume["id"] for volume in volumes], 3, 0)
    picked = requests.get(server.url + "/_mockoci/", params={"tenancy": OTHER_TENANCY}, timeout=30).text
    assert shown_table(picked, OTHER_TENANCY, "volumeBackups") == (newest(fewer), 501, 1)
    assert f'data-tenancy="{TENANCY}"' not in picked and f"?tenancy={TENANCY}" in picked  # still in the picker
    newest_id = newest(fewer)[0]  # its row holds its own name, etag and JSON
    row = re.search(rf'<tr data-id="{re.escape(newest_id)}">(.*?)</tr>', picked, re.S)
    assert row is not None and "many-1500" in row.group(1)
    assert "&#34;displayName&#34;: &#34;many-1500&#34;" in row.group(1)
    assert server.store.get_volume_backup(tenancy=OTHER_TENANCY, backup_id=newest_id).etag in row.group(1)


def test_the_store_gives_each_collections_newest_versions_and_how_many_it_holds() -> None:
    """Store.newest, against sorting the whole snapshot: across compartments and regions, with equal times,
    after moves between compartments and deletions, for limits below, at and past what is held."""
    store = Store(lifecycle_mode="immediate")
    chance = random.Random(12)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    for tenancy in (TENANCY, OTHER_TENANCY):
        store.seed(tenancy=tenancy, backups=[VolumeBackup.model_validate(backup_item(
            n, second=chance.randrange(100), compartment=f"ocid1.compartment.oc1..aaaaaaaanewest{chance.randrange(6)}",
            region=chance.choice(("iad", "phx", "fra")),
        ) | {"timeCreated": (start + timedelta(seconds=chance.randrange(100),
                                               microseconds=chance.choice((0, 250)))).isoformat()})
            for n in range(300)])
    backups = list(store.snapshot()[TENANCY]["volumeBackups"])
    for record in chance.sample(backups, 40):
        store.change_volume_backup_compartment(
            tenancy=TENANCY, backup_id=record.model.id,
            details=ChangeVolumeBackupCompartmentDetails(compartmentId="ocid1.compartment.oc1..aaaaaaaamoved"))
    for record in chance.sample(backups, 30):
        store.delete_volume_backup(tenancy=TENANCY, backup_id=record.model.id)
    snapshot = store.snapshot()
    for limit in (1, 7, 299, 300, 400):
        newest = store.newest(limit)
        assert newest.keys() == snapshot.keys()
        for tenancy, collections in snapshot.items():
            assert newest[tenancy].keys() == collections.keys()
            for name, records in collections.items():
                expected = sorted(records, key=lambda record: (record.model.time_created, record.model.id),
                                  reverse=True)[:limit]
                assert newest[tenancy][name].records == expected, (tenancy, name, limit)
                assert newest[tenancy][name].held == len(records)
    picked = store.newest(5, OTHER_TENANCY)
    assert picked[TENANCY] == {} and len(picked[OTHER_TENANCY]["volumeBackups"].records) == 5


def test_what_is_read_for_the_page_shows_what_the_whole_state_document_would() -> None:
    """shown_state (the store's newest records, and counts) against the whole state document with the etags asked
    of the store (as the dashboard read it before): the same view, of every kind, with distinct creation times."""
    store = Store(lifecycle_mode="immediate")
    compartments = [f"ocid1.compartment.oc1..aaaaaaaashown{c}" for c in range(3)]
    store.seed(tenancy=TENANCY, backups=[VolumeBackup.model_validate(backup_item(
        n, second=n * 7 % 620, compartment=compartments[n % 3], region=("iad", "phx")[n % 2])) for n in range(620)])
    store.seed(tenancy=OTHER_TENANCY, backups=[VolumeBackup.model_validate(backup_item(
        n, second=n, compartment=compartments[0], region="iad")) for n in range(10)])
    volumes = []
    for n in range(3):
        store.advance_clock(0.01)
        volumes.append(store.create_volume(tenancy=TENANCY, details=CreateVolumeDetails(
            availabilityDomain="Uocm:US-ASHBURN-AD-1", compartmentId=compartments[n % 3], sizeInGBs=50)).model.id)
    store.advance_clock(0.01)
    policy = store.create_volume_backup_policy(tenancy=TENANCY, details=CreateVolumeBackupPolicyDetails(
        compartmentId=compartments[0], displayName="mine")).model.id
    store.advance_clock(0.01)
    store.create_volume_backup_policy_assignment(tenancy=TENANCY, details=CreateVolumeBackupPolicyAssignmentDetails(
        assetId=volumes[0], policyId=policy))
    store.advance_clock(0.01)
    store.copy_volume_backup(tenancy=TENANCY, backup_id=backup_item(3, second=0, compartment="", region="phx")["id"],
                             details=CopyVolumeBackupDetails(destinationRegion="us-ashburn-1"))

    def view(**read: Any) -> Any:
        return build_view(journal=[], faults=[], clock={}, lifecycle={}, tenancy_lifecycle=lambda t: {}, **read)

    def asked(tenancy: str, kind: str, item: Any) -> str | None:
        return store.get_volume_backup(tenancy=tenancy, backup_id=item["id"]).etag if kind == "volumeBackups" \
            else None

    state, counts, etag_of = shown_state(store)
    shown = view(state=state, held_counts=counts, etag_of=etag_of)
    whole = view(state=state_document(store), etag_of=asked)
    assert shown == whole
    (section,) = (section for section in shown.tenancies if section.tenancy == TENANCY)
    tables = {table.kind: table for table in section.tables}
    assert {kind: (len(table.rows), table.hidden) for kind, table in tables.items()} == {
        "volumeBackups": (RESOURCE_ROWS, 621 - RESOURCE_ROWS), "volumes": (3, 0), "workRequests": (1, 0),
        "volumeBackupPolicies": (1, 0), "volumeBackupPolicyAssignments": (1, 0),
    }
    for selected in (TENANCY, OTHER_TENANCY):
        state, counts, etag_of = shown_state(store, selected)
        assert view(state=state, held_counts=counts, etag_of=etag_of, selected=selected) == view(
            state=state_document(store), etag_of=asked, selected=selected)


# ---- the view model


def test_every_kind_in_the_state_document_gets_a_table() -> None:
    state = {"tenancies": {TENANCY: {
        "volumeBackups": [
            {"id": "b1", "displayName": "old", "lifecycleState": "AVAILABLE", "timeCreated": "2025-01-01T00:00:00Z"},
            {"id": "b2", "displayName": "new", "lifecycleState": "CREATING", "timeCreated": "2025-02-01T00:00:00Z"},
        ],
        "workRequests": [{"id": "w1", "status": "IN_PROGRESS", "etag": "e-w1", "timeAccepted": "2025-03-01"}],
        "volumes": [{"id": "v1", "compartmentId": TENANCY, "sizeInGBs": 50}],
        "notAList": {"x": 1},
    }}}
    etags = {"b1": "e-b1", "b2": "e-b2"}
    view = build_view(
        state=state, journal=[], faults=[], clock={"now": "now", "offset": 0},
        lifecycle={"mode": "immediate", "delay": 0}, tenancy_lifecycle=lambda t: {"mode": "manual"},
        etag_of=lambda tenancy, kind, item: etags.get(item["id"]),
    )
    (section,) = view.tenancies
    assert [(t.kind, t.title) for t in section.tables] == [
        ("volumeBackups", "Volume backups"), ("workRequests", "Work requests"), ("volumes", "Volumes"),
    ]
    backups, work, volumes = section.tables
    assert [(r.id, r.name, r.state, r.etag) for r in backups.rows] == [
        ("b2", "new", "CREATING", "e-b2"), ("b1", "old", "AVAILABLE", "e-b1"),
    ]
    assert (work.rows[0].state, work.rows[0].etag, work.rows[0].created) == ("IN_PROGRESS", "e-w1", "2025-03-01")
    assert (volumes.rows[0].name, volumes.rows[0].state, volumes.rows[0].compartment_id) == (None, None, TENANCY)
    assert '"sizeInGBs": 50' in volumes.rows[0].document


def test_requests_are_grouped_by_tenancy_newest_first() -> None:
    journal = [
        {"seq": 1, "status": 200, "tenancy": TENANCY, "method": "GET", "path": "/a"},
        {"seq": 2, "status": 404, "tenancy": None, "method": "GET", "path": "/nowhere", "errorCode": "NotFound"},
        {"seq": 3, "status": 401, "tenancy": TENANCY, "method": "GET", "path": "/b",
         "authFailure": "the signature does not verify", "errorCode": "NotAuthenticated"},
        {"seq": 4, "status": 503, "tenancy": OTHER_TENANCY, "method": "GET", "path": "/c", "fault": "fault-1"},
    ]
    view = build_view(
        state={"tenancies": {}}, journal=journal, faults=[], clock={}, lifecycle={},
        tenancy_lifecycle=lambda t: {}, etag_of=lambda *_: None, journal_limit=1,
    )
    assert [s.tenancy for s in view.tenancies] == [*sorted([TENANCY, OTHER_TENANCY]), None]
    by_tenancy = {s.tenancy: s for s in view.tenancies}
    mine, other, nobody = by_tenancy[TENANCY], by_tenancy[OTHER_TENANCY], by_tenancy[None]
    assert [row.seq for row in mine.journal] == [3] and mine.journal_hidden == 1
    assert mine.journal[0].why == "the signature does not verify"
    assert other.journal[0].why == "injected by fault rule fault-1"
    assert nobody.journal[0].error_code == "NotFound" and nobody.tables == []


def test_a_picked_tenancy_shows_only_itself() -> None:
    view = build_view(
        state={"tenancies": {TENANCY: {}, OTHER_TENANCY: {}}}, journal=[], faults=[], clock={}, lifecycle={},
        tenancy_lifecycle=lambda t: {"mode": "delay"}, etag_of=lambda *_: None, selected=OTHER_TENANCY,
    )
    assert [s.tenancy for s in view.tenancies] == [OTHER_TENANCY]
    assert view.all_tenancies == sorted([TENANCY, OTHER_TENANCY])


def test_small_pieces() -> None:
    assert kind_title("volumeBackups") == "Volume backups"
    assert kind_title("bootVolumeBackups") == "Boot volume backups"
    assert short_ocid("ocid1.tenancy.oc1..aaaaaaaabbbbbbbbccccccccdddddddd") == "tenancy…ccdddddddd"
    assert short_ocid("not-an-ocid") == "not-an-ocid"
    assert known_tenancies({"tenancies": {"b": {}}}, [{"tenancy": "a"}, {"tenancy": None}], [{"tenancy": "c"}]) == [
        "a", "b", "c",
    ]
    row = journal_row({"seq": 9, "status": 401, "time": "2026-01-02T03:04:05.678Z", "authFailure": None,
                       "fault": None})
    assert (row.clock, row.failed, row.why) == ("03:04:05.678", True, None)


# ---- how a browser shows an admin token (mockoci.dashboard.access)


def page_scope(path: str = "/_mockoci/", *, method: str = "GET", query: bytes = b"",
               cookie: str | None = None) -> dict[str, Any]:
    headers = [(b"cookie", cookie.encode("latin-1"))] if cookie is not None else []
    return {"type": "http", "method": method, "path": path, "query_string": query, "headers": headers}


def test_a_page_takes_the_token_from_the_query_or_the_cookie() -> None:
    from mockoci.dashboard.access import is_asset, page_token

    assert page_token(page_scope(query=b"token=s3cret&tenancy=x")) == "s3cret"
    assert page_token(page_scope("/", query=b"token=s3cret")) == "s3cret"
    assert page_token(page_scope(cookie="other=1; mockoci_admin_token=s%20cret%3D")) == "s cret="
    assert page_token(page_scope()) is None
    assert page_token(page_scope(cookie="mockoci_admin_token=")) is None
    assert page_token(page_scope(cookie='bad"cookie')) is None
    # only a GET of the pages: the admin API wants the header
    assert page_token(page_scope("/_mockoci/reset", method="POST", query=b"token=s3cret")) is None
    assert page_token(page_scope("/_mockoci/state", cookie="mockoci_admin_token=s3cret")) is None
    assert page_token(page_scope(method="POST", cookie="mockoci_admin_token=s3cret")) is None
    assert is_asset("/_mockoci/static/dashboard/dashboard.js") and is_asset("/_mockoci/static/swagger-ui/x.css")
    assert not is_asset("/_mockoci/state") and not is_asset("/_mockoci/")
