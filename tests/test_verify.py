"""``fakeexports verify`` without the internet: the "real vendor" is a second fakeexports (real clock sped up, a
credentials file as a real account has) made to differ on purpose, by its own options or by a small proxy in front
of it that changes its answers. Each planted difference is reported precisely and nothing else is; an unchanged
second fake is clean."""

from __future__ import annotations

import asyncio
import gzip
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import requests
import yaml
from aiohttp import web

from fakeexports.cli import main
from fakeexports.server import ServerThread
from fakeexports.settings import Settings
from fakeexports.transcript import HIDDEN, Transcript
from fakeexports.vendors import discover
from fakeexports.verify import Check, Exchange, compare_statuses, drift_table, verify

VENDORS = discover()
ACCOUNTS = {  # the "real" account of each vendor: what its credentials file lists
    "twilio": {"account_sid": "AC" + "5" * 32, "auth_token": "real-token"},
    "didww": {"api_key": "real-didww-key"},
    "hookbridge": {"api_key": "hb_live_realkey"},
    "talkdesk": {"client_id": "real-client", "client_secret": "real-secret"},
}
JUDGED = sorted(ACCOUNTS)


@pytest.fixture
def upstream(tmp_path: Path) -> Iterator[Callable[..., ServerThread]]:
    """A second fakeexports as the vendor: its own clock running 60 times real time (a Talkdesk token lasts 10 real
    seconds), the accounts listed."""
    started: list[ServerThread] = []
    creds = tmp_path / "accounts.yaml"
    creds.write_text(yaml.safe_dump({v: [fields] for v, fields in ACCOUNTS.items()}))

    def start(**options: Any) -> ServerThread:
        server = ServerThread(Settings(clock="real", speed=60, strict=True, fixtures="none", port=0,
                                       credentials=str(creds)).with_(**options)).start()
        started.append(server)
        for vendor, fields in ACCOUNTS.items():  # the account has records every day (its recipe's day among them)
            account = fields.get("account_sid") or fields.get("client_id") or fields["api_key"]
            resp = requests.post(f"{server.url}/_fakeexports/tenants/{vendor}/{account}",
                                 json={"records_per_day": 200}, timeout=10)
            assert resp.status_code == 200, resp.text
        return server

    yield start
    for server in started:
        server.stop()


def check(vendor: str, base: str) -> list[Check]:
    _, _, checks = asyncio.run(verify(VENDORS[vendor], base, ACCOUNTS[vendor], poll=0.05, timeout=60))
    return checks


def drift(checks: list[Check]) -> list[tuple[str, str]]:
    return [(c.aspect, c.step) for c in checks if not c.ok]


@pytest.mark.parametrize("vendor", JUDGED)
def test_a_fake_verified_against_an_unchanged_fake_is_clean(upstream: Callable[..., ServerThread], vendor: str) -> None:
    checks = check(vendor, upstream().vendor_url(vendor))
    assert drift(checks) == [], drift_table(checks)
    aspects = {c.aspect for c in checks}
    assert {"status", "content type", "headers", "location", "body", "error envelope", "statuses"} <= aspects
    assert any(a.startswith("file: ") for a in aspects)


def test_an_option_the_vendor_runs_with_is_a_redirect_kind_and_a_status(upstream: Callable[..., ServerThread]) -> None:
    """Talkdesk answering 303 where the documented (and the fake's default) answer is 300."""
    checks = check("talkdesk", upstream(talkdesk_done_status=303).vendor_url("talkdesk"))
    assert drift(checks) == [("status", "poll: done")], drift_table(checks)
    assert next(c for c in checks if not c.ok).real == "303"


def test_another_api_version_is_the_create_refused_and_said_where(upstream: Callable[..., ServerThread]) -> None:
    """An account whose DIDWW default version is 2026-04-16, against the fake's 2021-12-15: the recipe's create
    (2021-12-15's year and month filters) is refused there, and the report says so at the create."""
    checks = check("didww", upstream(didww_default_version="2026-04-16").vendor_url("didww"))
    assert drift(checks) == [("run", "recipe"), ("status", "create"), ("headers", "create"),
                             ("error envelope", "create")], drift_table(checks)
    assert "year is not allowed" in next(c for c in checks if not c.ok).real


def test_another_payload_is_the_files_columns(upstream: Callable[..., ServerThread]) -> None:
    checks = check("talkdesk", upstream(talkdesk_calls_payload="interaction_id").vendor_url("talkdesk"))
    assert {aspect for aspect, _ in drift(checks)} <= {"file: columns", "file: types"}, drift_table(checks)
    assert ("file: columns", "download") in drift(checks)


def test_another_lifecycle_is_the_order_of_statuses(upstream: Callable[..., ServerThread]) -> None:
    """The vendor fails the job (an outcome fault on the second fake): statuses in another order, the file never
    reached."""
    up = upstream()
    up.call(_fault(up, {"vendor": "hookbridge", "operation": "CreateExport", "outcome": "failed"}))
    checks = check("hookbridge", up.vendor_url("hookbridge"))
    statuses = next(c for c in checks if c.aspect == "statuses")
    assert not statuses.ok and statuses.real.endswith("failed") and statuses.fake.endswith("completed")
    assert ("run", "recipe") in drift(checks)


async def _fault(server: ServerThread, fault: dict[str, Any]) -> None:
    server.runtime.faults.add(server.registry.fault(fault))


# --- differences a proxy plants in the second fake's answers -----------------------------------------------------
Mutate = Callable[[web.Request, int, dict[str, str], bytes], tuple[int, dict[str, str], bytes]]


async def _proxy(target: str, mutate: Mutate) -> tuple[web.AppRunner, str]:
    session = aiohttp.ClientSession(auto_decompress=False)

    async def forward(request: web.Request) -> web.StreamResponse:
        headers = {k: v for k, v in request.headers.items() if k.lower() not in ("content-length",)}
        async with session.request(request.method, target + request.path_qs, headers=headers,
                                   data=await request.read(), allow_redirects=False) as resp:
            body, answered = await resp.read(), {k: v for k, v in resp.headers.items()
                                                 if k.lower() not in ("content-length", "transfer-encoding")}
            status = resp.status
        status, answered, body = mutate(request, status, answered, body)
        return web.Response(status=status, headers=answered, body=body)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", forward)
    app.on_cleanup.append(lambda _: session.close())
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    return runner, f"http://127.0.0.1:{port}"


def through_proxy(up: ServerThread, vendor: str, mutate: Mutate) -> list[Check]:
    async def go() -> list[Check]:
        runner, origin = await _proxy(up.url, mutate)
        try:
            _, _, checks = await verify(VENDORS[vendor], origin + VENDORS[vendor].mount, ACCOUNTS[vendor], poll=0.05,
                                        timeout=60)
        finally:
            await runner.cleanup()
        return checks
    return asyncio.run(go())


def test_a_header_the_vendor_sends_and_the_fake_does_not(upstream: Callable[..., ServerThread]) -> None:
    def add(request: web.Request, status: int, headers: dict[str, str], body: bytes) -> Any:
        if "/Exports/Jobs" in request.path and request.method == "GET":
            headers["X-RateLimit-Remaining"] = "99"
        return status, headers, body

    checks = through_proxy(upstream(), "twilio", add)
    found = drift(checks)
    assert found and all(aspect == "headers" for aspect, _ in found), drift_table(checks)
    assert "x-ratelimit-remaining" in next(c for c in checks if not c.ok).real


def test_an_error_envelope_the_vendor_words_otherwise(upstream: Callable[..., ServerThread]) -> None:
    def rename(request: web.Request, status: int, headers: dict[str, str], body: bytes) -> Any:
        if status >= 400 and body.startswith(b"{"):
            doc = json.loads(body)
            doc["error_message"] = doc.pop("message", None)
            body = json.dumps(doc).encode()
        return status, headers, body

    checks = through_proxy(upstream(), "twilio", rename)
    found = drift(checks)
    assert found and all(aspect == "error envelope" for aspect, _ in found), drift_table(checks)
    assert "error_message" in next(c for c in checks if not c.ok).real


def test_pagination_meta_the_vendor_names_otherwise(upstream: Callable[..., ServerThread]) -> None:
    def rename(request: web.Request, status: int, headers: dict[str, str], body: bytes) -> Any:
        if request.method == "GET" and request.path.endswith("/Jobs") and status == 200:
            doc = json.loads(body)
            doc["paging"] = doc.pop("meta")
            body = json.dumps(doc).encode()
        return status, headers, body

    checks = through_proxy(upstream(), "twilio", rename)
    assert drift(checks) == [("body", "list")], drift_table(checks)
    assert "paging" in next(c for c in checks if not c.ok).real


def test_a_file_with_other_line_endings_and_no_compression(upstream: Callable[..., ServerThread]) -> None:
    def unzip(request: web.Request, status: int, headers: dict[str, str], body: bytes) -> Any:
        if "/_s3/" in request.path and status == 200:
            body = gzip.decompress(body).replace(b"\n", b"\r\n")
        return status, headers, body

    checks = through_proxy(upstream(), "twilio", unzip)
    assert sorted(drift(checks)) == [("file: compression", "download"), ("file: line_ending", "download")], (
        drift_table(checks))


def test_a_vendor_whose_jobs_take_longer(upstream: Callable[..., ServerThread]) -> None:
    """Dates stretched fourfold from the first answer on: each status lasts four times as long."""
    first: list[float] = []

    def stretch(request: web.Request, status: int, headers: dict[str, str], body: bytes) -> Any:
        at = parsedate_to_datetime(headers["Date"])
        first.append(first[0] if first else at.timestamp())
        headers["Date"] = format_datetime(at.fromtimestamp(first[0] + 4 * (at.timestamp() - first[0]), at.tzinfo),
                                          usegmt=True)
        return status, headers, body

    checks = through_proxy(upstream(), "hookbridge", stretch)
    found = drift(checks)
    assert found and all(aspect == "timing" for aspect, _ in found), drift_table(checks)


def test_timing_is_compared_within_what_polling_can_tell() -> None:
    def run(seen: list[tuple[str, float]]) -> Transcript:
        return Transcript("x", "", [Exchange("poll", "GET", "/", {}, b"", 200, {}, b"", at, status)
                                    for status, at in seen])
    fake = run([("pending", 0), ("pending", 9), ("processing", 10), ("processing", 69), ("completed", 70)])
    near = run([("pending", 0), ("processing", 12), ("processing", 60), ("completed", 75)])
    far = run([("pending", 0), ("pending", 40), ("processing", 45), ("processing", 395), ("completed", 400)])
    assert all(c.ok for c in compare_statuses(near, fake))
    assert [(c.step, c.ok) for c in compare_statuses(far, fake)] == [
        ("poll", True), ("poll: pending", False), ("poll: processing", False)]


# --- the command -----------------------------------------------------------------------------------------------------
def test_the_command_says_what_it_will_do_and_sends_nothing_without_yes(
        upstream: Callable[..., ServerThread], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    up = upstream()
    creds = tmp_path / "creds.yaml"
    creds.write_text(yaml.safe_dump(ACCOUNTS["twilio"]))
    code = main(["verify", "twilio", "--url", up.vendor_url("twilio"), "--credentials", str(creds)])
    out, err = capsys.readouterr()
    assert code == 2 and "run again with --yes" in err
    assert "CREATE ONE EXPORT" in out and "every 10 s until Completed" in out and "DELETE" in out
    assert "real-token" not in out + err
    assert not [e for e in up.runtime.journal.entries if e.vendor == "twilio"]  # nothing was sent


def test_the_command_writes_junit_and_a_transcript_without_secrets(
        upstream: Callable[..., ServerThread], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    up = upstream(talkdesk_done_status=303)
    creds = tmp_path / "creds.json"
    creds.write_text(json.dumps(ACCOUNTS["talkdesk"]))
    code = main(["verify", "talkdesk", "--url", up.vendor_url("talkdesk"), "--credentials", str(creds), "--yes",
                 "--poll", "0.05", "--junit", str(tmp_path / "junit.xml"), "--save", str(tmp_path / "saved")])
    out, _ = capsys.readouterr()
    assert code == 1
    assert re.search(r"^status\s+poll: done\s+303  /  300$", out, re.MULTILINE), out
    suite = ET.parse(tmp_path / "junit.xml").getroot()
    assert suite.tag == "testsuite" and int(suite.get("failures") or 0) == 1 and int(suite.get("tests") or 0) > 40
    failed = [case.get("name") for case in suite if case.find("failure") is not None]
    assert failed == ["status: poll: done"]
    saved = next((tmp_path / "saved").glob("talkdesk-*.json"))
    text = saved.read_text()
    for secret in ("real-secret", "cmVhbC1jbGllbnQ6cmVhbC1zZWNyZXQ"):  # the secret, and Basic's base64 of it
        assert secret not in text
    transcript = Transcript.load(saved)
    token = next(e for e in transcript.exchanges if e.step == "login")
    assert token.request_headers["Authorization"] == f"Basic {HIDDEN}" and token.json()["access_token"] == HIDDEN
    links = [e.header("Location") for e in transcript.exchanges if e.header("Location")]
    assert links and all(f"X-Amz-Signature={HIDDEN}" in link or "X-Amz-Signature" not in link for link in links)
    assert any("X-Amz-Signature" in link for link in links)


def test_a_vendor_that_cannot_be_reached_is_said_not_raised(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens there once it is closed
    creds = tmp_path / "creds.yaml"
    creds.write_text(yaml.safe_dump(ACCOUNTS["hookbridge"]))
    code = main(["verify", "hookbridge", "--url", f"http://127.0.0.1:{port}/hookbridge", "--credentials", str(creds),
                 "--yes", "--poll", "0.05"])
    out, _ = capsys.readouterr()
    assert code == 1 and "ClientConnectorError" in out
    assert main(["verify", "hookbridge", "--url", "ftp://x", "--credentials", str(creds)]) == 2
    assert main(["verify", "nobody", "--url", "http://x", "--credentials", str(creds)]) == 2
    assert main(["verify", "hookbridge", "--url", "http://x", "--credentials", str(tmp_path / "none")]) == 2


def test_a_field_of_another_type_and_one_that_is_null(upstream: Callable[..., ServerThread]) -> None:
    def retype(request: web.Request, status: int, headers: dict[str, str], body: bytes) -> Any:
        if request.method == "GET" and "/v1/exports/" in request.path and status == 200 and body.startswith(b"{"):
            doc = json.loads(body)
            if "row_count" in doc["data"]:
                doc["data"]["row_count"] = str(doc["data"]["row_count"])  # a number as text
            doc["data"]["filter_endpoint_id"] = None  # always null at this vendor
            body = json.dumps(doc).encode()
        return status, headers, body

    checks = through_proxy(upstream(), "hookbridge", retype)
    found = drift(checks)
    assert found and all(aspect == "body" for aspect, _ in found), drift_table(checks)
    said = " ".join(c.real for c in checks if not c.ok)
    assert "data.row_count: integer-text" in said and "in the fake" in said
