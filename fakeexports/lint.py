"""The fake judges the client: lint rules over the journal, on the fake clock, per vendor and tenant.

A vendor declares its rules as data (``Vendor(lint=...)``, rules.py: a leaf the kit exports): each names one of the
CHECKS below, its severity, the words a developer reads, the vendor fact behind its figures (a URL or
``repo@commit:path``; ``INFERRED: ...`` where the vendor publishes none) and the figures themselves. The checks are
generic; they read the journal (and, for callbacks, the webhook attempt log) of one app, so a clock's world is
judged on its own, and they never change state. Each misstep is reported once, by the most specific rule: a 429
retried too early is a Retry-After finding, not a quota hit as well; a read of a job the client has seen finish is a
finished-poll finding, not a fast poll.

What the checks see is what the journal keeps: the last ``journal_size`` requests. A lint after a long run judges
that window."""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from itertools import pairwise
from typing import TYPE_CHECKING, Any

from .journal import Entry
from .rules import SEVERITIES, Rule
from .webhooks import Attempt

if TYPE_CHECKING:
    from .registry import Registry
    from .vendor import VendorApp

EVIDENCE = 10  # entries a finding cites (its count says how many there were)
_CLOCK_PREFIX = re.compile(r"^/_clocks/[^/]+")


@dataclass
class Finding:
    """A rule broken: by whom (vendor, tenant as views show it), about what (a job, a file, a URL), how often, and the
    requests (or callback attempts) that show it."""

    rule: str
    severity: str
    vendor: str
    tenant: str | None
    subject: str
    message: str
    advice: str
    source: str
    count: int
    evidence: list[dict[str, Any]]

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def line(self) -> str:
        return f"[{self.severity}] {self.vendor} {self.rule}: {self.message}"


def at_least(findings: Iterable[Finding], severity: str) -> list[Finding]:
    floor = SEVERITIES.index(severity)
    return [f for f in findings if SEVERITIES.index(f.severity) >= floor]


# --- what a check sees -----------------------------------------------------------------------------------------
@dataclass
class Scope:
    """One tenant of one vendor: its requests (the S3 stand-in's for its files among them), oldest first, and the
    callbacks sent for it."""

    vendor: VendorApp
    tenant: str | None
    entries: list[Entry]
    attempts: list[Attempt]
    memo: dict[str, Any] = field(default_factory=dict)

    def status_at(self, job_id: str, at: float) -> str | None:
        """The job's status at ``at`` as its answers then showed it; None for a job no longer held."""
        state = self.vendor.runtime.store.find(self.vendor.name, self.tenant) if self.tenant is not None else None
        job = state.jobs.get(job_id) if state is not None else None
        return None if job is None else self.vendor.jobs.status(job, at)

    def rule(self, check: str) -> Rule | None:
        return next((r for r in self.vendor.decl.lint if r.check == check), None)


Hit = tuple[str, str, list[Any]]  # subject, what happened (a sentence), the evidence
Check = Callable[[Scope, Rule], Iterator[Hit]]


def resource(url: str, mount: str) -> str:
    """A URL's path as the vendor knows it: without scheme and host, a clock's /_clocks/{id}, the vendor's mount or
    the query. Cut by hand, never parsed: a client's path may be anything (``//[x`` is an invalid IPv6 host to
    urlsplit)."""
    scheme, sep, rest = url.partition("://")
    if sep and "/" not in scheme:
        url = "/" + rest.partition("/")[2]
    path = _CLOCK_PREFIX.sub("", url.partition("?")[0])
    return path[len(mount):] if mount and path.startswith(mount + "/") else path


def _is_s3(e: Entry) -> bool:
    return e.vendor == "s3"


def _job_of(e: Entry, param: str) -> str | None:
    value = e.params.get(param) if e.params else None
    return str(value) if value is not None else None


def _reads(scope: Scope, rule: Rule) -> dict[str, list[Entry]]:
    """The rule's job reads that were answered (not refused), by job."""
    param, by_job = rule.figures.get("param", "id"), defaultdict(list)
    for e in scope.entries:
        if e.operation in rule.operations and e.status < 400:
            job = _job_of(e, param)
            if job is not None:
                by_job[job].append(e)
    return by_job


def _finished(scope: Scope, rule: Rule, job: str, at: float) -> bool:
    return scope.status_at(job, at) in rule.figures.get("finished", ())


def _running(scope: Scope, rule: Rule, job: str, at: float) -> bool:
    """The job was there and not finished at ``at``; a job no longer held (deleted, expired) tells nothing, so that
    a client's last reads before it deleted a finished job are never taken for polls of a running one."""
    status = scope.status_at(job, at)
    return status is not None and status not in rule.figures.get("finished", ())


# --- the checks --------------------------------------------------------------------------------------------------
def poll_interval(scope: Scope, rule: Rule) -> Iterator[Hit]:
    """Reads of one job (``operations``, the job named by the path parameter ``param``) less than ``seconds`` apart
    on the fake clock, while it was running (after it ``finished``, poll_finished speaks; of a job no longer held
    nothing is said)."""
    seconds = float(rule.figures["seconds"])
    for job, reads in _reads(scope, rule).items():
        fast = [(a, b) for a, b in pairwise(reads) if b.at - a.at < seconds and _running(scope, rule, job, a.at)]
        if fast:
            shortest = min(b.at - a.at for a, b in fast)
            yield job, (f"job {job} was read again less than {seconds:g} s after the read before, {len(fast)} "
                        f"times (the shortest gap {shortest:.3g} s)"), [e for pair in fast for e in pair]


def poll_finished(scope: Scope, rule: Rule) -> Iterator[Hit]:
    """Reads of one job after an answer that showed it ``finished``, beyond ``tolerated`` of them (a last read for
    its details is fine)."""
    tolerated = int(rule.figures.get("tolerated", 1))
    for job, reads in _reads(scope, rule).items():
        first = next((i for i, e in enumerate(reads) if _finished(scope, rule, job, e.at)), None)
        after = reads[first + 1:] if first is not None else []
        if len(after) > tolerated:
            status = scope.status_at(job, reads[first].at) if first is not None else None
            yield job, (f"job {job} was read {len(after)} more times after an answer showed it {status}"), after


def _wait(e: Entry, default: float) -> float:
    """Seconds a 429 asked the client to wait at least: its Retry-After (seconds, or an HTTP date on the fake
    clock), else the vendor's documented back-off. Whole seconds are a rounding up (a vendor that knows the wait to
    the millisecond says so in its body too): a second less is still waiting."""
    given = e.answer_header("Retry-After")
    if given:
        given = given.strip()
        if given.isascii() and given.isdigit():
            return max(0.0, float(given) - 1.0)
        try:
            return max(0.0, parsedate_to_datetime(given).timestamp() - e.at)
        except (TypeError, ValueError, OverflowError):
            pass
    return default


def _limited(scope: Scope) -> tuple[dict[int, tuple[Entry, Entry, float]], list[Entry]]:
    """Each 429 and the client's next request to the same limited resource: those sent before the wait was over
    (by the 429's seq: the 429, that request, the wait), and the 429s the client waited after (quota hits)."""
    if "limited" in scope.memo:
        return scope.memo["limited"]  # type: ignore[no-any-return]
    rule = scope.rule("retry_after")
    figures = rule.figures if rule is not None else {}
    default, by_operation = float(figures.get("seconds", 1.0)), figures.get("scope", "tenant") == "operation"
    requests = [e for e in scope.entries if not _is_s3(e)]
    early: dict[int, tuple[Entry, Entry, float]] = {}
    retried: set[int] = set()
    for i, e in enumerate(requests):
        if e.status != 429:
            continue
        wait = _wait(e, default)
        nxt = next((n for n in requests[i + 1:] if not by_operation or n.operation == e.operation), None)
        if nxt is not None and (nxt.at <= e.at or nxt.at < e.at + wait):  # at the same instant is never waiting
            early[e.seq] = (e, nxt, wait)
            retried.add(nxt.seq)
    hits = [e for e in requests if e.status == 429 and e.seq not in early and e.seq not in retried]
    scope.memo["limited"] = (early, hits)
    return early, hits


def retry_after(scope: Scope, rule: Rule) -> Iterator[Hit]:
    """A request to the same limited resource (``scope``: ``tenant``, any request of it; ``operation``, the same
    operation) before a 429's Retry-After, or the vendor's back-off (``seconds``) where it sends none, had passed."""
    early, _ = _limited(scope)
    by_operation: dict[str, list[tuple[Entry, Entry, float]]] = defaultdict(list)
    for e, nxt, wait in early.values():
        by_operation[e.operation or e.path].append((e, nxt, wait))
    default = float(rule.figures.get("seconds", 1.0))
    for operation, found in by_operation.items():
        e, nxt, _ = found[0]
        given = e.answer_header("Retry-After")
        asked = f"Retry-After: {given}" if given else f"no Retry-After, the vendor's back-off is {default:g} s"
        yield operation, (f"{len(found)} times a request came before the 429's wait was over: {nxt.method} "
                          f"{nxt.path} {nxt.at - e.at:.3g} s after it ({asked})"), [
            x for e, nxt, _ in found for x in (e, nxt)]


def quota_hit(scope: Scope, rule: Rule) -> Iterator[Hit]:
    """429s the client then waited after (those it did not are retry_after's): a quota or rate limit reached."""
    _, hits = _limited(scope)
    by_operation: dict[str, list[Entry]] = defaultdict(list)
    for e in hits:
        by_operation[e.operation or e.path].append(e)
    for operation, found in by_operation.items():
        reason = found[0].reason or "429"
        yield operation, f"{operation} was refused {len(found)} times with 429: {reason}", found


def redirect_unfollowed(scope: Scope, rule: Rule) -> Iterator[Hit]:
    """Answers of ``operations`` with a redirect (``statuses``) whose ``Location`` the client never requested
    afterwards (a presigned link, or the vendor's next URL). A target once followed is followed: a later redirect
    there (a needless poll's) is poll_finished's to judge."""
    statuses, mount = tuple(rule.figures.get("statuses", (300, 301, 302, 303, 307, 308))), scope.vendor.mount
    last: dict[str, int] = {}  # each resource's last request
    for e in scope.entries:
        last[resource(e.path, mount)] = e.seq
    unfollowed: dict[str, list[Entry]] = {}  # by target: the redirects to it, while none was followed
    for e in scope.entries:
        location = e.answer_header("Location") if e.operation in rule.operations else None
        if e.status in statuses and location:
            target = resource(location, mount)
            if target not in unfollowed:  # the first redirect there: followed if the target was requested since
                unfollowed[target] = [] if last.get(target, 0) > e.seq else [e]
            elif unfollowed[target]:
                unfollowed[target].append(e)
    for target, found in unfollowed.items():
        if found:
            e = found[0]
            yield target, (f"{e.method} {resource(e.path, mount)} answered {e.status} with Location {target}, "
                           f"which was never requested"), found


def _downloads(scope: Scope, rule: Rule) -> Iterator[Entry]:
    """GETs of the vendor's files: its presigned links on the S3 stand-in and its own download ``operations``."""
    for e in scope.entries:
        if e.method == "GET" and (_is_s3(e) or e.operation in rule.operations):
            yield e


def expired_link(scope: Scope, rule: Rule) -> Iterator[Hit]:
    """A download refused because its link (or the export behind it: ``statuses`` of ``operations``) expired."""
    statuses, by_target = tuple(rule.figures.get("statuses", ())), defaultdict(list)
    for e in _downloads(scope, rule):
        if (_is_s3(e) and e.error == "expired") or (not _is_s3(e) and e.status in statuses):
            by_target[resource(e.path, scope.vendor.mount)].append(e)
    for target, found in by_target.items():
        e = found[0]
        yield target, (f"{target} was downloaded after its link expired ({e.status}: {e.reason}), "
                       f"{len(found)} time{'s' if len(found) > 1 else ''}"), found


def repeated_download(scope: Scope, rule: Rule) -> Iterator[Hit]:
    """The same file downloaded whole ``times`` times or more; ``per`` ``file`` (each link to it counts) or ``link``
    (the same link used again: where the vendor's links are for one use)."""
    times, by_file = int(rule.figures.get("times", 3)), defaultdict(list)
    per_link = rule.figures.get("per", "file") == "link"
    for e in _downloads(scope, rule):
        if e.status == 200:
            target = resource(e.path, scope.vendor.mount)
            by_file[target + "?" + e.path.partition("?")[2] if per_link else target].append(e)
    for target, found in by_file.items():
        if len(found) >= times:
            yield target, f"{target} was downloaded {len(found)} times", found


def _same_request(e: Entry) -> str:
    credentials = e.sent or ()
    digest = hashlib.blake2b(repr((e.method, e.path, credentials)).encode() + (e.body or b""), digest_size=16)
    return digest.hexdigest()


def refused_again(scope: Scope, rule: Rule) -> Iterator[Hit]:
    """The same request (method, path and query, credential, body) refused with the same 4xx and sent again
    unchanged: ``times`` times in all, ``auth_times`` for a refused credential (an expired token among them).
    ``retryable`` statuses (and 408, 429: retry_after's) are left out."""
    times, auth_times = int(rule.figures.get("times", 3)), int(rule.figures.get("auth_times", 2))
    expired = scope.rule("expired_link")  # its refusals (an expired export's 410) are expired_link's to judge
    skip = {408, 429, *rule.figures.get("retryable", ()), *(expired.figures.get("statuses", ()) if expired else ())}
    groups: dict[tuple[str, int], list[Entry]] = defaultdict(list)
    for e in scope.entries:
        if 400 <= e.status < 500 and e.status not in skip and not _is_s3(e):
            groups[(_same_request(e), e.status)].append(e)
    for (_, status), found in groups.items():
        if len(found) >= (auth_times if status == 401 else times):
            e = found[0]
            yield f"{e.method} {resource(e.path, scope.vendor.mount)}", (
                f"{e.method} {resource(e.path, scope.vendor.mount)} was refused with {status} "
                f"({e.reason or 'no reason given'}) and sent again unchanged, {len(found)} times in all"), found


def duplicate_job(scope: Scope, rule: Rule) -> Iterator[Hit]:
    """A create (``operations``) with the same path, query and body as an earlier one whose job was not yet
    ``finished``."""
    open_jobs: dict[str, list[Entry]] = defaultdict(list)
    for e in scope.entries:
        if e.operation not in rule.operations or e.job is None or e.status >= 400:
            continue
        key = hashlib.blake2b(e.path.encode() + b"\0" + (e.body or b""), digest_size=16).hexdigest()
        earlier = [f for f in open_jobs[key] if f.job is not None and scope.status_at(f.job, e.at) is not None
                   and not _finished(scope, rule, f.job, e.at)]
        if earlier:
            first = earlier[0]
            yield str(e.job), (f"job {e.job} was created with the same parameters as job {first.job}, "
                               f"{e.at - first.at:.3g} s after it, while that one was still "
                               f"{scope.status_at(str(first.job), e.at)}"), [first, e]
        open_jobs[key].append(e)


def callback_failed(scope: Scope, rule: Rule) -> Iterator[Hit]:
    """Callbacks the client's receiver did not take (no 2xx, or no answer): the vendor had to retry, or gave up."""
    by_url: dict[str, list[Attempt]] = defaultdict(list)
    for a in scope.attempts:
        if a.status is None or not 200 <= a.status < 300:
            by_url[a.url].append(a)
    for url, failed in by_url.items():
        retried = sum(1 for a in failed if a.will_retry)
        what = failed[0].error or f"answered {failed[0].status}"
        yield url, (f"the callback receiver at {url} failed {len(failed)} attempts ({what}); the vendor retried "
                    f"{retried} times"), failed


CHECKS: dict[str, Check] = {  # by the names rules.STANDARD words
    "poll_interval": poll_interval, "poll_finished": poll_finished, "retry_after": retry_after,
    "quota_hit": quota_hit, "redirect_unfollowed": redirect_unfollowed, "expired_link": expired_link,
    "repeated_download": repeated_download, "refused_again": refused_again, "duplicate_job": duplicate_job,
    "callback_failed": callback_failed,
}


# --- the engine --------------------------------------------------------------------------------------------------
def _evidence(item: Entry | Attempt) -> dict[str, Any]:
    if isinstance(item, Attempt):
        return {"at": item.at, "method": item.method, "url": item.url, "attempt": item.attempt,
                "status": item.status, "error": item.error}
    return {"seq": item.seq, "at": item.at, "method": item.method, "path": item.path, "status": item.status,
            "operation": item.operation}


def _key(item: Entry | Attempt) -> Any:
    return item.seq if isinstance(item, Entry) else (item.url, item.attempt, item.at)


def _tenant_of(v: VendorApp, e: Entry) -> str | None:
    """A refused request has no tenant in the journal: the credential it carried may still name one."""
    if e.tenant is not None or not e.sent:
        return e.tenant
    try:
        return v.hooks["credential_tenant"](v, dict(e.sent))  # type: ignore[no-any-return]
    except Exception:  # a credential the hook cannot read names no one
        return None


def scopes(registry: Registry, entries: Sequence[Entry], attempts: Sequence[Attempt],
           vendor: str | None = None) -> Iterator[Scope]:
    """Every (vendor, tenant) with requests or callbacks, each with its own."""
    grouped: dict[tuple[str, str | None], list[Entry]] = defaultdict(list)
    for e in entries:
        owner = e.params if _is_s3(e) else None
        name = owner["vendor"] if owner else e.vendor
        v = registry.vendors.get(name)
        if v is None or (vendor is not None and name != vendor):
            continue
        grouped[(name, owner["tenant"] if owner else _tenant_of(v, e))].append(e)
    called: dict[tuple[str, str | None], list[Attempt]] = defaultdict(list)
    for a in attempts:
        if vendor is None or a.vendor == vendor:
            called[(a.vendor, a.tenant)].append(a)
    for name, tenant in sorted({*grouped, *called}, key=lambda k: (k[0], k[1] or "")):
        v = registry.vendors.get(name)
        if v is not None and v.decl.lint:
            yield Scope(v, tenant, grouped.get((name, tenant), []), called.get((name, tenant), []))


def lint(registry: Registry, *, since: int = 0, vendor: str | None = None,
         tenant: Callable[[VendorApp, str | None], bool] | None = None) -> list[Finding]:
    """The findings over the journal since ``since`` (a mark), of one vendor or all, of the tenants ``tenant``
    accepts (all by default): the most severe first, then in the order of their first evidence."""
    runtime = registry.runtime
    entries = runtime.journal.since(since)
    start = entries[0].at if entries else runtime.clock.now()
    attempts = [a for a in runtime.webhooks.attempts if a.at >= start] if since else list(runtime.webhooks.attempts)
    findings: list[tuple[int, float, Finding]] = []
    for scope in scopes(registry, entries, attempts, vendor):
        if tenant is not None and not tenant(scope.vendor, scope.tenant):
            continue
        shown = scope.vendor.tenant_label(scope.tenant) if scope.tenant else None
        for rule in scope.vendor.decl.lint:
            for subject, what, cited in CHECKS[rule.check](scope, rule):
                evidence = list({_key(x): x for x in cited}.values())  # each request once, in order
                f = Finding(rule.id, rule.severity, scope.vendor.name, shown, subject,
                            f"{rule.message.format(**rule.figures)}: {what}", rule.advice.format(**rule.figures),
                            rule.source, len(evidence), [_evidence(x) for x in evidence[:EVIDENCE]])
                findings.append((-SEVERITIES.index(rule.severity), evidence[0].at if evidence else 0.0, f))
    findings.sort(key=lambda t: (t[0], t[1]))
    return [f for _, _, f in findings]


def report(findings: Sequence[Finding], *, verbose: bool = True) -> str:
    """Findings as a developer reads them: each rule broken, what happened, what to do, the source, the requests."""
    if not findings:
        return "no lint findings"
    lines = [f"{len(findings)} lint finding{'s' if len(findings) != 1 else ''}:"]
    for f in findings:
        lines.append(f"- [{f.severity}] {f.vendor} {f.rule} (tenant {f.tenant}): {f.message}")
        lines.append(f"    do instead: {f.advice}")
        lines.append(f"    source: {f.source}")
        if verbose:
            for e in f.evidence:
                if "seq" in e:
                    lines.append(f"    #{e['seq']} at +{e['at'] - f.evidence[0]['at']:.3g} s  {e['method']} "
                                 f"{e['path'][:120]} -> {e['status']}")
                else:
                    lines.append(f"    attempt {e['attempt']} {e['method']} {e['url'][:120]} -> "
                                 f"{e['status'] or e['error']}")
    return "\n".join(lines)
