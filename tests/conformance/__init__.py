"""The conformance corpus (corpus.py) and its tables, one module a vendor."""

from __future__ import annotations

from collections.abc import Callable

from . import didww, hookbridge, talkdesk, twilio
from .corpus import Example, VendorConfig

VENDORS: dict[str, tuple[VendorConfig, Callable[[], list[Example]]]] = {
    "twilio": (twilio.CONFIG, twilio.examples),
    "didww": (didww.CONFIG, didww.examples),
    "talkdesk": (talkdesk.CONFIG, talkdesk.examples),
    "hookbridge": (hookbridge.CONFIG, hookbridge.examples),
}


def all_examples() -> list[Example]:
    return [example for _, load in VENDORS.values() for example in load()]
