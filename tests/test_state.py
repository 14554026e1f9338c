"""--state PATH: the store in SQLite. A restart on the same file finds every vendor's jobs with their schedules,
records, settings, the clock, faults, options and the webhook queue, and goes on from there; a file it cannot
use is refused with a message that says why. (bench/crash.py kills a loaded server with SIGKILL.)"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from fakeexports import create_app
from fakeexports.persist import StateError
from fakeexports.runtime import RUNTIME
from fakeexports.settings import Settings
from tests.conftest import settings
from tests.shared.conftest import VENDORS, WITH_RECIPES, driver

Factory = Any


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[Factory]:
    """``await server(**settings)``: a client on an app with --state tmp_path/state.db; ``stop(client)`` ends it
    (as a restart would: its cleanup runs, then the next app opens the same file)."""
    made: list[TestClient[Any, Any]] = []

    async def start(**overrides: Any) -> TestClient[Any, Any]:
        app_settings = settings(clock="virtual", strict=True, fixtures="none", state=str(tmp_path / "state.db"))
        client: TestClient[Any, Any] = TestClient(TestServer(create_app(app_settings.with_(**overrides))))
        await client.start_server()
        made.append(client)
        return client

    yield start
    for client in made:
        if not client.server.runner.server:  # already stopped
            continue
        errors = list(client.app[RUNTIME].journal.errors) if client.app else []
        await client.close()
        assert not errors, errors


async def view(client: Any) -> list[dict[str, Any]]:
    """Every job as the control API shows it; file links without their origin (a restart has a new port)."""
    jobs = (await (await client.get("/_fakeexports/jobs")).json())["jobs"]
    for job in jobs:
        job["files"] = [link.split("/_s3/", 1)[1] for link in job["files"]]
    return sorted(jobs, key=lambda j: j["id"])


async def test_a_restart_finds_every_vendors_jobs_and_goes_on(server: Factory) -> None:
    client = await server()
    drivers = {name: driver(client, name) for name in WITH_RECIPES}
    done: dict[str, tuple[str, bytes]] = {}
    running: dict[str, str] = {}
    for name, d in drivers.items():
        await d.login()
        job = await d.create()
        await d.until_done()
        done[name] = (job, (await d.download()).body)
        running[name] = await d.create()
    await client.post("/_fakeexports/faults", json={"vendor": "twilio", "status": 503, "times": 2})
    await client.post("/_fakeexports/vendors/talkdesk", json={"done_status": 303})
    await client.post("/_fakeexports/tenants/didww/recipe-key-b", json={"default_api_version": "2026-04-16"})
    before, clock = await view(client), await (await client.get("/_fakeexports/clock")).json()
    await client.close()

    client = await server()
    assert await view(client) == before  # jobs, schedules, next changes
    assert (await (await client.get("/_fakeexports/clock")).json())["now"] == clock["now"]
    faults = (await (await client.get("/_fakeexports/faults")).json())["faults"]
    assert [(f["vendor"], f["status"], f["times"]) for f in faults] == [("twilio", 503, 2)]
    await client.delete("/_fakeexports/faults")
    answer = await (await client.post("/_fakeexports/vendors/talkdesk", json={})).json()
    assert answer["settings"]["done_status"] == 303
    tenant = await (await client.post("/_fakeexports/tenants/didww/recipe-key-b", json={})).json()
    assert tenant["settings"]["default_api_version"] == "2026-04-16"
    await client.post("/_fakeexports/vendors/talkdesk", json={"done_status": 300})
    for name in WITH_RECIPES:
        d = driver(client, name)
        await d.login()
        job, body = done[name]
        d.vars["job"] = job
        assert await d.status(job) == VENDORS[name].recipe.done  # type: ignore[union-attr]
        assert (await d.download()).body == body  # byte for byte
        d.vars["job"] = running[name]
        await d.until_done()  # the schedule goes on on the clock
        assert set(await d.ids()) >= {job, running[name]}


async def test_a_pending_webhook_retry_survives_a_restart(server: Factory, aiohttp_server: Any) -> None:
    answers = [500, 200]
    got: list[str] = []

    async def hook(request: web.Request) -> web.Response:
        got.append((await request.post())["JobSid"])  # type: ignore[arg-type]
        return web.Response(status=answers.pop(0))

    app = web.Application()
    app.router.add_route("POST", "/hook", hook)
    receiver = await aiohttp_server(app, host="127.0.0.1")
    client = await server()
    d = driver(client, "twilio")
    job = await d.create(callback=str(receiver.make_url("/hook")))
    await d.until_done()
    assert got == [job]  # the first attempt failed: its retry waits 30 s on the clock
    await client.close()

    client = await server()
    await client.post("/_fakeexports/clock/advance", json={"seconds": 30})
    assert got == [job, job]
    attempts = (await (await client.get("/_fakeexports/webhooks")).json())["attempts"]
    assert [(a["attempt"], a["status"]) for a in attempts] == [(2, 200)]  # the log is not kept, the queue is


async def test_fixtures_seed_a_new_file_once_and_a_reset_is_kept(server: Factory) -> None:
    client = await server(fixtures=None)
    seeded = await view(client)
    assert len(seeded) >= 8
    await client.close()
    client = await server(fixtures=None)
    assert await view(client) == seeded  # not loaded a second time
    await client.post("/_fakeexports/reset", json={"vendor": "twilio"})
    after_reset = await view(client)
    await client.close()
    client = await server(fixtures=None)
    assert await view(client) == after_reset


async def test_a_delete_and_an_update_are_kept(server: Factory) -> None:
    client = await server()
    d = driver(client, "hookbridge")
    gone = await d.create()
    await d.until_done()
    await d.delete(gone)
    kept = driver(client, "didww")
    job = await kept.create()
    resp = await client.patch(f"/didww/v3/exports/{job}", headers={
        "Api-Key": "recipe-key-a", "Content-Type": "application/vnd.api+json", "X-DIDWW-API-Version": "2026-04-16"},
        json={
        "data": {"type": "exports", "id": job, "attributes": {"external_reference_id": "ref-1"}}})
    assert resp.status == 200, await resp.text()
    await client.close()
    client = await server()
    ids = {j["id"] for j in await view(client)}
    assert gone not in ids and job in ids
    doc = await (await client.get(f"/didww/v3/exports/{job}", headers={
        "Api-Key": "recipe-key-a", "X-DIDWW-API-Version": "2026-04-16"})).json(content_type=None)
    assert doc["data"]["attributes"]["external_reference_id"] == "ref-1"


def _settings(path: Path, **kw: Any) -> Settings:
    return settings(clock="virtual", fixtures="none", state=str(path), **kw)


@pytest.mark.parametrize(("prepare", "message"), [
    (lambda p: p.write_bytes(b"not a database at all, just some text\n" * 50), "not a fakeexports state file"),
    (lambda p: sqlite3.connect(p).execute("CREATE TABLE notes (x TEXT)").connection.commit(),
     "an SQLite file but not a fakeexports state file"),
    (lambda p: _ours(p, version=99), "written by a newer fakeexports"),
    (lambda p: _ours(p, version=0), "cannot migrate"),
    (lambda p: _ours(p, seed=5), "made with --seed 5"),
    # a clock moved past the range before the range existed (issue 20): refused at start, saying the bound
    (lambda p: _ours(p, clock='{"kind": "virtual", "now": 400000000000.0}'),
     "the saved clock must stay between 1970-01-01T00:00:00Z and 9990-01-01T00:00:00Z"),
])
def test_a_file_it_cannot_use_is_refused_with_the_reason(tmp_path: Path, prepare: Any, message: str) -> None:
    path = tmp_path / "state.db"
    prepare(path)
    with pytest.raises(StateError, match=message):
        create_app(_settings(path))


def _ours(path: Path, version: int = 1, seed: int = 0, clock: str | None = None) -> None:
    create_app(_settings(path, seed=0))[RUNTIME].state_file.close()  # type: ignore[union-attr]
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version={version}")
    db.execute("UPDATE meta SET value=? WHERE key='seed'", (str(seed),))
    if clock is not None:
        db.execute("UPDATE meta SET value=? WHERE key='clock'", (clock,))
    db.commit()
    db.close()


LINKED = [n for n in WITH_RECIPES if any(c.link and not c.auth for c in VENDORS[n].recipe.download)]  # type: ignore[union-attr]


async def issue(client: Any) -> dict[str, tuple[dict[str, Any], bytes]]:
    """For each vendor that hands out links: a done job's file through its link (Talkdesk's with a token), the
    driver's variables (the token, the link) and the file."""
    issued = {}
    for name in LINKED:
        d = driver(client, name)
        await d.login()
        await d.create()
        await d.until_done()
        body = (await d.download()).body
        issued[name] = (dict(d.vars), body)
    return issued


async def still_work(client: Any, issued: dict[str, tuple[dict[str, Any], bytes]]) -> None:
    """The links give the same files, and the tokens are still good, on a server with another port."""
    for name, (variables, body) in issued.items():
        resp = await client.get("/_s3/" + str(variables["link"]).split("/_s3/", 1)[1])
        assert resp.status == 200, (name, await resp.text())
        assert await resp.read() == body
        d = driver(client, name)
        d.vars.update(variables)  # the token it had, no new login
        assert await d.status(variables["job"]) == VENDORS[name].recipe.done  # type: ignore[union-attr]


async def test_tokens_and_links_issued_before_a_restart_work_after_it(server: Factory) -> None:
    client = await server()
    issued = await issue(client)
    assert "token" in issued["talkdesk"][0]
    await client.close()

    client = await server()
    await still_work(client, issued)
    # after a full reset, what is issued anew survives the next restart too: the keys stay in the file
    assert (await client.post("/_fakeexports/reset", json={"clock": True})).status == 200
    issued = await issue(client)
    await client.close()
    client = await server()
    await still_work(client, issued)
    # and the keys are not the seed's: another file of the same seed signs with others
    await client.close()
    other = await server(state=str(Path(client.app[RUNTIME].settings.state or "").with_name("other.db")))
    resp = await other.get("/_s3/" + str(issued["talkdesk"][0]["link"]).split("/_s3/", 1)[1])
    assert resp.status == 403 and "<Code>SignatureDoesNotMatch</Code>" in await resp.text()
