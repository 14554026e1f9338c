"""The wheel as a user installs it: `python -m build` makes it, a fresh venv installs that wheel and nothing else of
the checkout (its dependencies come from PyPI or pip's cache), and `fakeexports serve` started from that venv
serves every bundled vendor: each vendor's recipe (fakeexports/recipe.py: create a job, advance the virtual clock
through the control API, poll, download the file) runs against it, and the dashboard answers. Skipped with a
message when the `build` package is missing, failed instead under CI=true (tests/reference.py)."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import signal
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest

from fakeexports.recipe import Driver
from fakeexports.remote import RemoteFake
from fakeexports.vendors import discover
from tests.reference import skip_or_fail

ROOT = Path(__file__).resolve().parents[1]
BUNDLED = sorted(name for name, cls in discover().items() if cls.bundled() and cls.recipe is not None)


@dataclass(frozen=True)
class Installed:
    wheel: Path
    venv: Path
    url: str
    mounts: dict[str, str]


def _wheel(out: Path) -> Path:
    # build's default: an sdist, then the wheel built from that sdist (so both must carry the data); --no-isolation:
    # hatchling is in the test extras, and an isolated build would fetch it again on every run
    subprocess.run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(ROOT)],
                   check=True, capture_output=True, text=True, timeout=300)
    return next(out.glob("fakeexports-*.whl"))


def _venv(where: Path, wheel: Path) -> Path:
    subprocess.run([sys.executable, "-m", "venv", str(where)], check=True, timeout=120)
    pip = subprocess.run([str(where / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check",
                          str(wheel)], capture_output=True, text=True, timeout=600)
    assert pip.returncode == 0, pip.stdout[-2000:] + pip.stderr[-3000:]
    return where


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installed]:
    if importlib.util.find_spec("build") is None:
        skip_or_fail("the wheel test needs the `build` package (pip install build; it is in the test extras)")
    tmp = tmp_path_factory.mktemp("wheel")
    wheel = _wheel(tmp / "dist")
    venv = _venv(tmp / "venv", wheel)
    # nothing of the checkout on the path: run from elsewhere, with no PYTHONPATH, the CA in a folder of its own
    # (of the FAKEEXPORTS_ settings only NO_CACHES passes: CI's second run turns the caches off, this server's too)
    env = {k: v for k, v in os.environ.items()
           if k != "PYTHONPATH" and (not k.startswith("FAKEEXPORTS_") or k == "FAKEEXPORTS_NO_CACHES")}
    env.update(FAKEEXPORTS_PORT="0", FAKEEXPORTS_CA_DIR=str(tmp / "ca"))
    proc = subprocess.Popen([str(venv / "bin" / "fakeexports"), "serve", "--clock", "virtual", "--strict"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=tmp,
                            start_new_session=True)
    try:
        assert proc.stdout is not None
        mounts: dict[str, str] = {}
        while True:  # one line per vendor (name, base URL), then the control line
            line = proc.stdout.readline()
            assert line, proc.stderr.read() if proc.stderr else "the server stopped"
            name, url = line.split()[:2]
            if name == "control":
                break
            mounts[name] = url
        origin = url.split("/_fakeexports")[0]
        yield Installed(wheel, venv, origin, mounts)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(10)


def test_the_wheel_carries_the_specs_fixtures_and_dashboard(installed: Installed) -> None:
    with zipfile.ZipFile(installed.wheel) as zf:
        names = set(zf.namelist())
        entry_points = next(zf.read(n).decode() for n in names if n.endswith(".dist-info/entry_points.txt"))
    for kind in ("specs", "fixtures"):
        for path in sorted((ROOT / kind).glob("*.yaml")):
            assert f"fakeexports/_data/{kind}/{path.name}" in names
    assert {"fakeexports/dashboard.html", "fakeexports/py.typed", "fakeexports/cli.py"} <= names
    assert not any(n.startswith(("tests/", "bench/", "specs/", "fixtures/")) for n in names)
    assert "fakeexports = fakeexports.cli:main" in entry_points and "[pytest11]" in entry_points


def test_the_fresh_venv_runs_the_installed_package_not_the_checkout(installed: Installed) -> None:
    code = "import fakeexports.specs as s; print(s.__file__); print(s.data_dir('specs')); print(s.data_dir('fixtures'))"
    out = subprocess.run([str(installed.venv / "bin" / "python"), "-c", code], capture_output=True, text=True,
                         check=True, cwd=installed.venv, env={"PATH": os.environ.get("PATH", "")}).stdout.split()
    site = str(installed.venv / "lib")
    assert all(line.startswith(site) for line in out), out
    assert out[1].endswith("fakeexports/_data/specs") and out[2].endswith("fakeexports/_data/fixtures")
    version = subprocess.run([str(installed.venv / "bin" / "fakeexports"), "--version"], capture_output=True,
                             text=True, check=True).stdout
    assert version.split() == ["fakeexports", importlib.metadata.version("fakeexports")]
    # every bundled vendor, and nothing else: the venv has no other vendor package
    assert sorted(installed.mounts) == BUNDLED


@pytest.mark.parametrize("vendor", BUNDLED)
async def test_each_vendor_serves_a_whole_export_from_the_wheel(installed: Installed, vendor: str) -> None:
    recipe = discover()[vendor].recipe
    assert recipe is not None
    mount = installed.mounts[vendor].removeprefix(installed.url)
    async with aiohttp.ClientSession() as session:
        driver = Driver.over(session, installed.url, recipe, recipe.tenants[0], mount)
        # create, then advance the virtual clock step by step until the job is done
        await driver.login()
        await driver.create()
        statuses = await driver.until_done()
        assert statuses[-1] == recipe.done
        # the file
        answer = await driver.download()
        assert answer.status == 200 and answer.body
        if "size" in driver.vars:
            assert len(answer.body) == int(driver.vars["size"])
        # the dashboard; and no server error, nor an answer that strict mode found off its own spec
        async with session.get(installed.url + "/_fakeexports/ui") as page:
            assert page.status == 200 and "<title>fakeexports</title>" in await page.text()
    assert RemoteFake(installed.url).server_errors() == []
