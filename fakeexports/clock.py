"""Time for the whole fake: the only place that reads the wall clock. A virtual clock that tests move
forward, or the real clock (optionally sped up, plus an offset that ``advance`` adds to). Times are
float seconds since the epoch, UTC."""

from __future__ import annotations

import asyncio
import heapq
import inspect
import itertools
import time
from collections.abc import Awaitable, Callable, Collection

from .times import DEFAULT_START, EARLIEST, LATEST, stamp


class ClockRangeError(ValueError):
    """A clock move or start outside the range every vendor can write (times.EARLIEST to times.LATEST)."""


def in_range(when: float, what: str = "the clock") -> float:
    """``when`` if the clock may be there; ClockRangeError saying the bound otherwise (NaN too)."""
    if not EARLIEST <= when <= LATEST:
        raise ClockRangeError(f"{what} must stay between {stamp(EARLIEST)} and {stamp(LATEST)}, the times every "
                              f"vendor can write (four-digit years, with room for what is scheduled ahead)")
    return when


class Clock:
    """``now()`` is all most code needs; ``advance``/``set`` move time forward (never back)."""

    kind = "abstract"

    def now(self) -> float:
        raise NotImplementedError

    def advance(self, seconds: float) -> float:
        raise NotImplementedError

    def set(self, when: float) -> float:
        now = self.now()
        if when < now:
            raise ValueError("the clock only moves forward")
        return self.advance(when - now)

    def check(self, seconds: float) -> float:
        """The time ``seconds`` from now, if the clock may go there (ValueError otherwise)."""
        if not seconds >= 0:
            raise ValueError("the clock only moves forward")
        return in_range(self.now() + seconds, "an advance of the clock")

    def lasts(self, seconds: float) -> float:
        """How many seconds of this clock a lifetime the vendor states (a token's expires_in, a link's
        X-Amz-Expires) lasts: the client times it with its own wall clock, so on a clock that runs at wall pace or
        stands still until a test moves it, the same number."""
        return seconds

    def describe(self) -> dict[str, object]:
        return {"mode": self.kind, "now": stamp(self.now())}

    def snapshot(self) -> dict[str, object]:
        """What --state keeps of the clock (it changes only when the clock is moved, or runs sped up)."""
        raise NotImplementedError

    def restore(self, saved: dict[str, object]) -> None:
        """Go on from a snapshot: the virtual clock where it stood, the real one as far ahead of wall time."""
        raise NotImplementedError


class VirtualClock(Clock):
    """Stands still until advanced. Starts at ``start`` (default 2026-01-15T12:00:00Z, a fixed point so
    that the same seed gives the same ids and dates every run)."""

    kind = "virtual"

    def __init__(self, start: float | None = None) -> None:
        self.start = DEFAULT_START if start is None else in_range(start, "the start time")
        self._now = self.start

    def restart(self) -> None:
        """Back to the start time: only for a full reset, when nothing scheduled is left."""
        self._now = self.start

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> float:
        self._now = self.check(seconds)
        return self._now

    def snapshot(self) -> dict[str, object]:
        return {"kind": self.kind, "now": self._now}

    def restore(self, saved: dict[str, object]) -> None:
        if saved.get("kind") == "virtual":
            now = float(saved["now"])  # type: ignore[arg-type]
        else:  # a real clock's state file, served on a virtual clock: from where that one was
            now = max(self._now, time.time() + float(saved.get("ahead", 0.0)))  # type: ignore[arg-type]
        self._now = in_range(now, "the saved clock")


class RealClock(Clock):
    """Wall time, sped up by ``speed`` from the moment the clock was made, plus an offset that
    ``advance`` adds to. ``lifetimes``: ``wall`` (a token or link lasts its stated seconds of wall time, however
    fast the clock runs: ``speed`` times as many of this clock's) or ``clock`` (its stated seconds of this clock)."""

    kind = "real"

    def __init__(self, speed: float = 1.0, lifetimes: str = "wall") -> None:
        self.speed = speed
        self.lifetimes = lifetimes
        self._origin_real = time.time()
        self._offset = 0.0

    def now(self) -> float:
        real = time.time()
        now = self._origin_real + (real - self._origin_real) * self.speed + self._offset
        return now if now < LATEST else LATEST  # sped up for long enough, it stops at the end of its range

    def advance(self, seconds: float) -> float:
        self.check(seconds)
        self._offset += seconds
        return self.now()

    def lasts(self, seconds: float) -> float:
        return seconds * self.speed if self.lifetimes == "wall" else seconds

    def describe(self) -> dict[str, object]:
        return {**super().describe(), "speed": self.speed, "offset_seconds": self._offset,
                "lifetimes": self.lifetimes}

    def snapshot(self) -> dict[str, object]:
        ahead = self.now() - time.time()
        return {"kind": self.kind, "ahead": ahead if self.speed == 1 else round(ahead)}

    def restore(self, saved: dict[str, object]) -> None:
        if saved.get("kind") == "real":
            target = time.time() + float(saved.get("ahead", 0.0))  # type: ignore[arg-type]
        else:
            target = float(saved.get("now", 0.0))  # type: ignore[arg-type]
        in_range(target, "the saved clock")
        if target > self.now():
            self._offset += target - self.now()


class Timer:
    """A handle on a scheduled event; ``cancel()`` makes it a no-op."""

    __slots__ = ("args", "callback", "cancelled", "label", "when")

    def __init__(self, when: float, callback: Callable[..., object], args: tuple[object, ...], label: str):
        self.when = when
        self.callback = callback
        self.args = args
        self.label = label
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


def spawn_label() -> None:
    """The callback of a Timer that only names a spawned task (Scheduler.spawn)."""


class Scheduler:
    """Side effects due at a moment (a day file appearing, a webhook, an expiry) wait here, in time order.
    ``run_due`` fires what the clock has passed: state changes run there and then (so a request sees every
    effect due by its time), while an effect that does I/O (a webhook attempt, a coroutine) is started as a task
    and never awaited by the request that happened to arrive first. ``advance`` steps the clock from event to
    event and waits for the tasks each step started, so that every effect runs at its own time and the answer
    comes after them. The real clock's ticker (app.py) fires events when no request arrives. Errors go to
    ``on_error`` and never stop the queue."""

    def __init__(self, clock: Clock, on_error: Callable[[Timer, BaseException], None] | None = None):
        self.clock = clock
        self.on_error = on_error
        self._heap: list[tuple[float, int, Timer]] = []
        self._seq = itertools.count()
        self.inflight: set[asyncio.Task[None]] = set()
        self.wakeup: asyncio.Event | None = None  # set when an event earlier than the ticker's sleep is added

    def at(self, when: float, callback: Callable[..., object], *args: object, label: str = "") -> Timer:
        timer = Timer(when, callback, args, label or getattr(callback, "__qualname__", "event"))
        if self._heap and when < self._heap[0][0] and self.wakeup is not None:
            self.wakeup.set()
        heapq.heappush(self._heap, (when, next(self._seq), timer))
        return timer

    def next_due(self) -> float | None:
        while self._heap and self._heap[0][2].cancelled:
            heapq.heappop(self._heap)
        return self._heap[0][0] if self._heap else None

    def pending(self) -> list[Timer]:
        return [t for _, _, t in sorted(self._heap) if not t.cancelled]

    def pending_count(self, exclude: Collection[object] = ()) -> int:
        """Events waiting, but those whose callback is a method of an object in ``exclude``."""
        return sum(1 for _, _, t in self._heap if not t.cancelled and getattr(t.callback, "__self__", None)
                   not in exclude)

    def clear(self) -> None:
        self._heap.clear()

    def has_due(self, now: float) -> bool:
        return bool(self._heap) and self._heap[0][0] <= now

    def run_due(self, now: float | None = None) -> int:
        """Fire every event due at ``now`` (default: the clock's now), in time order; I/O goes to tasks."""
        limit = self.clock.now() if now is None else now
        fired = 0
        while self._heap and self._heap[0][0] <= limit:
            _, _, timer = heapq.heappop(self._heap)
            if timer.cancelled:
                continue
            try:
                result = timer.callback(*timer.args)
                # an event that stands for many (the job engine's) says how many ran
                fired += result if type(result) is int else 1
                if inspect.isawaitable(result):
                    task = asyncio.ensure_future(self._guard(timer, result))
                    self.inflight.add(task)
                    task.add_done_callback(self.inflight.discard)
            except Exception as exc:  # a broken side effect must not stop time
                fired += 1
                if self.on_error is not None:
                    self.on_error(timer, exc)
        return fired

    def spawn(self, work: Awaitable[object], label: str) -> asyncio.Task[None]:
        """Run ``work`` as a task the scheduler waits for in ``advance`` (its errors go to ``on_error``)."""
        task = asyncio.ensure_future(self._guard(Timer(self.clock.now(), spawn_label, (), label), work))
        self.inflight.add(task)
        task.add_done_callback(self.inflight.discard)
        return task

    async def _guard(self, timer: Timer, result: Awaitable[object]) -> None:
        try:
            await result
        except Exception as exc:
            if self.on_error is not None:
                self.on_error(timer, exc)

    async def settle(self) -> None:
        """Wait for the tasks events started (and those they start in turn)."""
        while self.inflight:
            await asyncio.gather(*list(self.inflight))

    async def advance(self, seconds: float) -> int:
        """Move the clock forward by ``seconds``, firing due events at their own times and waiting for the
        I/O each step starts before the clock moves on. ValueError (nothing moved) for a move back or out of range."""
        target = self.clock.check(seconds)
        fired = self.run_due()
        await self.settle()
        while True:
            due = self.next_due()
            if due is None or due > target:
                break
            now = self.clock.now()
            if due > now:
                self.clock.advance(due - now)
            fired += self.run_due(due)
            await self.settle()
        now = self.clock.now()
        if target > now:
            self.clock.advance(target - now)
        fired += self.run_due()
        await self.settle()
        return fired

    async def set(self, when: float) -> int:
        now = self.clock.now()
        if when < now:
            raise ValueError("the clock only moves forward")
        return await self.advance(when - now)
