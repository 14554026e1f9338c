"""Twilio's fixtures (fixtures/twilio.yaml): the shape of an account's part (SCHEMA, checked by the core) and what
the vendor reads from it: ``jobs`` (resource_type, friendly_name, start_day and end_day as dates or day offsets from
today, optional job_sid, age_seconds, outcome, webhook_url, webhook_method, email), ``configuration`` per resource
type, and ``settings`` (auth_token). handlers.load_tenant makes them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from ...kit import FIXTURE_AGE, FixtureError, fixture_items
from .records import RESOURCE_TYPES

# the outcomes a fixture may force, every one from the open statuses (declaration.py's lifecycle, A2)
OUTCOMES = ("ErrorDuringRun", "Failed", "Completed", "CompletedEmptyRecords")
DAY_WORDS = "an ISO date (YYYY-MM-DD) or a whole number of days from today (-3: three days ago)"
DAY = {"description": DAY_WORDS,
       "anyOf": [{"type": "integer"}, {"type": "string", "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}]}
JOB = {
    "type": "object", "required": ["resource_type", "start_day", "end_day"], "additionalProperties": False,
    "properties": {
        "resource_type": {"enum": list(RESOURCE_TYPES)},
        "friendly_name": {"type": "string"},
        "start_day": DAY, "end_day": DAY,
        "job_sid": {"type": "string", "pattern": "^JS[0-9a-fA-F]{32}$"},  # A2
        "age_seconds": FIXTURE_AGE,
        "outcome": {"enum": list(OUTCOMES)},
        "webhook_url": {"type": "string"},
        "webhook_method": {"enum": ["GET", "POST"]},  # A3
        "email": {"type": "string"},
    },
}
# A2: an export configuration's webhook fields are "" when unset in Twilio's own example
CONFIGURATION = {"type": "object", "additionalProperties": False, "properties": {
    "enabled": {"type": "boolean"},
    "webhook_url": {"type": ["string", "null"]},
    "webhook_method": {"enum": ["GET", "POST", "", None]},
}}
SCHEMA = {
    "type": "object", "additionalProperties": False,
    "properties": {
        "settings": {"type": ["object", "null"], "additionalProperties": False,
                     "properties": {"auth_token": {"type": "string", "minLength": 1}}},
        "jobs": {"type": ["array", "null"], "items": JOB},
        "configuration": {"type": ["object", "null"], "additionalProperties": False,
                          "properties": {rt: CONFIGURATION for rt in RESOURCE_TYPES}},
    },
}


@dataclass(frozen=True)
class FixtureJob:
    resource_type: str
    created: float
    attrs: dict[str, Any]  # a template: create_job makes each job its own copy
    job_sid: str | None
    outcome: str | None


@dataclass(frozen=True)
class Reading:
    """An account's part, read: what handlers.load_tenant makes."""

    settings: dict[str, Any]
    jobs: list[tuple[FixtureJob, int]]  # each with how many alike (repeat)
    configurations: dict[str, dict[str, Any]]


def read(spec: dict[str, Any], now: float) -> Reading:
    """The account's part (its schema checked) read; FixtureError for a day that is not one."""
    today = datetime.fromtimestamp(now, UTC).date()
    jobs = [(_job(entry.at, entry.item, now, today), entry.copies) for entry in fixture_items(spec, "jobs")]
    return Reading(dict(spec.get("settings") or {}), jobs, configurations(spec))


def _day(value: float | str, at: str, today: date) -> date:
    # a whole number may come as a float (JSON's 1e3, or an integer past 64 bits), which the schema takes as one
    try:
        return date.fromisoformat(value) if isinstance(value, str) else today + timedelta(days=value)
    except ValueError:
        raise FixtureError(f"{value!r} is not a day of the calendar", at) from None
    except OverflowError:
        raise FixtureError(f"{value!r} days from today is not a day of the calendar", at) from None


def _job(at: str, item: dict[str, Any], now: float, today: date) -> FixtureJob:
    start, end = _day(item["start_day"], f"{at}.start_day", today), _day(item["end_day"], f"{at}.end_day", today)
    if start > end:
        raise FixtureError(f"start_day ({start}) must not be after end_day ({end})", at)
    attrs = {
        "friendly_name": item.get("friendly_name", "Fixture export"),
        "start_day": start.isoformat(), "end_day": end.isoformat(),
        "webhook_url": item.get("webhook_url"), "webhook_method": item.get("webhook_method"),
        "email": item.get("email"),
    }
    return FixtureJob(item["resource_type"], now - float(item.get("age_seconds", 0)), attrs, item.get("job_sid"),
                      item.get("outcome"))


def configurations(spec: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each resource type's export configuration; unset webhook fields are null (issue 8)."""
    return {rt: {"enabled": bool(cfg.get("enabled", False)), "webhook_url": cfg.get("webhook_url") or None,
                 "webhook_method": cfg.get("webhook_method") or None}
            for rt, cfg in (spec.get("configuration") or {}).items()}
