"""How Twilio's clients are judged (fakeexports/lint.py): the rules, their figures and where each comes from.
Twilio publishes no polling interval and no Retry-After; what it does say is cited, the rest is marked INFERRED."""

from __future__ import annotations

from ...kit import REFUSED_AGAIN, standard
from .queue import FINISHED

DOCS = "https://www.twilio.com/docs/usage/bulkexport"
FINISHED_READS = tuple(sorted(FINISHED))

RULES = (
    standard("poll_interval", "INFERRED: Twilio publishes no interval. Its job page says a job without WebhookUrl or "
             "Email has to be queried (twilio.com/docs/usage/bulkexport/job) and its 429 article says to avoid "
             "unnecessary fetching (support.twilio.com/hc/en-us/articles/360044308153); jobs run a day at a time",
             ("FetchJob",), seconds=10, param="JobSid", finished=FINISHED_READS),
    standard("poll_finished", "twilio.com/docs/usage/bulkexport/job: a finished job's days are read at the Day "
             "endpoint; reading the job again changes nothing", ("FetchJob",), tolerated=1, param="JobSid",
             finished=FINISHED_READS),
    standard("retry_after", "twilio.com/docs/api/errors/20429 ('Implement retries with exponential backoff'); Twilio "
             "documents no Retry-After: the first wait of 1 s is INFERRED", seconds=1, scope="operation"),
    standard("quota_hit", f"{DOCS} (the days an account may request per UTC day: the days_per_day option); "
             "twilio.com/docs/api/errors/20429 (concurrency)"),
    standard("redirect_unfollowed", "twilio.com/docs/usage/bulkexport/day: a Day answers 307 whose redirect_to is "
             "the signed S3 link to the file", ("FetchDay",), statuses=(307,)),
    standard("expired_link", "twilio.com/docs/usage/bulkexport/day: the link is a signed S3 URL (its example has "
             "X-Amz-Expires=240); the fake's lifetime is --download-ttl"),
    standard("repeated_download", "twilio.com/docs/usage/bulkexport/day: 'each link can only be used once'; ask "
             "the Day endpoint for a new link", times=2, per="link"),
    standard("refused_again", REFUSED_AGAIN, times=3, auth_times=2),
    standard("duplicate_job", f"INFERRED: each job's days count against the account's days per UTC day ({DOCS})",
             ("CreateExportCustomJob",), finished=FINISHED_READS),
    standard("callback_failed", "twilio.com/docs/usage/bulkexport/job (WebhookUrl: called when the job ends); the "
             "fake's retries (webhooks.BACKOFF) are INFERRED: Twilio documents none for Bulk Export"),
)
