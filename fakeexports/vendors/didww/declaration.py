"""DIDWW API v3 exports (https://api.didww.com/v3), mounted at /didww/v3, in the API versions the X-DIDWW-API-Version
header picks: the declaration. Specs: specs/didww-<version>.yaml; facts and sources: vendors/didww.md (its section
numbers below). wire.py reads requests and writes answers; handlers.py has the operations; records.py the file."""

from __future__ import annotations

from ...kit import Effect, Ids, Lifecycle, Option, Vendor
from . import envelope
from .fixtures import SCHEMA as FIXTURE_SCHEMA
from .lint import RULES
from .recipe import RECIPE

# --- lifecycle (B2) -----------------------------------------------------------------------------------------
PENDING_SECONDS = 30.0
PROCESSING_SECONDS = 90.0
RETENTION_SECONDS = 30 * 86400.0  # "removed one month after completion"
# Ten attempts in all: a failed one is retried after 1 min, 10 min, 30 min, 1 h, 3 h, 6 h, 12 h, 1 day and 2 days
# (didww-api3-postman@71547df, every version's "Callbacks Details").
CALLBACK_BACKOFF = (60.0, 600.0, 1800.0, 3600.0, 10800.0, 21600.0, 43200.0, 86400.0, 172800.0)

VENDOR = Vendor(
    "didww", mount="/didww/v3", host_path="/v3", json_type=envelope.JSONAPI, fixture_ids=("id", "file_id"),
    fixture_schema=FIXTURE_SCHEMA,
    hosts=("api.didww.com", "sandbox-api.didww.com"),  # didww/configuration.py
    specs={"2021-12-15": "didww-2021-12-15.yaml", "2026-04-16": "didww-2026-04-16.yaml",
           "2026-11-19": "didww-2026-11-19.yaml"},
    # B2: pending -> processing -> completed, no failure state; the callback when completed (B8); removed "in 1 month
    # after completion" (B1).
    lifecycle=Lifecycle(
        steps=(("pending", PENDING_SECONDS), ("processing", PROCESSING_SECONDS), ("completed", None)),
        terminal=frozenset({"completed"}),
        forceable={"processing": frozenset({"pending"}), "completed": frozenset({"pending", "processing"})},
        on_enter={"completed": (Effect("completed", notify=True),)},
        retention={"completed": RETENTION_SECONDS},
    ),
    ids=Ids("didww-export"),  # UUIDs (B2)
    recipe=RECIPE,
    lint=RULES,  # how its clients are judged (lint.py)
    options=(
        Option("default_version", str, "2021-12-15", "the API version of a key that sends no X-DIDWW-API-Version "
               "(per key: the credentials file or the control API's tenant settings)",
               choices=tuple(envelope.VERSIONS)),
        Option("rate_limits", bool, False, "enforce DIDWW's rate limit per API key, counted on the fake clock (off "
               "by default)"),
        Option("per_second", int, 10, "requests a second per API key (the Postman collections' and user panel's "
               "number; one DIDWW page says 20)", minimum=1),
    ),
)
