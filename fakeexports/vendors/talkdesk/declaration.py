"""Talkdesk Explore reports (https://api.talkdeskapp.com) and their OAuth token endpoint
(https://{account}.talkdeskid.com/oauth/token), mounted at /talkdesk: the declaration. Spec: specs/talkdesk.yaml;
facts and sources: vendors/talkdesk.md Part A (section numbers below are its). wire.py reads requests and writes
answers; handlers.py has the operations; records*.py make the report files."""

from __future__ import annotations

from ...kit import KEPT_SECONDS, Ids, Lifecycle, Option, Vendor
from . import records
from .fixtures import SCHEMA as FIXTURE_SCHEMA
from .lint import RULES
from .recipe import RECIPE

# --- lifecycle (A.9) ------------------------------------------------------------------------------------
ACTIVE = ("created", "processing", "uploading")
QUOTA = 15  # running or queued jobs per account (A.12)
MAX_SPAN = 31 * 86400  # A.4
FILE_DAYS = 30  # files stay downloadable for 30 days (A.6)
REPORT_TYPES = records.REPORT_TYPES

VENDOR = Vendor(
    "talkdesk", mount="/talkdesk", hosts=("api.talkdeskapp.com", "*.talkdeskid.com"),
    specs={"explore": "talkdesk.yaml"}, fixture_schema=FIXTURE_SCHEMA,
    # A.9: created -> processing -> uploading -> done; failed (or done) can be forced on a job not finished yet.
    lifecycle=Lifecycle(
        steps=(("created", 5.0), ("processing", 20.0), ("uploading", 5.0), ("done", None)),
        terminal=frozenset({"done", "failed", "canceled", "deleted"}),
        # no documented retention for jobs; a done job's file is kept 30 days (A.6): KEPT_SECONDS, INFERRED
        retention={status: KEPT_SECONDS for status in ("done", "failed", "canceled", "deleted")},
        forceable={"failed": frozenset(ACTIVE), "done": frozenset(ACTIVE)},
    ),
    ids=Ids("talkdesk-job"),  # UUIDs (A.4)
    recipe=RECIPE,
    lint=RULES,  # how its clients are judged (lint.py)
    options=(
        Option("done_status", int, 300, "the answer to a finished report job: 300 as documented, or 302/303 for "
               "clients that follow redirects (python-requests and Go follow no 300; the Airbyte connector needs "
               "303)", choices=(300, 302, 303)),
        # records.py PAYLOADS says why call_id is the default and where each payload comes from
        Option("calls_payload", str, "call_id", "the calls and explore_calls payload of new report jobs: call_id "
               "(type and version, call_id, RFC 3339 times, seconds: what clients read) or interaction_id (the "
               "older payload the docs show as valid until May 11, 2026); a client's tenant setting overrides it",
               choices=records.PAYLOADS),
    ),
)
