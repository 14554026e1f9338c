"""The lifecycle engine: status is a lookup in a schedule; events rewrite the future only."""

from __future__ import annotations

from fakeexports import lifecycle
from fakeexports.lifecycle import Lifecycle

LC = Lifecycle(steps=(("Submitted", 60.0), ("Running", 90.0), ("Completed", None)),
               terminal=frozenset({"Completed", "Failed"}))


def test_schedule_lays_out_statuses_from_the_start() -> None:
    s = LC.schedule(1000.0)
    assert s == ((1000.0, "Submitted"), (1060.0, "Running"), (1150.0, "Completed"))
    assert LC.schedule(0.0, {"Running": 10.0})[-1] == (70.0, "Completed")
    assert LC.schedule(0.0, {"Submitted": 0.0}) == ((0.0, "Running"), (90.0, "Completed"))
    assert LC.is_terminal("Completed") and not LC.is_terminal("Running")


def test_status_and_next_change_at_any_moment() -> None:
    s = LC.schedule(0.0)
    cases = [(-5, "Submitted", 0.0), (0, "Submitted", 60.0), (59.9, "Submitted", 60.0),
             (60, "Running", 150.0), (149, "Running", 150.0), (150, "Completed", None), (10**9, "Completed", None)]
    for now, status, nxt in cases:
        assert lifecycle.status_at(s, now) == status
        assert lifecycle.next_change_at(s, now) == (nxt if nxt != 0.0 or now < 0 else 60.0)
    assert lifecycle.entered_at(s, 100) == 60.0
    assert lifecycle.time_of(s, "Running") == 60.0
    assert lifecycle.time_of(s, "Failed") is None


def test_rewrite_keeps_the_past_and_replaces_the_future() -> None:
    s = LC.schedule(0.0)
    paused = lifecycle.rewrite(s, 100.0, [(0.0, "ErrorDuringRun"), (30.0, "Running"), (80.0, "Completed")])
    assert paused == ((0.0, "Submitted"), (60.0, "Running"), (100.0, "ErrorDuringRun"),
                      (130.0, "Running"), (180.0, "Completed"))
    # time spent running resumes after the pause
    assert lifecycle.time_in(paused, "Running", 100.0) == 40.0
    assert lifecycle.time_in(paused, "Running", 120.0) == 40.0
    assert lifecycle.time_in(paused, "Running", 150.0) == 60.0
    assert lifecycle.time_when(paused, "Running", 60.0) == 150.0
    assert lifecycle.time_when(paused, "Running", 1000.0) is None
    failed = lifecycle.rewrite(s, 70.0, [(0.0, "Failed")])
    assert lifecycle.status_at(failed, 10**6) == "Failed"
    assert lifecycle.next_change_at(failed, 70.0) is None
