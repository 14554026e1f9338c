"""The pytest plugin (registered through the ``pytest11`` entry point): one fake server per session on a
free 127.0.0.1 port, virtual clock, strict mode, reset before each test. Server-side errors (a handler
crash, a strict-mode mismatch) fail the test that caused them."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from .control import fresh_credentials
from .faults import Fault
from .handle import Fake
from .journal import Entry
from .lint import Finding, at_least, lint, report
from .remote import RemoteFake, place, session_name
from .rules import SEVERITIES
from .server import ServerThread
from .settings import Settings
from .store import Job

LINT_INI = "fakeexports_lint"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(LINT_INI, "fail every test whose client broke a vendor's lint rule at or above this severity "
                  "(info, warning or error; off by default); @pytest.mark.fakeexports_lint sets it per test",
                  default="off")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "fakeexports(**settings): Settings fields for this test's fake server (e.g. seed=7, "
        "credentials='creds.yaml'); such a test gets a server of its own",
    )
    config.addinivalue_line(
        "markers",
        "fakeexports_lint(severity='warning'): fail the test if its client broke a vendor's lint rule at or above "
        "the severity (info, warning, error; 'off' turns the ini setting off for this test)",
    )


def lint_floor(request: pytest.FixtureRequest) -> str | None:
    """The severity at which this test fails for lint findings: its marker's, else the ini setting's; None: off."""
    marker = request.node.get_closest_marker("fakeexports_lint")
    if marker is not None:
        chosen = str(marker.kwargs.get("severity", marker.args[0] if marker.args else "warning"))
    else:
        chosen = str(request.config.getini(LINT_INI) or "off")
    if chosen not in ("off", *SEVERITIES):
        raise pytest.UsageError(f"fakeexports_lint: {chosen!r} is not off, {', '.join(SEVERITIES)}")
    return None if chosen == "off" else chosen


class FakeExports:
    """What the ``fakeexports`` fixture gives a test: the server's URLs and its clock, journal, faults
    and jobs, acted on directly (no HTTP round trip)."""

    def __init__(self, server: ServerThread, test: str = ""):
        self.server = server
        self.mark = server.runtime.journal.mark
        self.made = fresh_credentials(server.registry, test or "in process")

    def credentials(self, vendor: str) -> dict[str, str]:
        """A tenant of this test's own (fresh: no fixture, no other test's state), made from the test's id and the
        seed: what its client is configured with, e.g. Twilio's ``account_sid`` and ``auth_token``. Against a shared
        server (FAKEEXPORTS_URL) the same test gets the same tenant, on its own clock."""
        return dict(self._made(vendor)["fields"])

    def headers(self, vendor: str) -> dict[str, str]:
        """The request headers that carry ``credentials(vendor)``."""
        return dict(self._made(vendor)["headers"])

    def _made(self, vendor: str) -> dict[str, dict[str, str]]:
        if vendor not in self.made:
            raise KeyError(f"no fresh {vendor} tenant: the vendor makes none (its hook fresh_credentials)")
        return self.made[vendor]

    @property
    def url(self) -> str:
        """The server's origin, e.g. ``http://127.0.0.1:41234``."""
        return self.server.url

    def vendor_url(self, vendor: str) -> str:
        """A vendor's base URL, e.g. ``http://127.0.0.1:41234/twilio``."""
        return self.server.vendor_url(vendor)

    def proxy_env(self) -> dict[str, str]:
        """HTTPS_PROXY and the CA variables that make an unchanged client reach this fake for a vendor's real host
        (``monkeypatch.setenv`` them, or pass them to a subprocess)."""
        return self.server.proxy_env()

    @property
    def now(self) -> float:
        """The fake clock's time (epoch seconds)."""
        return self.server.runtime.clock.now()

    def advance(self, seconds: float) -> int:
        """Move the fake clock forward, firing the side effects that come due; returns how many fired."""
        return self.server.advance(seconds)

    def reset(self, vendor: str | None = None, tenant: str | None = None) -> int:
        """Drop state (all, one vendor's or one tenant's) and reload the fixture files."""
        return self.server.reset(vendor, tenant)

    def journal(self, vendor: str | None = None) -> list[Entry]:
        """Requests this test made, oldest first."""
        return self.server.runtime.journal.since(self.mark, vendor)

    def call_count(self, operation: str) -> int:
        return sum(1 for e in self.journal() if e.operation == operation)

    def add_fault(self, vendor: str, **fields: Any) -> Fault:
        """Queue a fault, e.g. ``add_fault("twilio", operation="FetchJob", status=503)`` or
        ``add_fault("twilio", operation="CreateExportCustomJob", outcome="Failed")``. A fault that could never
        match (an operation the vendor does not have, an outcome it cannot force...) raises ValueError at once."""
        runtime, registry = self.server.runtime, self.server.registry

        async def add() -> Fault:
            return runtime.faults.add(registry.fault({"vendor": vendor, **fields}))

        return self.server.call(add())

    def job(self, vendor: str, job_id: str) -> Job:
        found = self.server.registry.vendors[vendor].find_job(job_id)
        if found is None:
            raise KeyError(f"no {vendor} job {job_id}")
        return found[1]

    def force(self, vendor: str, job_id: str, status: str) -> None:
        """Force a job into a status from now on (Twilio: ErrorDuringRun, Failed, Completed...)."""
        registry = self.server.registry

        async def force() -> None:
            v = registry.vendors[vendor]
            found = v.find_job(job_id)
            if found is None:
                raise KeyError(f"no {vendor} job {job_id}")
            v.force(found[0], found[1], status)

        self.server.call(force())

    def server_errors(self) -> list[str]:
        return [f"{e.where}: {e.message}\n{e.traceback}" for e in self.server.runtime.journal.errors_since(self.mark)]

    def lint(self, vendor: str | None = None, severity: str = "info") -> list[Finding]:
        """How this test's clients behaved: the vendors' lint rules broken since the test began (lint.py), at or
        above ``severity``, the most severe first."""
        found = self.server.run(lambda: lint(self.server.registry, since=self.mark, vendor=vendor))
        return at_least(found, severity)


@pytest.fixture(scope="session")
def fakeexports_settings() -> Settings:
    """Settings of the session's fake server. Override this fixture in a conftest.py to change them."""
    return Settings(clock="virtual", strict=True, port=0)


@pytest.fixture(scope="session")
def fakeexports_server(fakeexports_settings: Settings) -> Iterator[ServerThread | RemoteFake]:
    """The session's fake server (a ServerThread), started on first use and stopped at the end; with
    FAKEEXPORTS_URL set, the server there instead (a RemoteFake over its control API, as moto's server mode)."""
    url = os.environ.get("FAKEEXPORTS_URL")
    if url:  # several, comma-separated: this session runs on one, placed by a stable hash of its name
        urls = [u.strip() for u in url.split(",") if u.strip()]
        yield RemoteFake(place(urls, session_name()), os.environ.get("FAKEEXPORTS_CONTROL_TOKEN"))
        return
    with ServerThread(fakeexports_settings) as server:
        yield server


@pytest.fixture
def fakeexports(request: pytest.FixtureRequest, fakeexports_settings: Settings,
                fakeexports_server: ServerThread | RemoteFake) -> Iterator[Fake]:
    """A reset fake server for this test: every vendor's state dropped, fixture files reloaded, the
    virtual clock back at its start. ``@pytest.mark.fakeexports(seed=7, ...)`` gives the test a server
    of its own with those settings. A server-side error during the test fails it at teardown."""
    marker = request.node.get_closest_marker("fakeexports")
    own: ServerThread | None = None
    if isinstance(fakeexports_server, RemoteFake):
        yield from _remote(fakeexports_server, marker, request.node.nodeid, lint_floor(request))
        return
    if marker is not None and (marker.kwargs or marker.args):
        own = ServerThread(fakeexports_settings.with_(**marker.kwargs)).start()
        server = own
    else:
        server = fakeexports_server  # a fixture dependency: pytest's getfixturevalue costs more than the reset
        if server.settings.clock == "virtual":
            server.run(_reset_all, server)
        else:
            server.reset()
    try:
        yield from _watched(FakeExports(server, request.node.nodeid), lint_floor(request))
    finally:
        if own is not None:
            own.stop()


def _watched(handle: Fake, floor: str | None = None) -> Iterator[Fake]:
    """The test runs with ``handle``; a server-side error during it (a handler crash, a strict-mode mismatch)
    fails it, and so do lint findings at or above ``floor`` where the test asked for that."""
    yield handle
    errors = handle.server_errors()
    if errors:
        pytest.fail("fakeexports server-side errors during this test:\n" + "\n".join(errors), pytrace=False)
    if floor is not None:
        found = handle.lint(severity=floor)
        if found:
            pytest.fail(f"fakeexports lint: this test's client broke vendor rules (at or above {floor}):\n"
                        + report(found), pytrace=False)


def _remote(remote: RemoteFake, marker: pytest.Mark | None, test: str, floor: str | None) -> Iterator[Fake]:
    """A test against a shared server: on a clock of its own with fresh tenants (clocks.py), dropped after it;
    FAKEEXPORTS_CLOCK_PER_TEST=0 gives every test the server itself, reset first, as before clocks."""
    if marker is not None and (marker.kwargs or marker.args):
        pytest.skip(f"needs a fake of its own with {marker.kwargs}; FAKEEXPORTS_URL points at an external one")
    if os.environ.get("FAKEEXPORTS_CLOCK_PER_TEST", "1") == "0":
        handle = remote
        handle.reset()
    else:
        handle = RemoteFake.on_new_clock(remote.server_url, test)
    try:
        yield from _watched(handle, floor)
    finally:
        if handle is not remote:
            handle.close()


def _handles(local: FakeExports, remote: RemoteFake) -> tuple[Fake, Fake]:
    """For mypy: both handles are a Fake (handle.py), the one interface a test is written against."""
    return local, remote


def _reset_all(server: ServerThread) -> int:
    return server.registry.reset(clock=True)
