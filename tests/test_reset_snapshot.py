"""A full reset on the virtual clock puts back a snapshot of what the fixtures made instead of loading them again
(snapshot.py): what a test sees after it must be exactly what a fresh load gives, however the test before
changed things, and the clock must move the restored jobs exactly as it moves freshly loaded ones."""

from __future__ import annotations

from typing import Any

from fakeexports.registry import REGISTRY
from tests.conftest import ACCOUNT, basic


async def view(client: Any) -> dict[str, Any]:
    jobs = (await (await client.get("/_fakeexports/jobs")).json())["jobs"]
    clock = await (await client.get("/_fakeexports/clock")).json()
    days = await (await client.get("/twilio/v1/Exports/Messages/Days?PageSize=100", headers=basic(ACCOUNT))).json()
    return {"jobs": sorted(jobs, key=lambda j: (j["collection"], j["id"])), "pending": clock["pending_events"],
            "epoch": clock["epoch"], "days": days.get("days")}


async def reset(client: Any) -> None:
    r = await client.post("/_fakeexports/reset", json={"clock": True})
    assert r.status == 200


async def advance(client: Any, seconds: float) -> None:
    assert (await client.post("/_fakeexports/clock/advance", json={"seconds": seconds})).status == 200


async def test_a_restored_reset_is_a_fresh_load_and_runs_on_the_clock_alike(client_for: Any) -> None:
    client = await client_for()  # the bundled fixtures
    await reset(client)  # loads them, and keeps the snapshot
    assert client.server.app[REGISTRY].snapshot is not None
    fresh = await view(client)
    assert fresh["jobs"], "the bundled fixtures hold jobs"
    await advance(client, 3 * 86400)
    later = await view(client)
    for _ in range(3):
        # a test that changes what it can: forces fixture jobs, creates one, moves the clock...
        for vendor, status in (("twilio", "Failed"), ("didww", "completed"), ("hookbridge", "failed"),
                               ("talkdesk", "failed")):
            for job in (await (await client.get(f"/_fakeexports/jobs?vendor={vendor}")).json())["jobs"][:2]:
                await client.post(f"/_fakeexports/jobs/{vendor}/{job['id']}/force", json={"status": status})
        await client.post("/twilio/v1/Exports/Messages/Jobs", headers=basic(ACCOUNT), data={
            "StartDay": "2026-01-01", "EndDay": "2026-01-02", "FriendlyName": "changed"})
        await advance(client, 12 * 3600)
        await reset(client)  # ...and the next one sees the fixtures as they were loaded
        assert await view(client) == fresh
        await advance(client, 3 * 86400)
        assert await view(client) == later


async def test_jobs_created_after_a_restored_reset_get_the_same_ids(client_for: Any) -> None:
    client = await client_for()
    ids = []
    for _ in range(3):
        await reset(client)
        r = await client.post("/twilio/v1/Exports/Messages/Jobs", headers=basic(ACCOUNT), data={
            "StartDay": "2026-01-01", "EndDay": "2026-01-01", "FriendlyName": "again"})
        assert r.status == 201
        ids.append((await r.json())["job_sid"])
    assert len(set(ids)) == 1
