"""Twilio Bulk Exports v1 (https://bulkexports.twilio.com), mounted at /twilio: the declaration. Spec:
specs/twilio.yaml; facts and sources: vendors/twilio.md (section numbers below are its). Custom jobs run day by day
through a per-account queue (queue.py), up to three at a time; each finished day becomes a gzipped JSON-lines file
behind a presigned link (days.py, records.py). wire.py reads requests and writes answers; handlers.py has the
operations."""

from __future__ import annotations

from ...kit import KEPT_SECONDS, REMOVE, Effect, Ids, Lifecycle, Option, Progress, Timed, Vendor
from .fixtures import OUTCOMES
from .fixtures import SCHEMA as FIXTURE_SCHEMA
from .lint import RULES
from .queue import DAY_SECONDS, FINISHED, OPEN, RETENTION_SECONDS, RETRY_SECONDS, SUBMIT_SECONDS
from .recipe import RECIPE

ENDED = (Effect("finished"), Effect("notify", notify=True))

VENDOR = Vendor(
    "twilio", mount="/twilio", hosts=("bulkexports.twilio.com",), specs={"v1": "twilio.yaml"},
    fixture_ids=("job_sid",), fixture_schema=FIXTURE_SCHEMA,
    # A real curl of .../Messages/Days/ answered the list (tigerfarm/work twiliocli/README.md).
    trailing_slash=True,
    # A2: Submitted -> Running, a day at a time -> Completed; ErrorDuringRun "is not a final status, the job will be
    # retried"; Failed is final; a deleted running job is RunningToBeDeleted, then gone. Each finished day's file
    # appears as it is done; a finished job calls its webhook (A3).
    lifecycle=Lifecycle(
        steps=(("Submitted", SUBMIT_SECONDS), ("Running", DAY_SECONDS), ("Completed", None)),
        terminal=FINISHED,
        forceable={status: OPEN for status in OUTCOMES},
        resumes={"ErrorDuringRun": RETRY_SECONDS},
        on_enter={"Completed": ENDED, "CompletedEmptyRecords": ENDED, "Failed": ENDED,
                  "DeletedByUserRequest": (REMOVE,)},
        # Twilio documents no retention for jobs (their files go after 7 days): KEPT_SECONDS, INFERRED
        retention={status: KEPT_SECONDS for status in ("Completed", "CompletedEmptyRecords", "Failed")},
        progress=Progress("Running", DAY_SECONDS, "n_days", Effect("publish_day"),
                          finish=frozenset({"Completed", "CompletedEmptyRecords"})),
    ),
    ids=Ids("twilio-job", kind="sid", prefix="JS"),  # ^JS[0-9a-fA-F]{32}$ (A2)
    recipe=RECIPE,
    lint=RULES,  # how its clients are judged (lint.py)
    options=(
        Option("days_per_day", int, 366, "days an account may request per UTC day (twilio.com/docs/usage/bulkexport; "
               "0 turns the quota off)", minimum=0),
    ),
    # day files are deleted 7 days after they were made (A1 notes): days/<type> those with records, empty/<type>
    # those without (days.py)
    timed=(Timed("days/", RETENTION_SECONDS), Timed("empty/", RETENTION_SECONDS)),
)
