"""What a test holds of a fake: the ``fakeexports`` fixture's handle, the same whether the server runs in the test's
process (pytest_plugin.FakeExports) or elsewhere (remote.RemoteFake, with FAKEEXPORTS_URL). Both are checked
against this Protocol by mypy (pytest_plugin._handles)."""

from __future__ import annotations

from typing import Any, Protocol

from .faults import Fault
from .journal import Entry
from .lint import Finding


class Fake(Protocol):
    @property
    def url(self) -> str:
        """The server's origin, e.g. ``http://127.0.0.1:41234``."""

    def vendor_url(self, vendor: str) -> str:
        """A vendor's base URL, e.g. ``http://127.0.0.1:41234/twilio``."""

    def proxy_env(self) -> dict[str, str]:
        """HTTPS_PROXY and the CA variables that send an unchanged client to the fake."""

    @property
    def now(self) -> float:
        """The fake clock's time (epoch seconds)."""

    def advance(self, seconds: float) -> int:
        """Move the fake clock forward, firing what comes due; returns how many events fired."""

    def reset(self, vendor: str | None = None, tenant: str | None = None) -> int:
        """Drop state (all, a vendor's or a tenant's) and reload the fixture files."""

    def journal(self, vendor: str | None = None) -> list[Entry]:
        """The requests made since the test began, oldest first."""

    def call_count(self, operation: str) -> int:
        """How many requests of this operationId the test made."""

    def add_fault(self, vendor: str, **fields: Any) -> Fault:
        """Queue a fault (a ValueError for one that could never match)."""

    def job(self, vendor: str, job_id: str) -> Any:
        """A job as the fake holds it (in process only)."""

    def force(self, vendor: str, job_id: str, status: str) -> None:
        """Force a job into a status from now on."""

    def server_errors(self) -> list[str]:
        """Server-side errors since the test began (they fail it)."""

    def lint(self, vendor: str | None = None, severity: str = "info") -> list[Finding]:
        """The vendors' lint rules the test's clients broke since it began (lint.py), at or above ``severity``."""

    def credentials(self, vendor: str) -> dict[str, str]:
        """A tenant of the test's own, nobody else's: what its client is configured with (Twilio ``account_sid`` and
        ``auth_token``, DIDWW and HookBridge ``api_key``, Talkdesk ``client_id`` and ``client_secret``)."""

    def headers(self, vendor: str) -> dict[str, str]:
        """The request headers that carry ``credentials(vendor)``."""
