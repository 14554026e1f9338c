"""The dashboard's timeline in headless Chromium: jobs drawn as status segments on the fake clock, the now line
moving when the clock is advanced through the control API, a forced failure and webhook attempts on their rows,
a job's details on a click, data in the first paint, and nothing wider than the page at 1,280 px. The scene is
tests/browser/scene.py's, which also makes docs/timeline.png."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.browser.scene import Scene, scene
from tests.browser.test_dashboard import browser  # noqa: F401  (the module's Chromium, a fixture)

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture says what it needs
    expect = None

WIDTH = 1280


@pytest.fixture(scope="module")
def played() -> Iterator[Scene]:
    with scene() as s:
        yield s


def open_page(browser: Any, s: Scene) -> Any:  # noqa: F811
    page = browser.new_page(viewport={"width": WIDTH, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.errors = errors
    page.goto(s.fake.url + "/_fakeexports/ui")
    return page


def row(page: Any, job: str) -> Any:
    return page.locator(f"#tl-svg .tl-row[data-job='{job}']")


def test_the_first_paint_has_the_data(browser: Any, played: Scene) -> None:  # noqa: F811
    """The page carries its first data: with the scripts that fetch blocked, the timeline and the clock are drawn."""
    page = browser.new_page(viewport={"width": WIDTH, "height": 900})
    page.route("**/_fakeexports/*", lambda route: route.abort() if "/ui" not in route.request.url else
               route.continue_())  # every fetch of the page fails: only what the page carried can show
    page.goto(played.fake.url + "/_fakeexports/ui")
    assert page.locator("#clock-now").inner_text() == "2026-01-15T12:04:50Z"
    assert page.locator("#tl-svg .tl-row").count() == len(played.jobs)
    assert page.locator("#jobs tbody tr").count() == len(played.jobs)
    page.close()


def test_a_jobs_segments_are_drawn_in_order_and_the_now_line_moves_with_the_clock(browser: Any) -> None:  # noqa: F811
    with scene() as s:  # its own: this test moves the clock
        page = open_page(browser, s)
        month = row(page, s.jobs["messages, a month"])  # made at 12:02:00: a minute Submitted, 15 min Running
        month.wait_for()
        assert month.locator("text.clipped").text_content() == "\u203athen Completed at 2026-01-15T12:18:00Z"
        page.select_option("#tl-window", "3600")  # an hour, 42 min before now and 18 after: all of it
        segments = month.locator("rect.seg")
        statuses = [segments.nth(i).get_attribute("data-status") for i in range(segments.count())]
        parts = [segments.nth(i).get_attribute("data-part") for i in range(segments.count())]
        xs = [float(segments.nth(i).get_attribute("x")) for i in range(segments.count())]
        assert statuses == ["Submitted", "Running", "Running", "Completed"]  # Running: so far, then to its end
        assert parts == ["past", "past", "future", "future"] and xs == sorted(xs)
        assert "future" in (segments.nth(3).get_attribute("class") or "")  # scheduled: drawn dashed and lighter
        now = page.locator("#tl-now")
        assert float(now.get_attribute("data-at")) == s.fake.runtime.clock.now()
        assert abs(float(now.get_attribute("x1")) - xs[2]) < 1  # what is to come starts at the now line
        ahead = float(now.get_attribute("x1")) - xs[0]  # from the job's creation to now

        # the clock advanced through the control API: the page follows, and the now line is 60 s further on
        moved = s.advance(60)
        assert moved["epoch"] % 1 == 0
        expect(page.locator("#clock-now")).to_have_text(moved["now"])
        expect(now).to_have_attribute("data-at", str(int(moved["epoch"])))
        scale = float(page.locator("#tl-svg").get_attribute("data-scale"))  # pixels a second
        start = float(segments.nth(0).get_attribute("x"))
        assert float(now.get_attribute("x1")) - start == pytest.approx(ahead + 60 * scale, abs=1.5)
        assert page.errors == []
        page.close()


def test_a_forced_failure_and_webhook_attempts_are_on_their_rows(browser: Any, played: Scene) -> None:  # noqa: F811
    page = open_page(browser, played)
    # the outcome fault's job failed at its creation; the one forced through the control API, while it ran
    for name in ("failed by a fault", "talkdesk calls"):
        forced = row(page, played.jobs[name]).locator("polygon.forced")
        expect(forced).to_have_count(1)
        assert "forced" in forced.locator("title").text_content()
        assert row(page, played.jobs[name]).locator("rect.seg.k-bad").count() >= 1  # drawn as failed
    # the callback failed once, then was answered; the webhook failed once, and its retry waits
    callback = row(page, played.jobs["cdr with a callback"])
    assert [c.get_attribute("class") for c in callback.locator("circle.wh").all()] == ["wh failed", "wh ok"]
    webhook = row(page, played.jobs["messages, a week"])
    assert [c.get_attribute("class") for c in webhook.locator("circle.wh").all()] == ["wh failed", "wh scheduled"]
    assert "500 (will retry)" in webhook.locator("circle.wh.failed title").text_content()
    # the armed fault is named above the rows
    expect(page.locator("#tl-faults")).to_contain_text("didww CreateExport: 503 Injected fault (2 left)")
    assert page.errors == []
    page.close()


def test_clicking_a_job_opens_its_details(browser: Any, played: Scene) -> None:  # noqa: F811
    page = open_page(browser, played)
    job = played.jobs["cdr with a callback"]
    row(page, job).click()
    detail = page.locator("#tl-detail")
    expect(detail).to_be_visible()
    text = detail.inner_text()
    assert job in text and "didww" in text and "…-key" in text  # the tenant as the dashboard shows it: masked
    for status, start in (("pending", "12:00:00Z"), ("processing", "12:00:30Z"), ("completed", "12:02:00Z")):
        assert f"{status}\t2026-01-15T{start}" in text
    assert "callback_url" in text and "POST" in text  # its parameters
    assert "500 (will retry)" in text and "204" in text  # its callback's attempts
    assert "POST /didww/v3/exports" in text  # the request that made it
    href = detail.locator("a.file").first.get_attribute("href")  # DIDWW serves its file under its own API
    assert href is None or requests.get(href, headers={"Api-Key": "timeline-key"}, timeout=10).status_code == 200
    detail.locator("#tl-close").click()
    expect(detail).to_be_hidden()
    assert page.errors == []
    page.close()


def test_nothing_is_wider_than_the_page_at_1280_px(browser: Any, played: Scene) -> None:  # noqa: F811
    page = open_page(browser, played)
    row(page, played.jobs["messages, a week"]).click()
    page.wait_for_selector("#journal tbody tr")
    page.wait_for_selector("#tl-detail:not([hidden])")
    sizes = json.loads(page.evaluate("""JSON.stringify({page: document.documentElement.scrollWidth,
      sections: [...document.querySelectorAll('section')].map((s) => [s.id, s.scrollWidth, s.clientWidth])})"""))
    assert sizes["page"] <= WIDTH
    assert [s for s in sizes["sections"] if s[1] > s[2]] == []  # no section scrolls sideways: no column is cut
    svg = page.locator("#tl-svg").bounding_box()
    assert svg["x"] >= 0 and svg["x"] + svg["width"] <= WIDTH
    assert page.errors == []
    page.close()
