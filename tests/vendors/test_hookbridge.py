"""HookBridge exports over raw HTTP (in-process app, virtual clock, strict mode): envelopes and request ids,
filters, the lifecycle to expiry, failure, rate limits on the fake clock (off and on), and every
operation's bad input."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

EXPORTS = "/hookbridge/v1/exports"
AUTH = {"Authorization": "Bearer hb_live_raw"}
SPAN = {"start_time": "2026-01-14T00:00:00Z", "end_time": "2026-01-14T06:00:00Z"}


async def create(client: Any, **body: Any) -> dict[str, Any]:
    resp = await client.post(EXPORTS, json={**SPAN, **body}, headers=AUTH)
    assert resp.status == 201, await resp.text()
    doc: dict[str, Any] = await resp.json()
    assert doc["meta"]["request_id"] == resp.headers["X-Request-Id"]
    return doc["data"]


async def advance(client: Any, seconds: float) -> None:
    assert (await client.post("/_fakeexports/clock/advance", json={"seconds": seconds})).status == 200


async def test_request_ids_are_unique_and_match_the_header(client_for: Any) -> None:
    client = await client_for(fixtures="none")
    ids = set()
    for path, headers in ((EXPORTS, AUTH), (EXPORTS, {}), (EXPORTS + "/nope", AUTH), ("/hookbridge/v2/x", AUTH)):
        resp = await client.get(path, headers=headers)
        body = await resp.json()
        assert body["meta"]["request_id"] == resp.headers["X-Request-Id"]
        ids.add(body["meta"]["request_id"])
    assert len(ids) == 4


async def test_the_list_holds_the_projects_exports_newest_first(client_for: Any) -> None:
    client = await client_for(fixtures="none")
    ids = []
    for _ in range(3):
        ids.append((await create(client))["id"])
        await advance(client, 1)
    await client.post(EXPORTS, json=SPAN, headers={"Authorization": "Bearer hb_test_someone_else"})
    listed = (await (await client.get(EXPORTS, headers=AUTH)).json())["data"]
    assert [e["id"] for e in listed] == ids[::-1]
    assert sorted(ids) == ids  # UUIDv7 ids sort by creation time


async def test_an_inbound_export_and_a_forced_failure(client_for: Any) -> None:
    client = await client_for(fixtures="none")
    inbound = await create(client, direction="inbound", inbound_endpoint_id="01935ABC-DEF0-7123-8567-890ABCDEF012")
    assert inbound["direction"] == "inbound"
    assert inbound["filter_inbound_endpoint_id"] == "01935abc-def0-7123-8567-890abcdef012"
    assert set(inbound) == {"id", "project_id", "status", "filter_start_time", "filter_end_time",
                            "filter_inbound_endpoint_id", "direction", "created_at"}

    await client.post("/_fakeexports/faults", json={"vendor": "hookbridge", "operation": "CreateExport",
                                                    "outcome": "failed: endpoint storage unavailable"})
    failed = await create(client)
    assert failed["status"] == "failed"
    assert failed["error_message"] == "endpoint storage unavailable" and "started_at" in failed
    resp = await client.get(f"{EXPORTS}/{failed['id']}/download", headers=AUTH)
    assert resp.status == 409 and (await resp.json())["error"]["code"] == "EXPORT_NOT_READY"
    assert (await client.delete(f"{EXPORTS}/{failed['id']}", headers=AUTH)).status == 204


async def test_lifecycle_to_expiry_with_the_file_and_its_link(client_for: Any) -> None:
    client = await client_for(fixtures="none", seed=9)
    made = await create(client, status="succeeded")
    await advance(client, 70)
    resp = await client.get(f"{EXPORTS}/{made['id']}", headers=AUTH)
    done = (await resp.json())["data"]
    assert done["completed_at"] == "2026-01-15T12:01:10Z" and done["expires_at"] == "2026-01-22T12:01:10Z"
    resp = await client.get(f"{EXPORTS}/{made['id']}/download", headers=AUTH, allow_redirects=False)
    assert resp.status == 302
    link = resp.headers["Location"].split(str(client.make_url("")).rstrip("/"), 1)[1]
    file = await client.get(link)
    rows = list(csv.DictReader(io.StringIO((await file.read()).decode())))
    assert len(rows) == done["row_count"] and int(file.headers["Content-Length"]) == done["file_size_bytes"]
    assert all(r["status"] == "succeeded" and "2026-01-14T00:00:00Z" <= r["created_at"] < "2026-01-14T06:00:00Z"
               for r in rows)
    # a week later: expired, the API says 410 and the old link is gone
    await advance(client, 7 * 86400)
    resp = await client.get(f"{EXPORTS}/{made['id']}/download", headers=AUTH)
    assert resp.status == 410
    assert (await client.get(link)).status in (403, 404)


async def test_rate_limits_are_off_unless_enabled(client_for: Any) -> None:
    client = await client_for(fixtures="none")
    for _ in range(120):  # far beyond the burst ceiling, on a clock that stands still
        assert (await client.get(EXPORTS, headers=AUTH)).status == 200


async def test_rate_limits_count_on_the_fake_clock_per_project(client_for: Any) -> None:
    client = await client_for(fixtures="none")
    resp = await client.post("/_fakeexports/vendors/hookbridge", json={"rate_limits": True, "per_minute": 8,
                                                                       "burst": 5})
    assert resp.status == 200
    for _ in range(5):
        assert (await client.get(EXPORTS, headers=AUTH)).status == 200
    burst = await client.get(EXPORTS, headers=AUTH)
    assert burst.status == 429 and burst.headers["Retry-After"] == "1"  # whole seconds: the SDK int()s it
    error = (await burst.json())["error"]
    assert error["code"] == "BURST_LIMIT_EXCEEDED" and error["details"] == {"retry_after_ms": 1000}
    # another project is not limited
    assert (await client.get(EXPORTS, headers={"Authorization": "Bearer hb_test_other"})).status == 200
    await advance(client, 1)
    for _ in range(3):
        assert (await client.get(EXPORTS, headers=AUTH)).status == 200
    minute = await client.get(EXPORTS, headers=AUTH)
    # the per-minute quota's code is unpublished; RATE_LIMITED means failed logins (docs: error-handling)
    assert minute.status == 429 and (await minute.json())["error"]["code"] == "RATE_LIMIT_EXCEEDED"
    assert minute.headers["Retry-After"] == "59"
    await advance(client, 59)
    assert (await client.get(EXPORTS, headers=AUTH)).status == 200


async def test_a_kept_answer_is_never_served_after_the_options_changed(client_for: Any) -> None:
    # issue 19: a kept answer was keyed by id(vendor.config); CPython reuses a freed dict's id, so after eight option
    # changes an answer kept with rate limits off was served again with them on (3 x 200 instead of 200, 429, 429).
    # Every change must void what was kept, however many there are.
    client = await client_for(fixtures="none")
    export_id = (await create(client))["id"]
    for round_ in range(27):
        off = await client.post("/_fakeexports/vendors/hookbridge", json={"rate_limits": False})
        assert off.status == 200
        assert (await client.get(f"{EXPORTS}/{export_id}", headers=AUTH)).status == 200  # kept, limits off
        for n in range(1 + round_ % 9):
            on = await client.post("/_fakeexports/vendors/hookbridge", json={"rate_limits": True, "burst": 1,
                                                                             "per_minute": 1000 + n})
            assert on.status == 200
        statuses = [(await client.get(f"{EXPORTS}/{export_id}", headers=AUTH)).status for _ in range(3)]
        assert statuses == [200, 429, 429], f"round {round_}: {statuses}"
        await advance(client, 1)


async def test_failed_authentications_are_throttled_with_rate_limited(client_for: Any) -> None:
    client = await client_for(fixtures="none")
    resp = await client.post("/_fakeexports/vendors/hookbridge", json={"rate_limits": True, "auth_failures": 3})
    assert resp.status == 200
    for _ in range(3):
        assert (await client.get(EXPORTS, headers={"Authorization": "Bearer nope"})).status == 401
    # "Too many failed authentication attempts" (docs: error-handling), even with a good key
    throttled = await client.get(EXPORTS, headers=AUTH)
    body = await throttled.json()
    assert throttled.status == 429 and body["error"]["code"] == "RATE_LIMITED"
    assert body["error"]["message"] == "Too many failed authentication attempts"
    assert throttled.headers["Retry-After"] == "60"
    await advance(client, 60)
    assert (await client.get(EXPORTS, headers=AUTH)).status == 200


async def test_created_times_come_back_with_the_precision_and_offset_they_were_sent_with(client_for: Any) -> None:
    # Go's SDK checks that create "preserves serialized times"; PHP sends +00:00 offsets
    client = await client_for(fixtures="none")
    cases = [("2026-01-14T00:00:00.123456789Z", "2026-01-14T00:00:00.123456789Z"),
             ("2026-01-14T02:00:00.5+02:00", "2026-01-14T00:00:00.5Z"),
             ("0574-01-11T17:50:35Z", "0574-01-11T17:50:35Z")]  # four-digit years, as the spec's pattern says
    for sent, shown in cases:
        made = await create(client, start_time=sent, end_time="2026-01-14T06:00:00+00:00")
        assert made["filter_start_time"] == shown
        assert made["filter_end_time"] == "2026-01-14T06:00:00Z"
    # a time without an offset is not RFC 3339 (the Python SDK sends one for a naive datetime)
    resp = await client.post(EXPORTS, json={**SPAN, "start_time": "2026-01-14T00:00:00"}, headers=AUTH)
    assert resp.status == 400 and "start_time" in (await resp.json())["error"]["message"]


# The example of seeds/003 ("Get export"), as the project's own expectation; its id with valid UUIDv7 variant bits.
SEED_EXPORT = {
    "id": "01935abc-def0-7123-8567-890abcdef012", "project_id": "proj_abc123", "status": "completed",
    "filter_start_time": "2025-12-01T00:00:00Z", "filter_end_time": "2025-12-06T23:59:59Z",
    "filter_status": "failed_permanent", "row_count": 5000, "file_size_bytes": 1024000,
    "started_at": "2025-12-06T12:00:30Z", "completed_at": "2025-12-06T12:05:00Z",
    "expires_at": "2025-12-13T12:05:00Z", "created_at": "2025-12-06T12:00:00Z",
}


async def test_the_seed_export_is_served_as_the_seed_shows_it(client_for: Any) -> None:
    client = await client_for()
    seed_auth = {"Authorization": "Bearer hb_test_seed"}
    body = await (await client.get(EXPORTS, headers=seed_auth)).json()
    assert [{k: e[k] for k in SEED_EXPORT} for e in body["data"]] == [SEED_EXPORT]
    # its file has exactly the seed's row count and size
    resp = await client.get(f"{EXPORTS}/{SEED_EXPORT['id']}/download", headers=seed_auth, allow_redirects=False)
    assert resp.status == 302
    link = resp.headers["Location"].split(str(client.make_url("")).rstrip("/"), 1)[1]
    data = await (await client.get(link)).read()
    assert len(data) == 1024000
    lines = data.decode().splitlines()
    assert len(lines) == 1 + 5000 and all(",failed_permanent," in line for line in lines[1:])


ID = "01935abc-def0-7123-8567-890abcdef012"
BAD = [
    # (method, path, headers, body, status, code, message fragment)
    ("GET", EXPORTS, {}, None, 401, "UNAUTHORIZED", "Invalid or missing API key"),
    ("GET", EXPORTS, {"Authorization": "Bearer hb_prod_x"}, None, 401, "UNAUTHORIZED", "Invalid or missing API key"),
    ("GET", EXPORTS, {"Authorization": "Basic aGJfdGVzdF94Og=="}, None, 401, "UNAUTHORIZED", "API key"),
    ("POST", EXPORTS, AUTH, {}, 400, "INVALID_REQUEST", "start_time is required"),
    ("POST", EXPORTS, AUTH, {"start_time": "2026-01-14T00:00:00Z"}, 400, "INVALID_REQUEST", "end_time is required"),
    ("POST", EXPORTS, AUTH, {**SPAN, "start_time": "yesterday"}, 400, "INVALID_REQUEST", "start_time"),
    # in year 0 and 10000 in UTC (issue 20: accepted before, then written as "0000-12-31T23:00:00Z")
    ("POST", EXPORTS, AUTH, {**SPAN, "start_time": "0001-01-01T00:00:00+01:00"}, 400, "INVALID_REQUEST", "start_time"),
    ("POST", EXPORTS, AUTH, {**SPAN, "end_time": "9999-12-31T23:00:00-05:00"}, 400, "INVALID_REQUEST", "end_time"),
    ("POST", EXPORTS, AUTH, {**SPAN, "end_time": "2026-01-13T00:00:00Z"}, 400, "INVALID_REQUEST", "end_time must be after"),
    ("POST", EXPORTS, AUTH, {**SPAN, "status": "lost"}, 400, "INVALID_REQUEST", "status must be one of"),
    ("POST", EXPORTS, AUTH, {**SPAN, "endpoint_id": "550e8400-e29b-41d4-a716-446655440000"}, 400, "INVALID_REQUEST",
     "endpoint_id must be in format ep_xxx"),
    ("POST", EXPORTS, AUTH, {**SPAN, "direction": "sideways"}, 400, "INVALID_REQUEST", "direction"),
    ("POST", EXPORTS, AUTH, {**SPAN, "direction": "inbound", "inbound_endpoint_id": "ib_1"}, 400, "INVALID_REQUEST",
     "inbound_endpoint_id must be a valid UUID"),
    ("POST", EXPORTS, AUTH, {**SPAN, "inbound_endpoint_id": ID}, 400, "INVALID_REQUEST", "direction=inbound"),
    ("POST", EXPORTS, AUTH, {**SPAN, "direction": "inbound", "endpoint_id": "ep_" + "0" * 32}, 400,
     "INVALID_REQUEST", "direction=outbound"),
    ("POST", EXPORTS, AUTH, b"{nope", 400, "INVALID_REQUEST", "valid JSON"),
    ("POST", EXPORTS, AUTH, [1, 2], 400, "INVALID_REQUEST", "request body"),
    ("GET", f"{EXPORTS}/not-a-uuid", AUTH, None, 400, "INVALID_REQUEST", "id must be a valid UUID"),
    ("GET", f"{EXPORTS}/{ID}", AUTH, None, 404, "NOT_FOUND", "Export not found"),
    ("GET", f"{EXPORTS}/{ID}/download", AUTH, None, 404, "NOT_FOUND", "Export not found"),
    ("GET", f"{EXPORTS}/x/download", AUTH, None, 400, "INVALID_REQUEST", "id must be a valid UUID"),
    ("DELETE", f"{EXPORTS}/{ID}", AUTH, None, 404, "NOT_FOUND", "Export not found"),
    ("DELETE", f"{EXPORTS}/123", AUTH, None, 400, "INVALID_REQUEST", "id must be a valid UUID"),
    ("PATCH", f"{EXPORTS}/{ID}", AUTH, None, 405, "METHOD_NOT_ALLOWED", "not allowed"),
    ("GET", "/hookbridge/v1/nothing", AUTH, None, 404, "NOT_FOUND", "Route not found"),
]


@pytest.mark.parametrize(("method", "path", "headers", "body", "status", "code", "fragment"), BAD)
async def test_bad_input_gets_hookbridges_envelope(client_for: Any, method: str, path: str, headers: dict[str, str],
                                                   body: Any, status: int, code: str, fragment: str) -> None:
    client = await client_for(fixtures="none")
    kwargs: dict[str, Any] = {"headers": {**headers, "Content-Type": "application/json"}}
    if isinstance(body, bytes):
        kwargs["data"] = body
    elif body is not None:
        kwargs["json"] = body
    resp = await client.request(method, path, **kwargs)
    assert resp.status == status, await resp.text()
    doc = await resp.json()
    assert set(doc) == {"error", "meta"} and doc["meta"]["request_id"] == resp.headers["X-Request-Id"]
    assert doc["error"]["code"] == code
    assert fragment in doc["error"]["message"]
    assert (await client.get(EXPORTS, headers=AUTH)).status == 200


async def test_an_oversized_body_is_hookbridges_payload_too_large(client_for: Any) -> None:
    client = await client_for(fixtures="none", max_body=1024)
    resp = await client.post(EXPORTS, json={**SPAN, "padding": "x" * 4096}, headers=AUTH)
    assert resp.status == 400
    assert (await resp.json())["error"]["code"] == "PAYLOAD_TOO_LARGE"
