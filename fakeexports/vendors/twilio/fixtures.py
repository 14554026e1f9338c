"""Twilio's fixtures (fixtures/twilio.yaml): accounts with jobs in any state, export configurations and settings."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from ...records.twilio import RESOURCE_TYPES

if TYPE_CHECKING:
    from . import Twilio


def load_fixture_tenant(vendor: Twilio, tenant: str, spec: dict[str, Any]) -> None:
    """fixtures/twilio.yaml: per account, ``jobs`` (resource_type, friendly_name, start_day and
    end_day as dates or day offsets from today, optional job_sid, age_seconds, outcome, webhook_url,
    webhook_method, email), ``configuration`` per resource type, and ``settings`` (auth_token)."""
    state = vendor.runtime.store.tenant(vendor.name, tenant)
    if spec.get("settings"):
        vendor.configure_tenant(state, dict(spec["settings"]))
    now = vendor.runtime.clock.now()
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
        job = vendor.create_job(state, rt, now - float(item.get("age_seconds", 0)), attrs, item.get("job_sid"),
                              fixture=True)
        if item.get("outcome"):
            vendor.force(state, job, str(item["outcome"]))
    for rt, cfg in (spec.get("configuration") or {}).items():
        state.put("twilio_config", rt, {
            "enabled": bool(cfg.get("enabled", False)),
            "webhook_url": cfg.get("webhook_url") or None, "webhook_method": cfg.get("webhook_method") or None,
        })
