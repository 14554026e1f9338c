"""The pytest plugin as users get it, run in a separate pytest session (pytester): the fixture serves,
resets between tests, takes settings from a marker, and fails a test whose server had an error."""

from __future__ import annotations

from typing import Any

import pytest

pytest_plugins = ["pytester"]


def test_fixture_serves_resets_and_takes_a_marker(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import base64, json, urllib.request
        import pytest

        AUTH = "Basic " + base64.b64encode(b"AC" + b"4" * 32 + b":pw").decode()

        def call(url, data=None):
            req = urllib.request.Request(url, data=data, headers={"Authorization": AUTH})
            with urllib.request.urlopen(req) as resp:
                return json.load(resp)

        def test_create(fakeexports):
            url = fakeexports.vendor_url("twilio") + "/v1/Exports/Calls/Jobs"
            call(url, b"StartDay=2026-01-10&EndDay=2026-01-11&FriendlyName=a")
            assert len(call(url)["jobs"]) == 1
            fakeexports.advance(3600)
            assert fakeexports.call_count("CreateExportCustomJob") == 1

        def test_state_was_reset(fakeexports):
            assert call(fakeexports.vendor_url("twilio") + "/v1/Exports/Calls/Jobs")["jobs"] == []
            assert fakeexports.now == 1768478400.0  # the clock is back at its start

        @pytest.mark.fakeexports(seed=99)
        def test_own_server(fakeexports, fakeexports_server):
            assert fakeexports.server is not fakeexports_server
            assert fakeexports.server.settings.seed == 99
        """
    )
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=3)


def test_a_server_side_error_fails_the_test_that_caused_it(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        def test_broken_side_effect(fakeexports):
            runtime = fakeexports.server.runtime

            def broken():
                raise RuntimeError("webhook receiver exploded")

            async def schedule():
                runtime.scheduler.at(runtime.clock.now() + 1, broken, label="broken event")

            fakeexports.server.call(schedule())
            fakeexports.advance(5)
        """
    )
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*server-side errors during this test*", "*webhook receiver exploded*"])


def test_add_fault_refuses_a_fault_that_could_never_match(fakeexports: Any) -> None:
    # a typo in a test must fail there, not leave a fault that never fires (issue 18)
    with pytest.raises(ValueError, match="'FetchJobb' is not an operation of twilio; it has: CreateExportCustomJob"):
        fakeexports.add_fault("twilio", operation="FetchJobb", status=503)
    with pytest.raises(ValueError, match="outcome 'Nonsense' cannot be forced"):
        fakeexports.add_fault("twilio", operation="CreateExportCustomJob", outcome="Nonsense")
    with pytest.raises(ValueError, match="'times' must be a whole number"):
        fakeexports.add_fault("hookbridge", status=503, times="x")
    assert fakeexports.add_fault("twilio", operation="FetchJob", status=503).status == 503


def test_advance_refuses_a_move_out_of_the_clocks_range(fakeexports: Any) -> None:
    # past year 9990 some vendor could no longer write its times (issue 20): the move is refused, nothing moves
    with pytest.raises(ValueError, match="must stay between 1970-01-01T00:00:00Z and 9990-01-01T00:00:00Z"):
        fakeexports.advance(4e11)
    with pytest.raises(ValueError, match="only moves forward"):
        fakeexports.advance(float("nan"))
    assert fakeexports.now == 1768478400.0  # 2026-01-15T12:00:00Z, where it started


def test_a_token_from_the_previous_test_is_refused(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import base64, json, urllib.error, urllib.request

        ISSUED = []

        def call(url, auth, data=None):
            req = urllib.request.Request(url, data=data, headers={"Authorization": auth})
            with urllib.request.urlopen(req) as resp:
                return resp.status, json.load(resp)

        def test_gets_a_token(fakeexports):
            base = fakeexports.vendor_url("talkdesk")
            basic = "Basic " + base64.b64encode(b"client-1:secret").decode()
            _, body = call(base + "/oauth/token", basic, b"grant_type=client_credentials")
            ISSUED.append(body["access_token"])
            assert call(base + "/data/reports/calls/jobs", "Bearer " + ISSUED[0])[0] == 200

        def test_the_reset_before_it_killed_that_token(fakeexports):
            url = fakeexports.vendor_url("talkdesk") + "/data/reports/calls/jobs"
            try:
                call(url, "Bearer " + ISSUED[0])
            except urllib.error.HTTPError as err:
                assert err.code == 401
                assert json.load(err)["description"] == "Missing or invalid access token"
            else:
                raise AssertionError("the token of the test before still works")
        """
    )
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)


LINTED = """
    import json, urllib.request
    import pytest

    def get(fakeexports, path):
        headers = fakeexports.headers("hookbridge")
        req = urllib.request.Request(fakeexports.vendor_url("hookbridge") + path, headers=headers)
        with urllib.request.urlopen(req) as resp:
            return json.load(resp)

    def create(fakeexports):
        req = urllib.request.Request(
            fakeexports.vendor_url("hookbridge") + "/v1/exports", method="POST",
            data=json.dumps({"start_time": "2026-01-14T00:00:00Z", "end_time": "2026-01-15T00:00:00Z"}).encode(),
            headers={**fakeexports.headers("hookbridge"), "Content-Type": "application/json"})
        with urllib.request.urlopen(req) as resp:
            return json.load(resp)["data"]["id"]

    def hammer(fakeexports):
        job = create(fakeexports)
        for _ in range(3):
            get(fakeexports, "/v1/exports/" + job)

    def patient(fakeexports):
        job = create(fakeexports)
        while get(fakeexports, "/v1/exports/" + job)["data"]["status"] != "completed":
            fakeexports.advance(10)

    @pytest.mark.fakeexports_lint
    def test_hammering_fails_with_the_marker(fakeexports):
        hammer(fakeexports)

    @pytest.mark.fakeexports_lint(severity="error")
    def test_a_warning_passes_a_test_that_fails_on_errors_only(fakeexports):
        hammer(fakeexports)

    @pytest.mark.fakeexports_lint
    def test_a_patient_client_passes(fakeexports):
        patient(fakeexports)

    def test_without_the_marker_it_is_only_reported(fakeexports):
        hammer(fakeexports)
        found = fakeexports.lint()
        assert [f.rule for f in found] == ["poll-too-fast"]
        assert fakeexports.lint(severity="error") == []
        assert found[0].evidence[0]["operation"] == "GetExport"
"""


@pytest.mark.parametrize("remote", [False, True], ids=["in-process", "shared-server"])
def test_lint_fails_a_test_that_opts_in_with_a_readable_message(pytester: pytest.Pytester, remote: bool) -> None:
    from fakeexports.server import ServerThread
    from fakeexports.settings import Settings

    pytester.makepyfile(LINTED)
    if not remote:
        result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider")
    else:
        with ServerThread(Settings(clock="virtual", strict=True, port=0)) as server:
            pytester._monkeypatch.setenv("FAKEEXPORTS_URL", server.url)
            result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=4, errors=1)  # the test passes its own asserts; its findings fail its teardown
    text = result.stdout.str()
    assert "ERROR at teardown of test_hammering_fails_with_the_marker" in text
    assert "fakeexports lint: this test's client broke vendor rules (at or above warning)" in text
    assert "[warning] hookbridge poll-too-fast" in text and "do instead: wait at least 5 s" in text
    assert "source: INFERRED: HookBridge publishes no interval" in text
    assert "GET /hookbridge/v1/exports/" in text or "GET /_clocks/" in text


def test_the_ini_setting_turns_lint_on_for_every_test_and_a_marker_off_for_one(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nfakeexports_lint = warning\n")
    pytester.makepyfile(LINTED.replace("@pytest.mark.fakeexports_lint\n    def test_hammering",
                                       "@pytest.mark.fakeexports_lint('off')\n    def test_hammering"))
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider")
    # the unmarked test now fails as well: the ini applies to it; the 'off' marker spares the first
    result.assert_outcomes(passed=4, errors=1)
    assert "ERROR at teardown of test_without_the_marker_it_is_only_reported" in result.stdout.str()
    pytester.makeini("[pytest]\nfakeexports_lint = loud\n")
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider")
    assert "'loud' is not off, info, warning, error" in result.stdout.str() + result.stderr.str()
