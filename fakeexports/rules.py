"""Lint rules as a vendor declares them: data, each with its figures and the vendor fact behind them
(``Vendor(lint=...)``; lint.py evaluates them over the journal). ``standard`` words a rule the usual way for one of
the checks; a vendor may word its own with ``Rule``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

SEVERITIES = ("info", "warning", "error")  # lowest first


@dataclass(frozen=True)
class Rule:
    """One lint rule of a vendor. ``check``: which of CHECKS evaluates it; ``message`` says what the client did and
    ``advice`` what to do instead (both may use the figures: ``{seconds:g}``); ``source``: the vendor fact behind the
    figures, or ``INFERRED: why``; ``operations``: the operationIds it watches (what each check reads them as is in
    its docstring); ``figures``: its numbers and words."""

    id: str
    check: str
    severity: str
    message: str
    advice: str
    source: str
    operations: tuple[str, ...] = ()
    figures: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"lint rule {self.id}: severity must be one of {', '.join(SEVERITIES)}")
        if self.check not in STANDARD:
            raise ValueError(f"lint rule {self.id}: no check {self.check!r}; checks: {', '.join(STANDARD)}")

    def describe(self) -> dict[str, Any]:
        return {"id": self.id, "severity": self.severity, "message": self.message.format(**self.figures),
                "advice": self.advice.format(**self.figures), "source": self.source, "check": self.check,
                "operations": list(self.operations), "figures": dict(self.figures)}


# Why a refused request is not sent again as it was: for every vendor's refused_again rule
REFUSED_AGAIN = ("RFC 9110 15.5.4 (a 403 'SHOULD NOT' be repeated with the same credentials) and RFC 2616 10.4.1 "
                 "(a 400 not without modification); the counts are INFERRED")

# The usual wording of each check's rule: id, severity, message and advice (``standard`` makes a vendor's rule of it)
STANDARD: dict[str, tuple[str, str, str, str]] = {
    "poll_interval": ("poll-too-fast", "warning", "polls a job more often than every {seconds:g} s",
                      "wait at least {seconds:g} s between reads of a job (back off as it runs long), or take the "
                      "vendor's completion callback where it has one"),
    "poll_finished": ("poll-finished", "warning", "keeps reading a job it has seen finish",
                      "stop polling once an answer shows the job finished; go on to its file"),
    "retry_after": ("retry-after-ignored", "error", "retried a rate-limited request before the wait was over",
                    "after a 429 wait for its Retry-After (or {seconds:g} s where there is none) before the next "
                    "request to what was limited"),
    "quota_hit": ("quota-hit", "warning", "reached a quota or rate limit",
                  "keep under the vendor's limits: fewer jobs at once, fewer requests a second"),
    "redirect_unfollowed": ("redirect-not-followed", "error", "did not follow a redirect",
                            "request the Location of a {statuses_words} answer (the file is there)"),
    "expired_link": ("expired-link", "error", "downloaded through an expired link",
                     "download a link soon after it is given, and ask the vendor for a new one when it expires"),
    "repeated_download": ("repeated-download", "warning", "downloaded the same {per} {times} or more times",
                          "download a file once and keep it; ask for a new link to download it again"),
    "refused_again": ("refused-again", "error", "sent a refused request again unchanged",
                      "read the refusal: fix the request (or get a new token after a 401) instead of repeating it"),
    "duplicate_job": ("duplicate-job", "warning", "created a second job for the same parameters while the first "
                      "was running", "poll the job you created (keep its id across retries) rather than making "
                      "another"),
    "callback_failed": ("callback-failed", "error", "its callback receiver did not answer 2xx",
                        "answer the vendor's callback with a 2xx at once (do the work after answering)"),
}


def standard(check: str, source: str, operations: tuple[str, ...] = (), severity: str | None = None,
             **figures: Any) -> Rule:
    """A vendor's rule for ``check`` in the usual words, with its own figures and the source behind them."""
    rule_id, default, message, advice = STANDARD[check]
    if "statuses" in figures:
        figures.setdefault("statuses_words", "/".join(str(s) for s in figures["statuses"]))
    return Rule(rule_id, check, severity or default, message, advice, source, operations, figures)
