"""The control API: health, clock, reset, journal, faults, jobs and force; bad input gets a 400."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aiohttp import web

from tests.conftest import basic
from tests.control_answers import ControlAnswers

JOBS = "/twilio/v1/Exports/Messages/Jobs"
FORM = {"StartDay": "2026-01-10", "EndDay": "2026-01-12", "FriendlyName": "x"}


@pytest.fixture(autouse=True)
def answers(monkeypatch: pytest.MonkeyPatch) -> ControlAnswers:
    """Every control answer these tests get, refusals among them, checked against the control API's document
    (specs/control.yaml) on the client's side; the server's strict mode checks them too (client_for fails a test on
    its server-side errors)."""
    watched = ControlAnswers()
    watched.watch_test_clients(monkeypatch)
    return watched


async def test_health_and_clock(client_for: Any) -> None:
    client = await client_for(fixtures="none")
    health = await (await client.get("/_fakeexports/health")).json()
    assert health["status"] == "ok" and health["vendors"]["twilio"] == "/twilio" and health["clock"] == "virtual"
    clock = await (await client.get("/_fakeexports/clock")).json()
    assert clock["now"] == "2026-01-15T12:00:00Z" and clock["mode"] == "virtual"
    moved = await (await client.post("/_fakeexports/clock/advance", json={"seconds": 3600})).json()
    assert moved["now"] == "2026-01-15T13:00:00Z"
    moved = await (await client.post("/_fakeexports/clock/set", json={"now": "2026-02-01T00:00:00Z"})).json()
    assert moved["now"] == "2026-02-01T00:00:00Z"


@pytest.mark.parametrize(("path", "body", "fragment"), [
    ("/_fakeexports/clock/advance", {"seconds": -5}, "forward"),
    ("/_fakeexports/clock/advance", {"seconds": "5"}, "number"),
    ("/_fakeexports/clock/advance", {}, "number"),
    ("/_fakeexports/clock/advance", [1], "object"),
    ("/_fakeexports/clock/set", {"now": "2020-01-01T00:00:00Z"}, "forward"),
    ("/_fakeexports/clock/set", {"now": "soon"}, "RFC 3339"),
    # the clock stays where every vendor can still write its times (issue 20: past year 9999 every create was a 500)
    ("/_fakeexports/clock/advance", {"seconds": 4e11},
     "must stay between 1970-01-01T00:00:00Z and 9990-01-01T00:00:00Z"),
    ("/_fakeexports/clock/set", {"now": "9999-12-31T23:00:00Z"}, "9990-01-01T00:00:00Z"),
    ("/_fakeexports/clock/set", {"now": "0001-01-01T00:00:00+01:00"}, "RFC 3339"),
    ("/_fakeexports/reset", {"vendor": "nope"}, "unknown vendor"),
    ("/_fakeexports/reset", {"vendor": "twilio", "clock": True}, "full reset"),
    ("/_fakeexports/faults", {"vendor": "twilio"}, "status"),
    ("/_fakeexports/faults", {"vendor": "twilio", "status": 200}, "from 400 to 599"),
    # a fault that could never match is refused, naming what would (issue 18: a typo in a test tests nothing)
    ("/_fakeexports/faults", {"vendor": "twilio", "operation": "FetchJobb", "status": 503},
     "'FetchJobb' is not an operation of twilio; it has: CreateExportCustomJob, DeleteJob, FetchDay"),
    ("/_fakeexports/faults", {"vendor": "didww", "operation": "getExports", "status": 503}, "GetExport, ListExports"),
    ("/_fakeexports/faults", {"vendor": "twilio", "status": "503"}, "'status' must be a whole number"),
    ("/_fakeexports/faults", {"vendor": "twilio", "status": 503.0}, "'status' must be a whole number"),
    ("/_fakeexports/faults", {"vendor": "hookbridge", "status": 503, "times": "x"}, "'times' must be a whole number"),
    ("/_fakeexports/faults", {"vendor": "hookbridge", "status": 503, "times": -1}, "'times' must be a whole number"),
    ("/_fakeexports/faults", {"vendor": "hookbridge", "status": 503, "times": True}, "'times' must be a whole number"),
    ("/_fakeexports/faults", {"vendor": "twilio", "outcome": "Nonsense"},
     "outcome 'Nonsense' cannot be forced on a twilio job; it can be: ErrorDuringRun, Failed, Completed"),
    ("/_fakeexports/faults", {"vendor": "hookbridge", "outcome": "expired"}, "it can be: failed, completed"),
    ("/_fakeexports/faults", {"vendor": "twilio", "status": 503, "tenant": 5}, "'tenant' must be a string"),
    ("/_fakeexports/faults", {"vendor": "twilio", "status": 503, "message": ["x"]}, "'message' must be a string"),
    ("/_fakeexports/faults", {"vendor": "twilio", "status": 500, "color": "red"}, "unknown fault fields"),
    ("/_fakeexports/faults", {"vendor": "zzz", "status": 500}, "vendor"),
    ("/_fakeexports/jobs/twilio/JSnope/force", {"status": "Failed"}, "no twilio job"),
    # a vendor's options are checked against its declarations (options.py)
    ("/_fakeexports/vendors/talkdesk", {"done_status": 301}, "one of 300, 302, 303"),
    ("/_fakeexports/vendors/talkdesk", {"compat": True}, "unknown settings ['compat']"),
    ("/_fakeexports/vendors/hookbridge", {"burst": 0}, "at least 1"),
    ("/_fakeexports/vendors/hookbridge", {"rate_limits": "yes"}, "true or false"),
    ("/_fakeexports/vendors/twilio", {"days_per_day": 1.5}, "whole number"),
    ("/_fakeexports/vendors/nope", {}, "unknown vendor"),
])
async def test_bad_control_input_is_a_400_or_404(client_for: Any, path: str, body: Any, fragment: str) -> None:
    client = await client_for(fixtures="none")
    resp = await client.post(path, json=body)
    assert resp.status in (400, 404)
    assert fragment in (await resp.json())["error"]
    raw = await client.post("/_fakeexports/clock/advance", data=b"{not json")
    assert raw.status == 400
    assert (await client.get("/_fakeexports/nothing")).status == 404


async def test_reset_is_scoped_and_reloads_fixtures(client_for: Any) -> None:
    client = await client_for()
    seed = basic("AC" + "a" * 32, "x")
    mine = basic()
    await client.post(JOBS, data=FORM, headers=seed)
    await client.post(JOBS, data=FORM, headers=mine)
    assert len((await (await client.get(JOBS, headers=seed)).json())["jobs"]) == 2

    resp = await client.post("/_fakeexports/reset", json={"vendor": "twilio", "tenant": "AC" + "a" * 32})
    assert (await resp.json())["tenants_dropped"] == 1
    # the seed account is back to its fixture job; the other account kept its job
    assert len((await (await client.get(JOBS, headers=seed)).json())["jobs"]) == 1
    assert len((await (await client.get(JOBS, headers=mine)).json())["jobs"]) == 1

    await client.post("/_fakeexports/clock/advance", json={"seconds": 50})
    await client.post("/_fakeexports/reset", json={"clock": True})
    assert (await (await client.get(JOBS, headers=mine)).json())["jobs"] == []
    assert (await (await client.get("/_fakeexports/clock")).json())["now"] == "2026-01-15T12:00:00Z"


async def test_journal_records_requests_since_a_mark(client_for: Any) -> None:
    client = await client_for(fixtures="none")
    mark = (await (await client.get("/_fakeexports/journal")).json())["mark"]
    await client.get(JOBS, headers=basic())
    await client.get(JOBS)
    journal = await (await client.get(f"/_fakeexports/journal?since={mark}&vendor=twilio")).json()
    assert [(e["method"], e["status"], e["operation"]) for e in journal["entries"]] == [
        ("GET", 200, "ListExportCustomJob"), ("GET", 401, "ListExportCustomJob")]
    assert journal["entries"][0]["tenant"] == "AC" + "1" * 32
    assert journal["errors"] == []
    assert (await client.get("/_fakeexports/journal?since=x")).status == 400


@pytest.mark.parametrize(("fault", "expected"), [
    ({"vendor": "didww", "outcome": "Completed"}, "Completed"),  # either version's spelling
    ({"vendor": "hookbridge", "outcome": "failed: disk full"}, "failed: disk full"),
    ({"vendor": "twilio", "operation": "FetchDay", "status": 503, "times": 0}, None),
])
async def test_faults_in_a_vendors_own_spelling_are_accepted(client_for: Any, fault: dict[str, Any],
                                                             expected: str | None) -> None:
    client = await client_for(fixtures="none")
    resp = await client.post("/_fakeexports/faults", json=fault)
    assert resp.status == 201
    assert (await resp.json())["added"]["outcome"] == expected


async def test_faults_list_and_clear_and_jobs_view(client_for: Any) -> None:
    client = await client_for(fixtures="none")
    await client.post("/_fakeexports/faults", json={"vendor": "twilio", "status": 503, "times": 0})
    assert len((await (await client.get("/_fakeexports/faults")).json())["faults"]) == 1
    for _ in range(3):
        assert (await client.get(JOBS, headers=basic())).status == 503  # an injected fault, every time
    await client.delete("/_fakeexports/faults")
    assert (await client.get(JOBS, headers=basic())).status == 200

    created = await (await client.post(JOBS, data=FORM, headers=basic())).json()
    view = await (await client.get("/_fakeexports/jobs?vendor=twilio")).json()
    assert [j["id"] for j in view["jobs"]] == [created["job_sid"]]
    assert view["jobs"][0]["status"] == "Submitted"
    resp = await client.post(f"/_fakeexports/jobs/twilio/{created['job_sid']}/force", json={"status": "Failed"})
    assert (await resp.json())["job"]["status"] == "Failed"
    resp = await client.post(f"/_fakeexports/jobs/twilio/{created['job_sid']}/force", json={"status": "Failed"})
    assert resp.status == 409  # a conflict with the job's state; an unknown status is a bad request
    resp = await client.post(f"/_fakeexports/jobs/twilio/{created['job_sid']}/force", json={"status": "Bogus"})
    assert resp.status == 400


async def test_the_timeline_gives_each_jobs_transitions_webhooks_and_forced_outcome(client_for: Any,
                                                                                     aiohttp_server: Any) -> None:
    """GET /_fakeexports/timeline: a job's past and scheduled transitions on the fake clock, its webhook attempts
    (failed, waiting, answered) on its own row, an outcome fault's forced status with its time, and the requests
    that made and polled it."""
    answers = [500, 200]

    async def hook(request: web.Request) -> web.Response:
        return web.Response(status=answers.pop(0))

    receiver_app = web.Application()
    receiver_app.router.add_post("/hook", hook)
    receiver = await aiohttp_server(receiver_app, host="127.0.0.1")
    client = await client_for(fixtures="none")
    # a job with a webhook, and one an outcome fault fails at its creation
    made = await (await client.post(JOBS, headers=basic(), data={
        **FORM, "WebhookUrl": str(receiver.make_url("/hook")), "WebhookMethod": "POST"})).json()
    job = made["job_sid"]
    assert (await client.get(f"/twilio/v1/Exports/Jobs/{job}", headers=basic())).status == 200
    await client.post("/_fakeexports/faults", json={"vendor": "twilio", "outcome": "Failed"})
    failed = (await (await client.post(JOBS, data=FORM, headers=basic())).json())["job_sid"]

    view = await (await client.get("/_fakeexports/timeline?vendor=twilio")).json()
    assert view["now"] == "2026-01-15T12:00:00Z" and view["total"] == 2 and view["faults"] == []  # the fault was used
    rows = {j["id"]: j for j in view["jobs"]}
    assert [j["id"] for j in view["jobs"]] == [job, failed]  # in the order they were made
    now = view["epoch"]
    assert [(s["at"] - now, s["status"]) for s in rows[job]["schedule"]] == [
        (0, "Submitted"), (60, "Running"), (150, "Completed")]  # three days of 30 s each
    assert rows[job]["forced"] is None and rows[job]["webhooks"] == []
    assert rows[job]["parameters"]["friendly_name"] == "x" and rows[job]["removal_at"] > rows[job]["schedule"][-1]["at"]
    assert [(r["method"], r["made"]) for r in rows[job]["requests"]] == [("POST", True), ("GET", False)]
    assert rows[failed]["status"] == "Failed" and rows[failed]["forced"] == {"status": "Failed", "at": now}

    # past its completion: the first attempt failed and the retry waits; then the retry is answered
    done = rows[job]["schedule"][-1]["at"] - now
    await client.post("/_fakeexports/clock/advance", json={"seconds": done})
    hooks = (await (await client.get("/_fakeexports/timeline?vendor=twilio")).json())["jobs"][0]["webhooks"]
    assert [(h["attempt"], h["status"], h["ok"], h["scheduled"], h["at"] - now) for h in hooks] == [
        (1, 500, False, False, done), (2, None, None, True, done + 30)]
    await client.post("/_fakeexports/clock/advance", json={"seconds": 30})
    view = await (await client.get("/_fakeexports/timeline?vendor=twilio&limit=1")).json()
    assert [j["id"] for j in view["jobs"]] == [failed] and view["total"] == 2  # the newest only
    view = await (await client.get("/_fakeexports/timeline?vendor=twilio")).json()
    assert [(h["attempt"], h["ok"]) for h in view["jobs"][0]["webhooks"]] == [(1, False), (2, True)]
    assert view["jobs"][0]["status"] == "Completed" and all(s["at"] <= view["epoch"] for s in view["jobs"][0]["schedule"])


@pytest.mark.parametrize(("query", "status", "fragment"), [
    ("limit=0", 400, "'limit' must be a whole number from 1 to 1000"),
    ("limit=1001", 400, "from 1 to 1000"),
    ("limit=%C2%B2", 400, "whole number"),
    ("vendor=nope", 404, "unknown vendor 'nope'"),
])
async def test_bad_timeline_queries_are_refused(client_for: Any, query: str, status: int, fragment: str) -> None:
    resp = await (await client_for(fixtures="none")).get("/_fakeexports/timeline?" + query)
    assert resp.status == status and fragment in (await resp.json())["error"]


async def test_specs_are_served_with_servers_on_the_fake(client_for: Any) -> None:
    client = await client_for(fixtures="none")
    doc = await (await client.get("/_fakeexports/specs/twilio")).json()
    assert doc["servers"] == [{"url": str(client.make_url("/twilio"))}]
    assert "/v1/Exports/{ResourceType}/Jobs" in doc["paths"]
    didww = await (await client.get("/_fakeexports/specs/didww?version=2026-04-16")).json()
    assert didww["info"]["version"] == "2026-04-16"
    assert (await client.get("/_fakeexports/specs/didww?version=1999-01-01")).status == 404
    assert (await client.get("/_fakeexports/specs/nope")).status == 404


async def test_the_dashboard_page_is_open_and_self_contained_its_data_is_not(client_for: Any) -> None:
    client = await client_for(control_token="team-secret")
    page = await client.get("/_fakeexports/ui")
    assert page.status == 200 and page.content_type == "text/html"
    csp = page.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "connect-src 'self'" in csp  # nothing from elsewhere, no calls out
    text = await page.text()
    assert "http://" not in text and "https://" not in text  # no CDN, no remote font: it works offline
    assert (await client.get("/_fakeexports/vendors")).status == 401
    assert (await client.get("/_fakeexports/jobs")).status == 401
    assert '<script id="initial" type="application/json">null</script>' in text  # no data without the token


async def test_the_dashboard_carries_its_first_data_where_the_api_is_open(client_for: Any) -> None:
    """The first paint has the data: the page holds the clock, the timeline and the jobs, as JSON no text a client
    sent can break out of (every ``<`` escaped)."""
    client = await client_for(fixtures="none")
    made = await (await client.post(JOBS, data={**FORM, "FriendlyName": "</script><script>alert(1)</script>"},
                                    headers=basic())).json()
    text = await (await client.get("/_fakeexports/ui")).text()
    start = text.index('<script id="initial" type="application/json">') + len('<script id="initial" type="application/json">')
    raw = text[start:text.index("</script>", start)]
    assert "<" not in raw
    initial = json.loads(raw)
    assert initial["clock"]["now"] == "2026-01-15T12:00:00Z"
    assert [j["id"] for j in initial["timeline"]["jobs"]] == [j["id"] for j in initial["jobs"]["jobs"]] == [
        made["job_sid"]]
    assert initial["timeline"]["jobs"][0]["parameters"]["friendly_name"] == "</script><script>alert(1)</script>"
    # under a token, a request that bears it gets the data too
    client = await client_for(fixtures="none", control_token="team-secret")
    text = await (await client.get("/_fakeexports/ui", headers={"Authorization": "Bearer team-secret"})).text()
    assert '<script id="initial" type="application/json">{"clock":' in text


async def test_vendors_view_and_jobs_limit(client_for: Any) -> None:
    client = await client_for()  # the bundled fixtures
    vendors = (await (await client.get("/_fakeexports/vendors")).json())["vendors"]
    assert vendors["talkdesk"]["settings"] == {"done_status": 300, "calls_payload": "call_id"}
    assert {o["name"] for o in vendors["hookbridge"]["options"]} >= {"rate_limits", "per_minute"}
    assert vendors["didww"]["tenants"][0]["settings"]["default_api_version"] == "2021-12-15"
    assert vendors["didww"]["hosts"] == ["api.didww.com", "sandbox-api.didww.com"]
    everything = await (await client.get("/_fakeexports/jobs")).json()
    first = await (await client.get("/_fakeexports/jobs?limit=2")).json()
    assert first["total"] == everything["total"] == len(everything["jobs"]) > 2
    assert first["jobs"] == everything["jobs"][:2]
    assert all(j["vendor"] in vendors for j in everything["jobs"])
    assert (await client.get("/_fakeexports/jobs?limit=x")).status == 400


async def test_a_refused_clock_move_moves_nothing_and_the_clock_still_works(client_for: Any) -> None:
    client = await client_for(fixtures="none")
    refused = await client.post("/_fakeexports/clock/advance", json={"seconds": 4e11})
    assert refused.status == 400 and "it is 2026-01-15T12:00:00Z now" in (await refused.json())["error"]
    assert (await (await client.get("/_fakeexports/clock")).json())["now"] == "2026-01-15T12:00:00Z"
    # the last moment of the range can be reached, and a job still be made and read there
    moved = await client.post("/_fakeexports/clock/set", json={"now": "9990-01-01T00:00:00Z"})
    assert (await moved.json())["now"] == "9990-01-01T00:00:00Z"
    assert (await client.post("/_fakeexports/clock/advance", json={"seconds": 1})).status == 400
    created = await client.post("/hookbridge/v1/exports", headers={"Authorization": "Bearer hb_test_range"},
                                json={"start_time": "9989-12-01T00:00:00Z", "end_time": "9989-12-02T00:00:00Z"})
    assert created.status == 201, await created.text()
    assert (await client.post("/_fakeexports/clock/advance", json={"seconds": 0})).status == 200
