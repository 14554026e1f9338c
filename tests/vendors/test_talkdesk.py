"""Talkdesk Explore reports over raw HTTP (in-process app, virtual clock, strict mode): OAuth tokens and
scopes, the report lifecycle with the documented 300 answer (and 302/303), files in csv, json and
json_bulk, the HAL job list, cancel and delete, the 15-job quota, and every operation's bad input."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
from typing import Any

import pytest

from fakeexports.auth import sign_jwt
from fakeexports.runtime import RUNTIME
from fakeexports.vendors.talkdesk.records import REPORT_TYPES

TOKEN_URL = "/talkdesk/oauth/token"
JOBS = "/talkdesk/data/reports/calls/jobs"
CLIENT = "client-1"


def basic(client: str = CLIENT, secret: str = "s3cret") -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{client}:{secret}".encode()).decode()}


async def token(client: Any, scope: str | None = None, who: str = CLIENT, secret: str = "s3cret") -> str:
    form = {"grant_type": "client_credentials", **({"scope": scope} if scope else {})}
    resp = await client.post(TOKEN_URL, data=form, headers=basic(who, secret))
    assert resp.status == 200, await resp.text()
    return str((await resp.json())["access_token"])


def bearer(tok: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {tok}"}


async def execute(client: Any, tok: str, kind: str = "calls", **body: Any) -> dict[str, Any]:
    payload = {"format": "json", "timespan": {"from": "2026-01-14T00:00:00Z", "to": "2026-01-15T00:00:00Z"}, **body}
    resp = await client.post(f"/talkdesk/data/reports/{kind}/jobs", json=payload, headers=bearer(tok))
    assert resp.status == 202, await resp.text()
    doc: dict[str, Any] = await resp.json()
    return doc


async def advance(client: Any, seconds: float) -> None:
    assert (await client.post("/_fakeexports/clock/advance", json={"seconds": seconds})).status == 200


def relative(client: Any, url: str) -> str:
    return url.split(str(client.make_url("")).rstrip("/"), 1)[-1]


async def test_tokens_grant_scopes_and_expire_on_the_fake_clock(client_for: Any) -> None:
    client = await client_for(fixtures="none")
    # grant_type in the query and an empty body, as the Airbyte connector sends it
    resp = await client.post(TOKEN_URL + "?grant_type=client_credentials", headers=basic())
    body = await resp.json()
    assert resp.status == 200
    assert (body["token_type"], body["expires_in"], body["scope"]) == ("Bearer", 600, "data-reports:read data-reports:write")
    assert body["access_token"].count(".") == 2  # JWT-shaped

    read_only = await token(client, "data-reports:read")
    resp = await client.get(JOBS, headers=bearer(read_only))
    assert resp.status == 200
    resp = await client.post(JOBS, json={"timespan": {"from": "2026-01-14T00:00:00Z", "to": "2026-01-15T00:00:00Z"}},
                             headers=bearer(read_only))
    assert resp.status == 403
    assert await resp.json() == {"code": "0000403", "message": "Forbidden",
                                 "description": "The access token lacks the data-reports:write scope", "fields": []}

    await advance(client, 600)
    resp = await client.get(JOBS, headers=bearer(read_only))
    assert resp.status == 401
    assert (await resp.json())["description"] == "The access token expired"


async def test_a_report_runs_and_the_done_job_answers_300_with_a_relative_location(client_for: Any) -> None:
    client = await client_for(fixtures="none")
    tok = await token(client)
    doc = await execute(client, tok, name="Daily calls", timezone="Europe/Lisbon",
                        timespan={"from": "2026-01-14T00:00:00", "to": "2026-01-15T00:00:00"})
    job = doc["job"]
    assert (job["status"], job["name"], job["type"], job["timezone"]) == ("created", "Daily calls", "calls", "Europe/Lisbon")
    assert doc["_links"]["files"]["href"].endswith(f"/talkdesk/data/reports/calls/files/{job['id']}")

    path = f"{JOBS}/{job['id']}"
    seen = []
    for step in (5, 20):
        await advance(client, step)
        resp = await client.get(path, headers=bearer(tok), allow_redirects=False)
        seen.append((resp.status, (await resp.json())["job"]["status"]))
    assert seen == [(200, "processing"), (200, "uploading")]

    await advance(client, 5)
    resp = await client.get(path, headers=bearer(tok), allow_redirects=False)
    assert resp.status == 300
    assert resp.headers["Location"] == f"/talkdesk/data/reports/calls/files/{job['id']}"
    done = await resp.json()
    assert done["job"]["status"] == "done" and done["job"]["id"] == job["id"]

    # the file: 303 to a presigned link on the S3 stand-in, with the job in the body (docs.talkdesk.com/reference/
    # download-a-report), and a JSON {"entries": [...], "total": N}
    resp = await client.get(resp.headers["Location"], headers=bearer(tok), allow_redirects=False)
    assert resp.status == 303 and (await resp.json())["job"]["id"] == job["id"]
    link = resp.headers["Location"]
    assert "/_s3/fakeexports-talkdesk/" in link
    report = await (await client.get(relative(client, link))).json()
    assert report["total"] == len(report["entries"]) > 0
    # the call_id payload at the plugin's default clock (2026-01-15): type and version first, every record with the
    # call_id and end_at that Airbyte's Calls stream keys and keeps its state by, times RFC 3339 UTC inside the
    # timespan (Lisbon is UTC+0 in January), durations whole seconds (fakeexports/vendors/talkdesk/records.py PAYLOADS has the sources)
    assert list(report)[:2] == ["type", "version"] and (report["type"], report["version"]) == ("calls", "v1")
    assert all(r["call_id"] and "2026-01-14T00:00:00Z" <= r["end_at"] < "2026-01-15T00:00:00Z"
               for r in report["entries"])
    assert isinstance(report["entries"][0]["talk_time"], int) and "interaction_id" not in report["entries"][0]


async def test_done_can_answer_302_or_303_instead(client_for: Any) -> None:
    client = await client_for(fixtures="none", talkdesk_done_status=303)
    tok = await token(client)
    job = (await execute(client, tok))["job"]
    await advance(client, 30)
    resp = await client.get(f"{JOBS}/{job['id']}", headers=bearer(tok), allow_redirects=False)
    assert resp.status == 303
    # switched at run time through the control API
    assert (await client.post("/_fakeexports/vendors/talkdesk", json={"done_status": 302})).status == 200
    resp = await client.get(f"{JOBS}/{job['id']}", headers=bearer(tok), allow_redirects=False)
    assert resp.status == 302
    assert (await client.post("/_fakeexports/vendors/talkdesk", json={"done_status": 301})).status == 400
    # a client that follows redirects lands on the file
    resp = await client.get(f"{JOBS}/{job['id']}", headers=bearer(tok))
    assert resp.status == 200 and "entries" in await resp.json()


@pytest.mark.parametrize("fmt", ["csv", "json", "json_bulk"])
async def test_files_in_every_format_hold_the_same_records(client_for: Any, fmt: str) -> None:
    client = await client_for(fixtures="none", seed=3)
    tok = await token(client)
    job = (await execute(client, tok, kind="user_status", format=fmt))["job"]
    await advance(client, 30)
    resp = await client.get(f"/talkdesk/data/reports/user_status/files/{job['id']}", headers=bearer(tok),
                            allow_redirects=False)
    data = await (await client.get(relative(client, resp.headers["Location"]))).read()
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(data.decode())))
    elif fmt == "json":
        rows = json.loads(data)["entries"]
    else:
        rows = [json.loads(line) for line in data.decode().splitlines()]
    assert rows and {"user_id", "status_label", "status_start_at", "status_end_at"} <= set(rows[0])
    assert str(rows[0]["status_time"]).isdigit()


async def test_the_file_url_answers_the_job_until_it_is_done(client_for: Any) -> None:
    # docs.talkdesk.com/reference/download-a-report: "200 (report job execution result)" besides the 303; public
    # clients poll files/{id} itself until the body has entries
    client = await client_for(fixtures="none")
    tok = await token(client)
    job = (await execute(client, tok))["job"]
    url = f"/talkdesk/data/reports/calls/files/{job['id']}"
    seen = []
    for step in (0, 5, 20):
        await advance(client, step)
        resp = await client.get(url, headers=bearer(tok), allow_redirects=False)
        body = await resp.json()
        assert "Location" not in resp.headers and body["_links"]["files"]["href"].endswith(url)
        seen.append((resp.status, body["job"]["status"]))
    assert seen == [(200, "created"), (200, "processing"), (200, "uploading")]
    await advance(client, 5)
    resp = await client.get(url, headers=bearer(tok))  # a client that follows the 303 gets the file
    assert resp.status == 200 and "entries" in await resp.json()

    # a job whose file cannot be accessed (seed 002): failed, canceled, deleted, or done more than 30 days ago
    fault = {"vendor": "talkdesk", "operation": "ExecuteReport", "outcome": "failed"}
    assert (await client.post("/_fakeexports/faults", json=fault)).status in (200, 201)
    failed = (await execute(client, tok))["job"]["id"]
    canceled = (await execute(client, tok))["job"]["id"]
    assert (await client.delete(f"{JOBS}/{canceled}", headers=bearer(tok))).status == 200
    deleted = (await execute(client, tok))["job"]["id"]
    await advance(client, 30)
    files = "/talkdesk/data/reports/calls/files/"
    assert (await client.delete(files + deleted, headers=bearer(tok))).status == 204
    for gone in (failed, canceled, deleted):
        resp = await client.get(files + gone, headers=bearer(tok))
        assert resp.status == 404 and (await resp.json())["description"] == "Report file not found", gone
    await advance(client, 30 * 86400)
    resp = await client.get(url, headers=bearer(await token(client)), allow_redirects=False)
    assert resp.status == 404 and (await resp.json())["code"] == "0000404"


async def test_list_cancel_delete_and_the_quota(client_for: Any) -> None:
    client = await client_for(fixtures="none")
    tok = await token(client)
    ids = [(await execute(client, tok))["job"]["id"] for _ in range(15)]
    resp = await client.post(JOBS, json={"timespan": {"from": "2026-01-14T00:00:00Z", "to": "2026-01-15T00:00:00Z"}},
                             headers=bearer(tok))
    assert resp.status == 429  # 15 running or queued jobs per account

    page = await (await client.get(JOBS + "?page=2&per_page=4", headers=bearer(tok))).json()
    # the keys of Talkdesk's published document: total, count, _embedded, _links
    assert set(page) == {"total", "count", "_embedded", "_links"} and (page["total"], page["count"]) == (15, 4)
    assert [j["id"] for j in page["_embedded"]["jobs"]] == ids[::-1][4:8]
    assert set(page["_links"]) == {"self", "next", "prev"}

    # cancel before done: 200, canceled; that frees a place in the quota
    resp = await client.delete(f"{JOBS}/{ids[0]}", headers=bearer(tok))
    assert resp.status == 200 and (await resp.json())["job"]["status"] == "canceled"
    await execute(client, tok)
    resp = await client.get(f"/talkdesk/data/reports/calls/files/{ids[0]}", headers=bearer(tok), allow_redirects=False)
    assert resp.status == 404

    # after done: cancel is a 403; deleting the file makes the job deleted and the file a 404
    await advance(client, 30)
    resp = await client.delete(f"{JOBS}/{ids[1]}", headers=bearer(tok))
    assert resp.status == 403
    resp = await client.delete(f"/talkdesk/data/reports/calls/files/{ids[1]}", headers=bearer(tok))
    assert resp.status == 204
    resp = await client.get(f"{JOBS}/{ids[1]}", headers=bearer(tok), allow_redirects=False)
    assert resp.status == 200 and (await resp.json())["job"]["status"] == "deleted"
    resp = await client.get(f"/talkdesk/data/reports/calls/files/{ids[1]}", headers=bearer(tok), allow_redirects=False)
    assert resp.status == 404


async def test_the_airbyte_connectors_body_is_accepted_and_its_nested_timezone_ignored(client_for: Any) -> None:
    # The connector nests timezone in timespan (airbytehq/airbyte@0cfe786c source-talkdesk-explore streams.py);
    # the documented body has it at the top level only, so the nested one changes nothing (naive times are UTC).
    client = await client_for(fixtures="none")
    airbyte_body = {"format": "json", "timespan": {"from": "2026-01-01T00:00:00", "to": "2026-01-15T11:00:00",
                                                   "timezone": "Europe/Lisbon"}}
    resp = await client.post(JOBS, json=airbyte_body, headers=bearer(await token(client)))
    assert resp.status == 202
    job = (await resp.json())["job"]
    assert (job["timezone"], job["timespan"]) == ("UTC", {"from": "2026-01-01T00:00:00Z", "to": "2026-01-15T11:00:00Z"})
    # the 31-day cap holds for it too
    airbyte_body["timespan"]["from"] = "2025-11-01T00:00:00"
    resp = await client.post(JOBS, json=airbyte_body, headers=bearer(await token(client)))
    assert resp.status == 400 and (await resp.json())["fields"][0]["name"] == "timespan"


TOKEN_BAD = [
    # (query, form, headers, status, error)
    ("", {"grant_type": "client_credentials"}, {}, 401, "invalid_client"),
    ("", {"grant_type": "client_credentials"}, {"Authorization": "Basic Zm9v"}, 401, "invalid_client"),
    ("", {"grant_type": "client_credentials"}, basic(CLIENT, ""), 401, "invalid_client"),
    ("", {}, basic(), 400, "invalid_request"),
    ("", {"grant_type": "password"}, basic(), 400, "unsupported_grant_type"),
    ("", {"grant_type": "client_credentials", "scope": "data-reports:read admin"}, basic(), 400, "invalid_scope"),
]


@pytest.mark.parametrize(("query", "form", "headers", "status", "error"), TOKEN_BAD)
async def test_bad_token_requests_get_oauth_errors(client_for: Any, query: str, form: dict[str, str],
                                                   headers: dict[str, str], status: int, error: str) -> None:
    client = await client_for(fixtures="none")
    resp = await client.post(TOKEN_URL + query, data=form, headers=headers)
    assert resp.status == status
    body = await resp.json()
    assert list(body) == ["error", "error_description"] and body["error"] == error


GOOD_SPAN = {"from": "2026-01-14T00:00:00Z", "to": "2026-01-15T00:00:00Z"}
API_BAD = [
    # (method, path, body, status, description fragment, field)
    ("POST", JOBS, {"format": "json"}, 400, "Invalid report request", "timespan"),
    ("POST", JOBS, {"timespan": {"from": "2026-01-14T00:00:00Z"}}, 400, "Invalid report request", "timespan.to"),
    ("POST", JOBS, {"timespan": GOOD_SPAN, "format": "xml"}, 400, "Invalid report request", "format"),
    ("POST", JOBS, {"timespan": GOOD_SPAN, "name": "n" * 257}, 400, "Invalid report request", "name"),
    ("POST", JOBS, {"timespan": GOOD_SPAN, "timezone": "Mars/Olympus"}, 400, "Invalid report request", "timezone"),
    ("POST", JOBS, {"timespan": {"from": "yesterday", "to": "2026-01-15T00:00:00Z"}}, 400, "Invalid report request", "timespan.from"),
    ("POST", JOBS, {"timespan": {"from": "2026-01-14T00:00:00Z", "to": "2026-01-16T00:00:00Z"}}, 400,
     "Invalid report request", "timespan.to"),
    ("POST", JOBS, {"timespan": {"from": "2026-01-14T00:00:00Z", "to": "2026-01-13T00:00:00Z"}}, 400,
     "Invalid report request", "timespan.to"),
    ("POST", JOBS, {"timespan": {"from": "2025-12-01T00:00:00Z", "to": "2026-01-14T00:00:00Z"}}, 400,
     "Invalid report request", "timespan"),
    ("POST", JOBS, b"{broken", 400, "Invalid report request", "body"),
    # a naive time in the report's zone, or an offset, that is in year 0 or 10000 in UTC (issue 20: a 500 before)
    ("POST", JOBS, {"timezone": "Asia/Tokyo", "timespan": {"from": "0001-01-01T00:00:00", "to": "0001-01-02T00:00:00"}},
     400, "Invalid report request", "timespan.from"),
    ("POST", JOBS, {"timespan": {"from": "0001-01-01T00:00:00+01:00", "to": "2026-01-14T00:00:00Z"}}, 400,
     "Invalid report request", "timespan.from"),
    ("POST", "/talkdesk/data/reports/feedback/jobs", {"timespan": GOOD_SPAN}, 400, "Invalid report type", "type"),
    ("GET", "/talkdesk/data/reports/nope/jobs", None, 400, "Invalid report type", "type"),
    ("GET", JOBS + "?per_page=201", None, 400, "Invalid report request", "per_page"),
    ("GET", JOBS + "?page=0", None, 400, "Invalid report request", "page"),
    ("GET", JOBS + "/00000000-0000-4000-8000-000000000000", None, 404, "Report job not found", None),
    ("GET", JOBS + "/not-a-uuid", None, 404, "Report job not found", None),
    ("DELETE", JOBS + "/00000000-0000-4000-8000-000000000000", None, 404, "Report job not found", None),
    ("GET", "/talkdesk/data/reports/calls/files/00000000-0000-4000-8000-000000000000", None, 404,
     "Report job not found", None),
    ("DELETE", "/talkdesk/data/reports/calls/files/00000000-0000-4000-8000-000000000000", None, 404,
     "Report job not found", None),
    ("PUT", JOBS, None, 405, "not allowed", None),
    ("GET", "/talkdesk/data/nothing", None, 404, "was not found", None),
]


@pytest.mark.parametrize(("method", "path", "body", "status", "fragment", "field"), API_BAD)
async def test_bad_api_input_gets_talkdesks_envelope(client_for: Any, method: str, path: str, body: Any,
                                                     status: int, fragment: str, field: str | None) -> None:
    client = await client_for(fixtures="none")
    tok = await token(client)
    kwargs: dict[str, Any] = {"headers": {**bearer(tok), "Content-Type": "application/json"}}
    if body is not None:
        kwargs["data"] = body if isinstance(body, bytes) else json.dumps(body)
    resp = await client.request(method, path, **kwargs)
    assert resp.status == status, await resp.text()
    err = await resp.json()
    assert list(err) == ["code", "message", "description", "fields"]
    assert err["code"] == f"{status:07d}"
    assert fragment in err["description"]
    assert [f["name"] for f in err["fields"]] == ([field] if field else [])
    assert (await client.get(JOBS, headers=bearer(tok))).status == 200


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic Zm9vOmJhcg=="},
                                     {"Authorization": "Bearer a.b.\u00e9"}])  # compare_digest raises on non-ASCII
async def test_api_calls_without_a_valid_token_are_401(client_for: Any, headers: dict[str, str]) -> None:
    client = await client_for(fixtures="none")
    resp = await client.get(JOBS, headers=headers)
    assert resp.status == 401
    assert (await resp.json())["code"] == "0000401"


async def download(client: Any, tok: str, kind: str, job_id: str) -> dict[str, Any]:
    """A json job's file, once done (30 s on the clock)."""
    await advance(client, 30)
    resp = await client.get(f"/talkdesk/data/reports/{kind}/files/{job_id}", headers=bearer(tok), allow_redirects=False)
    assert resp.status == 303, await resp.text()
    report: dict[str, Any] = await (await client.get(relative(client, resp.headers["Location"]))).json()
    return report


@pytest.mark.parametrize("start", [None, "2026-05-11T12:00:00Z", "2031-03-01T12:00:00Z"])
async def test_the_calls_payload_never_depends_on_the_fake_clocks_date(client_for: Any, start: str | None) -> None:
    # the call_id payload by default on any date; the calls page's "valid until May 11, 2026" switches nothing
    client = await client_for(fixtures="none", start=start)
    tok = await token(client)
    now = (await (await client.get("/_fakeexports/clock")).json())["now"]
    day_before = {"from": f"{int(now[:4]) - 1}{now[4:10]}T00:00:00Z", "to": f"{int(now[:4]) - 1}{now[4:10]}T01:00:00Z"}
    for span in (day_before, {"from": now[:10] + "T00:00:00Z", "to": now[:10] + "T01:00:00Z"}):
        job = (await execute(client, tok, timespan=span))["job"]
        report = await download(client, tok, "calls", job["id"])
        assert list(report)[:2] == ["type", "version"] and "call_id" in report["entries"][0]


async def test_the_interaction_id_payload_as_an_option_a_tenant_setting_and_a_fixture(client_for: Any,
                                                                                       tmp_path: Any) -> None:
    client = await client_for(fixtures="none", talkdesk_calls_payload="interaction_id")
    tok = await token(client)
    old = (await execute(client, tok))["job"]
    explore_old = (await execute(client, tok, "explore_calls"))["job"]
    # the vendor option through the control API; a job keeps the payload it was created with
    resp = await client.post("/_fakeexports/vendors/talkdesk", json={"calls_payload": "call_id"})
    assert resp.status == 200 and (await resp.json())["settings"]["calls_payload"] == "call_id"
    new = (await execute(client, tok))["job"]
    report = await download(client, tok, "calls", old["id"])
    assert "type" not in report
    assert {"interaction_id", "call_type", "start_time", "talk_time"} <= set(report["entries"][0])
    assert isinstance(report["entries"][0]["talk_time"], float)  # a fraction of a day
    assert list((await download(client, tok, "explore_calls", explore_old["id"]))["entries"][0])[:2] == [
        "interaction_id", "call_type"]
    assert (await download(client, tok, "calls", new["id"]))["type"] == "calls"

    # a client's own setting wins over the option, for its jobs only
    resp = await client.post(f"/_fakeexports/tenants/talkdesk/{CLIENT}", json={"calls_payload": "interaction_id"})
    assert resp.status == 200 and (await resp.json())["settings"] == {"calls_payload": "interaction_id"}
    mine = (await execute(client, tok))["job"]
    other = await token(client, who="client-2")
    theirs = (await execute(client, other))["job"]
    assert "call_type" in (await download(client, tok, "calls", mine["id"]))["entries"][0]
    assert "call_id" in (await download(client, other, "calls", theirs["id"]))["entries"][0]
    vendors = await (await client.get("/_fakeexports/vendors")).json()
    tenants = {t["tenant"]: t["settings"] for t in vendors["vendors"]["talkdesk"]["tenants"]}
    assert tenants[CLIENT] == {"calls_payload": "interaction_id"}

    # bad values: the control API's 400, never a 500
    for body in ({"calls_payload": "interaction-id"}, {"calls_payload": 1}, {"payload": "call_id"}):
        resp = await client.post(f"/_fakeexports/tenants/talkdesk/{CLIENT}", json=body)
        assert resp.status == 400, body
    resp = await client.post("/_fakeexports/vendors/talkdesk", json={"calls_payload": "old"})
    assert resp.status == 400 and "call_id, interaction_id" in (await resp.json())["error"]

    # fixtures: a client's settings, and a job's own payload
    fixture = tmp_path / "talkdesk.yaml"
    fixture.write_text("vendor: talkdesk\ntenants:\n  fixture-client:\n    settings: {calls_payload: interaction_id}\n"
                       "    jobs:\n      - {type: calls, from: '2026-01-14T00:00:00Z', to: '2026-01-14T01:00:00Z'}\n"
                       "      - {type: calls, from: '2026-01-14T00:00:00Z', to: '2026-01-14T01:00:00Z', "
                       "calls_payload: call_id}\n")
    client = await client_for(fixtures=str(fixture))
    tok = await token(client, who="fixture-client")
    jobs = (await (await client.get(JOBS, headers=bearer(tok))).json())["_embedded"]["jobs"]
    firsts = sorted([next(iter((await download(client, tok, "calls", j["id"]))["entries"][0])) for j in jobs])
    assert firsts == ["call_id", "interaction_id"]
    made = (await execute(client, tok))["job"]  # by the client's setting
    assert "call_type" in (await download(client, tok, "calls", made["id"]))["entries"][0]


@pytest.mark.parametrize("kind", REPORT_TYPES)
async def test_every_report_type_runs_and_serves_its_records(client_for: Any, kind: str) -> None:
    client = await client_for(fixtures="none")
    tok = await token(client)
    for fmt in ("json", "csv"):
        job = (await execute(client, tok, kind, format=fmt,
                             timespan={"from": "2026-01-13T00:00:00Z", "to": "2026-01-15T00:00:00Z"}))["job"]
        await advance(client, 30)
        resp = await client.get(f"/talkdesk/data/reports/{kind}/files/{job['id']}", headers=bearer(tok),
                                allow_redirects=False)
        assert resp.status == 303
        data = await (await client.get(relative(client, resp.headers["Location"]))).read()
        if fmt == "json":
            report = json.loads(data)
            assert report["total"] == len(report["entries"]) > 0
        else:
            lines = data.decode().splitlines()
            assert len(lines) > 1 and "," in lines[0]


# --- tokens are the server's own, and die with a reset -----------------------------------------------------------
SPAN = {"timespan": {"from": "2026-01-14T00:00:00Z", "to": "2026-01-15T00:00:00Z"}}


def seed_forged(claims: dict[str, Any], seed: int = 0) -> str:
    """A token signed the way this fake once signed its own, with a key anyone could make from the public seed."""
    return sign_jwt(hashlib.blake2b(f"fakeexports-talkdesk-{seed}".encode(), digest_size=32).digest(), claims)


def claims_for(client_id: str, scope: str = "data-reports:read data-reports:write") -> dict[str, Any]:
    return {"iss": "https://fakeexports.talkdeskid.com", "sub": client_id, "aud": "https://api.talkdeskapp.com",
            "scope": scope, "iat": 1768478400, "exp": 1768478400 + 600, "jti": "0" * 32}


async def test_a_token_forged_from_the_seed_is_refused(client_for: Any) -> None:
    client = await client_for(fixtures="none")
    await token(client)  # the client exists, with a grant of its own: the forgery still does not pass
    for forged in (seed_forged(claims_for(CLIENT)), seed_forged({**claims_for(CLIENT), "grant": "0" * 32})):
        resp = await client.post(JOBS, json=SPAN, headers=bearer(forged))
        assert resp.status == 401
        assert await resp.json() == {"code": "0000401", "message": "Unauthorized",
                                     "description": "Missing or invalid access token", "fields": []}
    assert (await client.get("/_fakeexports/jobs?vendor=talkdesk")).status == 200
    assert (await (await client.get("/_fakeexports/jobs?vendor=talkdesk")).json())["jobs"] == []


@pytest.fixture
def listed(tmp_path: Any) -> str:
    """A credentials file that lists one Talkdesk client, granted reading only."""
    path = tmp_path / "credentials.yaml"
    path.write_text("talkdesk:\n  - {client_id: reader, client_secret: pw, scopes: 'data-reports:read'}\n")
    return str(path)


async def test_with_a_credentials_file_only_listed_clients_and_granted_scopes_work(client_for: Any,
                                                                                   listed: str) -> None:
    client = await client_for(fixtures="none", credentials=listed)
    runtime = client.app[RUNTIME]
    reader = await token(client, who="reader", secret="pw")
    assert (await client.get(JOBS, headers=bearer(reader))).status == 200
    # forged from the seed: an unlisted client, and the listed one with the write scope it was never granted
    for forged in (seed_forged(claims_for("intruder")), seed_forged(claims_for("reader"))):
        resp = await client.post(JOBS, json=SPAN, headers=bearer(forged))
        assert resp.status == 401, await resp.text()
    # even signed with the server's own key (which no client has), a token counts for listed clients and granted
    # scopes only
    key = runtime.keys.get("talkdesk-tokens")
    grant = runtime.store.find("talkdesk", "reader").get("talkdesk", "grant")
    runtime.store.tenant("talkdesk", "intruder").put("talkdesk", "grant", "g")
    resp = await client.get(JOBS, headers=bearer(sign_jwt(key, {**claims_for("intruder"), "grant": "g"})))
    assert resp.status == 401
    writer = sign_jwt(key, {**claims_for("reader"), "grant": grant})
    assert (await client.get(JOBS, headers=bearer(writer))).status == 200
    resp = await client.post(JOBS, json=SPAN, headers=bearer(writer))
    assert resp.status == 403
    assert (await resp.json())["description"] == "The access token lacks the data-reports:write scope"
    assert (await (await client.get("/_fakeexports/jobs?vendor=talkdesk")).json())["jobs"] == []


@pytest.mark.parametrize("reset", [{}, {"clock": True}, {"vendor": "talkdesk"}, {"vendor": "talkdesk", "tenant": CLIENT},
                                   {"tenant": CLIENT}])
async def test_a_token_dies_with_a_reset(client_for: Any, reset: dict[str, Any]) -> None:
    client = await client_for()  # the bundled fixtures: a full reset puts back what they made
    tok, other = await token(client), await token(client, who="client-2")
    await execute(client, tok)
    assert (await client.post("/_fakeexports/reset", json=reset)).status == 200
    resp = await client.get(JOBS, headers=bearer(tok))
    assert resp.status == 401
    assert (await resp.json())["description"] == "Missing or invalid access token"
    # a new one works; another client's token lives on when the reset was not its
    assert (await client.get(JOBS, headers=bearer(await token(client)))).status == 200
    alive = (await client.get(JOBS, headers=bearer(other))).status
    assert alive == (200 if reset.get("tenant") == CLIENT else 401)


@pytest.mark.parametrize("lifetimes", ["wall", "clock"])
async def test_sped_up_a_token_and_a_link_last_their_seconds_of_wall_time_unless_told(client_for: Any,
                                                                                       lifetimes: str) -> None:
    """--speed 60 used to end a 600 s token after 10 real seconds, while the Airbyte connector keeps it for 600 (it
    then reports a failed state): with lifetimes=wall (the default) a token and a download link last the vendor's
    seconds of wall time, 60 times as many of the clock's; lifetimes=clock keeps the old ageing, to see them expire
    soon. The clock is moved with advance here: real time adds a second or two of it at most."""
    client = await client_for(fixtures="none", clock="real", speed=60, lifetimes=lifetimes)
    assert (await (await client.get("/_fakeexports/clock")).json())["lifetimes"] == lifetimes
    tok = await token(client)
    job = (await execute(client, tok))["job"]
    await advance(client, 60)
    resp = await client.get(f"/talkdesk/data/reports/calls/files/{job['id']}", headers=bearer(tok),
                            allow_redirects=False)
    assert resp.status == 303
    link = relative(client, resp.headers["Location"])
    await advance(client, 3600)  # past the link's 3600 s and the token's 600 s of this clock
    token_status = (await client.get(JOBS, headers=bearer(tok))).status
    link_status = (await client.get(link)).status
    if lifetimes == "clock":
        assert (token_status, link_status) == (401, 403)
        return
    assert (token_status, link_status) == (200, 200)
    await advance(client, 600 * 60)  # 600 s of wall time at 60x: the token is over, the link (3600 s) is not
    assert ((await client.get(JOBS, headers=bearer(tok))).status, (await client.get(link)).status) == (401, 200)
    await advance(client, 3600 * 60)
    assert (await client.get(link)).status == 403
