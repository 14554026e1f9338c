"""Wire helpers every vendor shares: JSON that never fails on a number a client sent, and the HTTP
``Date`` header on the fake clock (every other time the fake shows is the fake clock's, so ``Date`` is
too)."""

from __future__ import annotations

import json
import math
import re
from datetime import UTC, datetime
from email.utils import formatdate
from typing import Any

import orjson


def dumps(value: Any) -> bytes:
    """orjson, or the standard library for what orjson cannot write: an integer past 64 bits that a
    client sent and the vendor echoes (a Twilio ``Page`` of 2**70) must be written, not crash the answer."""
    try:
        return orjson.dumps(value)
    except TypeError:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str).encode()


class HttpDate:
    """RFC 9110 ``Date`` values for a clock, formatted once per second."""

    __slots__ = ("_second", "_text")

    def __init__(self) -> None:
        self._second = -1
        self._text = ""

    def __call__(self, now: float) -> str:
        second = int(now)
        if second != self._second:
            self._second = second
            self._text = formatdate(second, usegmt=True)
        return self._text


_RFC3339 = re.compile(
    r"^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|z|[+-]\d{2}:?\d{2})?$"
)


_HM = tuple(f"{h:02d}:{m:02d}:" for h in range(24) for m in range(60))
_SS = tuple(f"{sec:02d}" for sec in range(60))
_DAYS: dict[int, str] = {}  # days since the epoch -> "YYYY-MM-DD"


def _day(day: int) -> str:
    text = _DAYS.get(day)
    if text is None:
        dt = datetime.fromtimestamp(day * 86400, UTC)
        if len(_DAYS) >= 4096:
            _DAYS.clear()
        text = _DAYS[day] = f"{dt.year:04d}-{dt.month:02d}-{dt.day:02d}"
    return text


def _clock(second: int) -> str:
    return _HM[second // 60] + _SS[second % 60]


def rfc3339(ts: float, fraction: str = "") -> str:
    """``ts`` in UTC as ``YYYY-MM-DDTHH:MM:SS[.fraction]Z``, the year always four digits (strftime's %Y
    writes year 574 as "574"). Record files write millions of these: a day's text is made once."""
    day, second = divmod(int(ts // 1), 86400)
    text = f"{_day(day)}T{_clock(second)}"
    return f"{text}.{fraction}Z" if fraction else text + "Z"


def parse_instant(text: str) -> tuple[float, str]:
    """An RFC 3339 time (``Z``, an offset, or none: UTC) as whole epoch seconds and its fraction digits
    as sent, trailing zeros dropped: ``rfc3339(*parse_instant(t))`` is ``t`` in UTC with no precision
    lost (a client that sends nanoseconds gets them back). Raises ValueError."""
    match = _RFC3339.match(text.strip())
    if match is None:
        raise ValueError(f"not an RFC 3339 date-time: {text!r}")
    day, clock, fraction, zone = match.groups()
    offset = "+00:00" if zone in (None, "Z", "z") else (zone if ":" in zone else zone[:3] + ":" + zone[3:])
    dt = datetime.fromisoformat(f"{day}T{clock}{offset}")
    return float(int(dt.timestamp())), (fraction or "").rstrip("0")


def stamp(ts: float, style: str = "Z") -> str:
    """One formatter for every time a vendor writes, in UTC: ``Z`` 2026-01-15T12:00:00Z, ``ms``
    2026-01-15T12:00:00.000Z, ``naive`` 2026-01-15T12:00:00, ``naive-ms`` 2026-01-15T12:00:00.000, ``space``
    2026-01-15 12:00:00, ``date`` 2026-01-15 (years always four digits). The same text as datetime's, whose
    microseconds are ``ts``'s fraction rounded half to even (a fraction of .9999996 is the next second)."""
    if ts < 0:
        return _stamp_slow(ts, style)
    fraction, whole = math.modf(ts)
    micro = round(fraction * 1e6)
    second = int(whole)
    if micro >= 1_000_000:
        second, micro = second + 1, micro - 1_000_000
    day, second = divmod(second, 86400)
    date = _day(day)
    if style == "date":
        return date
    if style == "Z":
        return f"{date}T{_clock(second)}Z"
    if style == "space":
        return f"{date} {_clock(second)}"
    if style == "naive":
        return f"{date}T{_clock(second)}"
    if style == "ms":
        return f"{date}T{_clock(second)}.{micro // 1000:03d}Z"
    if style == "naive-ms":
        return f"{date}T{_clock(second)}.{micro // 1000:03d}"
    raise ValueError(f"unknown time style {style!r}")


def _stamp_slow(ts: float, style: str) -> str:
    dt = datetime.fromtimestamp(ts, UTC)
    day = f"{dt.year:04d}-{dt.month:02d}-{dt.day:02d}"
    if style == "date":
        return day
    text = f"{day}T{dt.hour:02d}:{dt.minute:02d}:{dt.second:02d}"
    if style == "Z":
        return text + "Z"
    if style == "space":
        return text.replace("T", " ")
    if style == "naive":
        return text
    millis = f".{dt.microsecond // 1000:03d}"
    if style == "ms":
        return text + millis + "Z"
    if style == "naive-ms":
        return text + millis
    raise ValueError(f"unknown time style {style!r}")
