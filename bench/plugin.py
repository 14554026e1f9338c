"""The pytest plugin's cost per test: the same --tests trivial tests with and without the ``fakeexports`` fixture.

    .venv/bin/python bench/plugin.py [--tests 1000] [--rounds 3]

Writes two test files into a temporary directory: each test makes one assertion; in one file every test asks for
the ``fakeexports`` fixture (a reset of every vendor's state, the fixture files reloaded, the clock back at its
start), in the other none does. Each file runs in its own ``pytest -q -p no:cacheprovider`` process; the time is
pytest's own from session start to finish, so interpreter and plugin import costs are the same on both sides.
Reported: the overhead per test ((with - without) / tests; goal: 0.25 ms or less), the part of it beyond what
pytest itself spends on a fixture of the same shape (a third file: function scope, the request, a session
fixture, a yield), and how long the first test that asks for the fixture waits for it (from its setup to its
body: the session's server starting; goal: 0.3 s or less).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from fakeexports.progress import bar

CONFTEST = '''\
import json, os, time

import pytest

TIMES = {}


def pytest_sessionstart(session):
    TIMES["start"] = time.perf_counter()


def pytest_runtest_setup(item):
    TIMES.setdefault("first_setup", time.perf_counter())


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    start = time.perf_counter()
    yield
    TIMES.setdefault("each", []).append(time.perf_counter() - start)  # setup, call and teardown of one test


@pytest.fixture(scope="session")
def session_thing():
    yield object()


@pytest.fixture
def same_shape(request, session_thing):
    # pytest's own cost of a fixture like fakeexports: function scope, the request, a session fixture, a yield
    request.node.get_closest_marker("fakeexports")
    yield session_thing


def pytest_sessionfinish(session, exitstatus):
    TIMES["end"] = time.perf_counter()
    with open(os.environ["BENCH_OUT"], "w") as out:
        json.dump(TIMES, out)
'''

WITH = '''\
import time
from conftest import TIMES


def test_0000(fakeexports):
    TIMES.setdefault("first_ready", time.perf_counter())
    assert fakeexports.url
'''

TEST_WITH = '''
def test_{i:04d}(fakeexports):
    assert fakeexports.url
'''
TEST_WITHOUT = '''
def test_{i:04d}():
    assert True
'''
TEST_SHAPE = '''
def test_{i:04d}(same_shape):
    assert same_shape
'''


def run(folder: Path, name: str) -> dict[str, float]:
    out = folder / f"{name}.json"
    subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(folder / f"test_{name}.py")],
                   check=True, capture_output=True, cwd=folder, env={**__import__("os").environ,
                                                                    "BENCH_OUT": str(out)})
    times: dict[str, float] = json.loads(out.read_text())
    return times


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tests", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--json", help="also write the figures to this file (bench/all.py)")
    args = ap.parse_args()
    per_test, beyond, first = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "conftest.py").write_text(CONFTEST)
        (folder / "test_with.py").write_text(WITH + "".join(TEST_WITH.format(i=i) for i in range(1, args.tests)))
        (folder / "test_without.py").write_text("".join(TEST_WITHOUT.format(i=i) for i in range(args.tests)))
        (folder / "test_shape.py").write_text("".join(TEST_SHAPE.format(i=i) for i in range(args.tests)))
        for _ in bar(range(args.rounds), desc="rounds"):
            with_ = run(folder, "with")
            without = run(folder, "without")
            shape = run(folder, "shape")
            # the median test's own time (setup, call, teardown), the first one (the server's start) aside
            each = {name: statistics.median(r["each"][1:]) * 1000 for name, r in
                    (("with", with_), ("without", without), ("shape", shape))}
            per_test.append(each["with"] - each["without"])
            beyond.append(each["with"] - each["shape"])
            first.append(with_["first_ready"] - with_["first_setup"])
    print("| measure | median (min-max) | goal |")
    print("|---|---:|---:|")
    print(f"| per-test overhead of the fixture, ms | {statistics.median(per_test):.3f} "
          f"({min(per_test):.3f}-{max(per_test):.3f}) | 0.25 |")
    print(f"| of which beyond pytest's own cost of such a fixture, ms | {statistics.median(beyond):.3f} "
          f"({min(beyond):.3f}-{max(beyond):.3f}) | |")
    print(f"| first test's wait for the fixture (the server starting), s | {statistics.median(first):.3f} "
          f"({min(first):.3f}-{max(first):.3f}) | 0.3 |")
    print(f"{args.tests:,} tests x {args.rounds} rounds; command: {' '.join(sys.argv)}")
    if args.json:
        Path(args.json).write_text(json.dumps({"per_test_ms": statistics.median(per_test),
                                               "beyond_pytest_ms": statistics.median(beyond),
                                               "first_ready_s": statistics.median(first)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
