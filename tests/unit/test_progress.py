"""Progress bars (progress.py): drawn on a terminal only, and a big fixture load draws one as its jobs are made."""

from __future__ import annotations

import io
import threading
from typing import Any

import pytest

from fakeexports import fixtures, progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_bar_is_drawn_on_a_terminal_only() -> None:
    pipe, tty = io.StringIO(), Terminal()
    assert list(progress.bar(range(5), total=5, desc="replaying", file=pipe)) == list(range(5))
    assert pipe.getvalue() == ""
    assert list(progress.bar(range(5), total=5, desc="replaying", file=tty)) == list(range(5))
    assert "replaying" in tty.getvalue() and "/5" in tty.getvalue()


def test_watching_follows_a_count_it_cannot_tick() -> None:
    tty, made = Terminal(), [0]
    gate = threading.Event()

    def count() -> int:
        gate.set()  # the thread has read the count at least once
        return made[0]

    with progress.watching(count, 300, desc="loading", unit="jobs", file=tty):
        made[0] = 120
        gate.wait(2)
        made[0] = 300
    assert "loading" in tty.getvalue() and "300/300" in tty.getvalue()
    quiet = io.StringIO()
    with progress.watching(count, 300, desc="loading", file=quiet):
        pass
    assert quiet.getvalue() == ""


async def test_a_big_fixture_load_shows_its_jobs_made(client_for: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    tty = Terminal()
    monkeypatch.setattr("sys.stderr", tty)
    monkeypatch.setattr(fixtures, "PROGRESS_FROM", 1000)  # the real threshold is 50,000 items (seconds of loading)
    client = await client_for(fixtures="none")
    window = {"start_time": "2026-01-01T00:00:00Z", "end_time": "2026-01-02T00:00:00Z"}
    doc = {"vendor": "hookbridge", "tenants": {"hb_big": {"exports": [
        {**window, "status": "succeeded", "repeat": 1500}, {**window, "status": "failed_permanent"}]}}}
    resp = await client.post("/_fakeexports/fixtures", json=doc)
    assert resp.status == 201, await resp.text()
    assert "loading fixtures" in tty.getvalue() and "1501/1501" in tty.getvalue()
    small = {"vendor": "hookbridge", "tenants": {"hb_small": {"exports": [{**window, "status": "succeeded", "repeat": 10}]}}}
    before = tty.getvalue()
    assert (await client.post("/_fakeexports/fixtures", json=small)).status == 201
    assert tty.getvalue() == before  # under the threshold: no bar
