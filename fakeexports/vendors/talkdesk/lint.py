"""How Talkdesk's clients are judged (fakeexports/lint.py): the rules, their figures and where each comes from.
Talkdesk documents its quota (15 reports running or queued per account), its token's 10 minutes and that a 401 calls
for a new token; no polling interval and no Retry-After."""

from __future__ import annotations

from ...kit import standard

EXECUTE = "docs.talkdesk.com/reference/execute-a-report"
AIRBYTE = ("airbytehq/airbyte@0cfe786c:airbyte-integrations/connectors/source-talkdesk-explore (streams.py, "
           "should_retry)")
FINISHED = ("done", "failed", "canceled", "deleted")

RULES = (
    standard("poll_interval", f"INFERRED: Talkdesk publishes no interval; the one public client ({AIRBYTE}) first "
             "waits 5 s and doubles", ("GetReportJob",), seconds=5, param="id", finished=FINISHED),
    standard("poll_finished", "seed 002 (docs.talkdesk.com, 'Get report job'): a done job answers with the file's "
             "Location", ("GetReportJob",), tolerated=1, param="id", finished=FINISHED),
    standard("retry_after", f"{EXECUTE}: 429 past the quota, with no Retry-After; the wait of 5 s is INFERRED from "
             f"{AIRBYTE}", seconds=5, scope="operation"),
    standard("quota_hit", f"{EXECUTE}: at most 15 reports running or queued per account, then 429"),
    standard("redirect_unfollowed", "seed 002 (docs.talkdesk.com): a done job answers 300 with the file's Location, "
             "the file a redirect to a signed S3 URL (docs.talkdesk.com/docs/downloading-a-report-file)",
             ("GetReportJob", "GetReportFile"), statuses=(300, 302, 303)),
    standard("expired_link", "docs.talkdesk.com/docs/downloading-a-report-file: 'The URL will only be valid for a "
             "short period of time'; the fake's lifetime is --download-ttl"),
    standard("repeated_download", "docs.talkdesk.com/docs/downloading-a-report-file: 'if there's a need to "
             "re-download a report, you must make a new request'; the count is INFERRED", times=3, per="file"),
    standard("refused_again", "docs.talkdesk.com/docs/authenticating-requests-and-authenticating-via-appconnect: "
             "tokens are valid for 10 minutes; 'If a 401 unauthorized error is received … retrieve a new access "
             "token'; other counts INFERRED", times=3, auth_times=2),
    standard("duplicate_job", f"{EXECUTE}: every report running or queued counts against the quota of 15",
             ("ExecuteReport",), finished=FINISHED),
)
