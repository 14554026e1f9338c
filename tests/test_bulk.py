"""Many jobs at once: fixture items with ``repeat``, POST /_fakeexports/fixtures, jobs made alike sharing their
values (and never each other's changes), the engine's heap of moments."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import ACCOUNT, basic

DIDWW = {"Api-Key": "bulk-key", "Accept": "application/vnd.api+json"}
EXPORT = {"export_type": "cdr_in", "filters": {"year": 2026, "month": 1}}


def didww(*items: dict[str, Any], key: str = "bulk-key") -> dict[str, Any]:
    return {"vendor": "didww", "tenants": {key: {"exports": list(items)}}}


async def load(client: Any, doc: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    r = await client.post("/_fakeexports/fixtures", json=doc)
    return r.status, await r.json()


async def exports(client: Any, size: int = 50) -> dict[str, Any]:
    r = await client.get(f"/didww/v3/exports?page%5Bsize%5D={size}", headers=DIDWW)
    assert r.status == 200
    data: dict[str, Any] = await r.json()
    return data


async def test_repeat_seeds_that_many_jobs_through_the_control_api(client_for: Any) -> None:
    client = await client_for(fixtures="none")
    status, body = await load(client, didww({**EXPORT, "repeat": 1200}, {**EXPORT, "status": "completed"}))
    assert (status, body) == (201, {"tenants": 1, "jobs_added": 1201})
    listed = await exports(client, 10)
    assert listed["meta"]["total_records"] == 1201
    ids = [e["id"] for e in listed["data"]]
    assert len(set(ids)) == 10  # every copy is a job of its own


@pytest.mark.parametrize("doc, message", [
    (didww({**EXPORT, "repeat": -1}), "'repeat' must be a whole number"),
    (didww({**EXPORT, "repeat": "many"}), "'repeat' must be a whole number"),
    (didww({**EXPORT, "repeat": True}), "'repeat' must be a whole number"),
    (didww({**EXPORT, "repeat": 10**12}), "'repeat' must be a whole number"),
    (didww({**EXPORT, "id": "9b1f7f44-2d2b-4c5e-9f0e-3e0d1b2a4c5d", "repeat": 2}), "cannot give id"),
    ({"vendor": "nobody", "tenants": {}}, "'vendor' must be one of"),
    ({"vendor": "didww", "tenants": []}, "'tenants' must map"),
    ({"vendor": "didww", "tenants": {"k": "not a mapping"}}, "a tenant's fixture is a mapping"),
    ({"vendor": "twilio", "tenants": {ACCOUNT: {"jobs": [{"resource_type": "Messages", "start_day": -1,
                                                          "end_day": -1, "job_sid": "JS" + "1" * 32,
                                                          "repeat": 3}]}}}, "cannot give job_sid"),
])
async def test_a_bad_bulk_fixture_is_refused_and_changes_nothing(client_for: Any, doc: dict[str, Any],
                                                                 message: str) -> None:
    client = await client_for(fixtures="none")
    status, body = await load(client, doc)
    assert status == 400 and message in body["error"]
    r = await client.get("/_fakeexports/jobs")
    assert (await r.json())["jobs"] == []


async def test_jobs_made_alike_never_see_each_others_changes(client_for: Any) -> None:
    client = await client_for(fixtures="none")
    await load(client, didww({**EXPORT, "repeat": 3}))
    first, second, third = [e["id"] for e in (await exports(client))["data"]]
    r = await client.post(f"/_fakeexports/jobs/didww/{second}/force", json={"status": "completed"})
    assert r.status == 200
    statuses = {e["id"]: e["attributes"]["status"] for e in (await exports(client))["data"]}
    assert statuses == {first: "Pending", second: "Completed", third: "Pending"}
    # and each still has its own file id, derived from the seed and the export
    r = await client.get("/_fakeexports/jobs?vendor=didww")
    assert len({j["file_id"] for j in (await r.json())["jobs"]}) == 3


async def test_the_engine_counts_pending_moments_and_runs_them_all_in_one_advance(client_for: Any) -> None:
    client = await client_for(fixtures="none")
    await load(client, didww({**EXPORT, "repeat": 2000}))
    clock = await (await client.get("/_fakeexports/clock")).json()
    assert clock["pending_events"] == 2000  # one moment per job waits in the heap, behind one scheduler event
    r = await client.post("/_fakeexports/clock/advance", json={"seconds": 3600})
    body = await r.json()
    assert body["fired"] >= 2000 and body["pending_events"] == 2000  # completed; now each waits for retention
    assert {e["attributes"]["status"] for e in (await exports(client))["data"]} == {"Completed"}
    r = await client.post("/_fakeexports/clock/advance", json={"seconds": 400 * 86400})
    assert (await r.json())["pending_events"] == 0
    assert (await exports(client))["meta"]["total_records"] == 0


async def test_a_tenant_reset_drops_its_moments_and_leaves_the_others(client_for: Any) -> None:
    client = await client_for(fixtures="none")
    await load(client, didww({**EXPORT, "repeat": 5000}, key="gone-key"))
    await load(client, didww({**EXPORT, "repeat": 3}))
    r = await client.post("/_fakeexports/reset", json={"vendor": "didww", "tenant": "gone-key"})
    assert r.status == 200
    clock = await (await client.get("/_fakeexports/clock")).json()
    assert clock["pending_events"] == 3
    await client.post("/_fakeexports/clock/advance", json={"seconds": 3600})
    assert {e["attributes"]["status"] for e in (await exports(client))["data"]} == {"Completed"}


async def test_twilio_jobs_forced_alike_in_a_bulk_fixture_publish_their_days(client_for: Any) -> None:
    client = await client_for(fixtures="none")
    status, body = await load(client, {"vendor": "twilio", "tenants": {ACCOUNT: {"jobs": [
        {"resource_type": "Messages", "start_day": -12, "end_day": -3, "outcome": "Completed", "repeat": 50}]}}})
    assert (status, body["jobs_added"]) == (201, 50)
    r = await client.get("/twilio/v1/Exports/Messages/Days?PageSize=20", headers=basic())
    days = (await r.json())["days"]
    assert 1 <= len(days) <= 10 and len({d["day"] for d in days}) == len(days)


async def test_a_fixture_sets_its_tenants_volume_before_its_jobs_are_made(client_for: Any) -> None:
    client = await client_for(fixtures="none")
    doc = didww({**EXPORT, "status": "completed"})
    doc["tenants"]["bulk-key"]["records_per_day"] = 1000
    assert (await load(client, doc))[0] == 201
    r = await client.post("/_fakeexports/tenants/didww/bulk-key", json={})
    assert (await r.json())["settings"]["records_per_day"] == 1000
    r = await client.get("/_fakeexports/jobs?vendor=didww")
    assert (await r.json())["jobs"][0]["tenant"] == "…-key"  # an API key, shown masked
    bad = didww(EXPORT)
    bad["tenants"]["bulk-key"]["records_per_day"] = -5
    status, body = await load(client, bad)
    assert status == 400 and "records_per_day" in body["error"]
