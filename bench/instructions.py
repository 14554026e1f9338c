"""CPU instructions per request of fakeexports' hottest reads, counted by valgrind's callgrind: a figure that does
not move with the machine's load, beside another checkout's in the same invocation.

    .venv/bin/python bench/instructions.py [--endpoint twilio-job|twilio|didww|hookbridge|all] [--requests 1000]
                                           [--baseline CHECKOUT]... [--no-caches NAMES]

Why: on a shared two-core machine ``throughput.py``'s requests a second wander by ±20% between two runs of the same
code (its ``--baseline`` of this checkout beside itself shows it), so a 10% bound cannot be read from them.
Instructions can: each server runs under ``valgrind --tool=callgrind`` with counting off; it is made ready and
warmed with the endpoint's own data (throughput.py's setup, 200 requests), counting is switched on
(``callgrind_control -i on``) for ``--requests`` sequential keep-alive requests and off again, and the count is
divided by them. Every thread and library of the process is counted (the interpreter, aiohttp's C parts, libc),
the kernel is not (both sides make the same system calls: one recv and one send a request). Garbage collections
fall inside the window as they come: use 1,000 requests or more. The same request against the same data repeats
within about 2% on one checkout.

Needs valgrind (``apt-get install valgrind``; bench/setup.sh installs it). Prints a table and writes
bench/.work/instructions-<timestamp>.json. Numbers only, no assertions. See bench/README.md.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import throughput as tp

WARMUP = 200
ENDPOINTS = ("twilio-job", "twilio", "didww", "hookbridge")


def setup(endpoint: str, port: int) -> tuple[str, dict[str, str]]:
    """The endpoint's data made through the API; the path and headers every counted request sends."""
    if endpoint == "twilio":
        tp.create_jobs(port)
        return "/twilio" + tp.JOBS_PATH + tp.LIST_QUERY, {"Authorization": tp.AUTH}
    if endpoint == "twilio-job":
        return tp.create_job(port), {"Authorization": tp.AUTH}
    if endpoint == "didww":
        return tp.create_didww(port), dict(tp.DIDWW_HEADERS)
    return tp.create_hookbridge(port), dict(tp.HOOKBRIDGE_HEADERS)


def total(out_files: list[Path]) -> int:
    """The instructions counted in callgrind's dumps (one file per dump; the last holds the window)."""
    counted = 0
    for path in out_files:
        for line in path.read_text(errors="replace").splitlines():
            if line.startswith(("summary:", "totals:")):
                counted = max(counted, int(line.split()[1]))
    return counted


def measure(name: str, fe: list[str], options: list[str], endpoint: str, requests: int, work: Path) -> dict:
    port = tp.free_port()
    out = work / f"{name.replace(' ', '_').replace('/', '_')}-{endpoint}.callgrind"
    log = work / f"{out.name}.log"
    cmd = ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out}", *fe,
           "serve", "--port", str(port), "--fixtures", "none", *options]
    with open(log, "wb") as sink:
        proc = subprocess.Popen(cmd, stdout=sink, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True, cwd=tp.ROOT)
    tp.LIVE.append(proc)
    try:
        t0 = time.perf_counter()
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"{name}: exited with {proc.returncode}:\n{log.read_text()[-2000:]}")
            try:
                if tp.call(port, "GET", "/_fakeexports/health", timeout=5)[0] == 200:
                    break
            except (OSError, http.client.HTTPException):
                pass
            if time.perf_counter() - t0 > 300:
                raise RuntimeError(f"{name}: not ready under valgrind after 300 s")
            time.sleep(0.2)
        path, headers = setup(endpoint, port)
        conn = http.client.HTTPConnection(tp.HOST, port, timeout=60)

        def send(n: int) -> bytes:
            body = b""
            for _ in range(n):
                conn.request("GET", path, headers=headers)
                answer = conn.getresponse()
                body = answer.read()
                if answer.status != 200:
                    raise RuntimeError(f"{name}: GET {path} answered {answer.status}: {body[:300]!r}")
            return body

        send(WARMUP)
        control = ["callgrind_control"]
        subprocess.run([*control, "-i", "on", str(proc.pid)], check=True, capture_output=True)
        body = send(requests)
        subprocess.run([*control, "-i", "off", str(proc.pid)], check=True, capture_output=True)
        subprocess.run([*control, "-d", str(proc.pid)], check=True, capture_output=True)
        conn.close()
    finally:
        tp.stop(proc)
    dumps = sorted(work.glob(out.name + "*"))
    counted = total([p for p in dumps if not p.name.endswith(".log")])
    for p in dumps:
        if not p.name.endswith(".log"):
            p.unlink()
    return {"server": name, "endpoint": endpoint, "requests": requests, "instructions": counted,
            "per_request": counted / requests, "body_bytes": len(body), "path": path}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--endpoint", choices=(*ENDPOINTS, "all"), default="twilio-job")
    ap.add_argument("--requests", type=int, default=1000, help="counted requests per server (default 1000)")
    ap.add_argument("--baseline", action="append", default=[],
                    help="another checkout of fakeexports (with its own .venv) counted beside this one; repeatable")
    ap.add_argument("--no-caches", help="this checkout's server with these caches off (caches.py names, or all)")
    args = ap.parse_args()
    for tool in ("valgrind", "callgrind_control"):
        if shutil.which(tool) is None:
            sys.exit(f"needs {tool}: apt-get install valgrind (bench/setup.sh does)")
    fe_bin = Path(sys.executable).with_name("fakeexports")
    servers: dict[str, tuple[list[str], list[str]]] = {
        "fakeexports": ([str(fe_bin)], ["--no-caches", args.no_caches] if args.no_caches else [])}
    for checkout in args.baseline:
        base = Path(checkout).resolve()
        servers[f"fakeexports at {base.name}"] = ([str(base / ".venv" / "bin" / "fakeexports")], [])
    endpoints = ENDPOINTS if args.endpoint == "all" else (args.endpoint,)
    tp.WORK.mkdir(parents=True, exist_ok=True)
    rows: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="instructions-", dir=tp.WORK) as tmp:
        try:
            for endpoint in endpoints:
                for name, (fe, options) in servers.items():
                    print(f"{endpoint}: {name} ...", file=sys.stderr, flush=True)
                    rows.append(measure(name, fe, options, endpoint, args.requests, Path(tmp)))
        finally:
            for proc in list(tp.LIVE):
                tp.stop(proc)
    argv = " ".join(sys.argv[1:])
    print(f"\n$ .venv/bin/python bench/instructions.py {argv}".rstrip())
    print(f"{args.requests} counted requests per server after {WARMUP} uncounted, one keep-alive connection; "
          f"valgrind {subprocess.run(['valgrind', '--version'], capture_output=True, text=True).stdout.strip()}\n")
    print("| endpoint | server | body B | instructions / request | / this checkout |")
    print("|---|---|---:|---:|---:|")
    for endpoint in endpoints:
        ours = next(r for r in rows if r["endpoint"] == endpoint and r["server"] == "fakeexports")
        for r in (r for r in rows if r["endpoint"] == endpoint):
            print(f"| {endpoint} | {r['server']} | {r['body_bytes']} | {r['per_request']:,.0f} | "
                  f"{r['per_request'] / ours['per_request']:.3f} |")
    out = tp.WORK / f"instructions-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}.json"
    out.write_text(json.dumps({"argv": sys.argv[1:], "rows": rows, "pid": os.getpid()}, indent=1))
    print(f"\nresults: {out.relative_to(tp.ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
