"""Contract test: the vendors' official clients in their default configuration (no base URL anywhere) and the
Airbyte Talkdesk connector run without any patch, reaching the fake only through the environment:
HTTPS_PROXY=<the fake> and the fake's CA (REQUESTS_CA_BUNDLE for requests, SSL_CERT_FILE for httpx).

The clients' defaults are their own: twilio-python builds https://bulkexports.twilio.com, the DIDWW SDK
https://sandbox-api.didww.com/v3 (didww/configuration.py), HookBridge https://api.hookbridge.io
(hookbridge/client.py DEFAULT_BASE_URL), the connector https://api.talkdeskapp.com/data/ (vendors/talkdesk.md
A.14)."""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from fakeexports.lint import lint
from fakeexports.server import ServerThread
from tests.conftest import ACCOUNT, TOKEN, settings
from tests.contract.test_talkdesk_airbyte import connector_python


@pytest.fixture(scope="module")
def fake(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerThread]:
    app_settings = settings(clock="virtual", strict=True, fixtures="none", ca_dir=str(tmp_path_factory.mktemp("ca")))
    with ServerThread(app_settings) as server:
        yield server


@pytest.fixture
def proxied(fake: ServerThread, monkeypatch: pytest.MonkeyPatch) -> ServerThread:
    """This process's environment as a user would set it; nothing else points a client at the fake."""
    fake.reset()
    for var in ("NO_PROXY", "no_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy", "TWILIO_REGION",
                "TWILIO_EDGE", "HOOKBRIDGE_BASE_URL", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(var, raising=False)
    for var, value in fake.proxy_env().items():
        monkeypatch.setenv(var, value)
    return fake


def test_twilio_sdk_in_its_default_configuration(proxied: ServerThread) -> None:
    from twilio.rest import Client

    client = Client(ACCOUNT, TOKEN)
    mark = proxied.runtime.journal.mark
    jobs = client.bulkexports.v1.exports("Calls").export_custom_jobs
    made = jobs.create(start_day="2026-01-10", end_day="2026-01-11", friendly_name="through the proxy")
    assert made.job_sid.startswith("JS")
    assert [j.job_sid for j in jobs.list()] == [made.job_sid]
    job = client.bulkexports.v1.exports.jobs(made.job_sid).fetch()
    assert job.url == f"https://bulkexports.twilio.com/v1/Exports/Jobs/{made.job_sid}"  # the real host, as seen

    proxied.advance(60 + 2 * 30 + 1)
    days = client.bulkexports.v1.exports("Calls").days.list()
    assert [d.day for d in days] and all(d.day in ("2026-01-10", "2026-01-11") for d in days)
    day = client.bulkexports.v1.exports("Calls").days(days[0].day).fetch()
    # the file: its link is the fake's, on the host the client used, fetched through the same proxy
    assert day.redirect_to.startswith("https://bulkexports.twilio.com/")
    body = requests.get(day.redirect_to, timeout=10)  # a plain client: the environment again
    lines = gzip.decompress(body.content).splitlines()
    assert len(body.content) == days[0].size and json.loads(lines[0])["account_sid"] == ACCOUNT
    kinds = {e.operation for e in proxied.runtime.journal.entries if e.vendor == "twilio"}
    assert {"CreateExportCustomJob", "ListExportCustomJob", "FetchJob", "ListDay", "FetchDay"} <= kinds
    # the 307's link was followed on the vendor's own host, with no mount: the lint rules see it so
    assert linted(proxied, mark) == []


def test_didww_sdk_in_its_default_configuration(proxied: ServerThread, tmp_path: Path) -> None:
    from didww.client import DidwwClient
    from didww.enums import ExportType
    from didww.resources.export import Export

    client = DidwwClient("proxy-key")  # Environment.SANDBOX: https://sandbox-api.didww.com/v3
    export = Export()
    export.export_type = ExportType.CDR_IN
    export.filters = {"from": "2026-01-01 00:00:00", "to": "2026-01-02 23:59:59"}
    made = client.exports().create(export).data
    assert made.is_pending
    proxied.advance(31 + 90)
    done = client.exports().find(made.id).data
    assert done.is_completed and done.url.startswith("https://sandbox-api.didww.com/v3/exports/")
    out = tmp_path / "cdr.csv"
    client.download_and_decompress_export(done.url, str(out))
    rows = list(csv.reader(out.open()))
    assert rows[0][0] == "Date/Time Start (UTC)" and len(rows) > 1


def test_hookbridge_sdk_in_its_default_configuration(proxied: ServerThread) -> None:
    from hookbridge import HookBridge

    mark = proxied.runtime.journal.mark
    with HookBridge("hb_test_proxy", retries=0) as client:  # httpx: HTTPS_PROXY and SSL_CERT_FILE
        made = client.create_export(start_time="2026-01-14T00:00:00Z", end_time="2026-01-15T00:00:00Z")
        assert [e.id for e in client.list_exports()] == [made.id]
        proxied.advance(10 + 60)
        done = client.get_export(made.id)
        assert done.status == "completed"
        location = client.download_export(made.id)
    assert location.startswith("https://api.hookbridge.io/")
    data = requests.get(location, timeout=10).content
    assert len(data) == done.file_size_bytes
    assert len(list(csv.DictReader(io.StringIO(data.decode())))) == done.row_count
    assert linted(proxied, mark) == []


def linted(server: ServerThread, mark: int) -> list[str]:
    return [f.line() for f in server.run(lambda: lint(server.registry, since=mark))]


def trusting_certifi(python: str, ca: Path, into: Path) -> Path:
    """The Airbyte CDK sends with requests' Session.send, which reads no REQUESTS_CA_BUNDLE: requests then trusts
    certifi's bundle alone. So does any such client: the fake's CA goes into that bundle, as it would for a
    company's TLS-inspecting proxy. Here without touching the connector's venv: a copy of its own certifi package
    whose bundle also holds the fake's CA, first on PYTHONPATH. Its code is certifi's, unchanged."""
    where = subprocess.run([python, "-c", "import certifi, os; print(os.path.dirname(certifi.__file__))"],
                           capture_output=True, text=True, check=True).stdout.strip()
    shutil.copytree(where, into / "certifi", ignore=shutil.ignore_patterns("__pycache__"))
    with (into / "certifi" / "cacert.pem").open("a") as bundle:
        bundle.write("\n# fakeexports CA\n" + ca.read_text())
    return into


def run_connector(python: str, env: dict[str, str], cwd: Path, *args: str) -> list[dict[str, Any]]:
    script = Path(python).with_name("source-talkdesk-explore")  # the connector's own console script
    proc = subprocess.run([str(script), *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]


def test_the_airbyte_connector_unpatched(tmp_path: Path) -> None:
    python = connector_python()
    # the connector sends the wall-clock time and backs off in real seconds (5, 10...) with its factor unchanged:
    # a real clock 10x, so that its first wait of 5 s outlasts a report (30 fake seconds) and not a token (600)
    app_settings = settings(clock="real", speed=10, fixtures="none", ca_dir=str(tmp_path / "ca")).with_(
        talkdesk_done_status=303)
    with ServerThread(app_settings) as server:
        proxy = server.proxy_env()
        env = {k: v for k, v in os.environ.items() if k.lower() not in ("no_proxy", "http_proxy", "all_proxy")}
        env.update(proxy, TZ="UTC", PYTHONPATH=str(trusting_certifi(python, Path(proxy["SSL_CERT_FILE"]),
                                                                     tmp_path)))
        start = (datetime.now(UTC) - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S")
        config = {"start_date": start, "timezone": "UTC", "api_key": "airbyte-client:airbyte-secret",
                  "auth_url": "https://acme-co.talkdeskid.com/oauth/token?grant_type=client_credentials"}
        (tmp_path / "config.json").write_text(json.dumps(config))

        status = [m for m in run_connector(python, env, tmp_path, "check", "--config", "config.json")
                  if m["type"] == "CONNECTION_STATUS"]
        assert status[0]["connectionStatus"]["status"] == "SUCCEEDED"
        catalog = next(m["catalog"] for m in run_connector(python, env, tmp_path, "discover", "--config",
                                                           "config.json") if m["type"] == "CATALOG")
        configured = {"streams": [{"stream": s, "sync_mode": "incremental", "destination_sync_mode": "append"}
                                  for s in catalog["streams"] if s["name"] == "calls"]}
        (tmp_path / "catalog.json").write_text(json.dumps(configured))
        read = run_connector(python, env, tmp_path, "read", "--config", "config.json", "--catalog", "catalog.json")
        calls = [m["record"]["data"] for m in read if m["type"] == "RECORD"]
        assert calls and all(c["end_at"] >= start for c in calls)
        assert any(m["type"] == "STATE" for m in read)
        seen = [(e.vendor, e.path.split("?")[0]) for e in server.runtime.journal.entries]
    # every request reached the fake by the real host names' paths, none through a mount
    assert ("talkdesk", "/oauth/token") in seen and ("talkdesk", "/data/reports/calls/jobs") in seen
    assert all(not path.startswith("/talkdesk") for _, path in seen)


# The connector's log line when a report it polls is not finished, just before it backs off (streams.py
# ReadReportStream.should_retry, airbytehq/airbyte@0cfe786c source-talkdesk-explore).
WAITING = "Requested report is in uncompleted status"
REPORT_SECONDS = 30  # created 5 s, processing 20 s, uploading 5 s: a report's whole lifecycle on the fake clock
LAG = 60  # how far the machine's clock, which the connector reads, runs behind the fake's


def catch_up(fake: Any) -> None:
    """The fake's clock (virtual: it moves only when told) moved forward to LAG seconds past the machine's."""
    behind = datetime.now(UTC).timestamp() + LAG - fake.now
    if behind > 0:
        fake.advance(behind)


def drive(fake: Any, python: str, env: dict[str, str], cwd: Path, *args: str) -> list[dict[str, Any]]:
    """One connector command, its messages read as it writes them: each time it says it waits for an unfinished
    report, the fake's clock moves one report's lifecycle forward, so that its next poll finds the report done."""
    catch_up(fake)
    script = Path(python).with_name("source-talkdesk-explore")
    with (cwd / "stderr.txt").open("w") as errors:
        proc = subprocess.Popen([str(script), *args], stdout=subprocess.PIPE, stderr=errors, text=True, env=env,
                                cwd=cwd)
        watchdog = threading.Timer(300, proc.kill)  # a hung connector fails the test rather than the suite
        watchdog.start()
        messages = []
        try:
            assert proc.stdout is not None
            for line in proc.stdout:
                if line.startswith("{"):
                    message = json.loads(line)
                    messages.append(message)
                    if message["type"] == "LOG" and message["log"]["message"].startswith(WAITING):
                        fake.advance(REPORT_SECONDS)
        finally:
            watchdog.cancel()
            code = proc.wait()
    assert code == 0, json.dumps(messages[-5:]) + (cwd / "stderr.txt").read_text()[-3000:]
    return messages


@pytest.mark.fakeexports(talkdesk_done_status=303)
def test_the_airbyte_connector_syncs_calls_on_the_plugins_virtual_clock(fakeexports: Any, tmp_path: Path) -> None:
    """The Airbyte connector, unpatched and through the proxy as above, syncs ``calls`` incrementally from the fake
    as the pytest plugin gives it to every test: a virtual clock that starts at 2026-01-15T12:00:00Z, strict mode,
    the bundled fixtures, the default calls payload. One setting differs, done_status=303, the switch the README
    names for clients that follow redirects (python-requests follows no 300).

    The connector takes two things from the machine rather than from the fake; the test keeps both honest:

    - Its timespan.to is the machine's clock (``datetime.now()``), and Talkdesk refuses a ``to`` in the future: on
      a clock standing at 2026-01-15 the machine's today is the future, and the fake would rightly answer 400. So,
      as a test does with a virtual clock, it moves the fake's clock forward: to a minute past the machine's time
      before each command (a client whose clock lags the server's by a minute; the fake's clock is not replaced
      by the real one, nor sped up, nor started elsewhere with ``start=``). The config's start_date is a day
      before the fake's now. Nothing the fake serves hinges on the date: tests/vendors/test_talkdesk.py reads
      the same payload from jobs made at 2026-01-15 itself, which the connector cannot ask for.
    - It waits in real seconds between polls (5, 10, 20... s) while a report takes 30 s of the fake's time. The
      test moves the fake's clock when the connector says it is waiting for an unfinished report (its own log
      line, read as it is written), so the report is done when it polls again: no sleeping, and each report is
      seen unfinished first, as on Talkdesk."""
    python = connector_python()
    proxy = fakeexports.proxy_env()
    env = {k: v for k, v in os.environ.items() if k.lower() not in ("no_proxy", "http_proxy", "all_proxy")}
    env.update(proxy, TZ="UTC", PYTHONUNBUFFERED="1",
               PYTHONPATH=str(trusting_certifi(python, Path(proxy["SSL_CERT_FILE"]), tmp_path)))
    catch_up(fakeexports)
    start = datetime.fromtimestamp(fakeexports.now - 86400, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    config = {"start_date": start, "timezone": "UTC", "api_key": "airbyte-client:airbyte-secret",
              "auth_url": "https://acme-co.talkdeskid.com/oauth/token?grant_type=client_credentials"}
    (tmp_path / "config.json").write_text(json.dumps(config))

    status = [m for m in drive(fakeexports, python, env, tmp_path, "check", "--config", "config.json")
              if m["type"] == "CONNECTION_STATUS"]
    assert status[0]["connectionStatus"]["status"] == "SUCCEEDED"
    catalog = next(m["catalog"] for m in drive(fakeexports, python, env, tmp_path, "discover", "--config",
                                               "config.json") if m["type"] == "CATALOG")
    configured = {"streams": [{"stream": s, "sync_mode": "incremental", "destination_sync_mode": "append"}
                              for s in catalog["streams"] if s["name"] == "calls"]}
    (tmp_path / "catalog.json").write_text(json.dumps(configured))

    # a first read: the call_id payload, and a state kept by end_at (the connector's get_updated_state)
    first = drive(fakeexports, python, env, tmp_path, "read", "--config", "config.json", "--catalog", "catalog.json")
    calls = [m["record"]["data"] for m in first if m["type"] == "RECORD"]
    assert calls and all(c["call_id"] and c["end_at"].endswith("Z") and c["end_at"] >= start for c in calls)
    state = [m["state"] for m in first if m["type"] == "STATE"][-1]
    cursor = state["stream"]["stream_state"]["end_at"]
    assert cursor == max(c["end_at"] for c in calls)

    # a second read from that state: its report starts at the cursor
    mark = len(fakeexports.journal("talkdesk"))
    (tmp_path / "state.json").write_text(json.dumps([state]))
    second = drive(fakeexports, python, env, tmp_path, "read", "--config", "config.json", "--catalog",
                   "catalog.json", "--state", "state.json")
    again = [m["record"]["data"] for m in second if m["type"] == "RECORD"]
    assert all(c["end_at"] >= cursor for c in again)
    polled = {e.path.rsplit("/", 1)[1] for e in fakeexports.journal("talkdesk")[mark:]
              if e.operation == "GetReportJob"}
    starts = {fakeexports.job("talkdesk", job).attrs["start"] for job in polled}
    assert datetime.fromisoformat(cursor.replace("Z", "+00:00")).timestamp() in starts

    # every report was polled unfinished (200) before it was done (303); two jobs per read (A.14)
    entries = fakeexports.journal("talkdesk")
    assert sum(e.operation == "ExecuteReport" and e.status == 202 for e in entries) == 4
    for job in {e.path.rsplit("/", 1)[1] for e in entries if e.operation == "GetReportJob"}:
        answers = [e.status for e in entries if e.operation == "GetReportJob" and e.path.endswith(job)]
        assert answers[0] == 200 and answers[-1] == 303, answers
    assert fakeexports.server.settings.clock == "virtual"
