"""The dashboard and the docs page in a real headless Chromium (Debian's `chromium` and `chromium-driver`, driven
by selenium): the page shows what the `oci` SDK just did, refreshes by itself, and its reset button empties it.

Run with `pytest -m browser`. Set MOCKOCI_DASHBOARD_SCREENSHOT to a path (docs/dashboard.png) to save a
screenshot of the page there.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import oci
import pytest
import requests
from conftest import TENANCY, make_client
from test_dashboard import stranger_config

from mockoci.server import MockOCIServer

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (pip install '.[test]')")
from selenium.common.exceptions import TimeoutException  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.remote.webdriver import WebDriver  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("MOCKOCI_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("MOCKOCI_CHROMEDRIVER", "/usr/bin/chromedriver")
CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage", "--window-size=1440,1000",
)
WAIT = 15.0  # seconds a page may take to show what the test expects


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    for path, package in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not (Path(path).is_file() or shutil.which(path)):
            pytest.skip(f"no {path}: install Debian's {package} (apt-get install -y chromium chromium-driver)")
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="mockoci-chromium-")
    options = Options()
    options.binary_location = CHROMIUM
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def wait_for(driver: WebDriver, condition: Callable[[WebDriver], Any], what: str) -> Any:
    try:
        return WebDriverWait(driver, WAIT, poll_frequency=0.1).until(condition)
    except TimeoutException:
        raise AssertionError(f"the page never showed {what}") from None


def resource_row(driver: WebDriver, backup_id: str) -> Any:
    rows = driver.find_elements(By.CSS_SELECTOR, f'tr[data-id="{backup_id}"]')
    return rows[0] if rows else None


def journal_rows(driver: WebDriver, tenancy: str) -> list[Any]:
    return list(driver.find_elements(By.CSS_SELECTOR, f'section[data-tenancy="{tenancy}"] table.journal tbody tr'))


def test_the_dashboard_shows_sdk_requests_and_resets(
    browser: WebDriver, verify_server: MockOCIServer, oci_config: dict[str, Any]
) -> None:
    base = verify_server.url + "/_mockoci"
    requests.post(base + "/reset", timeout=10)
    no_retry = oci.retry.NoneRetryStrategy()
    client = make_client(oci_config, verify_server.url, retry_strategy=no_retry)
    models = oci.core.models
    volume = "ocid1.volume.oc1.iad.dashboardvolume"
    nightly = client.create_volume_backup(models.CreateVolumeBackupDetails(
        volume_id=volume, display_name="nightly-db", type="INCREMENTAL")).data
    weekly = client.create_volume_backup(models.CreateVolumeBackupDetails(
        volume_id=volume, display_name="weekly-full", type="FULL")).data
    weekly_etag = client.get_volume_backup(weekly.id).headers["etag"]
    requests.put(base + "/lifecycle", params={"tenancy": TENANCY}, json={"mode": "manual"}, timeout=10)
    pending = client.create_volume_backup(models.CreateVolumeBackupDetails(
        volume_id=volume, display_name="before-upgrade")).data
    failures = [
        lambda: client.update_volume_backup(nightly.id, models.UpdateVolumeBackupDetails(display_name="renamed"),
                                            if_match="not-the-etag"),
        lambda: client.get_volume_backup(nightly.id[:-4] + "gone"),
        lambda: client.list_volume_backups(compartment_id=TENANCY),  # the fault rule below answers 503
        lambda: make_client(stranger_config(oci_config), verify_server.url, retry_strategy=no_retry)
        .list_volume_backups(compartment_id=TENANCY),
    ]
    requests.post(base + "/faults", json={
        "operation": "ListVolumeBackups", "tenancy": TENANCY, "status": 503, "times": 1,
    }, timeout=10)
    statuses = []
    for failing in failures:
        with pytest.raises(oci.exceptions.ServiceError) as error:
            failing()
        statuses.append(error.value.status)
    assert statuses == [412, 404, 503, 401]

    browser.get(verify_server.url + "/")  # the landing page leads to the dashboard
    assert browser.current_url == base + "/"
    assert browser.title == "mockoci dashboard"
    wait_for(browser, lambda d: resource_row(d, pending.id), "the backup just created")
    for backup, state in ((nightly, "AVAILABLE"), (weekly, "AVAILABLE"), (pending, "REQUEST_RECEIVED")):
        row = resource_row(browser, backup.id)
        assert backup.display_name in row.text
        assert row.find_element(By.CSS_SELECTOR, ".state").text == state
    assert resource_row(browser, weekly.id).find_element(By.CSS_SELECTOR, ".etag").text == weekly_etag
    assert "manual" in browser.find_element(By.CSS_SELECTOR, f'section[data-tenancy="{TENANCY}"] .facts').text

    # the journal: newest first, each failure with its code; the 401 says why authentication failed
    rows = journal_rows(browser, TENANCY)
    assert [int(row.get_attribute("data-status")) for row in rows[:4]] == [401, 503, 404, 412]
    codes = [row.find_element(By.CSS_SELECTOR, ".error-code").text for row in rows[:4]]
    assert codes == ["NotAuthenticated", "ServiceUnavailable", "NotAuthorizedOrNotFound", "NoEtagMatch"]
    journal = requests.get(base + "/journal", params={"tenancy": TENANCY}, timeout=10).json()
    reason = journal[-1]["authFailure"]
    assert reason and reason in rows[0].find_element(By.CSS_SELECTOR, ".why").text
    assert "fault rule" in rows[1].find_element(By.CSS_SELECTOR, ".why").text
    assert browser.find_elements(By.CSS_SELECTOR, f'section[data-tenancy="{TENANCY}"] tr[data-fault]')

    # auto-refresh: a request made after the page loaded appears without a reload
    browser.execute_script("window.mockociNotReloaded = true")
    late = client.create_volume_backup(models.CreateVolumeBackupDetails(
        volume_id=volume, display_name="after-load")).data
    wait_for(browser, lambda d: resource_row(d, late.id), "a backup created after the page loaded")
    assert browser.execute_script("return window.mockociNotReloaded") is True
    assert "updated" in browser.find_element(By.ID, "refresh-status").text

    screenshot = os.environ.get("MOCKOCI_DASHBOARD_SCREENSHOT")
    if screenshot:
        browser.set_window_size(1440, 1500)
        browser.save_screenshot(screenshot)

    # the tenancy's reset button: its backups, requests and fault rules are gone
    browser.find_element(By.CSS_SELECTOR, f'button[data-reset="{TENANCY}"]').click()
    wait_for(browser, lambda d: resource_row(d, nightly.id) is None and not journal_rows(d, TENANCY)
             and not d.find_elements(By.CSS_SELECTOR, "tr[data-fault]"), "an empty tenancy after reset")
    assert requests.get(base + "/journal", params={"tenancy": TENANCY}, timeout=10).json() == []
    with pytest.raises(oci.exceptions.ServiceError) as gone:
        client.get_volume_backup(nightly.id)
    assert gone.value.status == 404


def test_reset_everything_empties_every_tenancy(
    browser: WebDriver, server: MockOCIServer, oci_config: dict[str, Any]
) -> None:
    client = make_client(oci_config, server.url)
    created = client.create_volume_backup(
        oci.core.models.CreateVolumeBackupDetails(volume_id="ocid1.volume.oc1.iad.dashboardvolume")).data
    other = "ocid1.tenancy.oc1..aaaaaaaadashboardbrowser"
    requests.post(server.url + "/_mockoci/backups/generate", params={"tenancy": other},
                  json={"count": 3, "seed": 5}, timeout=10)
    browser.get(server.url + "/_mockoci/")
    wait_for(browser, lambda d: resource_row(d, created.id), "the backup just created")
    assert len(browser.find_elements(By.CSS_SELECTOR, f'section[data-tenancy="{other}"] table.resources tbody tr')) == 3
    browser.find_element(By.ID, "reset-all").click()
    wait_for(browser, lambda d: not d.find_elements(By.CSS_SELECTOR, "table.resources tbody tr")
             and not d.find_elements(By.CSS_SELECTOR, "table.journal tbody tr"), "an empty server after reset")


def test_the_docs_page_renders_offline(browser: WebDriver, server: MockOCIServer) -> None:
    browser.get(server.url + "/_mockoci/docs")
    wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".opblock"), "Swagger UI's operations")
    summaries = " ".join(e.text for e in browser.find_elements(By.CSS_SELECTOR, ".opblock-summary-path"))
    assert "/20160918/volumeBackups" in summaries and "/_mockoci/reset" in summaries
    loaded = browser.execute_script(
        "return performance.getEntriesByType('resource').map((entry) => entry.name)"
    )
    assert loaded and all(url.startswith(server.url + "/") for url in loaded), loaded


def test_every_admin_call_carries_the_token_the_page_was_opened_with(
    browser: WebDriver, server: MockOCIServer
) -> None:
    """For servers whose admin API needs a token: the page's one fetch helper sends it as a bearer token."""
    browser.delete_all_cookies()
    browser.get(server.url + "/_mockoci/?token=s3cret")
    sent = browser.execute_async_script("""
        const done = arguments[arguments.length - 1];
        const realFetch = window.fetch;
        window.fetch = (url, init) => { window.fetch = realFetch; done([url, init.headers.get("authorization")]); };
        document.getElementById("reset-all").click();
    """)
    assert sent == ["/_mockoci/reset", "Bearer s3cret"]
    browser.get(server.url + "/_mockoci/")  # the token is kept for this browser session
    assert browser.execute_script("return adminToken()") == "s3cret"
    browser.delete_all_cookies()
    browser.get(server.url + "/_mockoci/")
    assert browser.execute_script("return adminToken()") is None


def test_the_dashboard_works_with_an_admin_token(
    browser: WebDriver, start_server: Callable[..., MockOCIServer], oci_config: dict[str, Any]
) -> None:
    from mockoci.settings import Settings

    if "admin_token" not in Settings.model_fields:
        pytest.skip("this build has no admin token (--admin-token)")
    server = start_server(admin_token="s3cret", lifecycle_delay=0)
    client = make_client(oci_config, server.url)
    models = oci.core.models
    created = client.create_volume_backup(models.CreateVolumeBackupDetails(volume_id="ocid1.volume.oc1.iad.v")).data
    browser.delete_all_cookies()
    browser.get(server.url + "/_mockoci/")
    assert "NotAuthenticated" in browser.find_element(By.TAG_NAME, "body").text  # no token, no page
    browser.get(server.url + "/?token=s3cret")  # the link a user is given
    wait_for(browser, lambda d: resource_row(d, created.id), "the backup, with the token")
    assert browser.execute_script("return getComputedStyle(document.querySelector('.top')).position") == "sticky"
    browser.get(server.url + f"/_mockoci/?tenancy={TENANCY}")  # a link of the page: the cookie carries the token
    wait_for(browser, lambda d: resource_row(d, created.id), "the backup, through the cookie")
    late = client.create_volume_backup(models.CreateVolumeBackupDetails(volume_id="ocid1.volume.oc1.iad.v")).data
    wait_for(browser, lambda d: resource_row(d, late.id), "a backup made after the page loaded (auto-refresh)")
    browser.find_element(By.CSS_SELECTOR, f'button[data-reset="{TENANCY}"]').click()
    wait_for(browser, lambda d: resource_row(d, created.id) is None, "an empty tenancy after reset")
    browser.get(server.url + "/_mockoci/docs")
    wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".opblock"), "Swagger UI (its assets are open)")
    browser.delete_all_cookies()
