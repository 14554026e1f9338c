"""Wire helpers every vendor shares: JSON that never fails on a number a client sent, and the HTTP
``Date`` header on the fake clock (every other time the fake shows is the fake clock's, so ``Date`` is
too)."""

from __future__ import annotations

import json
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


def rfc3339(ts: float, fraction: str = "") -> str:
    """``ts`` in UTC as ``YYYY-MM-DDTHH:MM:SS[.fraction]Z``, the year always four digits (strftime's %Y
    writes year 574 as "574")."""
    dt = datetime.fromtimestamp(int(ts // 1), UTC)
    text = (f"{dt.year:04d}-{dt.month:02d}-{dt.day:02d}T{dt.hour:02d}:{dt.minute:02d}:{dt.second:02d}")
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
    2026-01-15 12:00:00, ``date`` 2026-01-15 (years always four digits)."""
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
