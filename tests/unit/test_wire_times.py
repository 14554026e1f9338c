"""The fast time formatters write exactly what datetime writes (record files call them millions of times)."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from fakeexports.times import _stamp_slow, rfc3339, stamp

STYLES = ("Z", "ms", "naive", "naive-ms", "space", "date")


def _values() -> list[float]:
    r = random.Random(11)
    out = [0.0, 0.5, 1.9999995, 1.9999996, 86399.9999996, 86400.0, 1767225599.9999995, 1767225599.99999949,
           951782400.0, 4102444800.0, 253402300799.0, 1e-7, 59.9995, 59.99949999]
    out += [r.uniform(0, 4102444800) for _ in range(20_000)]
    out += [float(r.randrange(0, 4102444800)) + r.choice((0.0, 0.9999995, 0.9999996, 0.0005, 0.9995))
            for _ in range(5_000)]
    return out


@pytest.mark.parametrize("style", STYLES)
def test_stamp_is_datetimes_text(style: str) -> None:
    for ts in _values():
        assert stamp(ts, style) == _stamp_slow(ts, style), (ts, style)


def test_rfc3339_is_datetimes_text_of_the_whole_second() -> None:
    for ts in [*_values(), -1.5, -86400.25, -44686526965.0]:
        dt = datetime.fromtimestamp(int(ts // 1), UTC)
        expected = f"{dt.year:04d}-{dt.month:02d}-{dt.day:02d}T{dt.hour:02d}:{dt.minute:02d}:{dt.second:02d}Z"
        assert rfc3339(ts) == expected, ts
    assert rfc3339(1767225600.0, "250") == "2026-01-01T00:00:00.250Z"


def test_negative_times_take_the_slow_path_and_match() -> None:
    for ts in (-1.0, -0.0000004, -86400.5, -44686526965.0):
        for style in STYLES:
            assert stamp(ts, style) == _stamp_slow(ts, style)


def test_a_days_date_is_datetimes_and_the_arithmetic_beyond_agrees() -> None:
    from fakeexports.times import _civil, _day

    for day in (*range(-719_162, 2_932_897, 997), 0, -1, 59, 60, 11016, 2932896):  # 0001-01-01 .. 9999-12-31
        assert _day(day) == _civil(day) == _stamp_slow(day * 86400.0, "date"), day
    assert _day(2932897) == "10000-01-01" and _day(-719163) == "0000-12-31"  # beyond datetime's years
