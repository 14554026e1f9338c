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
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from fakeexports.server import ServerThread
from fakeexports.settings import Settings
from tests.conftest import ACCOUNT, TOKEN
from tests.contract.test_talkdesk_airbyte import connector_python


@pytest.fixture(scope="module")
def fake(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerThread]:
    settings = Settings(clock="virtual", strict=True, fixtures="none", ca_dir=str(tmp_path_factory.mktemp("ca")))
    with ServerThread(settings) as server:
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
    settings = Settings(clock="real", speed=10, fixtures="none", ca_dir=str(tmp_path / "ca")).with_(
        talkdesk_done_status=303)
    with ServerThread(settings) as server:
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
