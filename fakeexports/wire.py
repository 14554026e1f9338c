"""JSON on the wire: orjson, and the standard library for what orjson cannot write (a number a client sent)."""

from __future__ import annotations

import json
from typing import Any

import orjson


def dumps(value: Any) -> bytes:
    """orjson, or the standard library for what orjson cannot write: an integer past 64 bits that a
    client sent and the vendor echoes (a Twilio ``Page`` of 2**70) must be written, not crash the answer."""
    try:
        return orjson.dumps(value)
    except TypeError:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str).encode()
