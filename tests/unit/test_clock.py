"""The clock and the scheduler: time only moves forward; events fire in time order at their own time."""

from __future__ import annotations

import pytest

from fakeexports.clock import RealClock, Scheduler, VirtualClock
from fakeexports.times import DEFAULT_START, parse_rfc3339, stamp


def test_virtual_clock_stands_still_until_advanced() -> None:
    clock = VirtualClock()
    assert clock.now() == DEFAULT_START == clock.now()
    assert clock.advance(90) == DEFAULT_START + 90
    with pytest.raises(ValueError):
        clock.advance(-1)
    with pytest.raises(ValueError):
        clock.set(DEFAULT_START)
    clock.set(DEFAULT_START + 100)
    assert clock.now() == DEFAULT_START + 100


def test_real_clock_speed_and_offset() -> None:
    clock = RealClock(speed=1000)
    first = clock.now()
    clock.advance(3600)
    assert clock.now() - first >= 3600
    assert clock.describe()["offset_seconds"] == 3600


def test_rfc3339_round_trip() -> None:
    assert stamp(DEFAULT_START) == "2026-01-15T12:00:00Z"
    assert stamp(DEFAULT_START + 0.25, "naive-ms") == "2026-01-15T12:00:00.250"
    assert parse_rfc3339("2026-01-15T12:00:00Z") == DEFAULT_START
    assert parse_rfc3339("2026-01-15T13:00:00+01:00") == DEFAULT_START
    assert parse_rfc3339("2026-01-15T12:00:00") == DEFAULT_START


async def test_advance_fires_events_in_order_each_at_its_own_time() -> None:
    clock = VirtualClock()
    seen: list[tuple[str, float]] = []
    sched = Scheduler(clock)

    def record(name: str) -> None:
        seen.append((name, clock.now() - DEFAULT_START))
        if name == "b":  # an event may schedule another inside the same advance
            sched.at(clock.now() + 5, record, "b+5")

    async def later(name: str) -> None:
        seen.append((name, clock.now() - DEFAULT_START))

    sched.at(DEFAULT_START + 30, record, "c")
    sched.at(DEFAULT_START + 10, record, "b")
    sched.at(DEFAULT_START + 10, later, "b-async")
    cancelled = sched.at(DEFAULT_START + 20, record, "never")
    cancelled.cancel()
    sched.at(DEFAULT_START + 100, record, "too late")

    fired = await sched.advance(50)
    assert seen == [("b", 10), ("b-async", 10), ("b+5", 15), ("c", 30)]
    assert fired == 4
    assert clock.now() == DEFAULT_START + 50
    assert sched.next_due() == DEFAULT_START + 100


async def test_a_failing_event_is_reported_and_does_not_stop_time() -> None:
    clock = VirtualClock()
    errors: list[str] = []
    sched = Scheduler(clock, on_error=lambda timer, exc: errors.append(f"{timer.label}: {exc}"))
    seen: list[int] = []

    def boom() -> None:
        raise RuntimeError("broken side effect")

    sched.at(DEFAULT_START + 1, boom, label="boom")
    sched.at(DEFAULT_START + 2, seen.append, 2)
    await sched.advance(5)
    assert errors == ["boom: broken side effect"]
    assert seen == [2]


async def test_run_due_fires_only_what_is_due() -> None:
    clock = VirtualClock()
    sched = Scheduler(clock)
    seen: list[int] = []
    sched.at(DEFAULT_START, seen.append, 0)
    sched.at(DEFAULT_START + 1, seen.append, 1)
    assert sched.has_due(clock.now())
    sched.run_due()
    assert seen == [0]
    await sched.set(DEFAULT_START + 1)
    assert seen == [0, 1]
    with pytest.raises(ValueError):
        await sched.advance(-1)
