"""Outgoing webhooks (job-completion callbacks): sent as side effects on the fake clock, each attempt with a
short timeout and recorded; a failed attempt is retried after a backoff measured on the fake clock, so a
test that advances the clock sees the retries without waiting. No lock is held across the call, so a
receiver may call the fake back."""

from __future__ import annotations

import asyncio
import fnmatch
import ipaddress
import re
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from yarl import URL

from .clock import Clock, Scheduler

if TYPE_CHECKING:
    from aiohttp import ClientSession

# A vendor's signature for a webhook as it goes out: (tenant, method, url as sent, payload) -> headers
Signer = Callable[[str, str, str, dict[str, Any]], "dict[str, str] | None"]

BACKOFF = (30.0, 60.0, 120.0, 240.0)  # seconds on the fake clock before retries 1..4
TIMEOUT = 5.0  # real seconds an attempt may take (Settings.webhook_timeout)
# Deliveries under way at once: as many as the client session's connections (aiohttp's default limit, 100), so
# that a receiver that hangs holds one of them for at most TIMEOUT; no more tasks than that are ready at once.
WORKERS = 100


@dataclass(frozen=True)
class Attempt:
    at: float
    vendor: str
    tenant: str
    method: str
    url: str
    payload: dict[str, Any]
    attempt: int
    status: int | None
    error: str | None
    will_retry: bool
    job: str | None = None  # the job it tells of, when its vendor said (the timeline draws it on the job's row)


class Allow:
    """Where webhooks and callbacks may go (``--webhook-allow``): host names, with fnmatch wildcards
    (``*.example.com``), and IP networks (``10.0.0.0/8``, ``127.0.0.1``). Empty: anywhere. A host name is matched
    as written in the URL, never resolved: allow names you trust to point where you mean."""

    def __init__(self, patterns: Sequence[str] = ()):
        self.patterns = tuple(patterns)
        self.names: list[str] = []
        self.networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
        for raw in self.patterns:
            text = raw.strip().lower()
            if not text:
                continue
            try:
                self.networks.append(ipaddress.ip_network(text, strict=False))
            except ValueError:
                if not re.fullmatch(r"[a-z0-9*?.\-\[\]]+", text):
                    raise ValueError(f"webhook_allow: {raw!r} is neither a host name pattern nor a network") from None
                self.names.append(text)

    def refuses(self, url: str) -> str | None:
        """Why ``url`` may not be called, or None when it may."""
        if not self.patterns:
            return None
        try:
            host = (URL(url).host or "").lower().strip("[]")
        except (ValueError, TypeError):
            return "not a URL"
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            if any(fnmatch.fnmatchcase(host, name) for name in self.names):
                return None
        else:
            if any(address in net for net in self.networks) or any(
                    fnmatch.fnmatchcase(host, name) for name in self.names):
                return None
        return f"refused: {host or url!r} is not in --webhook-allow"


class Webhooks:
    """Delivers callbacks for the vendors and keeps the last attempts for the control API."""

    def __init__(self, clock: Clock, scheduler: Scheduler, size: int = 1000, allow: Allow | None = None,
                 timeout: float = TIMEOUT):
        self.clock = clock
        self.timeout = timeout
        self.scheduler = scheduler
        self.allow = allow or Allow()
        self.signers: dict[str, Signer] = {}  # vendor -> its signature (set when the vendors are loaded)
        self.attempts: deque[Attempt] = deque(maxlen=size)
        self._session: ClientSession | None = None
        # attempts waiting for their time, by id: what --state keeps of the queue (a scheduler event holds only
        # the id); ``sink`` hears of each change and ``changed`` makes it durable once an attempt is over
        self.pending: dict[int, dict[str, Any]] = {}
        self._ids = 0
        self._ready: deque[int] = deque()  # attempts due, waiting for a worker
        self._workers: set[asyncio.Task[None]] = set()
        self.sink: Any = None
        self.changed: Callable[[], None] | None = None

    async def session(self) -> ClientSession:
        if self._session is None or self._session.closed:
            import aiohttp

            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout))
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def schedule(self, vendor: str, tenant: str, method: str, url: str, payload: Mapping[str, Any],
                 headers: Mapping[str, str] | None = None, *, at: float | None = None,
                 backoff: Sequence[float] = BACKOFF, job: str | None = None) -> None:
        """Send ``payload`` (for GET, appended to the URL's query sorted by name; a form body otherwise) when the
        clock reaches ``at``. The vendor's ``webhook_headers`` hook signs the request as it goes out. ``job``: the
        id of the job it tells of, kept with each attempt (a record without it, from an older state file, is
        shown without a job)."""
        when = self.clock.now() if at is None else at
        record = {"at": when, "vendor": vendor, "tenant": tenant, "method": method.upper(), "url": url,
                  "payload": dict(payload), "headers": dict(headers or {}), "backoff": list(backoff), "number": 1}
        if job is not None:
            record["job"] = job
        self._queue(record)

    def _queue(self, record: dict[str, Any], attempt_id: int | None = None) -> None:
        if attempt_id is None:
            self._ids += 1
            attempt_id = self._ids
            if self.sink is not None:
                self.sink.webhook(attempt_id, record)
        self._ids = max(self._ids, attempt_id)
        self.pending[attempt_id] = record
        self.scheduler.at(record["at"], self._run, attempt_id, label=f"{record['vendor']} webhook")

    def restore(self, pending: Iterable[tuple[int, dict[str, Any]]]) -> None:
        """The queue a state file kept: each attempt at its time (at once, if that has passed)."""
        for attempt_id, record in pending:
            self._queue(record, attempt_id)

    def clear_pending(self) -> None:
        self._ready.clear()
        for attempt_id in list(self.pending):
            self._done(attempt_id)

    def _done(self, attempt_id: int) -> None:
        if self.pending.pop(attempt_id, None) is not None and self.sink is not None:
            self.sink.webhook(attempt_id, None)

    def _run(self, attempt_id: int) -> None:
        """An attempt's time came: it joins the line that at most WORKERS deliveries work through at once, so that
        thousands coming due together go out at the pace the receivers take, without flooding the loop that
        serves everything else (the scheduler tracks the workers: an advance answers once they are done)."""
        self._ready.append(attempt_id)
        if len(self._workers) < WORKERS:
            task = self.scheduler.spawn(self._work(), "webhook delivery")
            self._workers.add(task)
            task.add_done_callback(self._workers.discard)

    async def _work(self) -> None:
        while self._ready:
            await self._deliver(self._ready.popleft())

    async def _deliver(self, attempt_id: int) -> None:
        record = self.pending.get(attempt_id)
        if record is None:  # a reset emptied the queue
            return
        try:
            await self._attempt(record)
        finally:  # over (its retry, if any, is queued under an id of its own): made durable at once
            self._done(attempt_id)
            if self.changed is not None:
                self.changed()

    async def _attempt(self, record: dict[str, Any]) -> None:
        vendor, tenant, method, url = record["vendor"], record["tenant"], record["method"], record["url"]
        payload, headers, backoff, number = record["payload"], record["headers"], tuple(record["backoff"]), \
            record["number"]
        job = record.get("job")
        job = job if isinstance(job, str) else None
        status: int | None = None
        error = self.allow.refuses(url)
        if error is not None:  # not tried, never retried: it would be refused again
            self.attempts.append(Attempt(self.clock.now(), vendor, tenant, method, url, payload, number,
                                         None, error, False, job))
            return
        sent = headers
        try:
            session = await self.session()
            target = get_url(url, payload) if method == "GET" else url
            signer = self.signers.get(vendor)
            signed = signer(tenant, method, target, payload) if signer is not None else None
            sent = {**headers, **(signed or {})}
            if method == "GET":
                # encoded=True: sent byte for byte as signed (yarl would otherwise unquote %3A and %2F in the query)
                async with session.get(URL(target, encoded=True), headers=sent, allow_redirects=False) as resp:
                    status = resp.status
            else:
                async with session.request(method, url, data=urlencode(payload), allow_redirects=False,
                                           headers={"Content-Type": "application/x-www-form-urlencoded",
                                                    **sent}) as resp:
                    status = resp.status
        except Exception as exc:  # refused, timed out, an invalid URL: recorded, never raised into the clock
            error = f"{type(exc).__name__}: {exc}"
        failed = status is None or not 200 <= status < 300
        retry = failed and number <= len(backoff)
        self.attempts.append(Attempt(self.clock.now(), vendor, tenant, method, url, payload, number,
                                     status, error, retry, job))
        if retry:  # the same request, signed afresh when it goes
            self._queue({**record, "at": self.clock.now() + backoff[number - 1], "number": number + 1})

    def to_json(self, vendor: str | None = None, tenant: str | None = None) -> list[dict[str, Any]]:
        return [asdict(a) for a in self.attempts
                if (vendor is None or a.vendor == vendor) and (tenant is None or a.tenant == tenant)]


def get_url(url: str, payload: Mapping[str, Any]) -> str:
    """A GET callback's URL: ``payload`` appended to the URL's own query, sorted by name and URL-encoded (as DIDWW
    sends them: didww/didww-api-3-python-sdk@4926800 tests/test_request_validator.py::test_sandbox)."""
    if not payload:
        return url
    url, hash_, fragment = url.partition("#")
    sep = "&" if "?" in url else "?"
    return url + sep + urlencode(sorted(payload.items())) + hash_ + fragment
