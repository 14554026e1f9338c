"""One server for a whole team (issue 21): twenty pytest sessions, separate processes, run at once against one
`fakeexports serve` (FAKEEXPORTS_URL); each of their tests drives every vendor with a recipe through a whole export
on its own clock. Any cross-effect shows: another session's advance moves a test's clock past what it advanced
itself, another's request lands in its journal, another's job in its list. The same test file, run in process,
gives the same statuses, files and request counts."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

SESSIONS = 20

# in process, as a clock's world is made: no fixtures (a clock's tenants start empty)
CONFTEST = '''
import pytest

from fakeexports.settings import Settings


@pytest.fixture(scope="session")
def fakeexports_settings():
    return Settings(clock="virtual", strict=True, port=0, fixtures="none")
'''

INNER = '''
import asyncio, json, os

import aiohttp
import pytest
from yarl import URL

from fakeexports.recipe import Answer, Driver
from fakeexports.vendors import discover

VENDORS = {name: cls for name, cls in sorted(discover().items()) if cls.recipe is not None}


@pytest.mark.parametrize("name", list(VENDORS))
def test_a_whole_export_on_this_tests_own_clock(fakeexports, name):
    cls, recipe = VENDORS[name], VENDORS[name].recipe
    start, advanced = fakeexports.now, []

    async def run():
        async with aiohttp.ClientSession() as session:
            async def send(method, target, *, headers, data):
                url = target if target.startswith("http") else fakeexports.url + target
                async with session.request(method, URL(url, encoded=True), headers=headers, data=data,
                                           allow_redirects=False) as r:
                    return Answer(r.status, dict(r.headers), await r.read())

            async def advance(seconds):
                advanced.append(seconds)
                fakeexports.advance(seconds)

            async def now():
                return fakeexports.now

            driver = Driver(recipe, recipe.tenants[0], send=send, advance=advance, now=now, mount=cls.mount)
            await driver.login()
            job = await driver.create()
            seen = await driver.until_done()
            file = await driver.download()
            return job, seen, file, await driver.ids()

    job, seen, file, ids = asyncio.run(run())
    assert file.status == 200 and file.body and job in ids
    assert fakeexports.now == start + sum(advanced)  # nobody else moved this test's clock
    entries = fakeexports.journal()
    assert {e.vendor for e in entries} - {"s3"} == {name}  # nobody else's requests on it (s3: its downloads)
    with open(os.environ["SESSION_OUT"], "a") as out:
        out.write(json.dumps({"vendor": name, "seen": seen, "bytes": len(file.body), "requests": len(entries),
                              "advanced": sum(advanced), "others_listed": len(ids) - 1}) + "\\n")
'''


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def results(path: Path) -> list[dict[str, object]]:
    return sorted((json.loads(line) for line in path.read_text().splitlines()), key=lambda r: str(r["vendor"]))


def test_twenty_sessions_at_once_on_one_server_see_nothing_of_each_other(tmp_path: Path) -> None:
    (tmp_path / "test_inner.py").write_text(INNER)
    (tmp_path / "conftest.py").write_text(CONFTEST)
    env = {k: v for k, v in os.environ.items() if not k.startswith("FAKEEXPORTS_") or k == "FAKEEXPORTS_NO_CACHES"}
    pytest_cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_inner.py"]

    alone = tmp_path / "in-process.jsonl"  # the reference: the same file with the server in its process
    proc = subprocess.run(pytest_cmd, cwd=tmp_path, env={**env, "SESSION_OUT": str(alone)}, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]

    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "fakeexports", "serve", "--clock", "virtual", "--port",
                               str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(url + "/_fakeexports/health", timeout=2)
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, "the server did not start"
                time.sleep(0.1)
        before = json.load(urllib.request.urlopen(url + "/_fakeexports/jobs?limit=0"))["total"]
        sessions = [subprocess.Popen(pytest_cmd, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     text=True, env={**env, "FAKEEXPORTS_URL": url,
                                                     "SESSION_OUT": str(tmp_path / f"session-{i}.jsonl")})
                    for i in range(SESSIONS)]
        outputs = [s.communicate(timeout=600)[0] for s in sessions]
        failed = [(i, out[-3000:]) for i, (s, out) in enumerate(zip(sessions, outputs, strict=True)) if s.returncode]
        assert not failed, failed[0]
        clocks = json.load(urllib.request.urlopen(url + "/_fakeexports/clocks"))
        jobs = json.load(urllib.request.urlopen(url + "/_fakeexports/jobs?limit=0"))
        server_clock = json.load(urllib.request.urlopen(url + "/_fakeexports/clock"))
    finally:
        server.terminate()
        _, err = server.communicate(timeout=30)
    expected = results(alone)
    assert len(expected) >= 4 and {r["others_listed"] for r in expected} == {0}  # every vendor with a recipe
    for i in range(SESSIONS):
        assert results(tmp_path / f"session-{i}.jsonl") == expected, f"session {i}"
    assert clocks["clocks"] == []  # each test's clock went with it
    assert server_clock["now"] == "2026-01-15T12:00:00Z"  # and the server's own never moved
    assert jobs["total"] == before  # the server clock's own tenants (the fixtures') gained and lost nothing
    assert "Traceback" not in err, err[-3000:]
