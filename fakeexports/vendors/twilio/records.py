"""Records of Twilio Bulk Export day files (gzipped JSON lines): Messages, Calls, Conferences, Participants.
Field names and JSON types follow real files (tigerfarm/work@388d561:twiliocli/README.md) and the docs
(https://www.twilio.com/docs/usage/bulkexport/day); where no real record was published (Calls, Conferences,
Participants) they are the REST resources' fields less what the docs say the export leaves out."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import orjson

from ...kit import FileBody, Pools, Sizes, batched_lines, gzip_chunks, hex_id, rfc3339, rng, sorted_compact

RESOURCE_TYPES = ("Messages", "Calls", "Conferences", "Participants")
_RATES = {"Messages": (20, 400), "Calls": (10, 200), "Conferences": (1, 20), "Participants": (2, 60)}


def record_count(seed: int, tenant: str, rt: str, day: str) -> int:
    """How many records the account has for ``rt`` on ``day``; about one day in ten has none (such a day
    finishes CompletedEmptyRecords and gets no file)."""
    r = rng(seed, "twilio-count", tenant, rt, day)
    if r.random() < 0.1:
        return 0
    return r.randint(*_RATES[rt])


def records(seed: int, tenant: str, rt: str, day: str, n: int, pools: Pools) -> Iterator[dict[str, Any]]:
    """The ``n`` records of ``day`` (yyyy-MM-dd, UTC) in time order; the same inputs give the same records."""
    r = rng(seed, "twilio-rows", tenant, rt, day)
    base = datetime.fromisoformat(day).replace(tzinfo=UTC).timestamp()
    stamps = sorted_compact(base + r.random() * 86399 for _ in range(n))
    build = _BUILDERS[rt]
    previous: str | None = None
    for i, ts in enumerate(stamps):
        row = build(_Row(r, pools, seed, tenant, day, ts, i, previous))
        if rt == "Participants":
            previous = row["conference_sid"]
        yield row


class _Row:
    __slots__ = ("day", "i", "pools", "previous", "r", "seed", "tenant", "ts")

    def __init__(self, r: random.Random, pools: Pools, seed: int, tenant: str, day: str, ts: float, i: int,
                 previous: str | None):
        self.r, self.pools, self.seed, self.tenant, self.day, self.ts, self.i = r, pools, seed, tenant, day, ts, i
        self.previous = previous

    def sid(self, prefix: str, *parts: object) -> str:
        return prefix + hex_id(self.seed, prefix, self.tenant, *parts)


def file_identity(tenant: str, rt: str, day: str, volume: int | None) -> tuple[Any, ...]:
    return ("twilio", tenant, rt, day) if volume is None else ("twilio", tenant, rt, day, volume)


def day_file(seed: int, tenant: str, rt: str, day: str, pools: Pools, sizes: Sizes,
             volume: int | None = None) -> FileBody:
    """A day's gzipped JSON-lines file (A7). The same account, resource type and day always give the same file:
    its size is kept by that key. ``volume``: the tenant's records per day when the day was made (None: the
    account's own plausible number)."""
    n = record_count(seed, tenant, rt, day) if volume is None else volume

    def chunks() -> Iterator[bytes]:
        lines = (orjson.dumps(row) + b"\n" for row in records(seed, tenant, rt, day, n, pools))
        return gzip_chunks(batched_lines(lines))

    return FileBody("application/octet-stream", chunks, key=file_identity(tenant, rt, day, volume), sizes=sizes,
                    filename=f"{day}.json.gz")


def _message(x: _Row) -> dict[str, Any]:
    # Key order and types of a real line: num_segments, num_media, error_code (0 when none) and flags are
    # integers; price a string with five decimals; messaging_service_sid a sid or null (TF; docs day page).
    r = x.r
    direction = r.choice(("outbound-api", "outbound-api", "inbound", "outbound-reply"))
    status = "received" if direction == "inbound" else r.choice(
        ("delivered", "delivered", "delivered", "sent", "undelivered", "failed"))
    segments = r.choice((1, 1, 1, 2, 3))
    sender, receiver = r.choice(x.pools.e164), r.choice(x.pools.e164)
    return {
        "status": status, "account_sid": x.tenant, "from": sender, "to": receiver, "body": r.choice(x.pools.sentences),
        "num_segments": segments, "date_sent": rfc3339(x.ts + 1), "date_updated": rfc3339(x.ts + 3),
        "price": f"-{0.0075 * segments:.5f}", "date_created": rfc3339(x.ts),
        "error_code": 30003 if status in ("undelivered", "failed") else 0, "sid": x.sid("SM", x.day, x.i),
        # flags: a bitmask; 65618 on an outbound reply and 17 on an inbound message in the real lines
        "flags": 17 if direction == "inbound" else r.choice((65618, 65617, 65554)),
        "messaging_service_sid": x.sid("MG") if r.random() < 0.7 else None,
        "direction": direction, "start": x.day, "num_media": r.choice((0, 0, 0, 1)),
    }


def _call(x: _Row) -> dict[str, Any]:
    # The REST Call's fields (twilio/twilio-oai@d50069b spec/json/twilio_api_v2010.json) without uri and
    # subresource_uris, times in ISO 8601 UTC, price missing when there is none (docs day page).
    r = x.r
    status = r.choice(("completed", "completed", "completed", "busy", "no-answer", "failed", "canceled"))
    duration = r.randint(5, 1800) if status == "completed" else 0
    sender, receiver = r.choice(x.pools.e164), r.choice(x.pools.e164)
    return {
        "sid": x.sid("CA", x.day, x.i), "date_created": rfc3339(x.ts), "date_updated": rfc3339(x.ts + duration + 1),
        "parent_call_sid": None, "account_sid": x.tenant, "to": receiver, "to_formatted": _formatted(receiver),
        "from": sender, "from_formatted": _formatted(sender), "phone_number_sid": x.sid("PN", x.i % 7),
        "status": status, "start_time": rfc3339(x.ts), "end_time": rfc3339(x.ts + duration), "duration": str(duration),
        "price": f"-{0.0085 * max(1, (duration + 59) // 60):.5f}" if duration else None, "price_unit": "USD",
        "direction": r.choice(("inbound", "outbound-api", "outbound-dial")), "answered_by": None,
        "api_version": "2010-04-01", "forwarded_from": None, "group_sid": None,
        "caller_name": r.choice(x.pools.names) if r.random() < 0.3 else None, "queue_time": "0", "trunk_sid": None,
        "start": x.day,
    }


def _conference(x: _Row) -> dict[str, Any]:
    # The REST Conference's fields without api_version, uri and subresource_uris (docs day page).
    r = x.r
    length = r.randint(60, 5400)
    return {
        "account_sid": x.tenant, "date_created": rfc3339(x.ts), "date_updated": rfc3339(x.ts + length),
        "friendly_name": r.choice(x.pools.companies) + " sync", "region": r.choice(("us1", "us1", "ie1", "de1")),
        "sid": x.sid("CF", x.day, x.i), "status": "completed",
        "reason_conference_ended": r.choice(
            ("last-participant-left", "conference-ended-via-api", "participant-with-end-conference-on-exit-left")),
        "call_sid_ending_conference": x.sid("CA", x.day, "end", x.i), "start": x.day,
    }


def _participant(x: _Row) -> dict[str, Any]:
    # The REST Participant's fields without uri and label (docs day page).
    r = x.r
    conference = x.previous if x.previous and r.random() < 0.6 else x.sid("CF", x.day, "p", x.i)
    return {
        "account_sid": x.tenant, "call_sid": x.sid("CA", x.day, "p", x.i), "call_sid_to_coach": None,
        "coaching": False, "conference_sid": conference, "date_created": rfc3339(x.ts),
        "date_updated": rfc3339(x.ts + r.randint(30, 3600)), "end_conference_on_exit": r.random() < 0.2,
        "muted": r.random() < 0.1, "hold": False, "start_conference_on_enter": True, "status": "completed",
        "queue_time": None, "start": x.day,
    }


def _formatted(e164: str) -> str:
    """The REST API's display form: (415) 555-1212 for a North American number, the E.164 form otherwise."""
    if e164.startswith("+1") and len(e164) == 12:
        return f"({e164[2:5]}) {e164[5:8]}-{e164[8:]}"
    return e164


_BUILDERS = {"Messages": _message, "Calls": _call, "Conferences": _conference, "Participants": _participant}
