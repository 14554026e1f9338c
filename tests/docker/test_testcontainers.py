"""fakeexports.testcontainers against the built image: the container starts and is waited for, an official SDK runs
a whole export against its URL with the clock moved by the module's helpers, the journal and reset work, an
unchanged client goes through its proxy with the CA the module hands out, a clock of a test's own isolates, and a
container that cannot start says why. Containers run with --network host (this machine's Docker has no bridge
network, so the module's port mapping is not exercised here)."""

from __future__ import annotations

import gzip
import importlib.util
import json
from collections.abc import Iterator

import pytest
import requests

from tests.conftest import ACCOUNT, TOKEN
from tests.reference import skip_or_fail


@pytest.fixture(scope="module")
def no_reaper() -> Iterator[None]:
    if importlib.util.find_spec("testcontainers") is None:
        skip_or_fail("the Testcontainers test needs the testcontainers package (pip install 'fakeexports[testcontainers]')")
    from testcontainers.core.config import testcontainers_config

    # Ryuk, the reaper container Testcontainers starts first, is an image from a registry this machine cannot reach;
    # every container here is stopped by its `with` block instead (TESTCONTAINERS_RYUK_DISABLED=true does the same)
    kept = testcontainers_config.ryuk_disabled
    testcontainers_config.ryuk_disabled = True
    yield
    testcontainers_config.ryuk_disabled = kept


def test_an_official_sdk_runs_a_whole_export_against_the_container(image: str, no_reaper: None) -> None:
    from twilio.rest import Client

    from fakeexports.testcontainers import FakeExportsContainer

    with FakeExportsContainer(image, host_network=True) as fake:
        assert requests.get(fake.url + "/_fakeexports/health", timeout=5).json()["clock"] == "virtual"
        client = Client(ACCOUNT, TOKEN)
        client.bulkexports.base_url = fake.vendor_url("twilio")
        # create
        made = client.bulkexports.v1.exports("Messages").export_custom_jobs.create(
            start_day="2026-01-10", end_day="2026-01-11", friendly_name="in a testcontainer")
        # advance the fake clock past the job's run
        started = fake.now
        fired = fake.advance(60 + 2 * 30 + 1)
        assert fired >= 1 and fake.now == started + 121
        # poll, follow the Day's redirect, download
        days = client.bulkexports.v1.exports("Messages").days.list()
        day = client.bulkexports.v1.exports("Messages").days(days[0].day).fetch()
        body = requests.get(day.redirect_to, timeout=10).content
        assert made.job_sid.startswith("JS") and len(body) == days[0].size
        assert json.loads(gzip.decompress(body).splitlines()[0])["account_sid"] == ACCOUNT
        # the journal saw it; reset empties it; the fake found nothing wrong with its own answers
        assert "CreateExportCustomJob" in [e.operation for e in fake.journal("twilio")]
        assert fake.server_errors() == []
        assert fake.reset() >= 1 and fake.journal() == []
        assert fake.fake.call_count("CreateExportCustomJob") == 0


def test_an_unchanged_client_goes_through_the_containers_proxy(image: str, no_reaper: None,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from twilio.rest import Client

    from fakeexports.testcontainers import FakeExportsContainer

    with FakeExportsContainer(image, host_network=True) as fake:
        pem = fake.ca_pem
        assert pem.startswith("-----BEGIN CERTIFICATE-----") and fake.ca_file().read_text() == pem
        env = fake.proxy_env()
        assert env["HTTPS_PROXY"] == fake.url and env["NODE_EXTRA_CA_CERTS"] == str(fake.ca_file())
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        client = Client(ACCOUNT, TOKEN)  # the real host name, unchanged: https://bulkexports.twilio.com
        made = client.bulkexports.v1.exports("Calls").export_custom_jobs.create(
            start_day="2026-01-05", end_day="2026-01-05", friendly_name="through the proxy")
        assert made.job_sid.startswith("JS")
        # it came in by the vendor's host name through a tunnel, so at the root, not under the fake's mount
        [entry] = fake.journal("twilio")
        assert entry.operation == "CreateExportCustomJob" and entry.path == "/v1/Exports/Calls/Jobs"
        ca = fake.ca_file()
    assert not ca.exists()  # the CA's copy went with the container


def test_a_clock_of_a_tests_own_isolates_it_in_a_shared_container(image: str, no_reaper: None) -> None:
    from twilio.rest import Client

    from fakeexports.testcontainers import FakeExportsContainer

    with FakeExportsContainer(image, host_network=True) as fake:
        mine = fake.on_new_clock("tests/docker/test_testcontainers.py::mine")
        try:
            creds = mine.credentials("twilio")
            client = Client(creds["account_sid"], creds["auth_token"])
            client.bulkexports.base_url = mine.vendor_url("twilio")
            client.bulkexports.v1.exports("Messages").export_custom_jobs.create(
                start_day="2026-01-10", end_day="2026-01-10", friendly_name="on a clock of its own")
            before = fake.now
            mine.advance(3600)
            assert fake.now == before  # the server's clock did not move; the test's did
            assert [e.operation for e in mine.journal()] == ["CreateExportCustomJob"] and fake.journal() == []
        finally:
            mine.close()


def test_a_container_that_cannot_start_says_why(image: str, no_reaper: None) -> None:
    from fakeexports.testcontainers import FakeExportsContainer

    with pytest.raises(RuntimeError, match="speed must be positive"):  # noqa: SIM117
        with FakeExportsContainer(image, host_network=True, args=["--speed", "0"], startup_timeout=30):
            pass
