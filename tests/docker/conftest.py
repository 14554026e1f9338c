"""What the Docker tests share: the image, built once a session from the Dockerfile (FROM FAKEEXPORTS_DOCKER_BASE,
default python:3.11-slim; CI uses a debootstrapped Debian from docker/base.sh), and small helpers. Without a Docker
engine or the base image the tests skip, saying why, and fail under CI=true (tests/reference.py)."""

from __future__ import annotations

import os
import socket
import subprocess
from pathlib import Path

import pytest

from tests.reference import skip_or_fail

ROOT = Path(__file__).resolve().parents[2]
BASE = os.environ.get("FAKEEXPORTS_DOCKER_BASE", "python:3.11-slim")
TAG = "fakeexports:test"


def docker(*args: str, timeout: float = 60, check: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"docker {' '.join(args)}: {proc.returncode}\n{proc.stdout[-2000:]}{proc.stderr[-3000:]}")
    return proc


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def image() -> str:
    try:
        info = subprocess.run(["docker", "info", "--format", "{{.ServerVersion}}"], capture_output=True, text=True,
                              timeout=30)
    except (FileNotFoundError, subprocess.TimeoutExpired):
        info = None
    if info is None or info.returncode != 0:
        skip_or_fail("the Docker test needs a running Docker engine (apt-get install docker.io; dockerd)")
    if docker("image", "inspect", BASE, check=False).returncode != 0:
        pulled = docker("pull", BASE, check=False, timeout=300)
        if pulled.returncode != 0:
            skip_or_fail(f"the Docker test needs the base image {BASE}, which is not here and could not be pulled "
                         f"({pulled.stderr.strip()[-200:]}): set FAKEEXPORTS_DOCKER_BASE (docker/base.sh makes one)")
    docker("build", "--network", "host", "--build-arg", f"BASE={BASE}", "-t", TAG, str(ROOT), timeout=900)
    return TAG
