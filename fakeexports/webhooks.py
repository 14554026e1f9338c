"""Outgoing webhooks (job-completion callbacks): sent as side effects on the fake clock, each attempt with a
short timeout and recorded; a failed attempt is retried after a backoff measured on the fake clock, so a
test that advances the clock sees the retries without waiting. No lock is held across the call, so a
receiver may call the fake back."""

from __future__ import annotations

import fnmatch
import ipaddress
import re
from collections import deque
from collections.abc import Callable, Mapping, Sequence
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
                 backoff: Sequence[float] = BACKOFF) -> None:
        """Send ``payload`` (for GET, appended to the URL's query sorted by name; a form body otherwise) when the
        clock reaches ``at``. The vendor's ``webhook_headers`` hook signs the request as it goes out."""
        when = self.clock.now() if at is None else at
        self.scheduler.at(when, self._attempt, vendor, tenant, method.upper(), url, dict(payload),
                                  dict(headers or {}), tuple(backoff), 1, label=f"{vendor} webhook")

    async def _attempt(self, vendor: str, tenant: str, method: str, url: str, payload: dict[str, Any],
                       headers: dict[str, str], backoff: tuple[float, ...], number: int) -> None:
        status: int | None = None
        error = self.allow.refuses(url)
        if error is not None:  # not tried, never retried: it would be refused again
            self.attempts.append(Attempt(self.clock.now(), vendor, tenant, method, url, payload, number,
                                         None, error, False))
            return
        try:
            session = await self.session()
            target = get_url(url, payload) if method == "GET" else url
            signer = self.signers.get(vendor)
            signed = signer(tenant, method, target, payload) if signer is not None else None
            headers = {**headers, **(signed or {})}
            if method == "GET":
                # encoded=True: sent byte for byte as signed (yarl would otherwise unquote %3A and %2F in the query)
                async with session.get(URL(target, encoded=True), headers=headers, allow_redirects=False) as resp:
                    status = resp.status
            else:
                async with session.request(method, url, data=urlencode(payload), allow_redirects=False,
                                           headers={"Content-Type": "application/x-www-form-urlencoded",
                                                    **headers}) as resp:
                    status = resp.status
        except Exception as exc:  # refused, timed out, an invalid URL: recorded, never raised into the clock
            error = f"{type(exc).__name__}: {exc}"
        failed = status is None or not 200 <= status < 300
        retry = failed and number <= len(backoff)
        self.attempts.append(Attempt(self.clock.now(), vendor, tenant, method, url, payload, number,
                                     status, error, retry))
        if retry:
            self.scheduler.at(self.clock.now() + backoff[number - 1], self._attempt, vendor, tenant,
                                      method, url, payload, headers, backoff, number + 1,
                                      label=f"{vendor} webhook retry")

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
