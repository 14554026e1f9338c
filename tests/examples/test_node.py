"""examples/node run by the suite: node's own test runner drives twilio-node, unchanged, through the fake's HTTPS
proxy (HTTP_PROXY, NODE_EXTRA_CA_CERTS), creating a Bulk Export job, moving the virtual clock through the control API
and downloading a day's file. `npm ci` installs the versions package-lock.json pins (from npm's cache when it has
them). Skipped with a message when node or npm is missing, failed instead under CI=true (tests/reference.py)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import requests

from fakeexports.server import ServerThread
from tests.conftest import settings
from tests.reference import skip_or_fail

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "node"


def test_twilio_node_runs_a_bulk_export_through_the_proxy(tmp_path: Path) -> None:
    if shutil.which("node") is None or shutil.which("npm") is None:
        skip_or_fail("the Node example needs node (>= 20) and npm (apt-get install nodejs npm)")
    # a copy, so that node_modules never lands in the checkout
    work = tmp_path / "node"
    shutil.copytree(EXAMPLE, work, ignore=shutil.ignore_patterns("node_modules"))
    env = {k: v for k, v in os.environ.items() if k.lower() not in ("http_proxy", "https_proxy", "no_proxy")}
    ci = subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--prefer-offline"], cwd=work, env=env,
                        capture_output=True, text=True, timeout=300)
    assert ci.returncode == 0, ci.stdout[-2000:] + ci.stderr[-3000:]

    with ServerThread(settings(clock="virtual", strict=True, ca_dir=str(tmp_path / "ca"))) as server:
        ca = server.proxy_env()["SSL_CERT_FILE"]  # the CA's file, made now if missing
        # twilio-node reads HTTP_PROXY for its https requests; node reads NODE_EXTRA_CA_CERTS when it starts
        env.update(FAKEEXPORTS_URL=server.url, HTTP_PROXY=server.url, NODE_EXTRA_CA_CERTS=ca)
        run = subprocess.run(["npm", "test"], cwd=work, env=env, capture_output=True, text=True, timeout=300)
        assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
        assert "# pass 1" in run.stdout and "# fail 0" in run.stdout, run.stdout[-2000:]
        # what the fake saw: the client's calls, by the vendor's own host through the tunnel, and the file fetched
        journal = requests.get(server.url + "/_fakeexports/journal", timeout=10).json()
        operations = [e["operation"] for e in journal["entries"] if e["vendor"] == "twilio"]
        assert operations[0] == "CreateExportCustomJob" and "FetchDay" in operations
        assert any(e["path"].startswith("/_s3/") and e["status"] == 200 for e in journal["entries"])
        assert all(not e["path"].startswith("/twilio/") for e in journal["entries"])
        assert journal["errors"] == []
