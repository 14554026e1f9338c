"""What a DIDWW export may be asked for, per API version and export type (B3): its fields and sorts, its filter
keys and their values, the months window; and the period an export covers."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from ...kit import stamp, writable
from .envelope import WINDOW, invalid

FIELDS_2026 = ("export_type", "status", "url", "filters", "callback_url", "callback_method", "external_reference_id",
               "created_at")
FIELDS = {
    "2021-12-15": ("status", "created_at", "url", "callback_url", "callback_method", "export_type"),
    "2026-04-16": FIELDS_2026,
    "2026-11-19": FIELDS_2026,
}
# What fields[exports] may name, in the order attributes are written. 2021-12-15 (and 2022-05-10, served by the same
# document) also takes `filters`, which its answers leave out unless asked for: seed 001's "Fielding" table lists it
# first, and doc.didww.com/api3/2022-05-10/export/get-exports.html ("Sparse Fieldsets: filters — The filters
# attribute"); from 2026-04-16 `filters` is in every answer.
SPARSE = {
    "2021-12-15": ("filters", *FIELDS["2021-12-15"]),
    "2026-04-16": FIELDS_2026,
    "2026-11-19": FIELDS_2026,
}
SORTS = {"2021-12-15": ("status", "created_at"), "2026-04-16": ("status", "created_at", "external_reference_id"),
         "2026-11-19": ("status", "created_at", "external_reference_id")}
# Filter keys per version and export type. 2026-11-19: vendors/didww.md (doc.didww.com/api3/2026-11-19) and, for
# the SMS keys and their values, didww-api-3-openapi@c6fdd13:openapi/sources/api.json (ExportFilters, 2026-10-22).
SMS_KEYS = ("from", "to", "source_address_eq", "source_address_cont", "destination_address_eq",
            "destination_address_cont", "status", "sms_trunk.id", "sms_id")
FILTER_KEYS = {
    ("2021-12-15", "cdr_in"): ("year", "month", "did_number"),
    ("2021-12-15", "cdr_out"): ("year", "month", "day", "voice_out_trunk.id"),
    ("2026-04-16", "cdr_in"): ("from", "to", "did_number"),
    ("2026-04-16", "cdr_out"): ("from", "to", "voice_out_trunk.id"),
    ("2026-11-19", "cdr_in"): ("from", "to", "did_number", "source_number", "source_number_out", "source_country_iso"),
    ("2026-11-19", "cdr_out"): ("from", "to", "voice_out_trunk.id", "source", "cli", "destination"),
    ("2026-11-19", "sms_in"): (*SMS_KEYS, "trunk_type"),
    ("2026-11-19", "sms_out"): (*SMS_KEYS, "service_type", "sender_id_verification.id"),
}
FILTER_VALUES = {  # filter keys whose values are a closed set (2026-10-22 document)
    ("sms_in", "status"): ("Success", "Failed", "Queued"),
    ("sms_out", "status"): ("Routing Error", "In Progress", "Queued", "Failed", "Success"),
    ("sms_in", "trunk_type"): ("SMPP SMSC", "SMPP ESME", "Email", "HTTP IN"),
}
SERVICE_TYPE = re.compile(r"^(?:[aA]2[pP]|[pP]2[pP])$")
UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def check_filters(now: float, doc: str, kind: str, filters: dict[str, Any]) -> tuple[float, float, dict[str, Any]]:
    """B3: the version's filter keys for the export type, the months window, nothing in the future. Returns
    the period and the filters as the export keeps them (from/to normalised; year, month, day integers)."""
    for key, value in filters.items():
        _check_filter(doc, kind, key, value)
    today = datetime.fromtimestamp(now, UTC)
    floor_month = (today.year * 12 + today.month - 1) - 2
    window_start = datetime(floor_month // 12, floor_month % 12 + 1, 1, tzinfo=UTC).timestamp()
    if doc == "2021-12-15":
        return _month_period(now, window_start, filters)
    return _span_period(now, window_start, filters)


def _check_filter(doc: str, kind: str, key: str, value: Any) -> None:
    if key not in FILTER_KEYS[(doc, kind)]:
        raise invalid("filters", f"{key} is not allowed")
    if value is None or str(value).strip() == "" or value == []:
        # a blank from or to is "not valid" (didww-api3-postman@71547df 2026-04-16, "Validation Error")
        raise invalid("filters", f"{key} not valid" if key in ("from", "to") else f"{key} can't be blank")
    closed = FILTER_VALUES.get((kind, key))
    values = value if isinstance(value, list) else [value]
    if closed is not None and not all(isinstance(v, str) and v in closed for v in values):
        raise invalid("filters", f"{key} is not included in the list")
    if key in ("sms_trunk.id", "sender_id_verification.id") and not all(
            isinstance(v, str) and UUID_RE.match(v) for v in values):
        raise invalid("filters", f"{key} is invalid")
    if key == "service_type" and not (isinstance(value, str) and SERVICE_TYPE.match(value)):
        raise invalid("filters", f"{key} is invalid")
    if isinstance(value, dict | bool) or (isinstance(value, list) and key not in (
            "trunk_type", "sms_trunk.id", "sender_id_verification.id")):
        raise invalid("filters", f"{key} is invalid")


# from/to: the documented form is "YYYY-MM-DD HH:MM:SS", UTC (didww-api3-postman@71547df 2026-04-16, "Create CDR In
# Export": "Format: YYYY-MM-DD HH:MM:SS"), and answers echo it so. DIDWW's own 2026-04-16 create-export page sends
# "2025-12-01T00:00:00Z", the Python SDK's README "2025-01-01T00:00:00" and the Java SDK's "…T…Z": ISO 8601 is taken
# too (with a fraction, a Z or an offset, turned to UTC) and kept in the documented form. No recording shows an ISO
# request answered: INFERRED from those examples (README, Known divergences).
_INSTANT = re.compile(r"^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:?\d{2})?$")


def parse_instant(text: str) -> float:
    """A from/to value as epoch seconds; ValueError when it is neither form."""
    match = _INSTANT.match(text.strip())
    if match is None:
        raise ValueError(text)
    day, clock, fraction, zone = match.groups()
    offset = "+00:00" if zone in (None, "Z") else (zone if ":" in zone else zone[:3] + ":" + zone[3:])
    when = datetime.fromisoformat(f"{day}T{clock}{offset}")
    return writable(when.timestamp(), text) + float(fraction or 0)  # ValueError past year 9999 or before 1 in UTC


def _span_period(now: float, window_start: float, filters: dict[str, Any]) -> tuple[float, float, dict[str, Any]]:
    bounds = []
    for key in ("from", "to"):
        if key not in filters:
            raise invalid("filters", f"{key} can't be blank")
        try:
            bounds.append(parse_instant(str(filters[key])))
        except (ValueError, OverflowError):
            raise invalid("filters", f"{key} not valid") from None
    start, end = bounds
    for key, value in (("from", start), ("to", end)):
        if value > now:
            raise invalid("filters", f"{key} can't be in the future")
        if value < window_start:
            raise invalid("filters", f"{key} {WINDOW}")
    if start >= end:
        raise invalid("filters", "from must be before to")
    kept: dict[str, Any] = {**{k: v if isinstance(v, list) else str(v) for k, v in filters.items()},
                            "from": stamp(start, "space"), "to": stamp(end, "space")}
    return start, end, kept


def _month_period(now: float, window_start: float, filters: dict[str, Any]) -> tuple[float, float, dict[str, Any]]:
    for key in ("year", "month"):
        if key not in filters:
            raise invalid("filters", f"{key} can't be blank")
    try:
        year, month = int(str(filters["year"])), int(str(filters["month"]))
        day = int(str(filters["day"])) if "day" in filters else None
        first = datetime(year, month, day or 1, tzinfo=UTC)
    except ValueError:
        raise invalid("filters", "year, month and day must form a valid date") from None
    if first.timestamp() > now:
        raise invalid("filters", "month can't be in the future")
    if first.timestamp() < window_start:
        raise invalid("filters", f"month {WINDOW}")
    start = first.timestamp()
    end = (first + timedelta(days=1)).timestamp() if day else \
        datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC).timestamp()
    kept = {k: int(str(v)) if k in ("year", "month", "day") else str(v) for k, v in filters.items()}
    return start, min(end, now), kept


_HOST = re.compile(r"[A-Za-z0-9.\-_]+|[0-9a-fA-F:.]+")  # a name or an address (IPv6 without its brackets)
_UNSAFE = re.compile(r"[\s\x00-\x1f\x7f\u0080-\u00a0\u2028\u2029]")


def callback_url(value: Any) -> str | None:
    """A create's callback_url as the export keeps it: one without a scheme is read as http://, and only http and
    https are allowed (didww-api-3-openapi@c6fdd13:openapi/sources/api.json, 2026-10-22). INFERRED: a value with
    whitespace or control characters, or no host, is "is invalid" (Ruby's URI parser refuses them)."""
    if value is None or value == "":
        return None
    text = str(value)
    if "://" not in text:
        text = "http://" + text
    try:
        parts = urlsplit(text)
        port = parts.port  # raises on a port that is no number
    except ValueError:
        raise invalid("callback_url", "is invalid") from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname or port == 0 or _UNSAFE.search(text) \
            or not _HOST.fullmatch(parts.hostname):
        raise invalid("callback_url", "is invalid")
    return text
