"""The fakeexports Docker image as a Testcontainers module (``pip install 'fakeexports[testcontainers]'``): a
``DockerContainer`` that starts the fake, waits until its control API answers healthy, and gives its URL, its
proxy's CA and the control API's helpers. docs/other-languages.md shows it; tests/docker/test_testcontainers.py
runs it against the built image."""

from __future__ import annotations

import socket
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Self

from testcontainers.core.container import DockerContainer

from .journal import Entry
from .remote import RemoteFake

PORT = 8080  # the image's FAKEEXPORTS_PORT (Dockerfile)


class FakeExportsContainer(DockerContainer):
    """The fake in a container: virtual clock and strict mode by default, as the pytest plugin runs it.

    ``image``: the fakeexports image (``docker build -t fakeexports .``). ``host_network``: run with
    ``--network host`` on a free loopback port instead of publishing port 8080 (where Docker has no bridge
    network). ``args``: more ``fakeexports serve`` flags (``--seed 7``, ``--credentials /creds.yaml``...);
    ``token``: the control token, when ``args`` or the environment set one. ``startup_timeout``: seconds to wait
    for the health check.

    Once started: ``url`` (the server's origin), ``vendor_url(vendor)``, ``ca_pem`` / ``ca_file()`` (the proxy's CA),
    ``proxy_env()`` (HTTPS_PROXY and the CA variables for an unchanged client), and the control helpers
    ``advance``, ``now``, ``reset``, ``journal`` and ``server_errors``; ``fake`` is the whole handle the pytest
    fixture has against a server elsewhere (faults, force, lint, ...), ``on_new_clock(test)`` a clock of a test's
    own with fresh tenants."""

    def __init__(self, image: str = "fakeexports", *, clock: str = "virtual", strict: bool = True,
                 host_network: bool = False, args: Sequence[str] = (), token: str | None = None,
                 startup_timeout: float = 60.0, **kwargs: Any):
        super().__init__(image, **kwargs)
        self.host_network = host_network
        self.token = token
        self.startup_timeout = startup_timeout
        self._port = PORT
        self._fake: RemoteFake | None = None
        host = "0.0.0.0"
        if host_network:  # all of it on the machine's loopback, on a port free there now
            with socket.socket() as sock:
                sock.bind(("127.0.0.1", 0))
                self._port = int(sock.getsockname()[1])
            host = "127.0.0.1"
            self.with_kwargs(network_mode="host")
            self.with_env("FAKEEXPORTS_PORT", str(self._port))
        else:
            self.with_exposed_ports(PORT)
        self.with_command(["fakeexports", "serve", "--host", host, "--clock", clock,
                           "--strict" if strict else "--no-strict", *args])

    # --- lifecycle -------------------------------------------------------------------------------------------------
    def start(self) -> Self:
        super().start()
        self._wait_healthy()
        self._fake = RemoteFake(self.url, self.token)
        return self

    def stop(self, force: bool = True, delete_volume: bool = True) -> None:
        if self._fake is not None:
            self._fake.close()  # the CA's copy goes with it
        self._fake = None
        super().stop(force, delete_volume)

    def _wait_healthy(self) -> None:
        """Until GET /_fakeexports/health answers 200 (the image's HEALTHCHECK asks the same every 5 s; asking
        here directly answers as soon as the server listens)."""
        deadline = time.monotonic() + self.startup_timeout
        health = self.url + "/_fakeexports/health"
        while True:
            try:
                with urllib.request.urlopen(health, timeout=2) as answer:
                    if answer.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            wrapped = self.get_wrapped_container()
            wrapped.reload()
            if wrapped.status in ("exited", "dead") or time.monotonic() > deadline:
                out, err = self.get_logs()
                raise RuntimeError(f"fakeexports did not answer {health} ({wrapped.status}): "
                                   f"{(out + err).decode(errors='replace')[-3000:]}")
            time.sleep(0.1)

    # --- where it is ------------------------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        """The server's origin, ``http://host:port``: vendors under their mounts, the control API under
        /_fakeexports/, and the HTTPS proxy (CONNECT) on the same port."""
        if self.host_network:
            return f"http://127.0.0.1:{self._port}"
        return f"http://{self.get_container_host_ip()}:{self.get_exposed_port(PORT)}"

    @property
    def fake(self) -> RemoteFake:
        """The control API's handle (fakeexports.remote.RemoteFake): what the pytest fixture gives a test against a
        server elsewhere."""
        if self._fake is None:
            raise RuntimeError("the container is not started: use `with FakeExportsContainer(...) as fake:` or start()")
        return self._fake

    def vendor_url(self, vendor: str) -> str:
        """A vendor's base URL, its mount on this server (what its SDK's base URL setting takes)."""
        return self.fake.vendor_url(vendor)

    @property
    def ca_pem(self) -> str:
        """The proxy's CA certificate (PEM), from GET /_fakeexports/ca.pem."""
        return self.ca_file().read_text()

    def ca_file(self) -> Path:
        """The CA certificate in a file (kept until the container stops): for REQUESTS_CA_BUNDLE, SSL_CERT_FILE,
        NODE_EXTRA_CA_CERTS or a JVM trust store. The remote handle's (RemoteFake.ca_file)."""
        return self.fake.ca_file()

    def proxy_env(self) -> dict[str, str]:
        """The environment that sends an unchanged client through the fake's HTTPS proxy, trusting its CA:
        HTTPS_PROXY (and https_proxy), REQUESTS_CA_BUNDLE, SSL_CERT_FILE, NODE_EXTRA_CA_CERTS."""
        return self.fake.proxy_env()

    # --- control ---------------------------------------------------------------------------------------------------
    @property
    def now(self) -> float:
        """The server clock's time, epoch seconds."""
        return self.fake.now

    def advance(self, seconds: float) -> int:
        """Moves the server clock on (POST /_fakeexports/clock/advance); answers how many events fired."""
        return self.fake.advance(seconds)

    def reset(self, vendor: str | None = None, tenant: str | None = None) -> int:
        """Drops every tenant's state (or one vendor's, or one tenant's; the whole reset rewinds a virtual clock
        too); answers how many tenants were dropped."""
        return self.fake.reset(vendor, tenant)

    def journal(self, vendor: str | None = None) -> list[Entry]:
        """The requests served since the last reset, oldest first."""
        return self.fake.journal(vendor)

    def server_errors(self) -> list[str]:
        """The fake's own errors since the last reset (an exception, or in strict mode an answer off its spec)."""
        return self.fake.server_errors()

    def on_new_clock(self, test: str) -> RemoteFake:
        """A clock of the test ``test``'s own, with a fresh tenant of every vendor (``credentials(vendor)``): tests
        that share the container touch nothing of each other's. ``close()`` it after the test."""
        return RemoteFake.on_new_clock(self.url, test)
