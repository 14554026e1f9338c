"""Sliding-window limits on the fake clock (how many events per key within so many seconds), for the vendors
that throttle: a request is counted, refused while the window is full, and told how long until it is not."""

from __future__ import annotations

from collections import deque

from .clock import Clock


class Window:
    """At most ``limit`` events per key within ``seconds``; keys are tenants, projects, client addresses."""

    def __init__(self, clock: Clock, seconds: float, limit: int):
        self.clock = clock
        self.seconds = seconds
        self.limit = limit
        self._events: dict[str, deque[float]] = {}

    def _live(self, key: str) -> deque[float] | None:
        events = self._events.get(key)
        if events is not None:
            now = self.clock.now()
            while events and events[0] <= now - self.seconds:
                events.popleft()
            if not events:
                del self._events[key]
                return None
        return events

    def full(self, key: str) -> float | None:
        """None while there is room; else the seconds until there is."""
        events = self._live(key)
        if events is None or len(events) < self.limit:
            return None
        return max(0.0, events[0] + self.seconds - self.clock.now())

    def add(self, key: str) -> None:
        self._events.setdefault(key, deque()).append(self.clock.now())

    def clear(self, key: str | None = None) -> None:
        if key is None:
            self._events.clear()
        else:
            self._events.pop(key, None)
