"""Repeated GETs answered from a kept answer (fresh.py) are what the full pipeline would send: fresh request ids
in headers and bodies, every request journaled, and never stale after a change, a moment passing or a fault."""

from __future__ import annotations

from typing import Any

from tests.conftest import ACCOUNT, basic

LIST = "/twilio/v1/Exports/Messages/Jobs?PageSize=50"
HB = {"Authorization": "Bearer hb_test_fresh"}


async def create_twilio(client: Any, name: str) -> str:
    r = await client.post("/twilio/v1/Exports/Messages/Jobs", headers=basic(), data={
        "StartDay": "2026-01-01", "EndDay": "2026-01-01", "FriendlyName": name})
    assert r.status == 201
    return str((await r.json())["job_sid"])


async def get(client: Any, path: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    r = await client.get(path, headers=headers)
    return r.status, dict(r.headers), await r.read()


async def test_a_repeat_is_the_same_answer_with_its_own_request_id_and_journal_entry(client_for: Any) -> None:
    client = await client_for(fixtures="none")
    await create_twilio(client, "one")
    answers = [await get(client, LIST, basic()) for _ in range(5)]
    assert {a[2] for a in answers} == {answers[0][2]} and {a[0] for a in answers} == {200}
    assert len({a[1]["Twilio-Request-Id"] for a in answers}) == 5
    assert [a[1].get("Content-Type") for a in answers] == ["application/json"] * 5
    journal = (await (await client.get("/_fakeexports/journal?vendor=twilio")).json())
    entries = journal.get("entries", journal) if isinstance(journal, dict) else journal
    listed = [e for e in entries if e.get("operation") == "ListExportCustomJob"]
    assert len(listed) == 5 and {e["tenant"] for e in listed} == {ACCOUNT}


async def test_a_change_a_passing_moment_or_a_fault_is_never_hidden(client_for: Any) -> None:
    client = await client_for(fixtures="none")
    first = await create_twilio(client, "one")
    before = await get(client, LIST, basic())
    await get(client, LIST, basic())
    second = await create_twilio(client, "two")  # a write: the next answer shows it
    after = await get(client, LIST, basic())
    assert first.encode() in before[2] and second.encode() not in before[2] and second.encode() in after[2]
    assert (await client.post("/_fakeexports/clock/advance", json={"seconds": 70})).status == 200
    moved = await get(client, LIST, basic())  # the jobs started: the kept answer's moment has passed
    assert b'"Running"' in moved[2] and b'"Running"' not in after[2]
    r = await client.post("/_fakeexports/faults", json={"vendor": "twilio", "operation": "ListExportCustomJob",
                                                         "status": 503, "times": 1})
    assert r.status == 201
    assert (await get(client, LIST, basic()))[0] == 503
    assert (await get(client, LIST, basic()))[2] == moved[2]


async def test_a_kept_hookbridge_answer_carries_each_requests_own_id_in_body_and_header(client_for: Any) -> None:
    client = await client_for(fixtures="none")
    r = await client.post("/hookbridge/v1/exports", headers=HB, json={
        "start_time": "2026-01-01T00:00:00Z", "end_time": "2026-01-02T00:00:00Z"})
    assert r.status in (200, 201, 202)
    export = (await r.json())["data"]["id"]
    seen = set()
    for _ in range(4):
        r = await client.get(f"/hookbridge/v1/exports/{export}", headers=HB)
        body = await r.json()
        assert body["meta"]["request_id"] == r.headers["X-Request-Id"]
        seen.add(body["meta"]["request_id"])
        assert body["data"]["status"] == "pending"
    assert len(seen) == 4
    await client.post("/_fakeexports/clock/advance", json={"seconds": 30})
    r = await client.get(f"/hookbridge/v1/exports/{export}", headers=HB)
    assert (await r.json())["data"]["status"] == "processing"


async def test_other_request_headers_get_their_own_answer(client_for: Any) -> None:
    client = await client_for(fixtures="none")
    await create_twilio(client, "one")
    plain = await get(client, LIST, basic())
    forwarded = await get(client, LIST, {**basic(), "X-Forwarded-Host": "exports.example.com",
                                         "X-Forwarded-Proto": "https"})
    assert b"https://exports.example.com/twilio" in forwarded[2] and b"exports.example.com" not in plain[2]
    other = await get(client, LIST, basic("AC" + "9" * 32))
    assert other[0] == 200 and b'"jobs":[]' in other[2]


async def test_a_vendor_switch_turned_since_voids_a_kept_answer(client_for: Any) -> None:
    client = await client_for(fixtures="none")
    r = await client.post("/hookbridge/v1/exports", headers=HB, json={
        "start_time": "2026-01-01T00:00:00Z", "end_time": "2026-01-02T00:00:00Z"})
    export = (await r.json())["data"]["id"]
    for _ in range(2):
        assert (await client.get(f"/hookbridge/v1/exports/{export}", headers=HB)).status == 200
    r = await client.post("/_fakeexports/vendors/hookbridge", json={"rate_limits": True, "per_minute": 3})
    assert r.status == 200, await r.text()
    statuses = [(await client.get(f"/hookbridge/v1/exports/{export}", headers=HB)).status for _ in range(6)]
    assert 429 in statuses, statuses  # counted again: no kept answer skips the limit


async def test_a_key_given_another_project_since_never_gets_the_old_projects_kept_answer(client_for: Any) -> None:
    """A HookBridge key's project lives in the vendor's common state; a kept answer holds that state's version too,
    so a fixture that gives the key another project is seen at once (readmit does not read the key again)."""
    client = await client_for(fixtures="none")
    r = await client.post("/hookbridge/v1/exports", headers=HB, json={
        "start_time": "2026-01-01T00:00:00Z", "end_time": "2026-01-02T00:00:00Z"})
    mine = f"/hookbridge/v1/exports/{(await r.json())['data']['id']}"
    assert [(await get(client, mine, HB))[0] for _ in range(3)] == [200] * 3  # kept from the second on
    r = await client.post("/_fakeexports/fixtures", json={"vendor": "hookbridge", "tenants": {"hb_test_fresh": {
        "project_id": "proj_e15e", "exports": [{"start_time": "2026-01-01T00:00:00Z",
                                                "end_time": "2026-01-02T00:00:00Z"}]}}})
    assert r.status == 201, await r.text()
    status, _, body = await get(client, mine, HB)  # the key's project is another now: the export is not its
    assert status == 404, body
