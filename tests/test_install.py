"""The README's "Use it in your project" installs: from a checkout's path and from a git URL (a ``git+file://``
URL stands for any git host here: pip clones it the same way). Each install is into a folder of its own, the
package alone (its dependencies are this venv's), and must carry what a server needs: it serves every vendor and
answers a vendor request. The wheel in a fresh venv with nothing else is tests/test_wheel.py's."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import requests

from tests.reference import skip_or_fail
from tests.test_fleet import free_port, wait_healthy

ROOT = Path(__file__).resolve().parents[1]


def install(target: Path, source: str) -> None:
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
                    "--target", str(target), source], check=True, capture_output=True, timeout=300)


def serves(target: Path) -> None:
    """The installed copy (first on the path, not this checkout) serves every vendor with its fixtures."""
    env = {**os.environ, "PYTHONPATH": str(target)}
    where = subprocess.run([sys.executable, "-c", "import fakeexports; print(fakeexports.__file__)"], env=env,
                           capture_output=True, text=True, check=True, cwd=target).stdout
    assert where.startswith(str(target)), where
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "fakeexports", "serve", "--port", str(port), "--clock", "virtual"],
                            env=env, cwd=target, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_healthy([f"http://127.0.0.1:{port}"], 60)
        health = requests.get(f"http://127.0.0.1:{port}/_fakeexports/health", timeout=10).json()
        assert {"twilio", "didww", "talkdesk", "hookbridge"} <= set(health["vendors"]), health
        seeded = requests.get(f"http://127.0.0.1:{port}/hookbridge/v1/exports",
                              headers={"Authorization": "Bearer hb_test_seed"}, timeout=10)
        assert seeded.status_code == 200 and seeded.json()["data"], seeded.text  # the bundled fixtures came along
    finally:
        proc.terminate()
        proc.wait(10)


def test_install_from_a_path(tmp_path: Path) -> None:
    install(tmp_path / "site", str(ROOT))
    serves(tmp_path / "site")


def test_install_from_a_git_url(tmp_path: Path) -> None:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        skip_or_fail("the git URL install needs git (apt-get install git) and a git checkout to clone")
    clone = tmp_path / "repo"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True, timeout=120)
    install(tmp_path / "site", f"git+file://{clone}")
    serves(tmp_path / "site")
