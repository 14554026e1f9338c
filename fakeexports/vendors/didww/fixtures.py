"""fixtures/didww.yaml: the shape of an API key's part (SCHEMA, checked by the core) and what the vendor reads from
it: ``settings`` (default_api_version, callback_secret) and ``exports`` (id, export_type, created_at, filters,
api_version (the version it was created under; by default 2021-12-15 for year/month filters and 2026-04-16 for
from/to), callback_url, callback_method, external_reference_id, file_id, and ``status`` to hold it in a status;
without one it runs). wire.load_tenant makes them."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from ...kit import FixtureError, fixture_items, parse_rfc3339
from . import envelope, rules

UUID = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"  # ids and file ids (B2)
# B2's statuses; 2021-12-15 spells them capitalised, 2026-04-16 in lower case (B0)
STATUSES = ("pending", "processing", "completed")
TIME_WORDS = "an RFC 3339 date-time (2026-01-15T12:00:00Z)"
INSTANT_WORDS = "a date-time: YYYY-MM-DD HH:MM:SS (UTC) or ISO 8601"


def _number(low: int, high: int, words: str) -> dict[str, Any]:
    # DIDWW's examples give year, month and day as numbers and as strings alike (B3)
    return {"description": words, "anyOf": [{"type": "integer", "minimum": low, "maximum": high},
                                            {"type": "string", "pattern": "^[0-9]{1,4}$"}]}


FILTERS = {
    "type": "object", "additionalProperties": False,
    "properties": {
        **{key: {} for keys in rules.FILTER_KEYS.values() for key in keys},  # each version's keys (B3)
        "year": _number(1, 9999, "a year (2026 or \"2026\")"),
        "month": _number(1, 12, "a month from 1 to 12"),
        "day": _number(1, 31, "a day of the month from 1 to 31"),
        "from": {"type": "string", "description": INSTANT_WORDS},
        "to": {"type": "string", "description": INSTANT_WORDS},
    },
}
EXPORT = {
    "type": "object", "additionalProperties": False,
    "properties": {
        "id": {"type": "string", "pattern": UUID},
        "export_type": {"enum": sorted({kind for _, kind in rules.FILTER_KEYS})},
        "created_at": {"type": "string", "description": TIME_WORDS},
        "filters": FILTERS,
        "api_version": {"enum": list(envelope.VERSIONS)},
        "callback_url": {"type": ["string", "null"]},
        "callback_method": {"enum": ["GET", "POST", "get", "post", None]},
        "external_reference_id": {"type": ["string", "null"]},
        "file_id": {"type": "string", "pattern": UUID},
        "status": {"enum": [*STATUSES, *(s.capitalize() for s in STATUSES)]},
    },
}
SCHEMA = {
    "type": "object", "additionalProperties": False,
    "properties": {
        "settings": {"type": ["object", "null"], "additionalProperties": False, "properties": {
            "default_api_version": {"enum": list(envelope.VERSIONS)},
            "callback_secret": {"type": "string", "minLength": 1},
        }},
        "exports": {"type": ["array", "null"], "items": EXPORT},
    },
}


@dataclass(frozen=True)
class Item:
    attrs: dict[str, Any]  # a template: each export made of it gets its own copy
    created: float
    hold: str | None
    export_id: str | None


@dataclass(frozen=True)
class Reading:
    """An API key's part, read: what wire.load_tenant makes."""

    settings: dict[str, Any]
    exports: list[tuple[Item, int]]  # each with how many alike (repeat)


def read(spec: dict[str, Any], now: float) -> Reading:
    """The key's part (its schema checked) read; FixtureError for a time or a period that is not one."""
    exports = [(_export(entry.at, entry.item, now), entry.copies) for entry in fixture_items(spec, "exports")]
    return Reading(dict(spec.get("settings") or {}), exports)


def _export(at: str, item: dict[str, Any], now: float) -> Item:
    created = now
    if item.get("created_at"):
        try:
            created = parse_rfc3339(item["created_at"])
        except ValueError:
            raise FixtureError(f"must be {TIME_WORDS}, not {item['created_at']!r}", f"{at}.created_at") from None
    filters = dict(item.get("filters") or {})
    start, end = _period(filters, created, f"{at}.filters")
    version = item.get("api_version") or ("2026-04-16" if "from" in filters else "2021-12-15")
    attrs = {"export_type": item.get("export_type", "cdr_in"), "start": start, "end": end,
             "filters": filters, "layout": envelope.VERSIONS[version],
             "callback_url": item.get("callback_url"),
             "callback_method": item["callback_method"].lower() if item.get("callback_method") else None,
             "external_reference_id": item.get("external_reference_id")}
    if item.get("file_id"):
        attrs["file_id"] = item["file_id"]
    return Item(attrs, created, item["status"].lower() if item.get("status") else None, item.get("id"))


def _period(filters: dict[str, Any], created: float, at: str) -> tuple[float, float]:
    """A fixture's period: from/to, or year/month(/day), or the month before it was created."""
    if "from" in filters and "to" in filters:
        bounds = []
        for key in ("from", "to"):
            try:
                bounds.append(rules.parse_instant(filters[key]))
            except (ValueError, OverflowError):
                raise FixtureError(f"must be {INSTANT_WORDS}, not {filters[key]!r}", f"{at}.{key}") from None
        if bounds[0] >= bounds[1]:
            raise FixtureError("from must be before to", at)
        return bounds[0], bounds[1]
    when = datetime.fromtimestamp(created, UTC)
    year, month = int(filters.get("year", when.year)), int(filters.get("month", when.month))
    try:
        start = datetime(year, month, int(filters.get("day", 1)), tzinfo=UTC)
        end = start + timedelta(days=1 if "day" in filters else calendar.monthrange(year, month)[1])
    except (ValueError, OverflowError):
        raise FixtureError("year, month and day must make a day of the calendar", at) from None
    return start.timestamp(), min(end.timestamp(), created)
