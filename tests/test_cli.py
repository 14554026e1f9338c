"""The command line and the Docker image's steps, without Docker: settings precedence, `--help`, and the
wheel the image installs, started through its entry point, answering its health check."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest
import requests

from fakeexports import create_app
from fakeexports.cli import build_parser, settings_from, vendor_options
from fakeexports.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


def test_flags_win_over_environment_over_defaults() -> None:
    env = {"FAKEEXPORTS_PORT": "9001", "FAKEEXPORTS_STRICT": "true", "FAKEEXPORTS_SPEED": "60",
           "FAKEEXPORTS_VENDORS": "twilio"}
    settings = Settings.from_env(env, port=9002)
    assert (settings.port, settings.strict, settings.speed, settings.vendors) == (9002, True, 60.0, ("twilio",))
    assert Settings.from_env({}) == Settings()
    with pytest.raises(ValueError):
        Settings.from_env({"FAKEEXPORTS_CLOCK": "sundial"})
    with pytest.raises(ValueError):
        Settings.from_env({"FAKEEXPORTS_STRICT": "maybe"})
    args = build_parser().parse_args(["serve", "--clock", "virtual", "--no-strict", "--seed", "7"])
    settings = settings_from(args)
    assert (settings.clock, settings.strict, settings.seed) == ("virtual", False, 7)


def test_help_explains_every_option() -> None:
    out = subprocess.run([sys.executable, "-m", "fakeexports", "serve", "--help"], capture_output=True, text=True,
                         check=True).stdout
    for option in ("--host", "--port", "--clock", "--speed", "--seed", "--fixtures", "--strict", "--public-url",
                   "--credentials"):
        assert option in out
    # and every vendor's own options, generated from their declarations
    for key, option in vendor_options():
        assert "--" + key.replace("_", "-") in out and option.help.split()[0] in out


def test_vendor_options_come_from_flags_environment_markers_and_the_control_api() -> None:
    declared = vendor_options()
    assert {"talkdesk_done_status", "hookbridge_rate_limits", "twilio_days_per_day", "didww_default_version"} <= {
        k for k, _ in declared}
    env = {"FAKEEXPORTS_TALKDESK_DONE_STATUS": "302", "FAKEEXPORTS_HOOKBRIDGE_RATE_LIMITS": "yes"}
    settings = Settings.from_env(env, options=declared)
    assert settings.option("talkdesk_done_status") == 302 and settings.option("hookbridge_rate_limits") is True
    args = build_parser(declared).parse_args(["serve", "--talkdesk-done-status", "303", "--no-hookbridge-rate-limits"])
    settings = settings_from(args, declared)  # a flag wins over the environment
    assert settings.option("talkdesk_done_status") == 303
    with pytest.raises(ValueError, match="one of 300, 302, 303"):
        Settings.from_env({"FAKEEXPORTS_TALKDESK_DONE_STATUS": "200"}, options=declared)
    with pytest.raises(SystemExit):
        build_parser(declared).parse_args(["serve", "--talkdesk-done-status", "301"])
    # a marker's keyword is the same key; an unknown one stops the server from starting
    assert Settings().with_(talkdesk_done_status=303).option("talkdesk_done_status") == 303
    with pytest.raises(ValueError, match="unknown vendor options"):
        create_app(Settings().with_(talkdesk_done_stat=303))
    with pytest.raises(ValueError, match="talkdesk_done_status"):
        create_app(Settings().with_(talkdesk_done_status=301))


def _serve(cmd: list[str], env: dict[str, str]) -> tuple[subprocess.Popen[str], list[str]]:
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            start_new_session=True)
    assert proc.stdout is not None
    lines: list[str] = []
    while True:  # one line per vendor, then the control line
        line = proc.stdout.readline()
        lines.append(line)
        if not line or line.startswith("control"):
            return proc, lines


def _stop(proc: subprocess.Popen[str]) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(10)


def test_the_wheel_serves_through_its_entry_point_and_passes_the_health_check(tmp_path: Path) -> None:
    # The Dockerfile builds this wheel, installs it and runs `fakeexports serve --host 0.0.0.0`.
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w",
                    str(tmp_path), str(ROOT)], check=True)
    wheel = next(tmp_path.glob("fakeexports-*.whl"))
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        zf.extractall(tmp_path / "site")
    assert "fakeexports/_data/specs/twilio.yaml" in names and "fakeexports/_data/fixtures/twilio.yaml" in names
    assert any(n.endswith("entry_points.txt") for n in names)

    env = {**os.environ, "PYTHONPATH": str(tmp_path / "site"), "FAKEEXPORTS_PORT": "0"}
    code = "import sys; from fakeexports.cli import main; sys.exit(main())"  # what the console script runs
    proc, lines = _serve([sys.executable, "-c", code, "serve", "--host", "0.0.0.0"], env)
    try:
        by_vendor = {line.split()[0]: line.split()[1] for line in lines}
        assert by_vendor["twilio"].endswith("/twilio") and by_vendor["didww"].endswith("/didww/v3")
        port = by_vendor["twilio"].split(":")[2].split("/")[0]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_fakeexports/health", timeout=5) as resp:
            health = json.load(resp)
        assert health["status"] == "ok" and health["clock"] == "real" and health["strict"] is False
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_fakeexports/openapi.json", timeout=5) as resp:
            assert json.load(resp)["info"]["title"] == "fakeexports: the control API"  # specs/control.yaml, bundled
        # the image's HEALTHCHECK command
        check = subprocess.run([sys.executable, "-c", code, "health", "--port", port], env=env)
        assert check.returncode == 0
        # it runs from the wheel, not the checkout
        out = subprocess.run([sys.executable, "-c", "import fakeexports; print(fakeexports.__file__)"],
                             env=env, capture_output=True, text=True, check=True, cwd=tmp_path).stdout
        assert out.startswith(str(tmp_path / "site"))
    finally:
        _stop(proc)


def test_python_dash_m_serves_and_bad_settings_exit_with_a_message() -> None:
    env = {**os.environ, "FAKEEXPORTS_PORT": "0"}
    proc, lines = _serve([sys.executable, "-m", "fakeexports", "serve", "--clock", "virtual"], env)
    try:
        assert {line.split()[0] for line in lines} >= {"twilio", "didww", "control"}
        assert proc.stdout is not None
        dashboard = proc.stdout.readline().split()  # then where the dashboard is
        assert dashboard[0] == "dashboard" and dashboard[1].endswith("/_fakeexports/ui")
        assert requests.get(dashboard[1], timeout=10).status_code == 200
    finally:
        _stop(proc)
    bad = subprocess.run([sys.executable, "-m", "fakeexports", "serve", "--speed", "0"], capture_output=True,
                         text=True, env=env)
    assert bad.returncode == 2 and "speed must be positive" in bad.stderr
    late = subprocess.run([sys.executable, "-m", "fakeexports", "serve", "--clock", "virtual", "--start",
                           "9999-12-31T00:00:00Z"], capture_output=True, text=True, env=env)
    assert late.returncode == 2 and "start must be between 1970-01-01T00:00:00Z and 9990-01-01T00:00:00Z" in late.stderr
    down = subprocess.run([sys.executable, "-m", "fakeexports", "health", "--port", "1"], capture_output=True,
                          text=True, env=env)
    assert down.returncode == 1 and "unhealthy" in down.stderr
    missing = subprocess.run([sys.executable, "-m", "fakeexports", "serve", "--fixtures", "/nonexistent"],
                             capture_output=True, text=True, env=env)
    assert missing.returncode == 1 and "does not exist" in missing.stderr


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_stops_it_gracefully_within_five_seconds(sig: signal.Signals) -> None:
    """Stop accepting, let a download in flight finish, exit 0, well within 5 s."""
    env = {**os.environ, "FAKEEXPORTS_PORT": "0"}
    proc, lines = _serve([sys.executable, "-m", "fakeexports", "serve", "--clock", "virtual"], env)
    try:
        port = lines[-1].split("//", 1)[1].split("/")[0].split(":")[1]
        seed = "01935abc-def0-7123-8567-890abcdef012"  # the seed export: 1,024,000 bytes (fixtures/hookbridge.yaml)
        opener = urllib.request.build_opener(urllib.request.HTTPRedirectHandler())
        request = urllib.request.Request(f"http://127.0.0.1:{port}/hookbridge/v1/exports/{seed}/download",
                                         headers={"Authorization": "Bearer hb_test_seed"})
        with opener.open(request, timeout=10) as resp:
            first = resp.read(4096)
            started = time.monotonic()
            os.killpg(proc.pid, sig)
            rest = resp.read()
        assert len(first) + len(rest) == 1_024_000
        out, _ = proc.communicate(timeout=5)
        assert proc.returncode == 0, out
        assert time.monotonic() - started < 5
        assert "fakeexports: stopped" in out
        with pytest.raises(OSError):
            urllib.request.urlopen(f"http://127.0.0.1:{port}/_fakeexports/health", timeout=2)
    finally:
        if proc.poll() is None:
            _stop(proc)
