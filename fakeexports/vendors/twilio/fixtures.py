"""Twilio's fixtures (fixtures/twilio.yaml), read into what the vendor makes of them: per account, ``jobs``
(resource_type, friendly_name, start_day and end_day as dates or day offsets from today, optional job_sid,
age_seconds, outcome, webhook_url, webhook_method, email), ``configuration`` per resource type, and ``settings``
(auth_token)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from .records import RESOURCE_TYPES


@dataclass(frozen=True)
class FixtureJob:
    resource_type: str
    created: float
    attrs: dict[str, Any]
    job_sid: str | None
    outcome: str | None


def jobs(tenant: str, spec: dict[str, Any], now: float) -> Iterator[FixtureJob]:
    today = datetime.fromtimestamp(now, UTC).date()

    def day(value: Any) -> str:
        if isinstance(value, int):
            return (today + timedelta(days=value)).isoformat()
        return date.fromisoformat(str(value)).isoformat()

    for item in spec.get("jobs") or []:
        rt = item.get("resource_type")
        if rt not in RESOURCE_TYPES:
            raise ValueError(f"twilio fixture for {tenant}: resource_type must be one of {RESOURCE_TYPES}")
        attrs = {
            "friendly_name": str(item.get("friendly_name", "Fixture export")),
            "start_day": day(item["start_day"]), "end_day": day(item["end_day"]),
            "webhook_url": item.get("webhook_url"), "webhook_method": item.get("webhook_method"),
            "email": item.get("email"),
        }
        yield FixtureJob(rt, now - float(item.get("age_seconds", 0)), attrs, item.get("job_sid"),
                         str(item["outcome"]) if item.get("outcome") else None)


def configurations(spec: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each resource type's export configuration; unset webhook fields are null (issue 8)."""
    return {rt: {"enabled": bool(cfg.get("enabled", False)), "webhook_url": cfg.get("webhook_url") or None,
                 "webhook_method": cfg.get("webhook_method") or None}
            for rt, cfg in (spec.get("configuration") or {}).items()}
