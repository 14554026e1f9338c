"""fixtures/talkdesk.yaml: the shape of an OAuth client's part (SCHEMA, checked by the core) and what the vendor reads
from it: ``settings`` (calls_payload) and ``jobs`` (type, format, timezone, from, to, name, id, age_seconds,
calls_payload (by default the client's), and ``status`` failed or canceled to end one so). wire.load_tenant makes
them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ...kit import FIXTURE_AGE, FixtureError, fixture_items
from . import records
from .envelope import parse_time

FORMATS = ("csv", "json", "json_bulk")  # A.4
UUID = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"  # job ids (A.4)
TIME_WORDS = "an ISO 8601 date-time (2026-01-15T12:00:00Z, or without a zone: in the job's timezone)"
JOB = {
    "type": "object", "required": ["from", "to"], "additionalProperties": False,
    "properties": {
        "type": {"enum": list(records.REPORT_TYPES)},
        "format": {"enum": list(FORMATS)},
        "timezone": {"type": "string", "description": "an IANA time zone name (Europe/Lisbon)"},
        "from": {"type": "string", "description": TIME_WORDS},
        "to": {"type": "string", "description": TIME_WORDS},
        "name": {"type": ["string", "null"]},
        "id": {"type": "string", "pattern": UUID},
        "age_seconds": FIXTURE_AGE,
        "calls_payload": {"enum": list(records.PAYLOADS)},
        "status": {"enum": ["failed", "canceled"]},
    },
}
SCHEMA = {
    "type": "object", "additionalProperties": False,
    "properties": {
        "settings": {"type": ["object", "null"], "additionalProperties": False,
                     "properties": {"calls_payload": {"enum": list(records.PAYLOADS)}}},
        "jobs": {"type": ["array", "null"], "items": JOB},
    },
}


@dataclass(frozen=True)
class FixtureJob:
    kind: str
    attrs: dict[str, Any]  # a template: each job made of it gets its own copy
    payload: str | None  # None: the client's, when it is made
    created: float
    job_id: str | None
    status: str | None


@dataclass(frozen=True)
class Reading:
    """A client's part, read: what wire.load_tenant makes."""

    settings: dict[str, Any]
    jobs: list[tuple[FixtureJob, int]]  # each with how many alike (repeat)


def read(spec: dict[str, Any], now: float) -> Reading:
    """The client's part (its schema checked) read; FixtureError for a time zone or a time that is not one."""
    jobs = [(_job(entry.at, entry.item, now), entry.copies) for entry in fixture_items(spec, "jobs")]
    return Reading(dict(spec.get("settings") or {}), jobs)


def _job(at: str, item: dict[str, Any], now: float) -> FixtureJob:
    name = item.get("timezone", "UTC")
    try:  # one file read (and kept by ZoneInfo); the API's check lists every zone, 27 ms once per app
        zone = ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):  # ValueError: a path, not a key
        raise FixtureError(f"{name!r} is not an IANA time zone", f"{at}.timezone") from None
    bounds = []
    for key in ("from", "to"):
        try:
            bounds.append(parse_time(item[key], zone))
        except (ValueError, OverflowError):
            raise FixtureError(f"must be {TIME_WORDS}, not {item[key]!r}", f"{at}.{key}") from None
    if bounds[0] >= bounds[1]:
        raise FixtureError("from must be before to", at)
    attrs = {"name": item.get("name"), "timezone": name, "format": item.get("format", "json"),
             "start": bounds[0], "end": bounds[1]}
    return FixtureJob(item.get("type", "calls"), attrs, item.get("calls_payload"),
                      now - float(item.get("age_seconds", 0)), item.get("id"), item.get("status"))
