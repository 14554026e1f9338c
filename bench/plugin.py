"""The pytest plugin's cost per test: the same --tests trivial tests with and without the ``fakeexports`` fixture.

    .venv/bin/python bench/plugin.py [--tests 1000] [--rounds 3]

Writes two test files into a temporary directory: each test makes one assertion; in one file every test asks for
the ``fakeexports`` fixture (a reset of every vendor's state, the fixture files reloaded, the clock back at its
start), in the other none does. Each file runs in its own ``pytest -q -p no:cacheprovider`` process; the time is
pytest's own from session start to finish, so interpreter and plugin import costs are the same on both sides.
Reported: the overhead per test ((with - without) / tests; goal: 0.25 ms or less), and how long the first test
that asks for the fixture waits for it (the session's server start, goal: 0.3 s or less).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

CONFTEST = '''\
import json, os, time

TIMES = {}


def pytest_sessionstart(session):
    TIMES["start"] = time.perf_counter()


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
    args = ap.parse_args()
    per_test, first = [], []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "conftest.py").write_text(CONFTEST)
        (folder / "test_with.py").write_text(WITH + "".join(TEST_WITH.format(i=i) for i in range(1, args.tests)))
        (folder / "test_without.py").write_text("".join(TEST_WITHOUT.format(i=i) for i in range(args.tests)))
        for _ in range(args.rounds):
            with_ = run(folder, "with")
            without = run(folder, "without")
            per_test.append(((with_["end"] - with_["start"]) - (without["end"] - without["start"]))
                            / args.tests * 1000)
            first.append(with_["first_ready"] - with_["start"])
    print("| measure | median (min-max) | goal |")
    print("|---|---:|---:|")
    print(f"| per-test overhead of the fixture, ms | {statistics.median(per_test):.3f} "
          f"({min(per_test):.3f}-{max(per_test):.3f}) | 0.25 |")
    print(f"| first test ready after session start, s | {statistics.median(first):.3f} "
          f"({min(first):.3f}-{max(first):.3f}) | 0.3 |")
    print(f"{args.tests:,} tests x {args.rounds} rounds; command: {' '.join(sys.argv)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
