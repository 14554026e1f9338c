"""``serve --record``: tunnels to the hosts named go to the "real vendor" (here a second fakeexports, reached through
``--upstreams``), each exchange is saved as a transcript with its secrets removed, and that transcript imported is a
corpus entry the fake passes. Tunnels to the other vendors are the fake's as always."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from fakeexports.cli import main
from fakeexports.server import ServerThread
from tests.conftest import ACCOUNT, TOKEN, settings

KEY = "hb_test_recorded"


@pytest.fixture
def vendor() -> Iterator[ServerThread]:
    with ServerThread(settings(clock="virtual", strict=True, fixtures="none")) as server:
        yield server


def test_a_recorded_tunnel_goes_to_the_vendor_and_its_transcript_is_a_corpus_entry(
        vendor: ServerThread, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    from hookbridge import HookBridge

    folder = tmp_path / "recorded"
    with ServerThread(settings(clock="virtual", fixtures="none", ca_dir=str(tmp_path / "ca"), record=str(folder),
                               record_hosts="api.hookbridge.io",
                               upstreams=f"api.hookbridge.io={vendor.url}")) as proxy:
        for var in ("NO_PROXY", "no_proxy", "HOOKBRIDGE_BASE_URL"):
            monkeypatch.delenv(var, raising=False)
        for var, value in proxy.proxy_env().items():
            monkeypatch.setenv(var, value)
        with HookBridge(KEY, retries=0) as client:  # unchanged: HTTPS_PROXY and the CA
            made = client.create_export(start_time="2026-01-14T00:00:00Z", end_time="2026-01-15T00:00:00Z")
            vendor.advance(70)  # the vendor's clock, not the recorder's
            assert client.get_export(made.id).status == "completed"
            location = client.download_export(made.id)
        assert location.startswith("https://api.hookbridge.io/_s3/")
        data = requests.get(location, timeout=10).content  # the vendor's file host, recorded too
        assert data.startswith(b"message_id,")
        # another vendor's tunnel is the fake's own, as without --record
        twilio = requests.get("https://bulkexports.twilio.com/v1/Exports/Messages", auth=(ACCOUNT, TOKEN), timeout=10)
        assert twilio.status_code == 200
        here = {e.vendor for e in proxy.runtime.journal.entries}
    there = [(e.vendor, e.operation) for e in vendor.runtime.journal.entries]
    assert ("hookbridge", "CreateExport") in there and ("s3", "GetObject") in there
    assert here == {"twilio"}  # the fake never answered the recorded host

    saved = list(folder.glob("api.hookbridge.io-*.json"))
    assert len(saved) == 1
    text = saved[0].read_text()
    assert KEY not in text and "X-Amz-Signature=***" in text
    doc = json.loads(text)
    assert [e["method"] for e in doc["exchanges"]] == ["POST", "GET", "GET", "GET"]

    corpus = tmp_path / "corpus"
    assert main(["import", "hookbridge", str(saved[0]), "--out", str(corpus)]) == 0
    capsys.readouterr()
    assert main(["conformance", str(corpus)]) == 0, capsys.readouterr().out


def test_record_mode_needs_its_hosts_and_a_proxy(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for argv, said in ((["--record", str(tmp_path)], "--record needs --record-hosts"),
                       (["--record", str(tmp_path), "--record-hosts", "a.example", "--no-proxy"], "--no-proxy"),
                       (["--record", str(tmp_path), "--record-hosts", "a.example", "--upstreams", "a.example"],
                        "HOST=URL")):
        assert main(["serve", "--port", "0", *argv]) == 1
        assert said in capsys.readouterr().err
