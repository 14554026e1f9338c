"""--state PATH: the store in SQLite. A restart on the same file finds every vendor's jobs with their schedules,
records, settings, the clock, faults, options and the webhook queue, and goes on from there; a file it cannot
use is refused with one line that says why; one file has one server; a write that fails (a full disk) is
answered 503 and written once the disk has room, never half done. (bench/crash.py kills a loaded server with
SIGKILL.)"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import sqlite3
import stat
import subprocess
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from twilio.request_validator import RequestValidator
from yarl import URL

from fakeexports import create_app, persist
from fakeexports.cli import main as cli
from fakeexports.persist import StateError
from fakeexports.pipeline import MSG_UNWRITTEN
from fakeexports.runtime import RUNTIME
from fakeexports.settings import Settings
from tests.conftest import ACCOUNT, basic, settings
from tests.reference import skip_or_fail
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
    return settings(**{"clock": "virtual", "fixtures": "none", "state": str(path), **kw})


def _ours(path: Path, version: int = 1, seed: int = 0, clock: str | None = None) -> None:
    create_app(_settings(path, seed=0))[RUNTIME].state_file.close()  # type: ignore[union-attr]
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version={version}")
    db.execute("UPDATE meta SET value=? WHERE key='seed'", (str(seed),))
    if clock is not None:
        db.execute("UPDATE meta SET value=? WHERE key='clock'", (clock,))
    db.commit()
    db.close()


def _seeded(path: Path) -> None:
    """A state file with the fixtures' jobs, records and settings in it."""
    create_app(settings(clock="virtual", state=str(path)))[RUNTIME].state_file.close()  # type: ignore[union-attr]


def _edited(sql: str) -> Callable[[Path], None]:
    """A seeded state file changed by hand with ``sql``, as someone editing it might."""
    def prepare(path: Path) -> None:
        _seeded(path)
        db = sqlite3.connect(path)
        db.execute(sql)
        db.commit()
        db.close()
    return prepare


def _truncated(path: Path) -> None:
    _seeded(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _corrupted(path: Path) -> None:
    _seeded(path)
    data = bytearray(path.read_bytes())
    for at in range(8192, len(data), 997):  # past the header, a byte here and there
        data[at] ^= 0x5A
    path.write_bytes(bytes(data))


FIRST_JOB = "(SELECT min(rowid) FROM jobs)"
REFUSED = [  # how the file came to be, and what the one line says of it
    (lambda p: p.write_bytes(b"not a database at all, just some text\n" * 50),
     "is not a fakeexports state file (SQLite says: file is not a database)"),
    (lambda p: sqlite3.connect(p).execute("CREATE TABLE notes (x TEXT)").connection.commit(),
     "is not a fakeexports state file (an SQLite file without fakeexports' tables)"),
    (lambda p: _ours(p, version=99), "was written by a newer fakeexports"),
    (lambda p: _ours(p, version=0), "cannot migrate"),
    (lambda p: _ours(p, seed=5), "was made with --seed 5"),
    # a clock moved past the range before the range existed (issue 20): refused at start, saying the bound
    (lambda p: _ours(p, clock='{"kind": "virtual", "now": 400000000000.0}'),
     "the saved clock must stay between 1970-01-01T00:00:00Z and 9990-01-01T00:00:00Z"),
    (_truncated, "is damaged, truncated or corrupted (SQLite says: database disk image is malformed)"),
    (_corrupted, "is damaged, truncated or corrupted (SQLite's check says: "),
    (_edited(f"UPDATE jobs SET schedule='[[1,' WHERE rowid={FIRST_JOB}"), "the jobs row ('didww', "),
    (_edited(f"UPDATE jobs SET attrs='[1]' WHERE rowid={FIRST_JOB}"), "(its attrs are not a JSON object)"),
    (_edited(f"UPDATE jobs SET schedule='[]' WHERE rowid={FIRST_JOB}"), "(its schedule is not a list of"),
    (_edited("UPDATE data SET value='{x' WHERE rowid=(SELECT min(rowid) FROM data)"), "the data row ("),
    (_edited("UPDATE meta SET value='{\"kind\": \"virtual\"}' WHERE key='clock'"), "meta row 'clock'"),
    (_edited("UPDATE meta SET value='\"ten\"' WHERE key='seq'"), "meta row 'seq' is not what fakeexports writes"),
    (lambda p: p.mkdir(), "is a directory"),
]


@pytest.mark.parametrize(("prepare", "message"), REFUSED)
def test_a_file_it_cannot_use_is_refused_in_one_line_naming_it_and_the_cause(tmp_path: Path, prepare: Any,
                                                                             message: str) -> None:
    path = tmp_path / "state.db"
    prepare(path)
    before = sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(StateError) as refused:
        create_app(_settings(path))
    said = str(refused.value)
    assert message in said and said.startswith(str(path)) and "\n" not in said
    assert "delete" not in said
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing left beside a file it refused


def test_the_command_line_says_it_in_one_line_and_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "state.db"
    _truncated(path)
    assert cli(["serve", "--port", "0", "--clock", "virtual", "--state", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"fakeexports: {path} is damaged") and "Traceback" not in err
    assert cli(["serve", "--port", "0", "--clock", "virtual", "--state", str(tmp_path / "no" / "state.db")]) == 2
    assert capsys.readouterr().err == (f"fakeexports: {tmp_path / 'no' / 'state.db'}: the directory {tmp_path / 'no'} "
                                       "does not exist; make it, or give --state another path\n")


def test_one_file_has_one_server(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "state.db"
    first = create_app(_settings(path))
    with pytest.raises(StateError) as refused:
        create_app(_settings(path))
    assert str(refused.value) == (f"{path} is in use by another fakeexports server (pid {os.getpid()} on "
                                  f"{os.uname().nodename}): stop that one, or give --state another path")
    assert cli(["serve", "--port", "0", "--clock", "virtual", "--fixtures", "none", "--state", str(path)]) == 2
    assert "is in use by another fakeexports server (pid" in capsys.readouterr().err
    first[RUNTIME].state_file.close()  # type: ignore[union-attr]
    create_app(_settings(path))[RUNTIME].state_file.close()  # type: ignore[union-attr]  # free again


def test_a_new_file_is_readable_by_its_owner_alone(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    umask = os.umask(0o022)
    try:
        app = create_app(_settings(path, fixtures=None))
    finally:
        os.umask(umask)
    made = sorted(tmp_path.iterdir())
    assert [p.name for p in made] == ["state.db", "state.db-lock", "state.db-shm", "state.db-wal"]
    assert {p.name: stat.S_IMODE(p.stat().st_mode) for p in made} == {p.name: 0o600 for p in made}
    app[RUNTIME].state_file.close()  # type: ignore[union-attr]


async def test_no_password_a_client_sends_is_written_and_no_tenant_without_state_gets_a_row(
        server: Factory, tmp_path: Path, aiohttp_server: Any) -> None:
    got: list[tuple[str, dict[str, str], str]] = []

    async def hook(request: web.Request) -> web.Response:
        form = {k: str(v) for k, v in (await request.post()).items()}
        got.append((str(request.url), form, request.headers.get("X-Twilio-Signature", "")))
        return web.Response()

    receiver_app = web.Application()
    receiver_app.router.add_route("POST", "/hook", hook)
    receiver = await aiohttp_server(receiver_app, host="127.0.0.1")
    client = await server()
    # an account that only reads: its password is not written, and it has no row
    other = "AC" + "3" * 32
    assert (await client.get("/twilio/v1/Exports/Messages/Jobs", headers=basic(other, "password-one"))).status == 200
    # a tenant whose last record goes loses its row
    runtime = client.app[RUNTIME]
    state = runtime.store.tenant("didww", "fleeting")
    state.put("settings", "default_api_version", "2026-04-16")
    runtime.flush()
    state.drop("settings", "default_api_version")
    runtime.flush()
    # an account that asks for a webhook: its token is kept to sign it, and nothing else of it
    form = {"StartDay": "2026-01-12", "EndDay": "2026-01-12", "FriendlyName": "hooked",
            "WebhookUrl": str(receiver.make_url("/hook")), "WebhookMethod": "POST"}
    resp = await client.post("/twilio/v1/Exports/Messages/Jobs", data=form, headers=basic(ACCOUNT, "webhook-token"))
    assert resp.status == 201, await resp.text()
    await client.close()
    db = sqlite3.connect(tmp_path / "state.db")
    assert db.execute("SELECT vendor, tenant FROM tenants").fetchall() == [("twilio", ACCOUNT)]
    db.close()
    written = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("state.db"))
    assert b"password-one" not in written and b"webhook-token" in written
    # after a restart, with no request of the account's since, its webhook is signed with the token it gave
    client = await server()
    await client.post("/_fakeexports/clock/advance", json={"seconds": 3600})
    assert len(got) == 1
    url, params, signature = got[0]
    assert RequestValidator("webhook-token").validate(url, params, signature)


class Disk:
    """A 2 MB tmpfs of the test's own, that it fills up and frees again."""

    def __init__(self, where: Path):
        self.where = where
        self.filler = where / "filler"

    def fill(self) -> None:
        fd = os.open(self.filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        try:
            while True:
                os.write(fd, b"\0" * 4096)
        except OSError as exc:
            assert exc.errno == 28  # ENOSPC: full
        finally:
            os.close(fd)

    def free(self) -> None:
        self.filler.unlink()

    def remount(self, mode: str) -> None:
        """``ro``: read-only, as a disk the kernel gave up on; ``rw``: writable again."""
        subprocess.run(["mount", "-o", f"remount,{mode}", str(self.where)], check=True)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Disk]:
    """A 2 MB tmpfs mounted for the test (unmounted after it). It needs root and mount(8): CI has both (under CI=true
    the test fails without them); elsewhere the test is skipped, saying so."""
    where = tmp_path / "disk"
    where.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        skip_or_fail("needs root and mount(8) to mount a 2 MB tmpfs (mount -t tmpfs -o size=2m); CI runs as root")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(where)], capture_output=True,
                          text=True)
    if done.returncode != 0:
        skip_or_fail(f"needs permission to mount a 2 MB tmpfs: mount says {done.stderr.strip()!r}")
    try:
        yield Disk(where)
    finally:
        subprocess.run(["umount", "-l", str(where)], check=True)


def _rows(path: Path, sql: str) -> list[Any]:
    """What the file holds, read beside the server as another reader would."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return db.execute(sql).fetchall()
    finally:
        db.close()


async def test_a_write_that_fails_is_never_half_done(server: Factory, small_disk: Disk,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(persist, "RETRY", 0.0)  # the retry without a request: at the loop's next turn
    path = small_disk.where / "state.db"
    client = await server(state=str(path))
    d = driver(client, "hookbridge")
    gone, kept = await d.create(), await d.create()
    await d.until_done()
    await d.download()
    link, headers, clock = d.vars["link"], await d.headers(), await d.now()

    # the disk fills up: the delete cannot be written, and says so in HookBridge's envelope
    small_disk.fill()
    resp = await client.delete(f"/hookbridge/v1/exports/{gone}", headers=headers)
    assert resp.status == 503 and (await resp.json())["error"]["message"] == MSG_UNWRITTEN
    # until it is written nobody sees it: every answer is a 503, in its own envelope
    for target in (f"/hookbridge/v1/exports/{gone}", f"/hookbridge/v1/exports/{kept}", "/hookbridge/v1/exports"):
        resp = await client.get(target, headers=headers)
        assert resp.status == 503 and (await resp.json())["error"]["message"] == MSG_UNWRITTEN
    resp = await client.get(URL(link).raw_path_qs)
    assert resp.status == 503 and "<Code>ServiceUnavailable</Code>" in await resp.text()
    resp = await client.get("/_fakeexports/jobs")
    assert resp.status == 503 and "the disk is full" in (await resp.json())["error"]
    # time goes on (due events run, the clock moves); what they change waits with the rest
    assert (await client.post("/_fakeexports/clock/advance", json={"seconds": 600})).status == 503
    assert (await client.post("/hookbridge/v1/exports", headers=headers, json={
        "start_time": "2026-01-15T09:00:00Z", "end_time": "2026-01-15T10:00:00Z"})).status == 503
    assert _rows(path, "SELECT count(*) FROM jobs") == [(2,)]  # the file as it was, nothing half written
    assert json.loads(_rows(path, "SELECT value FROM meta WHERE key='clock'")[0][0])["now"] == clock

    # room again: the server writes it all by itself, without a request
    small_disk.free()
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert _rows(path, "SELECT count(*) FROM jobs") == [(2,)]  # one gone, one made
    assert _rows(path, f"SELECT id FROM jobs WHERE id='{gone}'") == []
    assert (await client.get(f"/hookbridge/v1/exports/{gone}", headers=headers)).status == 404
    assert (await client.get(f"/hookbridge/v1/exports/{kept}", headers=headers)).status == 200
    shown = await view(client)
    journal = (await (await client.get("/_fakeexports/journal")).json())["errors"]
    assert [(e["where"], "the disk is full" in e["message"]) for e in journal] == [("state file", True)]  # once
    await client.delete("/_fakeexports/journal")
    await client.close()

    # a restart finds what the answers showed
    client = await server(state=str(path))
    assert await view(client) == shown
    assert float((await (await client.get("/_fakeexports/clock")).json())["epoch"]) == clock + 600


@contextlib.contextmanager
def _not_root() -> Iterator[None]:
    """The body runs as a user the file's permissions apply to: root writes a read-only file all the same, so as
    root it runs as nobody (seteuid, given back after)."""
    if os.geteuid() != 0:
        yield
        return
    os.setegid(NOBODY)
    os.seteuid(NOBODY)
    try:
        yield
    finally:
        os.seteuid(0)
        os.setegid(0)


NOBODY = 65534


def test_a_read_only_file_is_said_to_be_read_only_and_nothing_more(tmp_path_factory: pytest.TempPathFactory) -> None:
    # a directory anyone may write in, so that only the file's own permissions are in the way
    where = Path(tempfile.mkdtemp(prefix="fakeexports-ro-"))
    try:
        where.chmod(0o1777)
        path = where / "state.db"
        _seeded(path)
        if os.geteuid() == 0:  # the files are the user's own, as they would be
            for made in where.iterdir():
                os.chown(made, NOBODY, NOBODY)
        path.chmod(0o444)
        with _not_root(), pytest.raises(StateError) as refused:
            create_app(_settings(path))
        said = str(refused.value)
        assert said.startswith(f"{path}: cannot write it (") and "Permission denied" in said, said
        assert "delete" not in said and "not a fakeexports state file" not in said and "\n" not in said
        path.chmod(0o644)
        create_app(_settings(path))[RUNTIME].state_file.close()  # type: ignore[union-attr]  # the file was fine
    finally:
        shutil.rmtree(where)


def test_a_file_on_a_read_only_disk_is_said_to_be_so(small_disk: Disk) -> None:
    path = small_disk.where / "state.db"
    _seeded(path)
    small_disk.remount("ro")
    with pytest.raises(StateError) as refused:
        create_app(_settings(path))
    said = str(refused.value)
    assert said.startswith(f"{path}: cannot write ") and "Read-only file system" in said and "\n" not in said, said
    assert "delete" not in said and "not a fakeexports state file" not in said


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
