"""Throughput of fakeexports' hottest reads against a raw aiohttp server that returns the same bytes, and (for
Twilio's list) against a Prism 5 mock of Twilio's official spec. Method: /work/shared/BENCHMARKING.md.

    .venv/bin/python bench/throughput.py [--endpoint twilio|didww|hookbridge] [--rounds 3] [--duration 10]
                                         [--no-prism] [--baseline CHECKOUT] [--no-caches NAMES]

Endpoints: ``twilio`` GET /twilio/v1/Exports/Messages/Jobs?PageSize=50 (50 jobs); ``twilio-job`` GET
/twilio/v1/Exports/Jobs/{sid} (a fetch, never a kept answer: the whole request path each time); ``didww`` GET
/didww/v3/exports?page[size]=50 with X-DIDWW-API-Version 2026-04-16 (50 exports); ``hookbridge`` GET
/hookbridge/v1/exports/{id} (one export). Validation and authentication on, as ``serve`` runs by default.

``--baseline CHECKOUT`` (repeatable) also runs another checkout of fakeexports (its own .venv, e.g. a worktree of the
previous main) in the same rounds, so that a change is measured side by side with what it changes (this checkout as
its own baseline shows how far two runs of the same code differ); ``--no-caches NAMES`` runs
this checkout's server with those caches off (caches.py), and ``--compare-caches`` adds a row per cache with that one
off, to show what each earns on this path.

Prints a table of medians (min to max over the rounds) and writes bench/.work/throughput-<timestamp>.json.
Numbers only, no assertions: compare the ratios, not the absolute values. See bench/README.md.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import importlib.metadata
import importlib.util
import json
import os
import re
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / ".work"
SPEC = ROOT / "specs" / "twilio.yaml"
HOST = "127.0.0.1"
SERVER_CPU, LOAD_CPU = "0", "1"
ACCOUNT = "AC" + "0123456789abcdef" * 2
AUTH = "Basic " + base64.b64encode(f"{ACCOUNT}:bench-token".encode()).decode()
JOBS_PATH = "/v1/Exports/Messages/Jobs"
LIST_QUERY = "?PageSize=50"
N_JOBS = 50
WARMUP_S = 2
LOOP = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"

# The reference: what fakeexports does around a handler, minus everything the handler does.
RAW_SERVER = '''\
import asyncio, sys
from aiohttp import web

BODY = open(sys.argv[2], "rb").read()  # pre-serialized once


async def handle(request):
    return web.Response(body=BODY, content_type="application/json")


async def main(port):
    app = web.Application()
    app.router.add_route("GET", "/{tail:.*}", handle)
    runner = web.AppRunner(app, access_log=None)  # as fakeexports serve
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    print("ready", flush=True)
    await asyncio.Event().wait()

try:
    import uvloop  # the same choice as fakeexports serve
    run = uvloop.run
except ImportError:
    run = asyncio.run
try:
    run(main(int(sys.argv[1])))
except KeyboardInterrupt:
    pass
'''

LIVE: list[subprocess.Popen[bytes]] = []
Row = dict[str, Any]


# --- processes --------------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def spawn(cmd: list[str], log: Path) -> tuple[subprocess.Popen[bytes], float]:
    """Start a server on SERVER_CPU in its own process group; taskset execs, so the pid is the server's."""
    with open(log, "wb") as out:
        t0 = time.perf_counter()
        proc = subprocess.Popen(["taskset", "-c", SERVER_CPU, *cmd], stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True, cwd=ROOT)
    LIVE.append(proc)
    return proc, t0


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        for sig, wait in ((signal.SIGTERM, 5), (signal.SIGKILL, 5)):
            try:
                os.killpg(proc.pid, sig)
                proc.wait(wait)
                break
            except ProcessLookupError:
                break
            except subprocess.TimeoutExpired:
                continue
    if proc in LIVE:
        LIVE.remove(proc)


def call(port: int, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None,
         timeout: float = 5) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def wait_ready(proc: subprocess.Popen[bytes], t0: float, port: int, path: str, log: Path) -> float:
    """Poll every ~5 ms until `path` answers 200; return ms since spawn."""
    headers = {"Authorization": AUTH}
    while time.perf_counter() - t0 < 60:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode} before it was ready:\n{log.read_text()[-2000:]}")
        try:
            if call(port, "GET", path, headers=headers, timeout=1)[0] == 200:
                return (time.perf_counter() - t0) * 1000
        except (OSError, http.client.HTTPException):
            pass
        time.sleep(0.005)
    raise RuntimeError(f"server not ready after 60 s:\n{log.read_text()[-2000:]}")


def proc_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def proc_cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


# --- wrk ---------------------------------------------------------------------------------------------------
HEADERS: dict[str, str] = {"Authorization": AUTH}  # what every request of the run sends (--endpoint sets it)


def wrk_cmd(url: str, duration: int, latency: bool = True) -> list[str]:
    cmd = ["taskset", "-c", LOAD_CPU, "wrk", "-t1", "-c50", f"-d{duration}s"]
    for name, value in HEADERS.items():
        cmd += ["-H", f"{name}: {value}"]
    return cmd + (["--latency"] if latency else []) + [url]


def to_ms(value: str, unit: str) -> float:
    return float(value) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[unit]


def run_wrk(url: str, duration: int) -> dict[str, float]:
    subprocess.run(wrk_cmd(url, WARMUP_S, latency=False), capture_output=True, check=True)  # unrecorded
    out = subprocess.run(wrk_cmd(url, duration), capture_output=True, text=True, check=True).stdout
    return parse_wrk(out)


def parse_wrk(out: str) -> dict[str, float]:
    """Requests, req/s, p50, p99 and errors of a ``wrk --latency`` run."""
    pct = {p: to_ms(v, u) for p, v, u in re.findall(r"^\s*(50|99)%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)}
    reqs = re.search(r"(\d+) requests in", out)
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if not (reqs and rps and "50" in pct and "99" in pct):
        raise RuntimeError(f"cannot parse wrk output:\n{out}")
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return {"requests": int(reqs.group(1)), "rps": float(rps.group(1)), "p50_ms": pct["50"], "p99_ms": pct["99"],
            "non_2xx": int(non2xx.group(1)) if non2xx else 0,
            "socket_errors": sum(map(int, sock.groups())) if sock else 0}


# --- one server, one round ------------------------------------------------------------------------------
def measure(name: str, cmd: list[str], port: int, ready_path: str, list_path: str, duration: int, rnd: int,
            prepare: Callable[[int], str | None] | None = None) -> Row:
    slug = re.sub(r"\W+", "-", name)
    log = WORK / "logs" / f"{slug}-round{rnd}.log"
    proc, t0 = spawn(cmd, log)
    try:
        row: Row = {"startup_ms": wait_ready(proc, t0, port, ready_path, log), "pid": proc.pid,
                     "comm": Path(f"/proc/{proc.pid}/comm").read_text().strip()}
        row["idle_rss_mib"] = proc_rss_mib(proc.pid)
        if prepare:
            list_path = prepare(port) or list_path
        row["path"] = list_path
        status, body = call(port, "GET", list_path, headers=HEADERS)
        if status != 200:
            raise RuntimeError(f"{name}: GET {list_path} answered {status}: {body[:500]!r}")
        row["body"], row["body_bytes"] = body, len(body)
        cpu0 = proc_cpu_s(proc.pid)
        row.update(run_wrk(f"http://{HOST}:{port}{list_path}", duration))
        row["cpu_us_per_req"] = (proc_cpu_s(proc.pid) - cpu0) * 1e6 / max(1, row["requests"])
        row["rss_mib"] = proc_rss_mib(proc.pid)
        row["body_bytes_after"] = len(call(port, "GET", list_path, headers=HEADERS)[1])
        return row
    finally:
        stop(proc)


DIDWW_KEY = "bench-key"
DIDWW_HEADERS = {"Api-Key": DIDWW_KEY, "Accept": "application/vnd.api+json", "X-DIDWW-API-Version": "2026-04-16"}
HOOKBRIDGE_HEADERS = {"Authorization": "Bearer hb_test_bench"}


def create_didww(port: int) -> str:
    """50 exports of one key, created under 2026-04-16; the path of their first page of 50."""
    today = datetime.now(UTC)  # the server runs on the real clock: last month, which DIDWW accepts
    body = json.dumps({"data": {"type": "exports", "attributes": {"export_type": "cdr_in", "filters": {
        "from": (today.replace(day=1) - timedelta(days=1)).strftime("%Y-%m-01 00:00:00"),
        "to": today.strftime("%Y-%m-01 00:00:00")}}}}).encode()
    for i in range(N_JOBS):
        status, answer = call(port, "POST", "/didww/v3/exports", body,
                              {**DIDWW_HEADERS, "Content-Type": "application/vnd.api+json"})
        if status != 201:
            raise RuntimeError(f"fakeexports: creating export {i + 1} answered {status}: {answer[:500]!r}")
    return "/didww/v3/exports?page%5Bsize%5D=50"


def create_hookbridge(port: int) -> str:
    """One export; the path that fetches it."""
    body = json.dumps({"start_time": "2026-01-01T00:00:00Z", "end_time": "2026-01-02T00:00:00Z"}).encode()
    status, answer = call(port, "POST", "/hookbridge/v1/exports", body,
                          {**HOOKBRIDGE_HEADERS, "Content-Type": "application/json"})
    if status not in (200, 201, 202):
        raise RuntimeError(f"fakeexports: creating a HookBridge export answered {status}: {answer[:500]!r}")
    data = json.loads(answer)
    export_id = (data.get("data") or data)["id"]
    return f"/hookbridge/v1/exports/{export_id}"


def create_job(port: int) -> str:
    """One job; the path that fetches it (an answer never kept: every request takes the whole path)."""
    create_jobs(port)
    _, body = call(port, "GET", "/twilio" + JOBS_PATH + "?PageSize=1", headers={"Authorization": AUTH})
    return "/twilio/v1/Exports/Jobs/" + json.loads(body)["jobs"][0]["job_sid"]


def create_jobs(port: int) -> str | None:
    """50 one-day jobs for one account (one day each keeps far below the 366 days/day quota)."""
    latest = datetime.now(UTC).date() - timedelta(days=2)
    first = date(2026, 1, 1) if date(2026, 1, 1) + timedelta(days=N_JOBS - 1) <= latest else \
        latest - timedelta(days=N_JOBS - 1)
    for i in range(N_JOBS):
        day = (first + timedelta(days=i)).isoformat()
        form = urllib.parse.urlencode({"StartDay": day, "EndDay": day, "FriendlyName": f"bench export {i + 1}"})
        status, body = call(port, "POST", "/twilio" + JOBS_PATH, form.encode(), {
            "Authorization": AUTH, "Content-Type": "application/x-www-form-urlencoded"})
        if status != 201:
            raise RuntimeError(f"fakeexports: creating job {i + 1} answered {status}: {body[:500]!r}")
    return None


def prism_binary() -> str | None:
    local = WORK / "node_modules" / ".bin" / "prism"
    return str(local) if local.exists() else shutil.which("prism")


def version_of(cmd: list[str]) -> str:
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
        return (r.stdout or r.stderr).strip().splitlines()[0]
    except (OSError, IndexError, subprocess.SubprocessError):
        return "?"


# --- report ----------------------------------------------------------------------------------------------
def fmt(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.1f}" if abs(x) >= 10 else f"{x:.2f}"


def summary(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


DASH = "\N{EN DASH}"


def cell(values: list[float]) -> str:
    if not values:
        return DASH
    s = summary(values)
    return fmt(s["median"]) if len(values) == 1 else f"{fmt(s['median'])} ({fmt(s['min'])}{DASH}{fmt(s['max'])})"


COLUMNS = (("startup ms", "startup_ms"), ("req/s", "rps"), ("p50 ms", "p50_ms"), ("p99 ms", "p99_ms"),
           ("RSS MiB", "rss_mib"), ("idle RSS MiB", "idle_rss_mib"), ("server CPU µs/req", "cpu_us_per_req"))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=3, help="rounds of the whole set (default 3)")
    ap.add_argument("--duration", type=int, default=10, help="seconds of recorded load per run (default 10)")
    ap.add_argument("--no-prism", action="store_true", help="skip the Prism 5 mock")
    ap.add_argument("--endpoint", choices=("twilio", "twilio-job", "didww", "hookbridge"), default="twilio")
    ap.add_argument("--json", help="also write the results to this file (bench/all.py)")
    ap.add_argument("--baseline", action="append", default=[],
                    help="another checkout of fakeexports (with its own .venv) to run beside this one; repeatable")
    ap.add_argument("--no-caches", default="", help="this server's caches to turn off (caches.py names, or all)")
    ap.add_argument("--compare-caches", action="store_true",
                    help="also run this server once per cache with that cache off (and once with all off)")
    args = ap.parse_args()
    global HEADERS
    if args.endpoint not in ("twilio", "twilio-job"):
        HEADERS = DIDWW_HEADERS if args.endpoint == "didww" else HOOKBRIDGE_HEADERS
    if args.endpoint != "twilio":
        args.no_prism = True  # Prism runs Twilio's own spec only
    for tool in ("wrk", "taskset"):
        if not shutil.which(tool):
            sys.exit(f"{tool} not found: run bench/setup.sh first")
    if (os.cpu_count() or 1) < 2:
        sys.exit("needs 2 CPUs: the server is pinned to CPU 0 and wrk to CPU 1")
    os.sched_setaffinity(0, {int(LOAD_CPU)})  # keep this driver (startup polling, setup) off the server's core
    WORK.mkdir(parents=True, exist_ok=True)
    (WORK / "logs").mkdir(exist_ok=True)
    raw_script = WORK / "raw_aiohttp_server.py"
    raw_script.write_text(RAW_SERVER)
    # An installed wheel has its bytecode compiled by pip; an editable checkout under
    # PYTHONDONTWRITEBYTECODE=1 (as on these machines) would compile every module at each start. Compile
    # both servers' own code once, so startup measures starting, not compiling.
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "fakeexports"), str(raw_script)],
                   check=True)
    fe_bin = Path(sys.executable).with_name("fakeexports")
    fe_cmd = [str(fe_bin)] if fe_bin.exists() else [sys.executable, "-m", "fakeexports"]
    prism = None if args.no_prism else prism_binary()
    notes: list[str] = []
    if args.no_prism:
        notes.append("Prism skipped (--no-prism).")
    elif prism is None:
        notes.append("Prism skipped: not installed (bench/setup.sh puts it in bench/.work/).")

    caches = ["--no-caches", args.no_caches] if args.no_caches else []
    extra: dict[str, tuple[list[str], list[str]]] = {}  # more fakeexports servers: name -> (command, serve options)
    for checkout in args.baseline:
        base = Path(checkout).resolve()
        extra[f"fakeexports at {base.name}"] = ([str(base / ".venv" / "bin" / "fakeexports")], [])
    if args.compare_caches:
        from fakeexports.caches import NAMES

        for name in (*NAMES, "all"):
            label = f"fakeexports, {name} cache off" if name != "all" else "fakeexports, every cache off"
            extra[label] = (fe_cmd, ["--no-caches", name])
    prism_name = "Prism 5 mock, -v error"
    names = ["fakeexports", "raw aiohttp, same bytes", *extra] + ([prism_name] if prism else [])
    rounds: list[dict[str, Row]] = []
    for rnd in range(1, args.rounds + 1):
        print(f"round {rnd}/{args.rounds} ...", file=sys.stderr, flush=True)
        res: dict[str, Row] = {}
        port = free_port()
        prepare = {"twilio": create_jobs, "twilio-job": create_job, "didww": create_didww,
                   "hookbridge": create_hookbridge}[args.endpoint]
        res[names[0]] = measure(names[0], [*fe_cmd, "serve", "--port", str(port), "--fixtures", "none", *caches],
                                port, "/_fakeexports/health", "/twilio" + JOBS_PATH + LIST_QUERY, args.duration, rnd,
                                prepare=prepare)
        for name, (cmd, options) in extra.items():
            port = free_port()
            res[name] = measure(name, [*cmd, "serve", "--port", str(port), "--fixtures", "none", *options], port,
                                "/_fakeexports/health", "/twilio" + JOBS_PATH + LIST_QUERY, args.duration, rnd,
                                prepare=prepare)
        body_file = WORK / f"body-round{rnd}.json"
        body_file.write_bytes(res[names[0]]["body"])
        port = free_port()
        raw_path = JOBS_PATH + LIST_QUERY if args.endpoint == "twilio" else res[names[0]]["path"]
        res[names[1]] = measure(names[1], [sys.executable, str(raw_script), str(port), str(body_file)], port,
                                "/", raw_path, args.duration, rnd)
        if res[names[1]]["body"] != res[names[0]]["body"]:
            notes.append(f"round {rnd}: the raw server's body differs from fakeexports' (bug in the bench)")
        if prism:
            port = free_port()
            mock = [prism, "mock", "-h", HOST, "-p", str(port), "-v", "error", str(SPEC)]
            res[prism_name] = measure(prism_name, mock, port, JOBS_PATH + LIST_QUERY, JOBS_PATH + LIST_QUERY,
                                      args.duration, rnd)
        for name, row in res.items():
            if row["non_2xx"] or row["socket_errors"]:
                notes.append(f"round {rnd}: {name}: {row['non_2xx']} non-2xx responses, "
                             f"{row['socket_errors']} socket errors (of {row['requests']} requests)")
            if row["body_bytes_after"] != row["body_bytes"]:
                notes.append(f"round {rnd}: {name}: body changed during the run "
                             f"({row['body_bytes']} -> {row['body_bytes_after']} bytes)")
        rounds.append(res)

    # --- print -------------------------------------------------------------------------------------------
    command = " ".join(shlex.quote(a) for a in [os.path.relpath(sys.executable, ROOT), *sys.argv])
    col = {name: {key: [r[name][key] for r in rounds] for _, key in COLUMNS} for name in names}
    body_sizes = {name: sorted({r[name]["body_bytes"] for r in rounds}) for name in names}
    print(f"\n$ {command}")
    print(f"{args.rounds} round(s) x {args.duration} s, {WARMUP_S} s warm-up; "
          f"`wrk -t1 -c50 -d{args.duration}s --latency` on CPU {LOAD_CPU}, servers on CPU {SERVER_CPU}; "
          f"python {sys.version.split()[0]}, aiohttp {importlib.metadata.version('aiohttp')}, event loop: {LOOP}")
    what = {"twilio": f"GET [/twilio]{JOBS_PATH}{LIST_QUERY} with HTTP Basic ({N_JOBS} jobs, one account; Prism "
                      "serves the spec's example instead)",
            "didww": f"GET {rounds[0][names[0]]['path']} with Api-Key, version 2026-04-16 ({N_JOBS} exports)",
            "hookbridge": "GET /hookbridge/v1/exports/{id} with a Bearer key (one export)",
            "twilio-job": "GET /twilio/v1/Exports/Jobs/{sid} with HTTP Basic (one job: the whole request path, "
                          "no kept answer)"}[args.endpoint]
    print(f"{what}; body bytes: "
          + ", ".join(f"{n} {'/'.join(map(str, s))}" for n, s in body_sizes.items()) + "\n")
    print("| server | body B | " + " | ".join(h for h, _ in COLUMNS) + " |")
    print("|---|---:|" + "---:|" * len(COLUMNS))
    for name in names:
        idle = col[name]["idle_rss_mib"] if name == names[0] else []
        cells = [cell(idle if key == "idle_rss_mib" else col[name][key]) for _, key in COLUMNS]
        print(f"| {name} | {'/'.join(map(str, body_sizes[name]))} | " + " | ".join(cells) + " |")
    ratios = {}
    for other in names[1:]:
        per_round = [r[names[0]]["rps"] / r[other]["rps"] for r in rounds]
        ratios[other] = summary(per_round)
        print(f"\nreq/s fakeexports / {other}: {cell(per_round)} (per-round ratios)", end="")
    print()
    for note in notes:
        print(f"note: {note}")

    # --- save --------------------------------------------------------------------------------------------
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = WORK / f"throughput-{stamp}.json"
    out.write_text(json.dumps({
        "command": command, "started": stamp, "rounds": args.rounds, "duration_s": args.duration,
        "warmup_s": WARMUP_S, "wrk": shlex.join(wrk_cmd("URL", args.duration)).replace(AUTH, "Basic …"),
        "versions": {"python": sys.version.split()[0], "aiohttp": importlib.metadata.version("aiohttp"),
                     "event_loop": LOOP, "wrk": version_of(["wrk", "--version"]),
                     "prism": version_of([prism, "--version"]) if prism else None},
        "path": JOBS_PATH + LIST_QUERY, "jobs": N_JOBS, "body_bytes": body_sizes,
        "summary": {name: {key: summary(col[name][key]) for _, key in COLUMNS} for name in names},
        "ratio_rps_fakeexports_over": ratios, "notes": notes,
        "per_round": [{n: {k: v for k, v in row.items() if k != "body"} for n, row in r.items()} for r in rounds],
    }, indent=2, ensure_ascii=False))
    print(f"\nresults: {os.path.relpath(out, ROOT)}")
    if args.json:
        shutil.copyfile(out, args.json)
    return 0


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run the finally below on kill, too
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        sys.exit(130)
    finally:
        for p in list(LIVE):
            stop(p)
