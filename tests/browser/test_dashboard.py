"""The dashboard at /_fakeexports/ui in headless Chromium (Debian's /usr/bin/chromium, or FAKEEXPORTS_CHROMIUM),
driven by Playwright: a job made through the API shows on the page, the clock is advanced from the page and
the job's status changes, the journal shows the requests, a fault is added and cleared, and under a control
token the page asks for it. FAKEEXPORTS_SCREENSHOT=path saves the page as the README shows it."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from fakeexports.server import ServerThread
from tests.conftest import ACCOUNT, TOKEN, settings
from tests.reference import skip_or_fail

try:
    from playwright.sync_api import expect, sync_playwright
except ImportError:  # the test says what it needs
    expect = sync_playwright = None

KEY = "hb_test_dashboard"
CHROMIUM = os.environ.get("FAKEEXPORTS_CHROMIUM", "/usr/bin/chromium")
# Chromium as root in a container, and no calls home on a closed network
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if sync_playwright is None:
        skip_or_fail("the dashboard test needs Playwright's Python package (pip install playwright)")
    if not shutil.which(CHROMIUM):
        skip_or_fail(f"the dashboard test needs Chromium at {CHROMIUM} (apt-get install chromium, or set "
                     "FAKEEXPORTS_CHROMIUM)")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def fake() -> Iterator[ServerThread]:
    with ServerThread(settings(clock="virtual", strict=True)) as srv:
        yield srv


def page_of(browser: Any, url: str) -> Any:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.errors = errors
    page.goto(url + "/_fakeexports/ui")
    return page


def test_a_job_on_the_page_moves_when_the_clock_is_advanced_from_the_page(browser: Any, fake: ServerThread) -> None:
    made = requests.post(fake.vendor_url("hookbridge") + "/v1/exports", headers={"Authorization": f"Bearer {KEY}"},
                         json={"start_time": "2026-01-14T00:00:00Z", "end_time": "2026-01-15T00:00:00Z"}, timeout=10)
    job = made.json()["data"]["id"]
    page = page_of(browser, fake.url)
    row = page.locator(f"#jobs tr[data-job='{job}']")
    row.wait_for()
    assert row.locator(".status").inner_text() == "pending"
    assert row.locator(".next").inner_text() == "processing at 2026-01-15T12:00:10Z"
    assert page.locator("#clock-now").inner_text() == "2026-01-15T12:00:00Z"

    page.click("[data-advance='60']")  # +1 min: pending 10 s, processing 60 s
    expect(page.locator("#clock-now")).to_have_text("2026-01-15T12:01:00Z")
    expect(row.locator(".status")).to_have_text("processing")
    page.fill("#advance-seconds", "10")
    page.click("#advance-go")
    expect(row.locator(".status")).to_have_text("completed")
    assert fake.runtime.clock.now() == 1768478400 + 70  # the page moved the server's clock, nothing else did

    # its file, linked from the row, is the export's CSV
    href = row.locator("a.file").get_attribute("href")
    assert href and requests.get(href, timeout=10).text.startswith("message_id,endpoint_id,")

    # the journal, live: the create, and nothing the page did itself (the control API is not journaled)
    page.wait_for_selector("#journal tbody tr")
    assert "POST /hookbridge/v1/exports" in page.locator("#journal").inner_text()
    requests.get(fake.vendor_url("twilio") + "/v1/Exports/Calls", auth=(ACCOUNT, TOKEN), timeout=10)
    expect(page.locator("#journal")).to_contain_text("GET /twilio/v1/Exports/Calls")

    if os.environ.get("FAKEEXPORTS_SCREENSHOT"):
        page.screenshot(path=os.environ["FAKEEXPORTS_SCREENSHOT"])
    assert page.errors == []


def test_the_lint_panel_shows_what_a_client_did_wrong(browser: Any, fake: ServerThread) -> None:
    page = page_of(browser, fake.url)
    expect(page.locator("#lint-count")).to_have_text("none")
    made = requests.post(fake.vendor_url("hookbridge") + "/v1/exports", headers={"Authorization": f"Bearer {KEY}"},
                         json={"start_time": "2026-01-14T00:00:00Z", "end_time": "2026-01-15T00:00:00Z"}, timeout=10)
    for _ in range(3):  # a poll too fast
        requests.get(fake.vendor_url("hookbridge") + f"/v1/exports/{made.json()['data']['id']}", timeout=10,
                     headers={"Authorization": f"Bearer {KEY}"})
    row = page.locator("#lint tr[data-rule='poll-too-fast']")
    row.wait_for()
    assert "was read again less than 5 s after the read before, 2 times" in row.inner_text()
    assert "#2 #3 #4" in row.inner_text()
    assert (row.locator("td[title^='INFERRED']").count()) == 1  # the rule's source, on hover
    expect(page.locator("#lint-count")).to_have_text("1 warning")
    assert page.errors == []


def test_faults_and_vendor_settings_from_the_page(browser: Any, fake: ServerThread) -> None:
    page = page_of(browser, fake.url)
    page.wait_for_selector("#fault-vendor option[value='twilio']", state="attached")
    page.select_option("#fault-vendor", "twilio")
    page.fill("#fault-form input[name='operation']", "ListDay")
    page.fill("#fault-form input[name='status']", "503")
    page.click("#fault-form button[type='submit']")
    page.wait_for_selector("#faults tbody tr")
    assert [f.operation for f in fake.runtime.faults.queue] == ["ListDay"]
    page.click("#faults-clear")
    expect(page.locator("#faults tbody tr")).to_have_count(0)
    assert fake.runtime.faults.queue == []

    # a vendor option changed on the page is the vendor's setting at once
    select = page.locator("#vendors [data-vendor='talkdesk'] select[name='done_status']")
    with page.expect_response(lambda r: r.url.endswith("/_fakeexports/vendors/talkdesk")) as answer:
        select.select_option("303")
    assert answer.value.status == 200
    assert fake.registry.vendors["talkdesk"].config["done_status"] == 303
    assert page.errors == []


def test_under_a_control_token_the_page_asks_for_it(browser: Any, tmp_path: Path) -> None:
    with ServerThread(settings(clock="virtual", control_token="team-token")) as srv:
        page = page_of(browser, srv.url)
        page.wait_for_selector("#banner.show")
        assert requests.get(srv.url + "/_fakeexports/jobs", timeout=10).status_code == 401  # the data is guarded
        page.fill("#token", "team-token")
        page.click("#token-save")
        page.wait_for_selector("#banner.show", state="hidden")
        page.wait_for_selector("#jobs tbody tr")  # the bundled fixtures' jobs
        page.click("[data-advance='3600']")
        expect(page.locator("#clock-now")).to_have_text("2026-01-15T13:00:00Z")
        assert page.errors == []


def test_what_clients_send_is_shown_as_text_never_as_markup(browser: Any, fake: ServerThread) -> None:
    evil = "<img/src=x/onerror=document.title=1>"  # a DIDWW Api-Key names its tenant: any printable text
    made = requests.post(fake.vendor_url("didww") + "/exports", headers={"Api-Key": evil,
                         "Content-Type": "application/vnd.api+json"}, timeout=10,
                         json={"data": {"type": "exports", "attributes": {"export_type": "cdr_in", "filters": {
                             "year": "2026", "month": "1"}}}})
    assert made.status_code == 201, made.text
    page = page_of(browser, fake.url)
    row = page.locator(f"#jobs tr[data-job='{made.json()['data']['id']}']")
    row.wait_for()
    expect(row.locator("td").nth(1)).to_have_text(evil[:4] + "…" + evil[-4:])  # the key, masked, still as text
    expect(page.locator("#journal")).to_contain_text("/didww/v3/exports")
    assert page.locator("img").count() == 0 and page.title() == "fakeexports"
    assert page.errors == []


def test_a_clock_picked_on_the_page_shows_and_moves_only_that_clock(browser: Any, fake: ServerThread) -> None:
    """The clock picker: every clock with its time and next event; picking one shows its jobs and journal and
    drives it (with its token, which the page asks for), while the server's clock stays where it was."""
    made = requests.post(fake.url + "/_fakeexports/clocks", timeout=10,
                         json={"tenants": [{"vendor": "hookbridge", "headers": {"Authorization": "Bearer hb_test_pick"}}]}
                         ).json()
    job = requests.post(fake.vendor_url("hookbridge") + "/v1/exports", headers={"Authorization": "Bearer hb_test_pick"},
                        json={"start_time": "2026-01-14T00:00:00Z", "end_time": "2026-01-15T00:00:00Z"},
                        timeout=10).json()["data"]["id"]
    page = page_of(browser, fake.url)
    picker = page.locator("#clock-pick")
    option = picker.locator(f"option[value='{made['id']}']")
    expect(option).to_contain_text(f"{made['id']} at 2026-01-15T12:00:00Z, next ")
    expect(option).to_contain_text("(hookbridge proj_")
    assert page.locator(f"#jobs tr[data-job='{job}']").count() == 0  # not on the server's clock
    picker.select_option(made["id"])
    page.locator("#banner.show").wait_for()  # a clock's data needs its token
    page.fill("#token", made["token"])
    page.click("#token-save")
    row = page.locator(f"#jobs tr[data-job='{job}']")
    expect(row.locator(".status")).to_have_text("pending")
    expect(page.locator("#journal")).to_contain_text("POST /hookbridge/v1/exports")
    page.click("[data-advance='60']")
    expect(page.locator("#clock-now")).to_have_text("2026-01-15T12:01:00Z")
    expect(row.locator(".status")).to_have_text("processing")
    assert fake.runtime.clock.now() == 1768478400  # the server's own clock did not move
    assert page.errors == []


def test_a_refused_requests_row_opens_its_reason_and_bodies(browser: Any, fake: ServerThread) -> None:
    """Clicking a journal row opens the detail panel (GET /_fakeexports/journal/{seq}): why it was refused, in the
    spec's words, and what was sent and answered, the credential masked."""
    refused = requests.post(fake.vendor_url("hookbridge") + "/v1/exports", headers={"Authorization": f"Bearer {KEY}"},
                            json={"start_time": "2026-13-01T00:00:00Z", "end_time": "2026-01-15T00:00:00Z"},
                            timeout=10)
    assert refused.status_code == 400
    page = page_of(browser, fake.url)
    assert page.locator("#journal-detail").is_hidden()
    row = page.locator("#journal tr[data-seq='1']")
    row.click()
    panel = page.locator("#journal-detail")
    expect(panel).to_be_visible()
    expect(panel.locator(".why-reason")).to_have_text(refused.json()["error"]["message"])
    expect(panel.locator(".why-where")).to_have_text("body.start_time")
    expect(panel.locator(".why-spec")).to_contain_text("'2026-13-01T00:00:00Z' is not a 'date-time'")
    expect(panel.locator("pre.body").first).to_contain_text('"start_time": "2026-13-01T00:00:00Z"')
    expect(panel.locator("pre.body").last).to_have_text(refused.text)
    expect(panel.locator("pre.headers").first).to_contain_text("Authorization: Bearer ***")
    assert KEY not in panel.inner_text()
    expect(row).to_have_class("picked")
    page.click("#journal-detail-close")
    expect(panel).to_be_hidden()
    assert page.errors == []
