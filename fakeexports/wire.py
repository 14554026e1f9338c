"""Wire helpers every vendor shares: JSON that never fails on a number a client sent, and the HTTP
``Date`` header on the fake clock (every other time the fake shows is the fake clock's, so ``Date`` is
too)."""

from __future__ import annotations

import json
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
