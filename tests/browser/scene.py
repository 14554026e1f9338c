"""A realistic scene for the dashboard's timeline: jobs of every vendor made through their APIs on the virtual clock,
polled, one failed by an outcome fault, one forced through the control API, webhooks and callbacks answered by a
receiver that fails the first call of each, and the clock advanced through the control API. The browser test reads
it; ``python -m tests.browser.scene`` saves docs/timeline.png and docs/dashboard.png from it at 1,280 px."""

from __future__ import annotations

import argparse
import base64
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import requests

from fakeexports.server import ServerThread
from tests.conftest import ACCOUNT, TOKEN, settings

HB = {"Authorization": "Bearer hb_test_timeline"}
DIDWW = {"Api-Key": "timeline-key", "Content-Type": "application/vnd.api+json", "Accept": "application/vnd.api+json"}
TALKDESK = {"Authorization": "Basic " + base64.b64encode(b"timeline-client:s3cret").decode()}
DOCS = Path(__file__).resolve().parents[2] / "docs"


class Receiver:
    """Webhooks and callbacks on loopback: the first call to each path is answered 500, the next ones 204."""

    def __init__(self) -> None:
        seen: set[str] = set()

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                path = self.path.partition("?")[0]
                self.send_response(204 if path in seen else 500)
                seen.add(path)
                self.end_headers()

            do_GET = do_POST = _answer

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclass
class Scene:
    fake: ServerThread
    jobs: dict[str, str] = field(default_factory=dict)  # what each job is in the scene -> its id

    def advance(self, seconds: float) -> dict[str, Any]:
        resp = requests.post(self.fake.url + "/_fakeexports/clock/advance", json={"seconds": seconds}, timeout=30)
        assert resp.status_code == 200, resp.text
        return dict(resp.json())

    def twilio(self, name: str, days: int, webhook: str | None = None) -> str:
        first = date(2026, 1, 13) - timedelta(days=days - 1)  # days that ended two days before the clock's
        form = {"StartDay": first.isoformat(), "EndDay": "2026-01-13", "FriendlyName": name,
                **({"WebhookUrl": webhook, "WebhookMethod": "POST"} if webhook else {})}
        resp = requests.post(self.fake.vendor_url("twilio") + "/v1/Exports/Messages/Jobs", auth=(ACCOUNT, TOKEN),
                             data=form, timeout=10)
        assert resp.status_code == 201, resp.text
        self.jobs[name] = resp.json()["job_sid"]
        return self.jobs[name]

    def poll_twilio(self, name: str) -> None:
        resp = requests.get(self.fake.vendor_url("twilio") + f"/v1/Exports/Jobs/{self.jobs[name]}",
                            auth=(ACCOUNT, TOKEN), timeout=10)
        assert resp.status_code == 200, resp.text

    def hookbridge(self, name: str) -> str:
        resp = requests.post(self.fake.vendor_url("hookbridge") + "/v1/exports", headers=HB, timeout=10,
                             json={"start_time": "2026-01-14T00:00:00Z", "end_time": "2026-01-15T00:00:00Z"})
        assert resp.status_code == 201, resp.text
        self.jobs[name] = resp.json()["data"]["id"]
        return self.jobs[name]

    def didww(self, name: str, callback: str) -> str:
        resp = requests.post(self.fake.vendor_url("didww") + "/exports", headers=DIDWW, timeout=10, json={
            "data": {"type": "exports", "attributes": {"export_type": "cdr_in", "filters": {"year": "2026", "month": "1"},
                                                       "callback_url": callback, "callback_method": "POST"}}})
        assert resp.status_code == 201, resp.text
        self.jobs[name] = resp.json()["data"]["id"]
        return self.jobs[name]

    def talkdesk(self, name: str) -> str:
        tok = requests.post(self.fake.vendor_url("talkdesk") + "/oauth/token", headers=TALKDESK, timeout=10, data={
            "grant_type": "client_credentials", "scope": "data-reports:read data-reports:write"})
        assert tok.status_code == 200, tok.text
        resp = requests.post(self.fake.vendor_url("talkdesk") + "/data/reports/calls/jobs", timeout=10,
                             headers={"Authorization": f"Bearer {tok.json()['access_token']}"},
                             json={"format": "json", "timespan": {"from": "2026-01-14T00:00:00Z",
                                                                  "to": "2026-01-15T00:00:00Z"}})
        assert resp.status_code == 202, resp.text
        self.jobs[name] = resp.json()["job"]["id"]
        return self.jobs[name]

    def force(self, vendor: str, name: str, status: str) -> None:
        resp = requests.post(self.fake.url + f"/_fakeexports/jobs/{vendor}/{self.jobs[name]}/force",
                             json={"status": status}, timeout=10)
        assert resp.status_code == 200, resp.text

    def fault(self, **fault: Any) -> None:
        resp = requests.post(self.fake.url + "/_fakeexports/faults", json=fault, timeout=10)
        assert resp.status_code == 201, resp.text


@contextmanager
def scene() -> Iterator[Scene]:
    """The scene, played up to 12:04:50 on the virtual clock (it starts at 12:00:00)."""
    receiver = Receiver()
    try:
        with ServerThread(settings(clock="virtual", strict=True, fixtures="none")) as fake:
            s = Scene(fake)
            # 12:00:00 every vendor's export, two with a webhook or callback; an outcome fault fails the next Twilio job
            s.twilio("messages, a week", 7, receiver.url("/twilio"))
            s.didww("cdr with a callback", receiver.url("/didww"))
            s.hookbridge("hookbridge export")
            s.talkdesk("talkdesk calls")
            s.fault(vendor="twilio", operation="CreateExportCustomJob", outcome="Failed")
            s.twilio("failed by a fault", 2)
            s.poll_twilio("messages, a week")
            s.advance(15)
            # 12:00:15 one forced to fail through the control API while it runs; more polls as the clock goes
            s.force("talkdesk", "talkdesk calls", "failed")
            s.poll_twilio("messages, a week")
            s.advance(105)
            # 12:02:00 a longer Twilio export
            s.twilio("messages, a month", 30)
            s.poll_twilio("messages, a week")
            s.advance(90)
            # 12:03:30 a second export of HookBridge; a fault armed for the next two DIDWW exports
            s.hookbridge("second hookbridge export")
            s.fault(vendor="didww", operation="CreateExport", status=503, times=2)
            s.advance(80)
            # 12:04:50 the week's export is done: its webhook failed once, and its retry waits for 12:05:00
            yield s
    finally:
        receiver.close()


def main() -> int:
    from playwright.sync_api import sync_playwright

    from tests.browser.test_dashboard import ARGS, CHROMIUM

    ap = argparse.ArgumentParser(description="save the dashboard's screenshots from the timeline scene")
    ap.add_argument("--out", type=Path, default=DOCS, help="where timeline.png and dashboard.png go (docs/)")
    args = ap.parse_args()
    with scene() as s, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=os.environ.get("FAKEEXPORTS_CHROMIUM", CHROMIUM), args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 1100})
        page.goto(s.fake.url + "/_fakeexports/ui")
        page.wait_for_selector("#tl-svg .tl-row")
        page.wait_for_selector("#journal tbody tr")
        page.screenshot(path=str(args.out / "dashboard.png"))
        page.click(f"#tl-svg .tl-row[data-job='{s.jobs['messages, a week']}']")
        page.wait_for_selector("#tl-detail:not([hidden])")
        page.locator("#timeline-section").evaluate("node => { node.style.maxHeight = 'none'; }")  # all of it
        page.locator("#timeline-section").screenshot(path=str(args.out / "timeline.png"))
        browser.close()
    print(f"saved {args.out / 'timeline.png'} and {args.out / 'dashboard.png'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
