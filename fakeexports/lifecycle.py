"""The generic lifecycle engine. A vendor declares its statuses and their durations as data (a
Lifecycle); each job holds a Schedule, a short tuple of (time, status) entries set at creation and
rewritten by events (a delete, a forced outcome). Status at ``now`` is a lookup, never a stored field."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

Schedule = tuple[tuple[float, str], ...]
INF = float("inf")  # a moment that never comes


def status_at(schedule: Schedule, now: float) -> str:
    """The status in force at ``now``: the last entry whose time is <= now (the first before it)."""
    current = schedule[0][1]
    for when, status in schedule:
        if when > now:
            break
        current = status
    return current


def entered_at(schedule: Schedule, now: float) -> float:
    """When the status in force at ``now`` began."""
    start = schedule[0][0]
    for when, _ in schedule:
        if when > now:
            break
        start = when
    return start


def next_change_at(schedule: Schedule, now: float) -> float | None:
    """When the status next changes after ``now``; None when it never will."""
    for when, _ in schedule:
        if when > now:
            return when
    return None


def time_of(schedule: Schedule, status: str) -> float | None:
    """When the schedule enters ``status`` (first time), or None."""
    for when, name in schedule:
        if name == status:
            return when
    return None


def rewrite(schedule: Schedule, at: float, tail: Iterable[tuple[float, str]]) -> Schedule:
    """Keep what happened before ``at`` and replace the future with ``tail`` (offsets from ``at``)."""
    kept = tuple(entry for entry in schedule if entry[0] < at)
    return kept + tuple((at + offset, status) for offset, status in tail)


def time_in(schedule: Schedule, status: str, now: float) -> float:
    """Total seconds spent in ``status`` up to ``now`` (a job paused by retries resumes its progress)."""
    total = 0.0
    for (when, name), nxt in zip(schedule, (*schedule[1:], (None, "")), strict=True):
        if when >= now:
            break
        if name == status:
            end = now if nxt[0] is None else min(nxt[0], now)
            total += end - when
    return total


def time_when(schedule: Schedule, status: str, amount: float) -> float | None:
    """When the time spent in ``status`` reaches ``amount`` seconds; None if it never does (the
    schedule leaves ``status`` for good first). The last entry lasts forever."""
    spent = 0.0
    for (when, name), nxt in zip(schedule, (*schedule[1:], (None, "")), strict=True):
        if name != status:
            continue
        length = float("inf") if nxt[0] is None else nxt[0] - when
        if spent + length >= amount:
            return when + (amount - spent)
        spent += length
    return None


@dataclass(frozen=True)
class Effect:
    """Something that happens when a job reaches a moment: the vendor's method ``name`` is called with the
    tenant's state, the job and the moment (``vendor.<name>(state, job, at)``). ``notify``: an outgoing call (a
    webhook, a callback), not made for moments before the job was loaded from a fixture."""

    name: str
    notify: bool = False


REMOVE = Effect("remove")  # the engine's own effect: the job is gone

# How long a job stays once it has reached a status it never leaves, where its vendor documents no retention:
# long enough for any test or client to read it, short enough that a fake left running for months stays small.
KEPT_SECONDS = 30 * 86400.0


@dataclass(frozen=True)
class Progress:
    """Units of work done one after another while a job is in ``status``, ``seconds`` each (Twilio's days): the
    number of units is the job attribute ``units``; ``effect`` runs as each one is done, with its index
    (``vendor.<name>(state, job, at, index)``). Time spent paused elsewhere does not count."""

    status: str
    seconds: float
    units: str
    effect: Effect
    finish: frozenset[str] = frozenset()  # entering one of these, whatever was left of the work is done


@dataclass(frozen=True)
class Lifecycle:
    """A vendor's job statuses, in its own spelling, as data. ``steps``: the path a job takes, each status with
    its default duration (None: it stays). ``terminal``: statuses a job never leaves. ``forceable``: each outcome
    that faults, fixtures and the control API may force, with the statuses it may be forced from; forcing a
    status of ``steps`` continues the path from it, ``resumes`` names outcomes that pause the job for so many
    seconds and then let it go on where it was (Twilio's ErrorDuringRun), and ``through`` an outcome that is
    always reached by way of another status (HookBridge's failed comes out of processing). ``on_enter``: effects
    when a status is entered; ``progress``: units of work within a status; ``retention``: how long a job stays
    in a status before it is removed."""

    steps: Sequence[tuple[str, float | None]]
    terminal: frozenset[str] = frozenset()
    forceable: Mapping[str, frozenset[str]] = field(default_factory=dict)
    resumes: Mapping[str, float] = field(default_factory=dict)
    through: Mapping[str, str] = field(default_factory=dict)
    on_enter: Mapping[str, tuple[Effect, ...]] = field(default_factory=dict)
    progress: Progress | None = None
    retention: Mapping[str, float] = field(default_factory=dict)

    def schedule(self, start: float, durations: Mapping[str, float] | None = None) -> Schedule:
        return self.path(start, self.steps, durations)

    def path(self, start: float, steps: Sequence[tuple[str, float | None]],
             durations: Mapping[str, float] | None = None) -> Schedule:
        """``steps`` laid out from ``start``; a per-job mapping overrides a duration (a Twilio job runs longer for
        more days) or drops a status with a zero duration."""
        entries: list[tuple[float, str]] = []
        when = start
        for status, default in steps:
            length = (durations or {}).get(status, default)
            entries.append((when, status))
            if length is None:
                break
            when += length
        # A zero-length status is never observable: drop it, keep its successor.
        squashed: list[tuple[float, str]] = []
        for entry in entries:
            if squashed and squashed[-1][0] == entry[0]:
                squashed[-1] = entry
            else:
                squashed.append(entry)
        return tuple(squashed)

    def tail_from(self, status: str) -> list[tuple[str, float | None]]:
        """The rest of the path from ``status`` on (just ``status``, staying, if it is not on the path)."""
        names = [s for s, _ in self.steps]
        if status not in names:
            return [(status, None)]
        return list(self.steps[names.index(status):])

    def is_terminal(self, status: str) -> bool:
        return status in self.terminal
