"""More servers when one is not enough (issue 21): independent servers, each a tenant's and its clock's only home,
and pytest sessions placed on them by a stable hash of the session's name (remote.place), with no coordination."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from pathlib import Path

from fakeexports.remote import place

INNER = '''
import json, os

import requests


def test_an_export_on_this_sessions_server(fakeexports):
    headers = fakeexports.headers("hookbridge")
    made = requests.post(fakeexports.vendor_url("hookbridge") + "/v1/exports", headers=headers, timeout=10, json={
        "start_time": "2026-01-01T00:00:00Z", "end_time": "2026-01-02T00:00:00Z"})
    assert made.status_code == 201, made.text
    fakeexports.advance(3600)
    export = requests.get(fakeexports.vendor_url("hookbridge") + "/v1/exports/" + made.json()["data"]["id"],
                          headers=headers, timeout=10).json()["data"]
    assert export["status"] == "completed"
    with open(os.environ["SESSION_OUT"], "w") as out:
        json.dump({"server": fakeexports.server_url}, out)
'''


def test_a_session_is_placed_by_its_name_alone_and_a_server_removed_moves_only_its_own() -> None:
    urls = [f"http://fake-{i}:8080" for i in range(3)]
    names = [f"ci-job-{i}" for i in range(300)]
    placed = {n: place(urls, n) for n in names}
    assert placed == {n: place(list(reversed(urls)), n) for n in names}  # the order of the list does not matter
    assert min(Counter(placed.values()).values()) > 60  # spread over all three
    fewer = {n: place(urls[:2], n) for n in names}
    assert all(fewer[n] == placed[n] for n in names if placed[n] != urls[2])  # only fake-2's sessions moved


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_healthy(urls: list[str], seconds: float = 120) -> None:
    for url in urls:
        deadline = time.monotonic() + seconds
        while True:
            try:
                urllib.request.urlopen(url + "/_fakeexports/health", timeout=2)
                break
            except OSError:
                assert time.monotonic() < deadline, f"{url} did not start"
                time.sleep(0.2)


def run_placed_sessions(tmp_path: Path, urls: list[str]) -> None:
    """Six pytest sessions at once against ``urls``, two placed on each server by their names; each runs a HookBridge
    export on its own clock there. Fails unless every session passed on the server place() names."""
    (tmp_path / "test_inner.py").write_text(INNER)
    env = {k: v for k, v in os.environ.items() if not k.startswith("FAKEEXPORTS_") or k == "FAKEEXPORTS_NO_CACHES"}
    names: list[str] = []
    for i in range(1000):  # two sessions placed on each server
        name = f"session-{i}"
        if sum(place(urls, n) == place(urls, name) for n in names) < 2:
            names.append(name)
        if len(names) == 2 * len(urls):
            break
    runs = [subprocess.Popen([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_inner.py"],
                             cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                             env={**env, "FAKEEXPORTS_URL": ",".join(urls), "FAKEEXPORTS_SESSION": name,
                                  "SESSION_OUT": str(tmp_path / f"{name}.json")}) for name in names]
    outputs = [r.communicate(timeout=300)[0] for r in runs]
    failed = [o for r, o in zip(runs, outputs, strict=True) if r.returncode]
    assert not failed, failed[0][-3000:]
    ran_on = {name: json.loads((tmp_path / f"{name}.json").read_text())["server"] for name in names}
    assert ran_on == {name: place(urls, name) for name in names}
    assert Counter(ran_on.values()) == {url: 2 for url in urls}


def test_sessions_run_on_three_servers_placed_by_hash(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FAKEEXPORTS_") or k == "FAKEEXPORTS_NO_CACHES"}
    ports = [free_port() for _ in range(3)]
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    servers = [subprocess.Popen([sys.executable, "-m", "fakeexports", "serve", "--clock", "virtual", "--port",
                                 str(port), "--fixtures", "none"], env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL) for port in ports]
    try:
        wait_healthy(urls)
        run_placed_sessions(tmp_path, urls)
    finally:
        for server in servers:
            server.terminate()
            server.wait(30)
