"""Twilio Bulk Exports over raw HTTP (in-process app, virtual clock, strict mode): lifecycle, queue,
deletion, days and retention, pagination, downloads, and every operation's bad input."""

from __future__ import annotations

import gzip
from typing import Any

import pytest
from twilio.request_validator import RequestValidator

from tests.conftest import ACCOUNT, OTHER_ACCOUNT, TOKEN, basic

JOBS = "/twilio/v1/Exports/Messages/Jobs"
AUTH = basic()


async def create(client: Any, start: str = "2026-01-10", end: str = "2026-01-12", name: str = "job",
                 rt: str = "Messages", headers: dict[str, str] | None = None, **extra: str) -> dict[str, Any]:
    form = {"StartDay": start, "EndDay": end, "FriendlyName": name, **extra}
    resp = await client.post(f"/twilio/v1/Exports/{rt}/Jobs", data=form, headers=headers or AUTH)
    assert resp.status == 201, await resp.text()
    body: dict[str, Any] = await resp.json()
    return body


async def advance(client: Any, seconds: float) -> None:
    resp = await client.post("/_fakeexports/clock/advance", json={"seconds": seconds})
    assert resp.status == 200


async def fetch(client: Any, sid: str) -> tuple[int, dict[str, Any]]:
    resp = await client.get(f"/twilio/v1/Exports/Jobs/{sid}", headers=AUTH)
    return resp.status, await resp.json()


def statuses(job: dict[str, Any]) -> dict[str, int]:
    return {d["status"]: d["count"] for d in job["details"]}


async def test_a_job_runs_day_by_day_and_its_days_appear(client_for: Any) -> None:
    client = await client_for(fixtures="none")
    # create: three days, all Submitted, first in the queue, estimated to finish after 60 s + 3 x 30 s
    job = await create(client)
    assert job["details"] is None  # a create answers details null (two real answers, tigerfarm/work README)
    assert statuses((await fetch(client, job["job_sid"]))[1]) == {"Submitted": 3}
    assert job["job_queue_position"] == "1"
    assert job["estimated_completion_time"] == "2026-01-15T12:02:30.000"

    # advance into the second day: one finished, one running, one waiting
    await advance(client, 60 + 30 + 1)
    _, now = await fetch(client, job["job_sid"])
    finished = statuses(now).get("Completed", 0) + statuses(now).get("CompletedEmptyRecords", 0)
    assert (finished, statuses(now)["Running"], statuses(now)["Submitted"]) == (1, 1, 1)
    days = await (await client.get("/twilio/v1/Exports/Messages/Days", headers=AUTH)).json()
    assert [d["day"] for d in days["days"]] == ["2026-01-10"]

    # advance past the end: every day finished, listed with the days it made
    await advance(client, 60)
    _, done = await fetch(client, job["job_sid"])
    assert set(statuses(done)) <= {"Completed", "CompletedEmptyRecords"}
    for detail in done["details"]:
        assert detail["days"] and len(detail["days"]) == detail["count"]
    assert done["job_queue_position"] is None
    days = await (await client.get("/twilio/v1/Exports/Messages/Days", headers=AUTH)).json()
    assert [d["day"] for d in days["days"]] == ["2026-01-10", "2026-01-11", "2026-01-12"]
    assert all(d["create_date"] == "2026-01-15" and d["friendly_name"] == "job" for d in days["days"])

    # retention: day files go 7 days after they were made
    await advance(client, 7 * 86400)
    days = await (await client.get("/twilio/v1/Exports/Messages/Days", headers=AUTH)).json()
    assert days["days"] == []
    resp = await client.get("/twilio/v1/Exports/Messages/Days/2026-01-10", headers=AUTH)
    assert resp.status == 404


async def test_a_day_made_again_by_a_later_job_goes_seven_days_after_the_later_make(client_for: Any) -> None:
    # one waiting expiry per day file (jobs.py keep): a day made again moves it on instead of adding another
    client = await client_for(fixtures="none")
    await create(client, "2026-01-10", "2026-01-10", name="first")
    await advance(client, 60 + 30 + 1)  # the first job made 2026-01-10
    await advance(client, 3 * 86400)
    await create(client, "2026-01-10", "2026-01-10", name="second")
    await advance(client, 60 + 30 + 1)  # made again, three days later
    await advance(client, 4 * 86400 + 60)  # seven days after the first make, four after the second
    days = await (await client.get("/twilio/v1/Exports/Messages/Days", headers=AUTH)).json()
    assert [(d["day"], d["friendly_name"]) for d in days["days"]] == [("2026-01-10", "second")]
    await advance(client, 3 * 86400)  # seven days after the second make
    days = await (await client.get("/twilio/v1/Exports/Messages/Days", headers=AUTH)).json()
    assert days["days"] == []
    assert (await client.get("/twilio/v1/Exports/Messages/Days/2026-01-10", headers=AUTH)).status == 404


async def test_a_day_without_records_is_not_listed_but_its_day_endpoint_serves_an_empty_file(client_for: Any) -> None:
    # "CompletedEmptyRecords — … An empty file will be available at the Day endpoint"
    # (https://www.twilio.com/docs/usage/bulkexport/job); public clients fetch every day of a range and delete the
    # empty files afterwards (sgeddy/twilioCallLogs bulk_export_fetch_day_logs.js)
    client = await client_for(fixtures="none")
    job = await create(client, start="2026-01-10", end="2026-01-11")
    await advance(client, 60 + 30)  # the first day done
    await client.post(f"/_fakeexports/jobs/twilio/{job['job_sid']}/force", json={"status": "CompletedEmptyRecords"})
    _, done = await fetch(client, job["job_sid"])
    assert statuses(done)["CompletedEmptyRecords"] >= 1
    empty_day = next(d for s in done["details"] if s["status"] == "CompletedEmptyRecords" for d in s["days"])

    # the list leaves it out
    days = await (await client.get("/twilio/v1/Exports/Messages/Days", headers=AUTH)).json()
    assert empty_day not in [d["day"] for d in days["days"]]

    # its Day endpoint answers as any other day: 307 to a file that is an empty gzip, its length the bytes served
    resp = await client.get(f"/twilio/v1/Exports/Messages/Days/{empty_day}", headers=AUTH, allow_redirects=False)
    assert resp.status == 307
    link = (await resp.json())["redirect_to"]
    assert resp.headers["Location"] == link
    file = await client.get(link.split(str(client.make_url("")), 1)[1])
    data = await file.read()
    assert file.status == 200 and int(file.headers["Content-Length"]) == len(data)
    assert gzip.decompress(data) == b""

    # it goes after 7 days, like the others
    await advance(client, 7 * 86400 + 1)
    resp = await client.get(f"/twilio/v1/Exports/Messages/Days/{empty_day}", headers=AUTH)
    assert resp.status == 404


async def test_jobs_run_three_at_a_time_per_account_and_move_up_when_one_ahead_is_deleted(client_for: Any) -> None:
    # "Multiple Jobs may run at the same time"; job_queue_position "will never increase" (twilio.com/docs/usage/
    # bulkexport/export-custom-job): three of an account's jobs run at once, the fourth waits for a slot
    client = await client_for(fixtures="none")
    a, b, c, d = [await create(client, name=n) for n in "abcd"]
    assert [j["job_queue_position"] for j in (a, b, c, d)] == ["1", "2", "3", "4"]
    assert [j["estimated_completion_time"] for j in (a, b, c)] == ["2026-01-15T12:02:30.000"] * 3  # 60 s + 3 x 30 s
    assert d["estimated_completion_time"] == "2026-01-15T12:04:00.000"  # it starts when the first ones end
    other = await create(client, headers=basic(OTHER_ACCOUNT))
    assert other["job_queue_position"] == "1"  # another account has its own queue

    resp = await client.delete(f"/twilio/v1/Exports/Jobs/{b['job_sid']}", headers=AUTH)
    assert resp.status == 204
    _, c_now = await fetch(client, c["job_sid"])
    _, d_now = await fetch(client, d["job_sid"])
    assert (c_now["job_queue_position"], d_now["job_queue_position"]) == ("2", "3")
    # a slot is free: d starts 60 s after its creation and finishes with the others
    assert d_now["estimated_completion_time"] == "2026-01-15T12:02:30.000"
    await advance(client, 60 + 30)
    _, running = await fetch(client, d["job_sid"])
    assert statuses(running)["Running"] == 1 and running["job_queue_position"] == "3"  # never increases


async def test_deleting_a_running_job_shows_running_to_be_deleted_then_404(client_for: Any) -> None:
    client = await client_for(fixtures="none")
    job = await create(client, start="2026-01-01", end="2026-01-10")
    await advance(client, 60 + 45)
    resp = await client.delete(f"/twilio/v1/Exports/Jobs/{job['job_sid']}", headers=AUTH)
    assert resp.status == 204
    assert await resp.read() == b""
    status, marked = await fetch(client, job["job_sid"])
    assert status == 200
    assert statuses(marked)["RunningToBeDeleted"] == 1
    await advance(client, 10)
    status, body = await fetch(client, job["job_sid"])
    assert status == 404
    assert body["code"] == 20404
    # the day it had finished before the delete stays
    days = await (await client.get("/twilio/v1/Exports/Messages/Days", headers=AUTH)).json()
    assert [d["day"] for d in days["days"]] == ["2026-01-01"]


async def test_forced_outcomes_error_during_run_then_retry_and_failed(client_for: Any) -> None:
    client = await client_for(fixtures="none")
    job = await create(client, start="2026-01-01", end="2026-01-04")
    await advance(client, 60 + 31)
    resp = await client.post(f"/_fakeexports/jobs/twilio/{job['job_sid']}/force", json={"status": "ErrorDuringRun"})
    assert resp.status == 200
    _, paused = await fetch(client, job["job_sid"])
    assert statuses(paused)["ErrorDuringRun"] == 1
    await advance(client, 120)  # the retry resumes where it stopped
    _, resumed = await fetch(client, job["job_sid"])
    assert statuses(resumed)["Running"] == 1

    # an outcome fault makes the next created job fail
    resp = await client.post("/_fakeexports/faults", json={
        "vendor": "twilio", "operation": "CreateExportCustomJob", "outcome": "Failed"})
    assert resp.status == 201
    _, failed = await fetch(client, (await create(client, name="doomed"))["job_sid"])
    assert statuses(failed) == {"Failed": 3}
    assert [d["days"] for d in failed["details"]] == [["2026-01-10", "2026-01-11", "2026-01-12"]]


async def test_a_response_fault_answers_in_twilios_envelope_once(client_for: Any) -> None:
    client = await client_for(fixtures="none")
    await client.post("/_fakeexports/faults", json={"vendor": "twilio", "operation": "ListExportCustomJob",
                                                    "status": 503, "message": "Service unavailable"})
    first = await client.get(JOBS, headers=AUTH)
    assert first.status == 503
    assert await first.json() == {"code": 20503, "message": "Service unavailable",
                                  "more_info": "https://www.twilio.com/docs/errors/20503", "status": 503}
    assert (await client.get(JOBS, headers=AUTH)).status == 200


async def test_pages_follow_tokens_that_stay_stable_while_jobs_are_added(client_for: Any) -> None:
    client = await client_for(fixtures="none")
    sids = [(await create(client, name=f"j{i}"))["job_sid"] for i in range(7)]
    newest_first = sids[::-1]
    page0 = await (await client.get(JOBS + "?PageSize=3", headers=AUTH)).json()
    assert [j["job_sid"] for j in page0["jobs"]] == newest_first[:3]
    meta = page0["meta"]
    assert meta["previous_page_url"] is None
    assert meta["first_page_url"].endswith("/twilio/v1/Exports/Messages/Jobs?PageSize=3&Page=0")
    assert meta["next_page_url"].startswith(str(client.make_url("/twilio/v1/Exports/Messages/Jobs?PageSize=3&Page=1&PageToken=PT")))

    await create(client, name="late")  # a new job must not shift the next page
    page1 = await (await client.get(meta["next_page_url"].split(str(client.make_url("")), 1)[1], headers=AUTH)).json()
    assert [j["job_sid"] for j in page1["jobs"]] == newest_first[3:6]
    assert page1["meta"]["page"] == 1

    previous = page1["meta"]["previous_page_url"].split(str(client.make_url("")), 1)[1]
    back = await (await client.get(previous, headers=AUTH)).json()
    assert [j["job_sid"] for j in back["jobs"]] == newest_first[:3]

    page2 = await (await client.get(page1["meta"]["next_page_url"].split(str(client.make_url("")), 1)[1], headers=AUTH)).json()
    assert [j["job_sid"] for j in page2["jobs"]] == newest_first[6:]
    assert page2["meta"]["next_page_url"] is None

    # Page without a token is an offset from the newest
    by_index = await (await client.get(JOBS + "?PageSize=2&Page=1", headers=AUTH)).json()
    assert len(by_index["jobs"]) == 2


async def test_emitted_urls_follow_forwarded_headers_and_public_url(client_for: Any) -> None:
    client = await client_for(fixtures="none")
    headers = {**AUTH, "X-Forwarded-Proto": "https", "X-Forwarded-Host": "fake.example.test"}
    body = await (await client.get(JOBS, headers=headers)).json()
    assert body["meta"]["url"] == "https://fake.example.test/twilio/v1/Exports/Messages/Jobs?PageSize=50&Page=0"

    public = await client_for(fixtures="none", public_url="https://exports.internal:8443")
    body = await (await public.get(JOBS, headers=AUTH)).json()
    assert body["meta"]["url"].startswith("https://exports.internal:8443/twilio/v1/")


async def test_requests_through_the_vendor_host_name_are_routed_at_the_root(client_for: Any) -> None:
    client = await client_for(fixtures="none")
    resp = await client.get("/v1/Exports/Messages/Jobs", headers={**AUTH, "Host": "bulkexports.twilio.com"})
    assert resp.status == 200
    body = await resp.json()
    assert body["meta"]["url"] == "http://bulkexports.twilio.com/v1/Exports/Messages/Jobs?PageSize=50&Page=0"


async def test_download_links_are_bound_signed_and_expire(client_for: Any) -> None:
    client = await client_for(fixtures="none")
    await create(client, start="2026-01-12", end="2026-01-12")
    await advance(client, 100)
    resp = await client.get("/twilio/v1/Exports/Messages/Days/2026-01-12", headers=AUTH, allow_redirects=False)
    assert resp.status == 307
    link = (await resp.json())["redirect_to"]
    assert resp.headers["Location"] == link
    path = link.split(str(client.make_url("")), 1)[1]

    ok = await client.get(path)
    data = await ok.read()
    assert ok.status == 200 and int(ok.headers["Content-Length"]) == len(data)
    gzip.decompress(data)  # a real gzip file

    tampered = await client.get(path.replace(ACCOUNT, OTHER_ACCOUNT))
    assert tampered.status == 403
    assert "<Code>SignatureDoesNotMatch</Code>" in await tampered.text()

    await advance(client, 3601)
    expired = await client.get(path)
    assert expired.status == 403
    text = await expired.text()
    assert "<Code>AccessDenied</Code>" in text and "<Message>Request has expired</Message>" in text
    assert expired.headers["Content-Type"].startswith("application/xml")


async def test_the_same_day_gives_the_same_file_for_two_jobs_and_the_same_seed(client_for: Any) -> None:
    async def day_bytes(client: Any) -> bytes:
        for name in ("first", "second"):
            await create(client, start="2026-01-11", end="2026-01-11", name=name)
            await advance(client, 200)
        resp = await client.get("/twilio/v1/Exports/Messages/Days/2026-01-11", headers=AUTH,
                                allow_redirects=False)
        link = (await resp.json())["redirect_to"]
        data: bytes = await (await client.get(link.split(str(client.make_url("")), 1)[1])).read()
        return data

    one = await day_bytes(await client_for(fixtures="none", seed=4))
    two = await day_bytes(await client_for(fixtures="none", seed=4))
    other = await day_bytes(await client_for(fixtures="none", seed=5))
    assert one == two
    assert one != other


async def test_the_daily_quota_of_366_days(client_for: Any) -> None:
    client = await client_for(fixtures="none")
    await create(client, start="2025-01-13", end="2026-01-12")  # 365 days
    await create(client, start="2026-01-12", end="2026-01-12")  # 366
    resp = await client.post(JOBS, data={"StartDay": "2026-01-12", "EndDay": "2026-01-12", "FriendlyName": "x"},
                             headers=AUTH)
    assert resp.status == 429
    assert (await resp.json())["code"] == 20429
    await advance(client, 86400)  # a new UTC day
    await create(client, start="2026-01-12", end="2026-01-12")


async def test_seed_fixture_jobs_are_there_for_the_seed_account(client_for: Any) -> None:
    client = await client_for()
    seed_account = basic("AC" + "a" * 32, "any")
    body = await (await client.get(JOBS, headers=seed_account)).json()
    assert [j["job_sid"] for j in body["jobs"]] == ["JS" + "a" * 32]
    calls = await (await client.get("/twilio/v1/Exports/Calls/Jobs", headers=seed_account)).json()
    assert statuses(calls["jobs"][0]) == {"Failed": 3}


async def test_credentials_file_restricts_and_maps_api_keys(client_for: Any, tmp_path: Any) -> None:
    creds = tmp_path / "creds.yaml"
    key = "SK" + "3" * 32
    creds.write_text(f"twilio:\n  - {{account_sid: {ACCOUNT}, auth_token: {TOKEN}}}\n"
                     f"  - {{api_key: {key}, secret: s3cret, account_sid: {ACCOUNT}}}\n")
    client = await client_for(fixtures="none", credentials=str(creds))
    job = await create(client)
    # an API key of the account sees the account's jobs
    resp = await client.get(f"/twilio/v1/Exports/Jobs/{job['job_sid']}", headers=basic(key, "s3cret"))
    assert resp.status == 200
    for user, password in ((ACCOUNT, "wrong"), (key, TOKEN), (OTHER_ACCOUNT, TOKEN)):
        resp = await client.get(JOBS, headers=basic(user, password))
        assert resp.status == 401
        assert (await resp.json())["code"] == 20003


SID = "JS" + "0" * 32
GOOD_FORM = {"StartDay": "2026-01-10", "EndDay": "2026-01-12", "FriendlyName": "x"}
BAD_INPUT = [
    # (method, path, headers, body, status, code, message fragment)
    # a live unauthenticated curl; support.twilio.com article 50301225354651 (vendors/twilio/envelope.py)
    ("GET", JOBS, {}, None, 401, 20003, "Authentication Error - No credentials provided"),
    ("GET", JOBS, {"Authorization": "Bearer abc"}, None, 401, 20003, "Authentication Error - invalid username"),
    ("GET", JOBS, {"Authorization": "Basic !!!"}, None, 401, 20003, "Authentication Error - invalid username"),
    ("GET", JOBS, basic("AC123", "x"), None, 401, 20003, "Authentication Error - invalid username"),
    ("GET", JOBS, basic(ACCOUNT, ""), None, 401, 20003, "Authentication Error - invalid username"),
    ("GET", "/twilio/v1/Exports/Bogus", AUTH, None, 404, 20404, "/v1/Exports/Bogus"),
    ("GET", "/twilio/v1/Exports/Messages/Configuration/x", AUTH, None, 404, 20404, "was not found"),
    ("POST", "/twilio/v1/Exports/Messages/Configuration", AUTH, {"Enabled": "maybe"}, 400, 20001, "Enabled"),
    ("POST", "/twilio/v1/Exports/Messages/Configuration", AUTH, {"WebhookMethod": "PUT"}, 400, 20001, "WebhookMethod"),
    ("GET", "/twilio/v1/Exports/Bogus/Configuration", AUTH, None, 404, 20404, "was not found"),
    ("POST", JOBS, AUTH, {}, 400, 20001, "Missing required parameter StartDay"),
    ("POST", JOBS, AUTH, {**GOOD_FORM, "StartDay": "2026-1-10"}, 400, 20001, "StartDay"),
    ("POST", JOBS, AUTH, {**GOOD_FORM, "StartDay": "2026-02-30"}, 400, 20001, "StartDay"),
    ("POST", JOBS, AUTH, {**GOOD_FORM, "EndDay": "2026-01-14"}, 400, 20001, "at least 2 days"),
    ("POST", JOBS, AUTH, {**GOOD_FORM, "StartDay": "2026-01-12", "EndDay": "2026-01-10"}, 400, 20001, "on or before"),
    ("POST", JOBS, AUTH, {**GOOD_FORM, "FriendlyName": ""}, 400, 20001, "FriendlyName"),
    ("POST", JOBS, AUTH, {**GOOD_FORM, "WebhookUrl": "https://h.test/x"}, 400, 20001, "together"),
    ("POST", JOBS, AUTH, {**GOOD_FORM, "WebhookMethod": "DELETE", "WebhookUrl": "https://h.test"}, 400, 20001, "WebhookMethod"),
    ("POST", JOBS, AUTH, b"\xff\xfe", 400, 20001, "request body"),
    ("POST", "/twilio/v1/Exports/Bogus/Jobs", AUTH, GOOD_FORM, 404, 20404, "was not found"),
    ("GET", JOBS + "?PageSize=0", AUTH, None, 400, 20001, "PageSize"),
    ("GET", JOBS + "?PageSize=1001", AUTH, None, 400, 20001, "PageSize"),
    ("GET", JOBS + "?PageSize=ten", AUTH, None, 400, 20001, "PageSize"),
    ("GET", JOBS + "?Page=-1", AUTH, None, 400, 20001, "Page"),
    ("GET", JOBS + "?PageToken=garbage", AUTH, None, 400, 20001, "PageToken"),
    ("GET", JOBS + "?PageToken=PT%%%", AUTH, None, 400, 20001, "PageToken"),
    ("GET", f"/twilio/v1/Exports/Jobs/{SID}", AUTH, None, 404, 20404, f"/v1/Exports/Jobs/{SID}"),
    ("GET", "/twilio/v1/Exports/Jobs/JSnothex", AUTH, None, 404, 20404, "was not found"),
    ("DELETE", f"/twilio/v1/Exports/Jobs/{SID}", AUTH, None, 404, 20404, "was not found"),
    ("DELETE", "/twilio/v1/Exports/Jobs/nope", AUTH, None, 404, 20404, "was not found"),
    ("GET", "/twilio/v1/Exports/Messages/Days?PageSize=401", AUTH, None, 400, 20001, "PageSize"),
    ("GET", "/twilio/v1/Exports/Messages/Days?PageToken=PTbm8", AUTH, None, 400, 20001, "PageToken"),
    ("GET", "/twilio/v1/Exports/Messages/Days/2026-01-01", AUTH, None, 404, 20404, "was not found"),
    ("GET", "/twilio/v1/Exports/Messages/Days/yesterday", AUTH, None, 404, 20404, "was not found"),
    ("PUT", JOBS, AUTH, None, 405, 20004, "not allowed"),
    ("GET", "/twilio/v2/Nothing", AUTH, None, 404, 20404, "was not found"),
    ("GET", "/twilio", AUTH, None, 404, 20404, "was not found"),
]


@pytest.mark.parametrize(("method", "path", "headers", "body", "status", "code", "fragment"), BAD_INPUT)
async def test_bad_input_gets_twilios_envelope(client_for: Any, method: str, path: str, headers: dict[str, str],
                                               body: Any, status: int, code: int, fragment: str) -> None:
    client = await client_for(fixtures="none")
    kwargs: dict[str, Any] = {"headers": headers}
    if isinstance(body, bytes):
        kwargs["data"] = body
        kwargs["headers"] = {**headers, "Content-Type": "application/x-www-form-urlencoded"}
    elif body is not None:
        kwargs["data"] = body
    resp = await client.request(method, path, **kwargs)
    assert resp.status == status
    assert resp.headers["Content-Type"].startswith("application/json")
    err = await resp.json()
    assert set(err) <= {"code", "message", "more_info", "status", "detail"}
    assert (err["code"], err["status"]) == (code, status)
    assert fragment in err["message"]
    assert err["more_info"] == f"https://www.twilio.com/docs/errors/{code}"
    # the server keeps serving
    assert (await client.get(JOBS, headers=AUTH)).status == 200


async def test_an_oversized_body_gets_a_413_in_twilios_envelope(client_for: Any) -> None:
    client = await client_for(fixtures="none", max_body=1024)
    resp = await client.post(JOBS, data={**GOOD_FORM, "FriendlyName": "x" * 5000}, headers=AUTH)
    assert resp.status == 413
    assert (await resp.json())["status"] == 413
    assert (await client.get(JOBS, headers=AUTH)).status == 200


async def test_a_finished_job_calls_its_webhook_and_retries_on_the_clock(client_for: Any, aiohttp_server: Any) -> None:
    from aiohttp import web

    received: list[dict[str, str]] = []
    signatures: list[tuple[str, str]] = []
    answers = [500, 200, 200]

    async def hook(request: web.Request) -> web.Response:
        received.append(dict(await request.post()) if request.method == "POST" else dict(request.query))
        signatures.append((f"http://{request.host}{request.raw_path}", request.headers.get("X-Twilio-Signature", "")))
        return web.Response(status=answers.pop(0))

    app = web.Application()
    app.router.add_route("*", "/hook", hook)
    receiver = await aiohttp_server(app, host="127.0.0.1")
    client = await client_for(fixtures="none")
    job = await create(client, start="2026-01-12", end="2026-01-12",
                       WebhookUrl=str(receiver.make_url("/hook")), WebhookMethod="POST")

    await advance(client, 60 + 30)  # the job finishes: the first attempt fails with a 500
    assert [r["status"] for r in received] == ["completed"]
    assert received[0]["JobSid"] == job["job_sid"] and received[0]["AccountSid"] == ACCOUNT
    # signed with the account's auth token, as Twilio's own validator checks (twilio.request_validator)
    assert RequestValidator(TOKEN).validate(signatures[0][0], received[0], signatures[0][1])
    assert not RequestValidator("another-token").validate(signatures[0][0], received[0], signatures[0][1])
    await advance(client, 29)
    assert len(received) == 1
    await advance(client, 1)  # the retry, 30 s later on the fake clock, succeeds
    assert len(received) == 2
    attempts = (await (await client.get("/_fakeexports/webhooks?vendor=twilio")).json())["attempts"]
    assert [(a["attempt"], a["status"], a["will_retry"]) for a in attempts] == [(1, 500, True), (2, 200, False)]
    await advance(client, 3600)
    assert len(received) == 2

    # a GET webhook is signed over the URL with its query, the token set through the control API
    resp = await client.post(f"/_fakeexports/tenants/twilio/{ACCOUNT}", json={"auth_token": "rotated"})
    assert resp.status == 200
    await create(client, start="2026-01-11", end="2026-01-11", WebhookUrl=str(receiver.make_url("/hook?x=1")),
                 WebhookMethod="GET")
    await advance(client, 60 + 30)
    assert received[2]["status"] == "completed" and received[2]["x"] == "1"
    assert RequestValidator("rotated").validate(signatures[2][0], {}, signatures[2][1])


async def test_a_days_token_is_not_a_jobs_token(client_for: Any) -> None:
    client = await client_for(fixtures="none")
    for name in "abc":
        await create(client, start="2026-01-10", end="2026-01-12", name=name)
    await advance(client, 60 + 9 * 30)
    days = await (await client.get("/twilio/v1/Exports/Messages/Days?PageSize=1", headers=AUTH)).json()
    day_token = days["meta"]["next_page_url"].split("PageToken=")[1]
    jobs = await (await client.get(JOBS + "?PageSize=1", headers=AUTH)).json()
    job_token = jobs["meta"]["next_page_url"].split("PageToken=")[1]
    for path in (f"{JOBS}?PageToken={day_token}", f"/twilio/v1/Exports/Messages/Days?PageToken={job_token}"):
        resp = await client.get(path, headers=AUTH)
        assert resp.status == 400 and (await resp.json())["message"] == "Invalid PageToken"


async def test_every_answer_has_a_twilio_request_id_and_a_date_on_the_fake_clock(client_for: Any) -> None:
    client = await client_for(fixtures="none")
    seen = set()
    for path, headers in ((JOBS, AUTH), (JOBS, {}), ("/twilio/v1/Exports/Nope/Jobs/x", AUTH)):
        resp = await client.get(path, headers=headers)
        assert resp.status in (200, 401, 404)
        rid = resp.headers["Twilio-Request-Id"]
        assert len(rid) == 34 and rid.startswith("RQ") and int(rid[2:], 16) >= 0
        seen.add(rid)
        assert resp.headers["Date"] == "Thu, 15 Jan 2026 12:00:00 GMT"  # the virtual clock's start
    assert len(seen) == 3
    await advance(client, 86400)
    assert (await client.get(JOBS, headers=AUTH)).headers["Date"] == "Fri, 16 Jan 2026 12:00:00 GMT"


@pytest.mark.parametrize("path", [JOBS + "/", "/twilio/v1/Exports/Messages/Days/", "/twilio/v1/Exports/Messages/",
                                  "/twilio/v1/Exports/Messages/Configuration/"])
async def test_a_trailing_slash_answers_like_the_path_without_it(client_for: Any, path: str) -> None:
    # a real curl of .../Messages/Days/ answered the list (tigerfarm/work twiliocli/README.md)
    client = await client_for(fixtures="none")
    with_slash = await client.get(path, headers=AUTH)
    without = await client.get(path.rstrip("/"), headers=AUTH)
    assert with_slash.status == without.status == 200
    assert (await with_slash.json()).keys() == (await without.json()).keys()


async def test_a_page_number_past_64_bits_is_answered_not_crashed(client_for: Any) -> None:
    client = await client_for(fixtures="none")
    resp = await client.get(JOBS, params={"Page": str(2**70), "PageSize": "5"}, headers=AUTH)
    assert resp.status == 200
    body = await resp.json()
    assert body["jobs"] == [] and body["meta"]["page"] == 2**70


async def test_an_unset_configuration_has_null_webhook_fields_and_an_empty_value_clears_one(client_for: Any) -> None:
    client = await client_for(fixtures="none")
    url = "/twilio/v1/Exports/Calls/Configuration"
    body = await (await client.get(url, headers=AUTH)).json()
    assert (body["webhook_url"], body["webhook_method"]) == (None, None)  # Twilio's spec: a nullable uri
    form = {"WebhookUrl": "https://h.test/x", "WebhookMethod": "POST"}
    assert (await (await client.post(url, data=form, headers=AUTH)).json())["webhook_url"] == "https://h.test/x"
    cleared = await (await client.post(url, data={"WebhookUrl": "", "WebhookMethod": ""}, headers=AUTH)).json()
    assert (cleared["webhook_url"], cleared["webhook_method"]) == (None, None)


async def test_a_fixture_job_finished_before_the_start_calls_no_webhook(client_for: Any) -> None:
    # the bundled fixture's job has the seed document's https://example.com/webhook_url and finished a day ago:
    # its webhook was delivered then, so nothing leaves the fake by surprise
    client = await client_for()
    await advance(client, 3600)
    attempts = (await (await client.get("/_fakeexports/webhooks")).json())["attempts"]
    assert attempts == []
    days = await (await client.get("/twilio/v1/Exports/Messages/Days", headers=basic("AC" + "a" * 32, "x"))).json()
    assert days["days"], "its days were made all the same"


async def test_a_request_never_waits_for_a_webhook_receiver(client_for: Any, aiohttp_server: Any) -> None:
    import asyncio

    from aiohttp import web

    release, arrived = asyncio.Event(), asyncio.Event()

    async def hook(request: web.Request) -> web.Response:
        arrived.set()
        await release.wait()  # a receiver that holds every delivery until the test lets it go
        return web.Response()

    app = web.Application()
    app.router.add_post("/hook", hook)
    receiver = await aiohttp_server(app, host="127.0.0.1")
    client = await client_for(fixtures="none")
    for day in ("2026-01-10", "2026-01-11", "2026-01-12", "2026-01-13"):
        await create(client, start=day, end=day, WebhookUrl=str(receiver.make_url("/hook")), WebhookMethod="POST")
    advancing = asyncio.ensure_future(client.post("/_fakeexports/clock/advance", json={"seconds": 3600}))
    await asyncio.wait_for(arrived.wait(), 10)
    # deliveries are held by the receiver; another account's request is answered meanwhile, and so is this one's
    other = await asyncio.wait_for(client.get(JOBS, headers=basic(OTHER_ACCOUNT)), 10)
    mine = await asyncio.wait_for(client.get(JOBS, headers=AUTH), 10)
    assert (other.status, mine.status) == (200, 200) and not release.is_set() and not advancing.done()
    release.set()
    assert (await advancing).status == 200  # clock/advance answers after the deliveries it made due
    attempts = (await (await client.get("/_fakeexports/webhooks?vendor=twilio")).json())["attempts"]
    assert [a["status"] for a in attempts] == [200] * 4
