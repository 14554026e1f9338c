"""The cost of --state on throughput: the same server with and without a state file, on a read (the 50-job
Twilio list, as throughput.py) and on a write (DIDWW creates, each a transaction written before its answer).

    .venv/bin/python bench/state.py [--duration 10] [--rounds 3]

Prints medians (min to max) and the ratios with/without; numbers only (BENCHMARKING.md).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import throughput as t

CREATE_LUA = """\
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/vnd.api+json"
wrk.headers["Api-Key"] = "bench-key"
wrk.body = '{"data": {"type": "exports", "attributes": {"export_type": "cdr_in", ' ..
           '"filters": {"year": 2026, "month": 1}}}}'
"""


def run(state: str | None, duration: int, rnd: int) -> dict[str, dict[str, float]]:
    fe_bin = Path(sys.executable).with_name("fakeexports")
    fe = [str(fe_bin)] if fe_bin.exists() else [sys.executable, "-m", "fakeexports"]
    port = t.free_port()
    cmd = [*fe, "serve", "--port", str(port), "--fixtures", "none", "--clock", "virtual"]
    if state:
        cmd += ["--state", state]
    log = t.WORK / "logs" / f"state-{'file' if state else 'memory'}-{rnd}.log"
    server, t0 = t.spawn(cmd, log)
    try:
        t.wait_ready(server, t0, port, "/_fakeexports/health", log)
        _jobs(port)
        read = t.run_wrk(f"http://{t.HOST}:{port}/twilio{t.JOBS_PATH}{t.LIST_QUERY}", duration)
        script = t.WORK / "create.lua"
        script.write_text(CREATE_LUA)
        out = t.subprocess.run(["taskset", "-c", t.LOAD_CPU, "wrk", "-t1", "-c50", f"-d{duration}s", "--latency",
                                "-s", str(script), f"http://{t.HOST}:{port}/didww/v3/exports"],
                               capture_output=True, text=True, check=True).stdout
        write = t.parse_wrk(out)
        return {"read": read, "write": write}
    finally:
        t.stop(server)


def _jobs(port: int) -> None:
    """50 one-day Twilio jobs on the virtual clock (2026-01-15): days in the first week of January."""
    import urllib.parse

    for i in range(t.N_JOBS):
        day = f"2026-01-{1 + i % 10:02d}"
        form = urllib.parse.urlencode({"StartDay": day, "EndDay": day, "FriendlyName": f"bench export {i + 1}"})
        status, body = t.call(port, "POST", "/twilio" + t.JOBS_PATH, form.encode(), {
            "Authorization": t.AUTH, "Content-Type": "application/x-www-form-urlencoded"})
        assert status == 201, body


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    (t.WORK / "logs").mkdir(parents=True, exist_ok=True)
    rows: dict[str, list[dict[str, dict[str, float]]]] = {"in memory": [], "--state": []}
    for rnd in range(1, args.rounds + 1):
        print(f"round {rnd}/{args.rounds} ...", file=sys.stderr, flush=True)
        rows["in memory"].append(run(None, args.duration, rnd))
        with tempfile.TemporaryDirectory() as tmp:
            rows["--state"].append(run(str(Path(tmp) / "state.db"), args.duration, rnd))
    print(f"$ .venv/bin/python bench/state.py --duration {args.duration} --rounds {args.rounds}")
    print("read: GET /twilio/v1/Exports/Messages/Jobs?PageSize=50 (50 jobs); write: POST /didww/v3/exports "
          "(a create each); wrk -t1 -c50 on CPU 1, server on CPU 0\n")
    print("| server | read req/s | read p99 ms | write req/s | write p50 ms | write p99 ms |")
    print("|---|---:|---:|---:|---:|---:|")

    def fmt(values: list[float], spec: str) -> str:
        return f"{statistics.median(values):{spec}} ({min(values):{spec}} to {max(values):{spec}})"

    for name, runs in rows.items():
        cells = [fmt([r["read"]["rps"] for r in runs], ",.0f"), fmt([r["read"]["p99_ms"] for r in runs], ".2f"),
                 fmt([r["write"]["rps"] for r in runs], ",.0f"), fmt([r["write"]["p50_ms"] for r in runs], ".2f"),
                 fmt([r["write"]["p99_ms"] for r in runs], ".2f")]
        print(f"| {name} | " + " | ".join(cells) + " |")
    print()
    for kind in ("read", "write"):
        ratios = [s[kind]["rps"] / m[kind]["rps"] for s, m in zip(rows["--state"], rows["in memory"], strict=True)]
        print(f"{kind} req/s, --state / in memory: {fmt(ratios, '.2f')}")


if __name__ == "__main__":
    main()
