"""The Docker image, built and run for real: the Dockerfile is built (FROM FAKEEXPORTS_DOCKER_BASE, default
python:3.11-slim; CI uses a debootstrapped Debian from docker/base.sh), a container runs with --network host on
a free loopback port, the test waits for its HEALTHCHECK to say healthy, drives an official SDK against it, runs
the contract tests against it as an external server (FAKEEXPORTS_URL), tunnels through its proxy with the CA
copied out of it, and stops it (exit 0)."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from fakeexports.remote import RemoteFake
from tests.conftest import ACCOUNT, TOKEN
from tests.docker.conftest import BASE, docker, free_port
from tests.reference import skip_or_fail
from tests.test_fleet import run_placed_sessions, wait_healthy

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def container(image: str) -> Iterator[tuple[str, str]]:
    port = free_port()
    name = f"fakeexports-test-{os.getpid()}"
    docker("rm", "-f", name, check=False)
    # --network host: all traffic stays on loopback; 127.0.0.1 inside is the machine's loopback
    docker("run", "-d", "--name", name, "--network", "host", "-e", f"FAKEEXPORTS_PORT={port}", image,
           "fakeexports", "serve", "--host", "127.0.0.1", "--clock", "virtual", "--strict")
    try:
        deadline = time.monotonic() + 90
        status = ""
        while time.monotonic() < deadline:  # the engine runs the HEALTHCHECK every 5 s
            status = docker("inspect", "--format", "{{.State.Health.Status}}", name).stdout.strip()
            if status in ("healthy", "unhealthy"):
                break
            time.sleep(0.5)
        assert status == "healthy", docker("logs", name, check=False).stderr[-3000:]
        yield name, f"http://127.0.0.1:{port}"
    finally:
        docker("stop", "--time", "10", name, check=False, timeout=60)
        docker("rm", "-f", name, check=False)


def test_the_container_is_healthy_and_an_official_sdk_runs_against_it(container: tuple[str, str]) -> None:
    from twilio.rest import Client

    _, url = container
    remote = RemoteFake(url)
    remote.reset()
    client = Client(ACCOUNT, TOKEN)
    client.bulkexports.base_url = url + "/twilio"
    made = client.bulkexports.v1.exports("Messages").export_custom_jobs.create(
        start_day="2026-01-10", end_day="2026-01-11", friendly_name="in docker")
    remote.advance(60 + 2 * 30 + 1)
    days = client.bulkexports.v1.exports("Messages").days.list()
    assert days and made.job_sid.startswith("JS")
    day = client.bulkexports.v1.exports("Messages").days(days[0].day).fetch()
    body = requests.get(day.redirect_to, timeout=10).content
    assert len(body) == days[0].size and json.loads(gzip.decompress(body).splitlines()[0])["account_sid"] == ACCOUNT
    assert remote.server_errors() == []
    page = requests.get(url + "/_fakeexports/ui", timeout=10)  # the dashboard is in the wheel the image installs
    assert page.status_code == 200 and "<title>fakeexports</title>" in page.text


def test_the_contract_tests_pass_against_the_container(container: tuple[str, str]) -> None:
    _, url = container
    env = {**os.environ, "FAKEEXPORTS_URL": url}
    tests = [str(ROOT / "tests" / "contract" / f) for f in ("test_twilio_sdk.py", "test_didww_sdk.py",
                                                            "test_hookbridge_sdk.py")]
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rs", *tests],
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=600)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    summary = proc.stdout.strip().splitlines()[-1]
    assert " passed" in summary and "failed" not in summary
    # the only ones left out are those that need a server of their own settings, and they say so
    skipped = [line for line in proc.stdout.splitlines() if line.startswith("SKIPPED")]
    assert all("needs a fake of its own" in line for line in skipped)


def test_the_containers_proxy_with_its_ca_copied_out(container: tuple[str, str], tmp_path: Path) -> None:
    name, url = container
    path = docker("exec", name, "fakeexports", "ca").stdout.strip()
    assert path == "/var/lib/fakeexports/ca/ca.pem"
    docker("cp", f"{name}:{path}", str(tmp_path / "ca.pem"))
    resp = requests.get("https://bulkexports.twilio.com/v1/Exports/Calls", auth=(ACCOUNT, TOKEN),
                        proxies={"https": url}, verify=str(tmp_path / "ca.pem"), timeout=10)
    assert resp.status_code == 200 and resp.json()["url"] == "https://bulkexports.twilio.com/v1/Exports/Calls"


def test_docker_stop_is_a_clean_exit(image: str) -> None:
    port = free_port()
    name = f"fakeexports-stop-{os.getpid()}"
    docker("rm", "-f", name, check=False)
    docker("run", "-d", "--name", name, "--network", "host", "-e", f"FAKEEXPORTS_PORT={port}", image,
           "fakeexports", "serve", "--host", "127.0.0.1", "--clock", "virtual")
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:  # until it listens
            try:
                if requests.get(f"http://127.0.0.1:{port}/_fakeexports/health", timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                time.sleep(0.1)
        docker("stop", "--time", "10", name, timeout=60)
        assert docker("inspect", "--format", "{{.State.ExitCode}}", name).stdout.strip() == "0"
        assert "fakeexports: stopped" in docker("logs", name).stdout
    finally:
        docker("rm", "-f", name, check=False)


def test_the_compose_example_runs_an_unchanged_app_beside_the_fake(image: str) -> None:
    """docker/compose.yaml (the README's example) with docker/compose.host.yaml: this machine's Docker has no
    bridge network, so both services run on its loopback. Debian's docker-compose (1.29) or Compose v2."""
    compose = ["docker-compose"] if shutil.which("docker-compose") else ["docker", "compose"]
    if subprocess.run([*compose, "version"], capture_output=True).returncode != 0:
        skip_or_fail("the compose test needs docker-compose (apt-get install docker-compose) or Compose v2")
    files = ["-p", f"fxtest{os.getpid()}", "-f", str(ROOT / "docker" / "compose.yaml"),
             "-f", str(ROOT / "docker" / "compose.host.yaml")]
    env = {**os.environ, "FAKE_PORT": str(free_port()), "FAKEEXPORTS_BASE": BASE}
    try:
        proc = subprocess.run([*compose, *files, "up", "--build", "--abort-on-container-exit", "--exit-code-from",
                               "app"], capture_output=True, text=True, env=env, timeout=600)
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
        assert "app got {'data': [], 'meta': {'request_id': 'req_" in proc.stdout  # HookBridge, via the proxy
    finally:
        subprocess.run([*compose, *files, "down", "-v"], capture_output=True, env=env, timeout=120)


def test_three_servers_in_compose_take_a_parallel_run_placed_by_hash(image: str, tmp_path: Path) -> None:
    """docker/compose.fleet.yaml: three servers, each with its own state volume; six pytest sessions at once, two
    placed on each by the hash of their names, each running an export on its own clock there."""
    compose = ["docker-compose"] if shutil.which("docker-compose") else ["docker", "compose"]
    if subprocess.run([*compose, "version"], capture_output=True).returncode != 0:
        skip_or_fail("the compose test needs docker-compose (apt-get install docker-compose) or Compose v2")
    ports = [free_port() for _ in range(3)]
    files = ["-p", f"fxfleet{os.getpid()}", "-f", str(ROOT / "docker" / "compose.fleet.yaml")]
    env = {**os.environ, "FAKEEXPORTS_BASE": BASE, **{f"FLEET_PORT_{i + 1}": str(p) for i, p in enumerate(ports)}}
    try:
        proc = subprocess.run([*compose, *files, "up", "-d", "--build"], capture_output=True, text=True, env=env,
                              timeout=600)
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
        urls = [f"http://127.0.0.1:{p}" for p in ports]
        wait_healthy(urls)
        run_placed_sessions(tmp_path, urls)
    finally:
        subprocess.run([*compose, *files, "down", "-v"], capture_output=True, env=env, timeout=120)
