"""Every time the fake writes or reads, in one family: RFC 3339 and the vendors' other forms out of epoch seconds
(``stamp``, ``rfc3339``), times read back (``parse_rfc3339``, ``parse_instant``), and the HTTP ``Date`` of an answer
(``HttpDate``). All UTC, years always four digits. Record files write millions of times: the date of a day is
datetime's ordinal (no table), the rest from precomputed clock texts."""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime
from email.utils import formatdate

DEFAULT_START = datetime(2026, 1, 15, 12, 0, 0, tzinfo=UTC).timestamp()
# The clock's range. Every vendor writes four-digit years, and writes times ahead of the clock: a job's schedule and
# its retention, a link's expiry, a queue of days, a token's lifetime (days at most today; ten years leave room).
# Before the epoch no vendor's API existed, and "two days before today" must stay a date.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC).timestamp()
LATEST = datetime(9990, 1, 1, tzinfo=UTC).timestamp()


# The times a vendor can write back: four-digit years in UTC. A time read with an offset may fall outside them
# (0001-01-01T00:00:00+01:00 is in year 0): it is refused as it is read, not when it is written.
FIRST_WRITABLE = datetime(1, 1, 1, tzinfo=UTC).timestamp()
LAST_WRITABLE = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC).timestamp()


def writable(ts: float, text: str) -> float:
    """``ts`` (read from ``text``) if its year in UTC has four digits; ValueError otherwise."""
    if not FIRST_WRITABLE <= ts <= LAST_WRITABLE:
        raise ValueError(f"{text!r} is not between 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z in UTC")
    return ts


def parse_rfc3339(text: str) -> float:
    """An RFC 3339 timestamp (``Z`` or an offset; a naive one is taken as UTC) as epoch seconds. Raises
    ValueError, also for a time whose year in UTC is not four digits."""
    dt = datetime.fromisoformat(text.replace("z", "Z").replace("Z", "+00:00"))
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return writable(dt.timestamp(), text)


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


_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


def _day(day: int) -> str:
    """Days since 1970-01-01 as "YYYY-MM-DD": datetime's C code for years 1 to 9999 (0.3 µs; a list page writes
    three times a job), arithmetic beyond."""
    try:
        return date.fromordinal(day + _EPOCH_ORDINAL).isoformat()
    except (ValueError, OverflowError):
        return _civil(day)


def _civil(day: int) -> str:
    """Days since 1970-01-01 as "YYYY-MM-DD", by Howard Hinnant's civil_from_days (proleptic Gregorian)."""
    z = day + 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + 3 if mp < 10 else mp - 9
    return f"{yoe + era * 400 + (m <= 2):04d}-{m:02d}-{d:02d}"


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
    return writable(float(int(dt.timestamp())), text), (fraction or "").rstrip("0")


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
    ymd = _day(day)
    if style == "date":
        return ymd
    if style == "Z":
        return f"{ymd}T{_clock(second)}Z"
    if style == "space":
        return f"{ymd} {_clock(second)}"
    if style == "naive":
        return f"{ymd}T{_clock(second)}"
    if style == "ms":
        return f"{ymd}T{_clock(second)}.{micro // 1000:03d}Z"
    if style == "naive-ms":
        return f"{ymd}T{_clock(second)}.{micro // 1000:03d}"
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
