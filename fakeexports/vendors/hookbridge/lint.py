"""How HookBridge's clients are judged (fakeexports/lint.py): the rules, their figures and where each comes from.
HookBridge documents its limits (1000 requests a minute per project, a burst ceiling) and sends Retry-After with its
429s in the fake (its SDKs read it); no polling interval. HookBridge exports have no callback."""

from __future__ import annotations

from ...kit import REFUSED_AGAIN, standard

API = "docs.hookbridge.io/api"
FINISHED = ("completed", "failed", "expired")

RULES = (
    standard("poll_interval", "INFERRED: HookBridge publishes no interval ('Poll job status (pending or processing)', "
             "docs.hookbridge.io/guides/observability/exports); an export takes about a minute", ("GetExport",),
             seconds=5, param="id", finished=FINISHED),
    standard("poll_finished", "docs.hookbridge.io/guides/observability/exports: a completed export is downloaded",
             ("GetExport",), tolerated=1, param="id", finished=FINISHED),
    standard("retry_after", f"{API} (1000 requests a minute per project) and /guides/outbound/rate-limiting; the SDKs "
             "read Retry-After as whole seconds (hookbridge 2.0.0 client.py)", seconds=1, scope="tenant"),
    standard("quota_hit", f"{API}: 'Project-level: 1000 requests per minute'; /guides/product/error-handling: 429 "
             "'rate limit or usage quota exceeded'"),
    standard("redirect_unfollowed", "docs.hookbridge.io/api/operations/downloadexport: 'Returns a 302 redirect to a "
             "presigned S3 URL'", ("DownloadExport",), statuses=(302,)),
    standard("expired_link", "docs.hookbridge.io/api/operations/downloadexport: EXPORT_EXPIRED, 'Export download "
             "link has expired' (410)", ("DownloadExport",), statuses=(410,)),
    standard("repeated_download", "INFERRED: a completed export stays downloadable until expires_at; downloading it "
             "again and again is waste", times=3, per="file"),
    standard("refused_again", REFUSED_AGAIN + "; 409 EXPORT_ACTIVE says 'try again in a moment' "
             "(docs.hookbridge.io/api/operations/deleteexport) and is left out",
             times=3, auth_times=2, retryable=(409,)),
    standard("duplicate_job", "INFERRED: HookBridge publishes no limit on exports; each one is work and a week of "
             "storage", ("CreateExport",), finished=FINISHED),
)
