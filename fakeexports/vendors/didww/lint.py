"""How DIDWW's clients are judged (fakeexports/lint.py): the rules, their figures and where each comes from.
DIDWW publishes its rate limit (10 requests a second per API key) and its callbacks' retries; no polling interval and
no Retry-After, so those figures are INFERRED."""

from __future__ import annotations

from ...kit import REFUSED_AGAIN, standard

POSTMAN = "didww/didww-api3-postman@71547df (every collection's description, '# Rate Limits')"
FINISHED = ("completed",)

RULES = (
    standard("poll_interval", "INFERRED: DIDWW publishes no interval; an export is pending, then processing for "
             "minutes (vendors/didww.md B2), and the key's limit is 10 requests a second (" + POSTMAN + ")",
             ("GetExport",), seconds=5, param="id", finished=FINISHED),
    standard("poll_finished", "doc.didww.com/api3/2021-12-15/export: a completed export's url is the file",
             ("GetExport",), tolerated=1, param="id", finished=FINISHED),
    standard("retry_after", POSTMAN + ": 10 requests a second per API key, then 429 with no Retry-After: the wait "
             "of 1 s (the limit's window) is INFERRED", seconds=1, scope="tenant"),
    standard("quota_hit", POSTMAN + ": 'Rate limits are 10 requests per second and are applied to API-KEY'"),
    standard("repeated_download", "INFERRED: the file stays a month ('DIDWW performs deletion of Export in 1 month "
             "after completion', " + POSTMAN.split(" (")[0] + "); downloading it again and again is waste",
             ("DownloadExport",), times=3, per="file"),
    standard("refused_again", REFUSED_AGAIN, times=3, auth_times=2),
    standard("duplicate_job", "INFERRED: DIDWW publishes no limit on exports; each one is work and a month of storage",
             ("CreateExport",), finished=FINISHED),
    standard("callback_failed", "didww/didww-api3-postman@71547df 'Callbacks Details': a callback that fails is "
             "retried 9 times over about 4 days"),
)
