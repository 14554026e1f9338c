"""Talkdesk Explore's error envelopes (vendors/talkdesk.md A.11; OAuth's on the token endpoint, A.2), the messages
in them, and the two helpers the handlers share: a 400 naming its field, and a request's date-time read."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from ...kit import Reply, VendorError, writable

# --- envelope (A.11) ------------------------------------------------------------------------------------
# {code, message, description, fields}: no real Explore codes are published; the fake's are the status
# zero-padded to 7 digits (A.11's example is "0000400") and listed in the README.
MESSAGES = {400: "Bad request", 401: "Unauthorized", 403: "Forbidden", 404: "Not found",
            405: "Method not allowed", 413: "Payload too large", 429: "Too many requests",
            500: "Internal server error", 503: "Service unavailable"}
MSG_INVALID_REPORT = "Invalid report request"
MSG_UNKNOWN_TYPE = "Invalid report type"
MSG_JOB_NOT_FOUND = "Report job not found"
MSG_FILE_NOT_FOUND = "Report file not found"
MSG_QUOTA = "Account quota exceeded: at most {limit} report jobs may be running or queued"
MSG_ALREADY_DONE = "The report job is already {status} and cannot be canceled"


def render(err: VendorError, oauth: bool) -> Reply:
    """``err`` in the API's envelope, or in OAuth's on the token endpoint (A.2)."""
    if oauth:
        code = err.code or {401: "invalid_client"}.get(err.status, "invalid_request")
        return Reply(err.status, {"error": code, "error_description": err.message}, headers=err.headers or None)
    body = {"code": f"{err.status:07d}", "message": MESSAGES.get(err.status, "Error"),
            "description": err.message, "fields": err.extra.get("fields", [])}
    return Reply(err.status, body, headers=err.headers or None)


def bad(message: str, name: str, description: str) -> VendorError:
    return VendorError(400, message, kind="validation", extra={"fields": [{"name": name, "description": description}]})


def parse_time(text: str, zone: ZoneInfo) -> float:
    """ISO 8601 with or without a zone; a naive time is in the report's time zone (A.4). ValueError for a time
    whose year in UTC is not four digits (0001-01-01T00:00:00 in Asia/Tokyo)."""
    dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=zone)
    return writable(dt.timestamp(), text)
