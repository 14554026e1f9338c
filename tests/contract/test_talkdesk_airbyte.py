"""Contract test: the Airbyte Talkdesk Explore connector (a real, independent client; vendors/talkdesk.md
A.14) syncs from the fake: check, discover, an incremental read, then a second read from its state. The
connector sends the machine's wall-clock time as timespan.to and backs off in real seconds, so the fake
runs on the real clock sped up; it follows redirects, so finished jobs answer 303 (the documented 300
is tested over raw HTTP in tests/vendors/test_talkdesk.py)."""

from __future__ import annotations

import json
import os
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
WRAPPER = Path(__file__).with_name("talkdesk_connector.py")
STREAMS = ("calls", "user_status")


def connector_python() -> str:
    python = os.environ.get("FAKEEXPORTS_AIRBYTE_PYTHON") or str(ROOT / ".venv-airbyte" / "bin" / "python")
    if not Path(python).exists():
        pytest.fail(f"the Airbyte connector's venv is missing ({python}): run `make test`, which creates it")
    return python


def run_connector(fake: Any, tmp: Path, *args: str) -> list[dict[str, Any]]:
    env = {**os.environ, "TALKDESK_BASE_URL": fake.vendor_url("talkdesk") + "/data/", "TD_RETRY_FACTOR": "0.2",
           "TZ": "UTC"}
    proc = subprocess.run([connector_python(), str(WRAPPER), *args], capture_output=True, text=True, env=env,
                          cwd=tmp, timeout=300)
    messages = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return messages


@pytest.mark.fakeexports(clock="real", speed=60, talkdesk_done_status=303, fixtures="none")
def test_the_airbyte_connector_syncs_incrementally(fakeexports: Any, tmp_path: Path) -> None:
    start = (datetime.now(UTC) - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%S")
    config = {"start_date": start, "timezone": "UTC", "api_key": "airbyte-client:airbyte-secret",
              "auth_url": fakeexports.vendor_url("talkdesk") + "/oauth/token?grant_type=client_credentials"}
    (tmp_path / "config.json").write_text(json.dumps(config))

    # check: a token whose scope has data-reports:write
    status = [m for m in run_connector(fakeexports, tmp_path, "check", "--config", "config.json")
              if m["type"] == "CONNECTION_STATUS"]
    assert status[0]["connectionStatus"]["status"] == "SUCCEEDED"

    # discover: the five streams; configure two of them incrementally
    catalog = next(m["catalog"] for m in run_connector(fakeexports, tmp_path, "discover", "--config", "config.json")
                   if m["type"] == "CATALOG")
    assert {s["name"] for s in catalog["streams"]} == {"calls", "user_status", "contacts", "ring_attempts",
                                                        "studio_flow_execution"}
    configured = {"streams": [
        {"stream": s, "sync_mode": "incremental", "destination_sync_mode": "append"}
        for s in catalog["streams"] if s["name"] in STREAMS]}
    (tmp_path / "catalog.json").write_text(json.dumps(configured))

    # read: records for both streams, and a state per stream
    first = run_connector(fakeexports, tmp_path, "read", "--config", "config.json", "--catalog", "catalog.json")
    records = [m["record"] for m in first if m["type"] == "RECORD"]
    assert {r["stream"] for r in records} == set(STREAMS)
    calls = [r["data"] for r in records if r["stream"] == "calls"]
    # the call_id payload, the default: end_at in RFC 3339 UTC with Z (fakeexports/vendors/talkdesk/records.py PAYLOADS)
    assert calls and all(c["end_at"].endswith("Z") and c["end_at"] >= start for c in calls)
    states = [m["state"] for m in first if m["type"] == "STATE"]
    last_state = {s["stream"]["stream_descriptor"]["name"]: s for s in states}
    cursor = last_state["calls"]["stream"]["stream_state"]["end_at"]
    assert cursor == max(c["end_at"] for c in calls)

    # a second read from that state: the report starts at the cursor
    (tmp_path / "state.json").write_text(json.dumps(list(last_state.values())))
    second = run_connector(fakeexports, tmp_path, "read", "--config", "config.json", "--catalog", "catalog.json",
                           "--state", "state.json")
    again = [m["record"]["data"] for m in second if m["type"] == "RECORD" and m["record"]["stream"] == "calls"]
    assert all(c["end_at"] >= cursor for c in again)

    # judged by the vendor's lint rules, the flow is clean: the README's "What the official clients do" says so
    assert fakeexports.lint() == [], [f.line() for f in fakeexports.lint()]

    # what the connector did on the fake: tokens, jobs (two per stream and read), 303s, files
    ops = [e.operation for e in fakeexports.journal()]
    assert ops.count("CreateToken") >= 4
    assert ops.count("ExecuteReport") == 2 * len(STREAMS) * 2
    assert ops.count("GetReportFile") == ops.count("ExecuteReport")
    execute_from = [e for e in fakeexports.journal("talkdesk") if e.operation == "ExecuteReport"]
    assert all(e.status == 202 for e in execute_from)
