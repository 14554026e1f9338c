"""The ``fakeexports`` pytest fixture against a server that runs elsewhere (FAKEEXPORTS_URL: a container, a
shared instance), as moto's server mode: the same methods as the in-process fixture, over the control API."""

from __future__ import annotations

import hashlib
import os
import socket
import tempfile
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import quote

from .clocks import PREFIX as CLOCK_PREFIX
from .ctl import Control, Refused
from .faults import Fault, FaultError
from .journal import Entry
from .lint import Finding


def place(urls: list[str], session: str) -> str:
    """The server of several (FAKEEXPORTS_URL=url,url,...) a pytest session runs on: rendezvous hashing of the
    session's name, so every client places a session alike with no coordination, and a server added or removed
    moves only the sessions that were or will be on it."""
    if not urls:
        raise ValueError("no server URL")
    return max(urls, key=lambda url: hashlib.blake2b(f"{session}\n{url}".encode(), digest_size=8).digest())


def session_name() -> str:
    """FAKEEXPORTS_SESSION (a CI job's id, to keep its place between reruns), else this process on this machine."""
    return os.environ.get("FAKEEXPORTS_SESSION") or f"{socket.gethostname()}/{os.getpid()}"


class RemoteFake:
    """What the fixture gives a test when FAKEEXPORTS_URL is set: the server there, or one clock of it (``clock``,
    made by ``on_new_clock``: the test's own clock and tenants, driven with the clock's token). Jobs are not reachable
    as objects (``job``)."""

    def __init__(self, url: str, token: str | None = None, *, clock: str | None = None,
                 credentials: dict[str, dict[str, dict[str, str]]] | None = None):
        self.server_url = url.rstrip("/")
        self.clock = clock
        # a clock's handle: every URL is under the clock's own base (its answers' links are, too)
        self.url = self.server_url + (f"{CLOCK_PREFIX}/{clock}" if clock else "")
        self.control = Control(self.url, token)
        health = self.control.call("GET", "/health")
        self.mounts: dict[str, str] = health["vendors"]
        self.virtual = health["clock"] == "virtual"
        self.mark = 0
        self.made = credentials or {}
        self._ca: tempfile.TemporaryDirectory[str] | None = None  # the server's CA certificate (ca_file)

    @classmethod
    def on_new_clock(cls, url: str, test: str) -> RemoteFake:
        """A clock of the server at ``url`` made for the test ``test`` (its id), with a fresh tenant of every vendor
        that can have one (``credentials``, made from the test's id as in process): what the test does touches
        nothing of any other test's."""
        made = Control(url.rstrip("/")).call("POST", "/clocks", {"fresh_tenants": test})
        return cls(url, made["token"], clock=made["id"], credentials=made.get("credentials") or {})

    def close(self) -> None:
        """Drop this test's clock and its tenants (a server-wide handle has none), and the CA's copy (ca_file)."""
        try:
            if self.clock is not None:
                Control(self.server_url, self.control.token).call("DELETE", f"/clocks/{self.clock}")
        finally:
            if self._ca is not None:
                self._ca.cleanup()
                self._ca = None

    def credentials(self, vendor: str) -> dict[str, str]:
        return dict(self._made(vendor)["fields"])

    def headers(self, vendor: str) -> dict[str, str]:
        return dict(self._made(vendor)["headers"])

    def _made(self, vendor: str) -> dict[str, dict[str, str]]:
        if vendor not in self.made:
            raise KeyError(f"no fresh {vendor} tenant for this test: the handle has {sorted(self.made)} (a "
                           f"server-wide handle has none; a vendor without the credential_tenant hook neither)")
        return self.made[vendor]

    def vendor_url(self, vendor: str) -> str:
        return self.url + self.mounts[vendor]

    def ca_file(self) -> Path:
        """The server's CA certificate in a file: fetched once from GET /_fakeexports/ca.pem, removed by close()."""
        if self._ca is None:
            request = urllib.request.Request(self.server_url + "/_fakeexports/ca.pem")
            with urllib.request.urlopen(request, timeout=30) as answer:
                pem = answer.read()
            self._ca = tempfile.TemporaryDirectory(prefix="fakeexports-ca-")
            (Path(self._ca.name) / "ca.pem").write_bytes(pem)
        return Path(self._ca.name) / "ca.pem"

    def proxy_env(self) -> dict[str, str]:
        """HTTPS_PROXY and the CA variables that send an unchanged client to this server's proxy, trusting its CA
        (ca_file): REQUESTS_CA_BUNDLE (requests), SSL_CERT_FILE (httpx, OpenSSL), NODE_EXTRA_CA_CERTS (node). On a
        clock, the proxy URL carries the clock's id and token as its credentials: every request of the client's
        tunnels is then that clock's."""
        ca = str(self.ca_file())
        parts = urllib.parse.urlsplit(self.server_url)
        proxy = self.server_url if self.clock is None else (
            f"{parts.scheme}://{self.clock}:{urllib.parse.quote(str(self.control.token), safe='')}@{parts.netloc}")
        return {"HTTPS_PROXY": proxy, "https_proxy": proxy, "REQUESTS_CA_BUNDLE": ca, "SSL_CERT_FILE": ca,
                "NODE_EXTRA_CA_CERTS": ca}

    @property
    def now(self) -> float:
        return float(self.control.call("GET", "/clock")["epoch"])

    def advance(self, seconds: float) -> int:
        return int(self.control.call("POST", "/clock/advance", {"seconds": seconds})["fired"])

    def reset(self, vendor: str | None = None, tenant: str | None = None) -> int:
        body = {k: v for k, v in {"vendor": vendor, "tenant": tenant}.items() if v is not None}
        whole = vendor is None and tenant is None and self.virtual  # as the in-process fixture: the clock too
        dropped = int(self.control.call("POST", "/reset", {**body, "clock": whole})["tenants_dropped"])
        self.mark = int(self.control.call("GET", "/journal?since=0")["mark"])
        return dropped

    def journal(self, vendor: str | None = None) -> list[Entry]:
        query = f"?since={self.mark}" + (f"&vendor={quote(vendor)}" if vendor else "")
        return [Entry(**e) for e in self.control.call("GET", "/journal" + query)["entries"]]

    def call_count(self, operation: str) -> int:
        return sum(1 for e in self.journal() if e.operation == operation)

    def add_fault(self, vendor: str, **fields: Any) -> Fault:
        try:
            return Fault(**self.control.call("POST", "/faults", {"vendor": vendor, **fields})["added"])
        except Refused as exc:  # the same error as in-process: a fault that could never match
            if exc.status == 400:
                raise FaultError(str(exc)) from None
            raise

    def job(self, vendor: str, job_id: str) -> Any:
        raise NotImplementedError("a remote server's jobs are not objects here: use GET /_fakeexports/jobs")

    def force(self, vendor: str, job_id: str, status: str) -> None:
        self.control.call("POST", f"/jobs/{quote(vendor)}/{quote(job_id)}/force", {"status": status})

    def lint(self, vendor: str | None = None, severity: str = "info") -> list[Finding]:
        query = f"?since={self.mark}&severity={quote(severity)}" + (f"&vendor={quote(vendor)}" if vendor else "")
        return [Finding(**f) for f in self.control.call("GET", "/lint" + query)["findings"]]

    def server_errors(self) -> list[str]:
        errors = self.control.call("GET", f"/journal?since={self.mark}")["errors"]
        return [f"{e['where']}: {e['message']}\n{e['traceback']}" for e in errors]
