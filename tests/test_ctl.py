"""The control CLI (fakeexports/ctl.py) against a running server: tables, --json, exit codes, the URL and token
from flags or the environment, and journal --follow."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from fakeexports.cli import main
from fakeexports.clocks import CLOCKS
from fakeexports.server import ServerThread
from tests.conftest import settings
from tests.control_answers import ControlAnswers

KEY = "hb_test_ctl"


@pytest.fixture(scope="module")
def server() -> Iterator[ServerThread]:
    with ServerThread(settings(clock="virtual", strict=True, fixtures="none")) as srv:
        yield srv


@pytest.fixture
def answers(monkeypatch: pytest.MonkeyPatch) -> ControlAnswers:
    """Every control answer the CLI gets in a test, checked against the control API's document (specs/control.yaml)
    on the client's side: a test fails on one the document does not describe."""
    watched = ControlAnswers()
    watched.watch_urllib(monkeypatch)
    return watched


@pytest.fixture
def fake(server: ServerThread, monkeypatch: pytest.MonkeyPatch, answers: ControlAnswers) -> Iterator[ServerThread]:
    server.call(_reset(server))
    monkeypatch.setenv("FAKEEXPORTS_URL", server.url)
    monkeypatch.delenv("FAKEEXPORTS_CONTROL_TOKEN", raising=False)
    answers.origins.append(server.url)
    yield server
    # strict mode: a control answer that drifted from the document is a server-side error (of a clock's world too)
    worlds = [server.runtime, *(t.runtime for t in server.app[CLOCKS].by_id.values())] if server.app else []
    errors = [f"{e.where}: {e.message}" for runtime in worlds for e in runtime.journal.errors]
    assert not errors, f"server-side errors: {errors}"


async def _reset(server: ServerThread) -> None:
    server.registry.reset(clock=True)
    server.runtime.faults.clear(None)
    server.runtime.journal.clear()


def ctl(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def create_export(server: ServerThread) -> str:
    resp = requests.post(server.vendor_url("hookbridge") + "/v1/exports", headers={"Authorization": f"Bearer {KEY}"},
                         json={"start_time": "2026-01-14T00:00:00Z", "end_time": "2026-01-15T00:00:00Z"}, timeout=10)
    assert resp.status_code == 201, resp.text
    return str(resp.json()["data"]["id"])


def test_jobs_shows_a_job_made_through_the_api_with_its_next_change(fake: ServerThread,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    job = create_export(fake)
    code, out, _ = ctl(capsys, "jobs")
    assert code == 0
    header, row, *rest = out.splitlines()
    assert header.split() == ["VENDOR", "TENANT", "JOB", "COLLECTION", "STATUS", "NEXT", "FILES"]
    assert row.split()[:5] == ["hookbridge", row.split()[1], job, "exports", "pending"]
    assert "processing at 2026-01-15T12:00:10Z" in row
    assert rest[-1] == "(1 jobs)"
    code, out, _ = ctl(capsys, "jobs", "--vendor", "twilio")
    assert code == 0 and out.strip().endswith("(0 jobs)")


def test_advance_moves_the_clock_and_the_job_with_it(fake: ServerThread, capsys: pytest.CaptureFixture[str]) -> None:
    job = create_export(fake)
    code, out, _ = ctl(capsys, "advance", "70s")
    assert code == 0 and out.startswith("clock 2026-01-15T12:01:10Z (virtual)")
    code, out, _ = ctl(capsys, "jobs", "--json")
    data = json.loads(out)
    assert [(j["id"], j["status"]) for j in data["jobs"]] == [(job, "completed")]
    assert len(data["jobs"][0]["files"]) == 1  # its file, on the S3 stand-in
    assert requests.get(data["jobs"][0]["files"][0], timeout=10).status_code == 200
    code, out, _ = ctl(capsys, "advance", "1d", "--json")
    assert json.loads(out)["now"] == "2026-01-16T12:01:10Z"
    code, out, _ = ctl(capsys, "clock", "--set", "2026-02-01T00:00:00Z")
    assert code == 0 and out.startswith("clock 2026-02-01T00:00:00Z")


def test_clock_names_the_next_status_change_as_its_next_event(fake: ServerThread,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    """A status change with no effect (HookBridge's pending to processing) waits for no scheduled event, and is
    still the next thing a user sees happen: ``clock`` names it, and an advance past it fires nothing."""
    code, out, _ = ctl(capsys, "clock")
    assert (code, out.strip()) == (0, "clock 2026-01-15T12:00:00Z (virtual), nothing scheduled")
    job = create_export(fake)
    code, out, _ = ctl(capsys, "clock")
    assert out.strip() == (f"clock 2026-01-15T12:00:00Z (virtual), next event 2026-01-15T12:00:10Z "
                           f"(hookbridge job {job} becomes processing)")
    # past it: nothing fired (no moment waited there), and the next change is the next event
    code, out, _ = ctl(capsys, "advance", "10s", "--json")
    data = json.loads(out)
    assert data["fired"] == 0 and data["next_event_at"] == "2026-01-15T12:01:10Z"
    assert data["next_status_change"] == {"at": "2026-01-15T12:01:10Z", "vendor": "hookbridge",
                                          "tenant": data["next_status_change"]["tenant"], "job": job,
                                          "status": "completed"}
    code, out, _ = ctl(capsys, "advance", "60s")
    assert out.strip().startswith("clock 2026-01-15T12:01:10Z (virtual), 0 event(s) fired, next event ")
    assert f"(hookbridge job {job} becomes expired)" in out


def test_journal_and_reset(fake: ServerThread, capsys: pytest.CaptureFixture[str]) -> None:
    create_export(fake)
    code, out, _ = ctl(capsys, "journal")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split()[:3] == ["#", "AT", "VENDOR"]
    assert "hookbridge" in lines[1] and "POST" in lines[1] and "201" in lines[1] and "CreateExport" in lines[1]
    code, out, _ = ctl(capsys, "reset", "--vendor", "hookbridge")
    assert code == 0 and out.startswith("reset: 1 tenant(s) dropped")
    code, out, _ = ctl(capsys, "jobs", "--json")
    assert json.loads(out)["jobs"] == []


def test_faults_add_list_clear_and_the_fault_is_served(fake: ServerThread, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = ctl(capsys, "faults", "add", "--vendor", "hookbridge", "--operation", "ListExports",
                       "--status", "503", "--message", "down for a test", "--times", "2")
    assert code == 0 and out.strip() == "fault added: hookbridge ListExports: 503 down for a test"
    code, out, _ = ctl(capsys, "faults", "list")
    assert out.splitlines()[1].split()[:4] == ["hookbridge", "ListExports", "any", "503"]
    resp = requests.get(fake.vendor_url("hookbridge") + "/v1/exports", headers={"Authorization": f"Bearer {KEY}"},
                        timeout=10)
    assert resp.status_code == 503 and "down for a test" in resp.text
    code, out, _ = ctl(capsys, "faults", "list", "--json")
    assert json.loads(out)["faults"][0]["times"] == 1
    code, out, _ = ctl(capsys, "faults", "clear")
    assert code == 0 and json.loads(ctl(capsys, "faults", "list", "--json")[1])["faults"] == []
    code, out, _ = ctl(capsys, "faults", "add", "--vendor", "acme", "--outcome", "failed")
    assert code == 0 and "outcome failed" in out


@pytest.mark.parametrize(("argv", "code", "message"), [
    (["faults", "add", "--vendor", "nobody", "--status", "500"], 1, "400: 'vendor' must be one of"),
    (["faults", "add", "--vendor", "twilio", "--operation", "FetchJobb", "--status", "500"], 1,
     "400: operation 'FetchJobb' is not an operation of twilio; it has: CreateExportCustomJob"),
    (["clock", "--set", "2020-01-01T00:00:00Z"], 1, "the clock only moves forward"),
    (["advance", "1x"], 2, "not a duration"),
    (["advance", "99999999999999d"], 1, "9990-01-01T00:00:00Z"),
    (["faults", "add", "--vendor", "twilio"], 2, "one of the arguments --status --outcome is required"),
    (["jobs", "--url", "http://127.0.0.1:9"], 3, "no fakeexports server at http://127.0.0.1:9"),
])
def test_exit_codes_say_what_happened(fake: ServerThread, capsys: pytest.CaptureFixture[str], argv: list[str],
                                      code: int, message: str) -> None:
    try:
        got = main(argv)
    except SystemExit as exc:  # argparse's usage errors
        got = int(exc.code or 0)
    assert got == code
    assert message in capsys.readouterr().err


def test_the_control_token_from_a_flag_or_the_environment(capsys: pytest.CaptureFixture[str],
                                                          monkeypatch: pytest.MonkeyPatch,
                                                          answers: ControlAnswers) -> None:
    with ServerThread(settings(clock="virtual", strict=True, control_token="s3cret", fixtures="none")) as srv:
        answers.origins.append(srv.url)
        monkeypatch.setenv("FAKEEXPORTS_URL", srv.url)
        monkeypatch.delenv("FAKEEXPORTS_CONTROL_TOKEN", raising=False)
        code, _, err = ctl(capsys, "jobs")
        assert code == 1 and "401" in err and "give --token or FAKEEXPORTS_CONTROL_TOKEN" in err
        assert ctl(capsys, "jobs", "--token", "s3cret")[0] == 0
        monkeypatch.setenv("FAKEEXPORTS_CONTROL_TOKEN", "s3cret")
        assert ctl(capsys, "advance", "5")[0] == 0


def test_journal_follow_prints_requests_as_they_come(fake: ServerThread) -> None:
    env: dict[str, Any] = {**os.environ, "FAKEEXPORTS_URL": fake.url, "PYTHONUNBUFFERED": "1"}
    # Ctrl-C as a terminal sends it: a shell's background job (nohup, `&`, a CI runner) starts children with SIGINT
    # ignored, and Python then never turns it into KeyboardInterrupt; the child gets the default back
    proc = subprocess.Popen([sys.executable, "-m", "fakeexports", "journal", "--follow", "--json",
                             "--interval", "0.05"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env, preexec_fn=_default_sigint)
    try:
        job = create_export(fake)  # whether it lands before or after the first poll, it is printed once
        assert proc.stdout is not None
        entry = json.loads(proc.stdout.readline())
        assert (entry["vendor"], entry["operation"], entry["status"]) == ("hookbridge", "CreateExport", 201)
        requests.get(fake.vendor_url("hookbridge") + f"/v1/exports/{job}",
                     headers={"Authorization": f"Bearer {KEY}"}, timeout=10)
        assert json.loads(proc.stdout.readline())["operation"] == "GetExport"
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(30) == 0  # Ctrl-C ends it cleanly


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_journal_follow_ends_with_3_when_the_server_goes_away(capsys: pytest.CaptureFixture[str]) -> None:
    with ServerThread(settings(clock="virtual", fixtures="none")) as srv:
        url = srv.url
    assert main(["journal", "--follow", "--url", url]) == 3  # gone before the first poll: said, not a traceback
    assert "no fakeexports server at" in capsys.readouterr().err


def test_a_url_that_is_not_a_fakeexports_server_is_said(capsys: pytest.CaptureFixture[str]) -> None:
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    from threading import Thread

    class Other(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = b"<html>hello</html>"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    other = ThreadingHTTPServer(("127.0.0.1", 0), Other)
    Thread(target=other.serve_forever, daemon=True).start()
    try:
        code = main(["jobs", "--url", f"http://127.0.0.1:{other.server_address[1]}"])
    finally:
        other.shutdown()
    assert code == 3 and "is not a fakeexports server" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["journal", "--follow", "--interval", "0"])


def test_clocks_are_made_driven_listed_and_deleted_from_the_cli(fake: ServerThread,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = ctl(capsys, "clocks", "new", "--start", "2026-03-01T00:00:00Z", "--tenant", "hookbridge=proj_c1",
                       "--json")
    assert code == 0
    made = json.loads(out)
    clock, token = made["id"], made["token"]
    code, out, _ = ctl(capsys, "advance", "90s", "--clock", clock, "--token", token)
    assert (code, out.split(",")[0]) == (0, "clock 2026-03-01T00:01:30Z (virtual)")
    code, out, _ = ctl(capsys, "clock")  # the server's own never moved
    assert out.startswith("clock 2026-01-15T12:00:00Z")
    code, out, _ = ctl(capsys, "jobs", "--clock-id", clock, "--token", token)
    assert (code, out.strip().splitlines()[-1]) == (0, "(0 jobs)")
    code, out, _ = ctl(capsys, "clocks", "list")
    lines = out.strip().splitlines()
    assert code == 0 and lines[0].split()[:3] == ["CLOCK", "NOW", "NEXT"] and clock in lines[1]
    assert "hookbridge proj_c1" in lines[1] and lines[-1] == "(1 clocks)"
    code, _, err = ctl(capsys, "advance", "1m", "--clock", clock)  # without its token
    assert code == 1 and "needs 'Authorization: Bearer <its token>'" in err
    code, out, _ = ctl(capsys, "clocks", "delete", clock, "--token", token)
    assert (code, out.strip()) == (0, f"clock {clock} deleted, 0 job(s) dropped")
    code, _, err = ctl(capsys, "clocks", "new", "--tenant", "twilio")
    assert code == 1 and "--tenant takes VENDOR=TENANT" in err


def test_lint_prints_a_table_and_exits_1_at_or_above_its_severity(fake: ServerThread,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = ctl(capsys, "lint")
    assert code == 0 and "no lint findings" in out
    job = create_export(fake)
    for _ in range(3):  # three reads at one instant: a poll too fast (a warning)
        assert requests.get(fake.vendor_url("hookbridge") + f"/v1/exports/{job}", timeout=10,
                            headers={"Authorization": f"Bearer {KEY}"}).status_code == 200
    code, out, _ = ctl(capsys, "lint")
    assert code == 1
    lines = out.splitlines()
    assert lines[0].split() == ["SEVERITY", "VENDOR", "TENANT", "RULE", "SUBJECT", "REQUESTS"]
    assert lines[1].split()[:4] == ["warning", "hookbridge", lines[1].split()[2], "poll-too-fast"]
    assert "do instead: wait at least 5 s" in out and "source: INFERRED" in out
    assert re.search(r"requests: #(\d+), #\d+, #\d+\n", out)  # the three reads (the create before them is fine)
    code, out, _ = ctl(capsys, "lint", "--fail-on", "error")
    assert code == 0 and "no lint findings at or above error" in out
    code, out, _ = ctl(capsys, "lint", "--json", "--vendor", "hookbridge")
    data = json.loads(out)
    assert code == 1 and [f["rule"] for f in data["findings"]] == ["poll-too-fast"]
    assert data["findings"][0]["evidence"][0]["operation"] == "GetExport"
    code, out, _ = ctl(capsys, "lint", "--since", str(data["mark"]))
    assert code == 0  # nothing since that mark
    code, out, _ = ctl(capsys, "lint", "--rules", "--vendor", "talkdesk")
    assert code == 0 and "refused-again" in out and "docs.talkdesk.com" in out


def test_webhooks_lists_the_attempts_and_the_journal_cuts_long_links(fake: ServerThread,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = ctl(capsys, "webhooks")
    assert code == 0 and "(0 attempts)" in out
    resp = requests.post(fake.vendor_url("twilio") + "/v1/Exports/Messages/Jobs", auth=("AC" + "7" * 32, "tok"),
                         data={"StartDay": "2026-01-10", "EndDay": "2026-01-10", "FriendlyName": "hooked",
                               "WebhookUrl": "http://127.0.0.1:9/hook", "WebhookMethod": "POST"}, timeout=10)
    assert resp.status_code == 201, resp.text
    ctl(capsys, "advance", "2m")
    code, out, _ = ctl(capsys, "webhooks", "--vendor", "twilio")
    lines = out.splitlines()
    assert code == 0 and lines[0].split() == ["AT", "VENDOR", "TENANT", "METHOD", "URL", "TRY", "ANSWER"]
    assert "http://127.0.0.1:9/hook" in lines[1] and "(retried)" in lines[1]
    requests.get(fake.url + "/_s3/fakeexports-twilio/" + "x" * 200 + "?X-Amz-Date=1", timeout=10)
    code, out, _ = ctl(capsys, "journal")
    assert code == 0 and max(len(line) for line in out.splitlines()) < 200  # a long link is cut in the table
    assert "…" in out


def test_version_and_health_of_a_url(fake: ServerThread, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0 and capsys.readouterr().out.startswith("fakeexports ")
    assert main(["health", "--url", fake.url]) == 0
    assert main(["health", "--url", "http://127.0.0.1:9"]) == 1
    assert "unhealthy" in capsys.readouterr().err


def test_every_answer_the_cli_gets_is_one_the_control_document_describes(fake: ServerThread, answers: ControlAnswers,
                                                                         capsys: pytest.CaptureFixture[str]) -> None:
    """Each command's answers, refusals among them, checked on the way in (the answers fixture) against
    specs/control.yaml; the server's strict mode checks them too (the fake fixture fails on its errors)."""
    create_export(fake)
    for argv in (["health", "--url", fake.url], ["clock"], ["advance", "10s"], ["clock", "--set", "2020-01-01T00:00:00Z"],
                 ["jobs", "--limit", "1"], ["journal"], ["webhooks"], ["lint"], ["lint", "--rules"], ["faults", "list"],
                 ["faults", "add", "--vendor", "hookbridge", "--status", "503"], ["faults", "clear"],
                 ["faults", "add", "--vendor", "nope", "--status", "503"], ["clocks", "list"], ["reset", "--clock"]):
        ctl(capsys, *argv)
    assert [line.rsplit(" ", 1)[1] for line in answers.seen] == [
        "200", "200", "200", "400", "200", "200", "200", "200", "200", "200", "201", "200", "400", "200", "200"]
    assert answers.seen[0] == "GET /_fakeexports/health 200"
