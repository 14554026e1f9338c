"""The clock's next event, read from the index of the jobs' next status changes (the cache ``changes``, jobs.Changes)
or from a pass over every job (the cache off), and its pending events, counted as jobs are armed (the cache
``waiting``, jobs.Waiting) or over the heap of moments: the same answers, step by step, over a scenario of creates
through each vendor's API, forced outcomes, fixtures, advances, resets of a tenant, of a vendor and of all, and a
snapshot's restore; and finished or held jobs never enter the index."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from fakeexports.jobs import Changes
from fakeexports.registry import REGISTRY
from fakeexports.runtime import RUNTIME
from tests.shared.conftest import WITH_RECIPES, driver, recipe_of

STEPS = (1, 5, 30, 120, 600, 3600, 6 * 3600, 86400)  # seconds: past every status change a lifecycle has
EXPORT = {"export_type": "cdr_in", "filters": {"year": 2026, "month": 1}}
RUNNING = [  # fixture documents of jobs that run, made alike (ties: the job made first comes first), and held ones
    {"vendor": "didww", "tenants": {"fixture-key": {"exports": [{**EXPORT, "repeat": 5},
                                                                {**EXPORT, "status": "completed", "repeat": 50}]}}},
    {"vendor": "talkdesk", "tenants": {"fixture-client": {"jobs": [
        {"type": "calls", "from": "2026-01-01T00:00:00", "to": "2026-01-02T00:00:00", "repeat": 3},
        {"type": "calls", "from": "2026-01-01T00:00:00", "to": "2026-01-02T00:00:00", "status": "failed",
         "repeat": 30}]}}},
]


def _index_is_the_scan(client: Any) -> int:
    """Each vendor's index answers as the scan does, to the job, and its counts of waiting jobs as the heap; returns
    the entries the indexes hold."""
    now = client.app[RUNTIME].clock.now()
    held = 0
    for vendor in client.app[REGISTRY].vendors.values():
        jobs = vendor.jobs
        assert jobs.changes is not None and jobs.waiting is not None
        assert jobs.changes.first(now) == jobs.scan(now), vendor.name
        assert jobs.waiting.total() == jobs.pending_in_heap(), vendor.name
        held += len(jobs.changes)
    return held


class Twins:
    """Two fakes with one seed, the index and the counts on in one and off in the other, sent the same requests."""

    def __init__(self, on: Any, off: Any):
        self.on, self.off = on, off
        assert all(v.jobs.changes is None and v.jobs.waiting is None for v in off.app[REGISTRY].vendors.values())

    async def control(self, method: str, path: str, body: Any = None) -> None:
        for client in (self.on, self.off):
            r = await client.request(method, "/_fakeexports" + path, json=body)
            assert r.status < 300, (path, r.status, await r.text())

    async def same(self) -> dict[str, Any]:
        """The clock view of both, which must be equal, and the index checked against the scan."""
        views = [await (await c.get("/_fakeexports/clock")).json() for c in (self.on, self.off)]
        assert views[0] == views[1]
        _index_is_the_scan(self.on)
        return dict(views[0])

    async def advance_through(self) -> list[Any]:
        seen = []
        for seconds in STEPS:
            await self.control("POST", "/clock/advance", {"seconds": seconds})
            seen.append((await self.same())["next_status_change"])
        return seen

    async def create(self, vendor: str, tenant: int, n: int) -> list[str]:
        made: list[list[str]] = []
        for client in (self.on, self.off):
            d = driver(client, vendor, tenant)
            await d.login()
            made.append([await d.create() for _ in range(n)])
        assert made[0] == made[1]
        return made[0]


@pytest.fixture(params=[Changes.FLOOR, 4], ids=["floor", "compacting"])
def floor(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> int:
    """The index's size below which it is never compacted: its own, and 4 (compacted at nearly every push)."""
    monkeypatch.setattr(Changes, "FLOOR", request.param)
    return int(request.param)


async def test_the_next_event_is_the_same_with_the_index_and_with_the_scan(client_for: Any, floor: int,
                                                                            tmp_path: Path) -> None:
    for i, doc in enumerate(RUNNING):
        (tmp_path / f"{i}.json").write_text(json.dumps(doc))
    twins = Twins(await client_for(fixtures=str(tmp_path), no_caches=()),
                  await client_for(fixtures=str(tmp_path), no_caches=("changes", "waiting")))
    # the fixtures, loaded by a full reset that keeps their snapshot
    await twins.control("POST", "/reset", {"clock": True})
    assert twins.on.app[REGISTRY].snapshot is not None
    first = await twins.same()
    assert first["next_status_change"] is not None
    # jobs made through every vendor's API at one moment: tenant 0, tenant 1, tenant 0 again; then the first one
    # forced, so that tenant 1's job ties with tenant 0's second, made later though its tenant was held first
    made = {}
    for vendor in WITH_RECIPES:
        made[vendor] = [*await twins.create(vendor, 0, 1), *await twins.create(vendor, 1, 1),
                        *await twins.create(vendor, 0, 1)]
    await twins.same()
    for vendor, ids in made.items():
        await twins.control("POST", f"/jobs/{vendor}/{ids[0]}/force", {"status": recipe_of(vendor).outcome[0]})
        await twins.same()
    found = twins.on.app[REGISTRY].vendors["hookbridge"].jobs.scan(twins.on.app[RUNTIME].clock.now())
    assert found is not None and found[2].id == made["hookbridge"][1]  # no fixture of its jobs runs
    await twins.control("POST", "/clock/advance", {"seconds": 1})
    await twins.same()
    # fixtures loaded through the control API: running jobs made alike and jobs held finished
    await twins.control("POST", "/fixtures", {"vendor": "didww", "tenants": {"twin-key": {"exports": [
        {**EXPORT, "repeat": 20}, {**EXPORT, "status": "completed", "repeat": 50}]}}})
    await twins.control("POST", "/fixtures", {"vendor": "talkdesk", "tenants": {"twin-client": {"jobs": [
        {"type": "calls", "from": "2026-01-01T00:00:00", "to": "2026-01-02T00:00:00", "status": "failed",
         "repeat": 30}]}}})
    await twins.same()
    await twins.advance_through()
    # a finished job deleted through its vendor's API (HookBridge's handler removes it, not the engine)
    for client in (twins.on, twins.off):
        d = driver(client, "hookbridge", 0)
        await d.login()
        await d.delete(made["hookbridge"][2])
    assert (await twins.same())["pending_events"] > 0
    await twins.control("POST", "/clock/advance", {"seconds": 100 * 86400})  # its moment (expiry, removal) comes
    await twins.same()
    # more jobs, then resets of one tenant, one vendor, and all but the clock
    for vendor in WITH_RECIPES:
        await twins.create(vendor, 0, 1)
    await twins.same()
    await twins.control("POST", "/reset", {"vendor": "didww", "tenant": "twin-key"})
    await twins.same()
    await twins.control("POST", "/reset", {"vendor": "talkdesk"})
    await twins.same()
    await twins.advance_through()
    await twins.control("POST", "/reset", {})
    await twins.same()
    # the snapshot put back: the same next events as the first load gave, on and on the clock
    await twins.control("POST", "/reset", {"clock": True})
    assert (await twins.same())["next_status_change"] == first["next_status_change"]
    for vendor in WITH_RECIPES:
        await twins.create(vendor, 1, 1)
    assert [change for change in await twins.advance_through() if change is not None], "no change came"


async def test_finished_and_held_jobs_never_enter_the_index(client_for: Any) -> None:
    client = await client_for(fixtures="none", no_caches=())
    r = await client.post("/_fakeexports/fixtures", json={"vendor": "didww", "tenants": {"held-key": {"exports": [
        {"export_type": "cdr_in", "filters": {"year": 2026, "month": 1}, "status": "completed", "repeat": 500}]}}})
    assert r.status < 300, await r.text()
    assert _index_is_the_scan(client) == 0
    assert (await (await client.get("/_fakeexports/clock")).json())["next_status_change"] is None
    # one running job: one entry, and the clock names it
    d = driver(client, "didww")
    await d.login()
    job = await d.create()
    assert _index_is_the_scan(client) == 1
    assert (await (await client.get("/_fakeexports/clock")).json())["next_status_change"]["job"] == job


async def test_compacting_leaves_one_entry_for_each_job_with_a_change_to_come(client_for: Any) -> None:
    client = await client_for(fixtures="none", no_caches=())
    d = driver(client, "didww")
    await d.login()
    jobs = [await d.create() for _ in range(6)]
    index = client.app[REGISTRY].vendors["didww"].jobs.changes
    for job in jobs[:3]:  # a forced job is pushed again; the entry for its old schedule stays until read
        r = await client.post(f"/_fakeexports/jobs/didww/{job}/force", json={"status": recipe_of("didww").outcome[0]})
        assert r.status == 200, await r.text()
    now = client.app[RUNTIME].clock.now()
    waiting = {job.id for state in client.app[RUNTIME].store.tenants("didww") for job in state.jobs.values()
               if job.schedule[-1][0] > now}
    assert len(index) > len(waiting)
    before = index.first(now)
    index.compact(now)
    assert sorted(entry[3].id for entry in index.heap) == sorted(waiting)
    assert index.first(now) == before


async def test_a_job_armed_again_and_again_leaves_a_bounded_index(client_for: Any,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Changes, "FLOOR", 16)
    client = await client_for(fixtures="none", no_caches=())
    d = driver(client, "didww")
    await d.login()
    ids = [await d.create() for _ in range(4)]
    engine = client.app[REGISTRY].vendors["didww"].jobs
    state = next(iter(client.app[RUNTIME].store.tenants("didww")))
    job = state.jobs[ids[0]]
    assert engine.changes is not None
    for _ in range(1000):  # the same schedule again: each arm pushes its next change once more
        engine.reschedule(state, job, job.schedule)
        assert len(engine.changes) <= 2 * len(ids) + Changes.FLOOR
    assert engine.changes.first(client.app[RUNTIME].clock.now()) == engine.scan(client.app[RUNTIME].clock.now())
