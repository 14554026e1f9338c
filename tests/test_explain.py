"""Every answer explains itself (issue 24 item 2): a refused request's reason (the rule, the parameter or field, the
spec's own words) and what was sent and answered, secrets masked, through GET /_fakeexports/journal/{seq},
``fakeexports journal -v`` and ``fakeexports serve -v``; the vendor's envelope on the wire stays as it was."""

from __future__ import annotations

import gzip
import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from fakeexports.cli import main
from fakeexports.journal import CAP, Journal, shown_body
from fakeexports.server import ServerThread
from tests.conftest import ACCOUNT, TOKEN, settings

KEY = "hb_test_explain"
SECRET = "s3cr3t-never-shown"
HB = {"Authorization": f"Bearer {KEY}"}


@pytest.fixture(scope="module")
def server() -> Iterator[ServerThread]:
    with ServerThread(settings(clock="virtual", strict=True, fixtures="none")) as srv:
        yield srv


@pytest.fixture
def fake(server: ServerThread, monkeypatch: pytest.MonkeyPatch) -> ServerThread:
    server.call(_reset(server))
    monkeypatch.setenv("FAKEEXPORTS_URL", server.url)
    return server


async def _reset(server: ServerThread) -> None:
    server.registry.reset(clock=True)
    server.runtime.journal.clear()


def detail(server: ServerThread, seq: int | None = None) -> dict[str, Any]:
    """The journal's last entry (or entry ``seq``) through the control API."""
    seq = server.runtime.journal.mark if seq is None else seq
    resp = requests.get(f"{server.url}/_fakeexports/journal/{seq}", timeout=10)
    assert resp.status_code == 200, resp.text
    return dict(resp.json())


def no_fakeexports_headers(resp: requests.Response) -> None:
    """The explanation lives in the journal: nothing of it on the wire."""
    assert not [h for h in resp.headers if h.lower().startswith("x-fakeexports")]


# --- one refused request per kind, explained ------------------------------------------------------------------------
def test_a_body_field_refused_by_the_spec_names_the_field_its_rule_and_the_specs_words(fake: ServerThread) -> None:
    resp = requests.post(fake.vendor_url("hookbridge") + "/v1/exports", headers=HB, timeout=10,
                         json={"start_time": "2026-13-01T00:00:00Z", "end_time": "2026-01-15T00:00:00Z"})
    assert resp.status_code == 400
    no_fakeexports_headers(resp)
    d = detail(fake)
    assert d["explain"] == {
        "kind": "validation", "reason": resp.json()["error"]["message"], "where": "body.start_time", "rule": "format",
        "spec": "'2026-13-01T00:00:00Z' is not a 'date-time'. start_time: Start of the time range, RFC 3339 (B.3)."}
    # what was sent and answered, as sent and answered
    assert json.loads(d["request"]["body"])["start_time"] == "2026-13-01T00:00:00Z"
    assert d["request"]["headers"]["Authorization"] == "Bearer ***"
    assert d["response"] == {"status": 400, "headers": d["response"]["headers"], "body": resp.text,
                             "truncated": False}
    assert d["response"]["headers"]["Content-Type"] == resp.headers["Content-Type"]


@pytest.mark.parametrize(("query", "where", "rule", "spec"), [
    ("PageSize=-4", "query.PageSize", "minimum", "-4 is less than the minimum of 1. PageSize: Records per page"),
    ("PageSize=many", "query.PageSize", "type", "'many' is not of type 'integer'. PageSize: Records per page"),
])
def test_a_query_parameter_refused_by_the_spec(fake: ServerThread, query: str, where: str, rule: str,
                                               spec: str) -> None:
    resp = requests.get(fake.vendor_url("twilio") + "/v1/Exports/Calls/Days?" + query, auth=(ACCOUNT, TOKEN),
                        timeout=10)
    assert resp.status_code == 400
    why = detail(fake)["explain"]
    assert (why["kind"], why["where"], why["rule"], why["reason"]) == ("validation", where, rule,
                                                                      resp.json()["message"])
    assert why["spec"].startswith(spec)


def test_a_rule_of_the_handler_names_its_field(fake: ServerThread) -> None:
    resp = requests.post(fake.vendor_url("twilio") + "/v1/Exports/Calls/Jobs", auth=(ACCOUNT, TOKEN), timeout=10,
                         data={"StartDay": "2026-13-01", "EndDay": "2026-01-02", "FriendlyName": "x"})
    assert resp.status_code == 400
    why = detail(fake)["explain"]
    assert (why["kind"], why["where"]) == ("validation", "body.StartDay")
    assert "'2026-13-01' is not a date" in why["reason"]


@pytest.mark.parametrize(("vendor", "path", "headers", "where", "scheme"), [
    ("twilio", "/v1/Exports/Calls/Jobs", {}, "header.Authorization", "HTTP Basic with `AccountSid:AuthToken`"),
    ("didww", "/exports", {}, "header.Api-Key", "The customer's API key in the `Api-Key` header"),
    ("hookbridge", "/v1/exports", {"Authorization": "Bearer not-a-key"}, "header.Authorization",
     "`Authorization: Bearer <API key>`"),
])
def test_a_missing_or_bad_credential_says_where_it_goes_in_the_security_schemes_words(
        fake: ServerThread, vendor: str, path: str, headers: dict[str, str], where: str, scheme: str) -> None:
    resp = requests.get(fake.vendor_url(vendor) + path, headers=headers, timeout=10)
    assert resp.status_code == 401
    no_fakeexports_headers(resp)
    why = detail(fake)["explain"]
    assert (why["kind"], why["where"]) == ("auth", where)
    assert why["rule"].startswith("security: ") and scheme in why["spec"]


def test_an_unknown_job_names_the_path_parameter(fake: ServerThread) -> None:
    unknown = requests.get(fake.vendor_url("twilio") + "/v1/Exports/Jobs/JS" + "0" * 32, auth=(ACCOUNT, TOKEN),
                           timeout=10)
    assert unknown.status_code == 404
    why = detail(fake)["explain"]
    assert (why["kind"], why["where"], why["rule"]) == ("not_found", "path.JobSid", None)
    assert why["spec"]  # the operation's own words for its 404
    # a malformed id is refused by the spec's pattern: the rule it broke, in the spec's words
    malformed = requests.get(fake.vendor_url("twilio") + "/v1/Exports/Jobs/JSxx", auth=(ACCOUNT, TOKEN), timeout=10)
    assert malformed.status_code == 404
    why = detail(fake)["explain"]
    assert (why["kind"], why["where"], why["rule"]) == ("not_found", "path.JobSid", "minLength")
    assert why["spec"] == "'JSxx' is shorter than 34. JobSid: The job's SID, 34 characters (A1 #6, #7)."


def test_a_quota_refusal_is_a_rate_limit_with_the_operations_words(fake: ServerThread) -> None:
    # 375 days in one request: more than the 366 days an account may ask for in a UTC day
    resp = requests.post(fake.vendor_url("twilio") + "/v1/Exports/Calls/Jobs", auth=(ACCOUNT, TOKEN), timeout=10,
                         data={"StartDay": "2025-01-01", "EndDay": "2026-01-10", "FriendlyName": "year"})
    assert resp.status_code == 429
    why = detail(fake)["explain"]
    assert (why["kind"], why["reason"]) == ("rate_limited", resp.json()["message"])
    assert why["spec"]


def test_a_state_refusal_and_an_answer_that_was_not_refused(fake: ServerThread) -> None:
    made = requests.post(fake.vendor_url("hookbridge") + "/v1/exports", headers=HB, timeout=10,
                         json={"start_time": "2026-01-14T00:00:00Z", "end_time": "2026-01-15T00:00:00Z"})
    assert made.status_code == 201
    assert detail(fake)["explain"] is None  # nothing to explain
    job = made.json()["data"]["id"]
    early = requests.get(fake.vendor_url("hookbridge") + f"/v1/exports/{job}/download", headers=HB, timeout=10,
                         allow_redirects=False)
    assert early.status_code == 409
    assert detail(fake)["explain"]["kind"] == "conflict"


def test_bytes_a_header_cannot_hold_as_text_and_other_refusals_still_show(fake: ServerThread) -> None:
    with socket.create_connection(("127.0.0.1", fake.port), timeout=10) as raw:
        raw.sendall(b"GET /twilio/v1/Exports/Calls/Jobs HTTP/1.1\r\nHost: x\r\nX-Odd: \xff\xfe odd\r\n"
                    b"Authorization: Basic \xff\r\nConnection: close\r\n\r\n")
        assert raw.recv(100).startswith(b"HTTP/1.1 401")
    d = detail(fake)
    assert d["request"]["headers"]["X-Odd"] == "\ufffd\ufffd odd" and d["request"]["headers"]["Authorization"] == \
        "Basic ***"
    assert requests.get(fake.url + "/_fakeexports/journal?detail=true", timeout=10).status_code == 200
    # a method the path lacks, a body the fake stopped reading
    assert requests.put(fake.vendor_url("twilio") + "/v1/Exports/Calls/Jobs", timeout=10).status_code == 405
    assert detail(fake)["explain"]["where"] == "method"
    with socket.create_connection(("127.0.0.1", fake.port), timeout=10) as raw:  # a body said too large, not sent
        raw.sendall(f"POST /hookbridge/v1/exports HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {KEY}\r\nContent-Type: "
                    f"application/json\r\nContent-Length: {fake.settings.max_body + 1}\r\n\r\n".encode())
        assert raw.recv(100).startswith(b"HTTP/1.1 400")  # HookBridge's PAYLOAD_TOO_LARGE is a 400
    why = detail(fake)["explain"]
    assert (why["kind"], why["where"]) == ("too_large", "body")
    assert fake.runtime.journal.errors_since(0) == []


def test_an_unknown_or_dropped_entry_is_a_404_in_the_control_apis_shape() -> None:
    with ServerThread(settings(clock="virtual", fixtures="none", journal_size=2)) as srv:
        for _ in range(3):
            requests.get(srv.vendor_url("twilio") + "/v1/Exports/Calls/Jobs", timeout=10)
        assert requests.get(srv.url + "/_fakeexports/journal/3", timeout=10).status_code == 200
        for seq in ("1", "99"):  # dropped (the journal keeps 2), never made
            resp = requests.get(srv.url + "/_fakeexports/journal/" + seq, timeout=10)
            assert resp.status_code == 404 and resp.json()["error"].startswith(f"no journal entry #{seq}")
        bad = requests.get(srv.url + "/_fakeexports/journal/x1", timeout=10)
        assert bad.status_code == 400 and "whole number" in bad.json()["error"]
        assert requests.get(srv.url + "/_fakeexports/journal?detail=maybe", timeout=10).status_code == 400


def test_a_clocks_journal_has_its_own_details(fake: ServerThread) -> None:
    made = requests.post(fake.url + "/_fakeexports/clocks", timeout=10, json={"tenants": [
        {"vendor": "hookbridge", "headers": {"Authorization": "Bearer hb_test_clocked"}}]}).json()
    resp = requests.post(fake.vendor_url("hookbridge") + "/v1/exports", timeout=10,
                         headers={"Authorization": "Bearer hb_test_clocked"}, json={"end_time": "2026-01-15T00:00:00Z"})
    assert resp.status_code == 400
    base = f"{fake.url}/_clocks/{made['id']}/_fakeexports"
    auth = {"Authorization": f"Bearer {made['token']}"}
    entries = requests.get(base + "/journal", headers=auth, timeout=10).json()["entries"]
    assert [e["status"] for e in entries] == [400]
    d = requests.get(f"{base}/journal/{entries[0]['seq']}", headers=auth, timeout=10).json()
    assert (d["explain"]["where"], d["explain"]["rule"]) == ("body.start_time", "required")
    assert requests.delete(f"{fake.url}/_fakeexports/clocks/{made['id']}", headers=auth, timeout=10).ok


# --- secrets, caps, binary bodies ---------------------------------------------------------------------------------
def test_secrets_are_masked_in_headers_bodies_and_signed_links(fake: ServerThread) -> None:
    token = requests.post(fake.vendor_url("talkdesk") + "/oauth/token", auth=("client", SECRET), timeout=10,
                          data={"grant_type": "client_credentials", "client_secret": SECRET})
    assert token.status_code == 200
    access = token.json()["access_token"]
    d = detail(fake)
    assert d["request"]["headers"]["Authorization"] == "Basic ***"
    assert "client_secret=***" in d["request"]["body"]
    assert json.loads(d["response"]["body"])["access_token"] == "***"
    # a download link's signature, in the journal's list and in an entry's detail
    made = requests.post(fake.vendor_url("hookbridge") + "/v1/exports", headers=HB, timeout=10,
                         json={"start_time": "2026-01-14T00:00:00Z", "end_time": "2026-01-15T00:00:00Z"})
    job = made.json()["data"]["id"]
    requests.post(fake.url + "/_fakeexports/clock/advance", json={"seconds": 600}, timeout=10)
    link = requests.get(fake.vendor_url("hookbridge") + f"/v1/exports/{job}/download", headers=HB, timeout=10,
                        allow_redirects=False).headers["Location"]
    signature = link.rsplit("X-Amz-Signature=", 1)[1]
    requests.get(link + "x", timeout=10)  # a tampered link: S3's 403, journaled with its path
    tampered = detail(fake)
    assert tampered["status"] == 403 and "X-Amz-Signature=***" in tampered["path"]
    assert tampered["explain"]["kind"]
    everything = requests.get(fake.url + "/_fakeexports/journal?detail=true", timeout=10).text
    listed = requests.get(fake.url + "/_fakeexports/journal", timeout=10).text
    for text in (everything, listed):
        assert SECRET not in text and access not in text and signature not in text and KEY not in text
    out = subprocess.run([sys.executable, "-m", "fakeexports", "journal", "-v", "--url", fake.url],
                         capture_output=True, text=True, timeout=60).stdout
    assert "client_secret=***" in out
    assert SECRET not in out and access not in out and signature not in out


def test_a_body_over_the_cap_is_cut_and_its_secrets_still_masked(fake: ServerThread) -> None:
    body = json.dumps({"password": SECRET, "start_time": "2026-01-14T00:00:00Z", "end_time": "2026-01-15T00:00:00Z",
                       "note": "x" * (3 * CAP)})
    resp = requests.post(fake.vendor_url("hookbridge") + "/v1/exports", headers={**HB, "Content-Type":
                         "application/json"}, data=body, timeout=10)
    assert resp.status_code == 201
    sent = detail(fake)["request"]
    assert sent["truncated"] is True and len(sent["body"].encode()) <= CAP
    assert sent["body"].startswith('{"password": "***", "start_time"') and SECRET not in sent["body"]


def test_gzip_and_binary_bodies_are_summarised_not_dumped() -> None:
    data = gzip.compress(b"a,b\n1,2\n")
    assert shown_body(data, {"Content-Type": "application/octet-stream"}, len(data)) == {
        "body": f"<gzip, {len(data)} bytes>", "truncated": False}
    assert shown_body(b"\xff\xfe\x00", {"Content-Type": "image/png"}, 3)["body"] == "<image/png, 3 bytes>"
    streamed = shown_body(None, {"Content-Type": "text/csv", "Content-Encoding": "gzip", "Content-Length": "77"}, -1)
    assert streamed["body"] == "<gzip, 77 bytes>"
    # a character cut in two by the cap is text cut short, not binary
    text = ("é" * CAP).encode()
    cut = shown_body(text[:CAP], {"Content-Type": "text/plain"}, len(text))
    assert cut["truncated"] is True and set(cut["body"]) == {"é"}


def test_a_streamed_file_is_summarised_from_its_headers(fake: ServerThread) -> None:
    made = requests.post(fake.vendor_url("hookbridge") + "/v1/exports", headers=HB, timeout=10,
                         json={"start_time": "2026-01-14T00:00:00Z", "end_time": "2026-01-15T00:00:00Z"})
    requests.post(fake.url + "/_fakeexports/clock/advance", json={"seconds": 600}, timeout=10)
    csv = requests.get(fake.vendor_url("hookbridge") + f"/v1/exports/{made.json()['data']['id']}/download",
                       headers=HB, timeout=10)
    assert csv.status_code == 200
    d = detail(fake)
    assert d["response"]["body"] == f"<text/csv, {len(csv.content)} bytes>"


def test_the_journal_keeps_references_and_copies_only_answers() -> None:
    journal, body, answer = Journal(), b'{"a": 1}', b"x" * 100
    headers = {"Content-Type": "application/json"}
    entry = journal.record(0.0, "v", None, "POST", "/p", 201, "Op", sent=headers, body=body, answered=headers,
                           answer=answer)
    assert entry.body is body and entry.headers is headers and entry.answered is headers
    assert entry.answer == answer and entry.size == 100  # a copy: orjson's bytes would hold their 4 KiB buffer
    big = journal.record(0.0, "v", None, "GET", "/p", 200, "Op", answer=b"y" * (CAP + 1))
    assert big.answer is not None and len(big.answer) == CAP and big.size == CAP + 1


# --- journal -v and serve -v ------------------------------------------------------------------------------------
def test_journal_verbose_prints_the_reason_and_the_bodies_under_each_row(fake: ServerThread,
                                                                          capsys: pytest.CaptureFixture[str]) -> None:
    requests.post(fake.vendor_url("hookbridge") + "/v1/exports", headers=HB, timeout=10,
                  json={"start_time": "2026-13-01T00:00:00Z", "end_time": "2026-01-15T00:00:00Z"})
    requests.get(fake.vendor_url("twilio") + "/v1/Exports/Calls/Jobs", timeout=10)
    assert main(["journal"]) == 0
    quiet = capsys.readouterr().out
    assert "why:" not in quiet and quiet.count("\n") == 4  # header, two rows, the count
    assert main(["journal", "-v"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "POST" in lines[1] and "400" in lines[1]
    assert lines[2].strip().startswith("why: validation at body.start_time: ")
    assert "| spec: '2026-13-01T00:00:00Z' is not a 'date-time'" in lines[2]
    assert lines[3].strip().startswith('> {"start_time": "2026-13-01T00:00:00Z"')
    assert lines[4].strip().startswith('< {"error":')
    assert "GET" in lines[5] and "401" in lines[5]
    assert lines[6].strip().startswith("why: auth at header.Authorization: ")
    assert lines[-1] == "(2 entries)"


class Console:
    """A serve process's stdout, line by line, read by a thread (a line may wait in a pipe's buffer where select()
    does not see it)."""

    def __init__(self, *flags: str):
        env = {**os.environ, "FAKEEXPORTS_PORT": "0", "FAKEEXPORTS_FIXTURES": "none"}
        self.proc = subprocess.Popen([sys.executable, "-m", "fakeexports", "serve", "--clock", "virtual", "--no-proxy",
                                      *flags],  # no proxy: the dashboard's line is the last before requests
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env,
                                     start_new_session=True)
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()
        self.url = ""
        while not (line := self.line()).startswith("dashboard"):
            if line.startswith("control"):
                self.url = line.split()[1].removesuffix("/_fakeexports/")

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line)

    def line(self, timeout: float = 30) -> str:
        return self.lines.get(timeout=timeout)

    def stop(self) -> str:
        """SIGTERM (in-flight answers finish first: their lines are printed), then everything printed since."""
        os.killpg(self.proc.pid, signal.SIGTERM)
        self.proc.wait(10)
        rest = []
        while True:
            try:
                rest.append(self.lines.get(timeout=2))
            except queue.Empty:
                return "".join(rest)


def test_serve_verbose_prints_a_line_per_request_and_the_reason_of_each_4xx() -> None:
    console = Console("-v")
    try:
        requests.post(console.url + "/hookbridge/v1/exports", headers=HB, timeout=10,
                      json={"start_time": "2026-13-01T00:00:00Z", "end_time": "2026-01-15T00:00:00Z", "token": SECRET})
        first, second = console.line(), console.line()
        requests.get(console.url + "/twilio/v1/Exports/Calls/Jobs", auth=(ACCOUNT, TOKEN), timeout=10)
        requests.get(console.url + "/_fakeexports/health", timeout=10)  # the control API is not a vendor's traffic
        third = console.line()
    finally:
        rest = console.stop()
    method, path, status, ms, unit = first.split()
    assert (method, path, status, unit) == ("POST", "/hookbridge/v1/exports", "400", "ms") and float(ms) >= 0
    assert second.startswith("    why: validation at body.start_time: ")
    assert third.split()[:3] == ["GET", "/twilio/v1/Exports/Calls/Jobs", "200"]
    assert "health" not in rest and SECRET not in first + second + third + rest


def test_serve_is_quiet_by_default() -> None:
    console = Console()
    try:
        requests.get(console.url + "/twilio/v1/Exports/Calls/Jobs", timeout=10)  # a verbose one prints it at once
    finally:
        rest = console.stop()
    assert "/twilio/" not in rest and "why:" not in rest and "stopped" in rest


# --- found by review: input that broke a view, secrets that slipped through -----------------------------------------
def test_a_body_nested_deeper_than_the_parser_goes_still_has_its_details(fake: ServerThread) -> None:
    resp = requests.post(fake.vendor_url("hookbridge") + "/v1/exports", data=b"[" * 3000 + b"]" * 3000,
                         headers={**HB, "Content-Type": "application/json"}, timeout=10)
    assert resp.status_code == 400
    assert detail(fake)["request"]["body"].startswith("[[[")
    listed = requests.get(f"{fake.url}/_fakeexports/journal?detail=true", timeout=10)
    assert listed.status_code == 200, listed.text


@pytest.mark.parametrize("path", ["journal/" + "9" * 5000, "timeline?limit=" + "9" * 5000, "jobs?limit=²",
                                  "jobs?limit=" + "9" * 5000, "journal?since=" + "9" * 5000,
                                  "lint?since=" + "9" * 5000])
def test_a_number_too_long_or_not_ascii_is_a_400_not_a_500(fake: ServerThread, path: str) -> None:
    resp = requests.get(f"{fake.url}/_fakeexports/{path}", timeout=10)
    assert resp.status_code == 400 and "whole number" in resp.json()["error"], resp.text
    assert list(fake.runtime.journal.errors) == []


def test_the_dashboard_is_served_whatever_the_host_header(fake: ServerThread) -> None:
    with socket.create_connection(("127.0.0.1", fake.port), timeout=10) as s:
        s.sendall(b"GET /_fakeexports/ui HTTP/1.1\r\nHost: a b\r\nConnection: close\r\n\r\n")
        answer = b""
        while chunk := s.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 200") and b"<html" in answer.lower()
    assert list(fake.runtime.journal.errors) == []


def test_the_refused_value_in_the_explanation_is_masked_and_short(fake: ServerThread) -> None:
    url = fake.vendor_url("hookbridge") + "/v1/exports"
    requests.post(url, headers=HB, timeout=10, json={"start_time": {"password": SECRET}, "end_time": "x"})
    spec = detail(fake)["explain"]["spec"]
    assert SECRET not in spec and "***" in spec
    requests.post(url, headers=HB, timeout=10, json={"start_time": ["x" * 100] * 10_000, "end_time": "x"})
    assert len(detail(fake)["explain"]["spec"]) < 400  # never the whole body again (a megabyte an entry)


def test_a_form_sent_as_text_and_a_multipart_part_have_their_secrets_masked(fake: ServerThread) -> None:
    url = fake.vendor_url("hookbridge") + "/v1/exports"  # authenticated, so its body is read and kept
    requests.post(url, data=f"client_secret={SECRET}&start_time=x", timeout=10,
                  headers={**HB, "Content-Type": "text/plain"})
    sent = detail(fake)["request"]["body"]
    assert sent == "client_secret=***&start_time=x"
    requests.post(url, files={"client_secret": (None, SECRET), "start_time": (None, "x")}, headers=HB, timeout=10)
    sent = detail(fake)["request"]["body"]
    assert 'name="client_secret"' in sent and SECRET not in sent and 'name="start_time"' in sent


def test_the_timeline_masks_a_secret_a_client_put_in_a_path(fake: ServerThread) -> None:
    made = requests.post(fake.vendor_url("hookbridge") + "/v1/exports", headers=HB, timeout=10,
                         json={"start_time": "2026-01-14T00:00:00Z", "end_time": "2026-01-15T00:00:00Z"})
    job = made.json()["data"]["id"]
    requests.get(fake.vendor_url("hookbridge") + f"/v1/exports/{job}?api_key={SECRET}", headers=HB, timeout=10)
    timeline = requests.get(f"{fake.url}/_fakeexports/timeline", timeout=10).text
    page = requests.get(f"{fake.url}/_fakeexports/ui", timeout=10).text
    assert job in timeline and SECRET not in timeline and SECRET not in page


def test_a_tenant_with_a_newline_keeps_journal_verbose_one_row_a_line(fake: ServerThread,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    import base64

    who = base64.b64encode(b"client\nname:s3cret").decode()
    made = requests.post(fake.vendor_url("talkdesk") + "/oauth/token", data={"grant_type": "client_credentials"},
                         headers={"Authorization": f"Basic {who}"}, timeout=10)
    assert made.status_code == 200  # any client id is a tenant: this one has a newline in it
    assert main(["journal", "-v"]) == 0
    out = capsys.readouterr().out
    assert "client\\nname" in out and "client\nname" not in out
