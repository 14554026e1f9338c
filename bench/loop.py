"""Latency of a cheap request while a big file is sized and downloaded (issue 20: large files never hold the loop).

    .venv/bin/python bench/loop.py [--rows 1000000] [--idle 10] [--vendors twilio,didww] [--baseline CHECKOUT]

For each vendor, a fresh server (virtual clock, no fixtures, pinned to CPU 0; this client on CPU 1). The vendor's
recipe (fakeexports/recipe.py) makes a job at 1,000 records a day to learn how many records its period holds, then
the tenant's records_per_day is set (POST /_fakeexports/tenants/{vendor}/{tenant}) so that the next job holds about
--rows records; it runs to done. Then its download runs: the calls that state the size (Twilio's Days list) and
the file itself, through its links. All the while a probe sends GET /_fakeexports/health every 5 ms, on schedule
whether or not the last one was answered (a probe waits for as long as the server holds it, so that a server that
stops answering shows it). Each probe's latency counts in the phase it was sent in:

    idle      the --idle seconds (10) before the download: a max over thousands of probes too, the machine's noise
    sizing    from the download's first call until the file's answer has its headers (its size known)
    download  from then until the file's last byte

Reported per phase: probes, those that failed, p50, p99 and max ms. ``--baseline CHECKOUT`` runs another checkout
of fakeexports (its own .venv, e.g. a worktree of main before a change) the same way in the same invocation, for
figures before and after side by side. Numbers only, no assertions (bench/README.md).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp
from yarl import URL

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import throughput as t
from files import records_in, tenant_volume

from fakeexports.recipe import Answer, Driver, Recipe
from fakeexports.vendors import discover

PROBE_EVERY = 0.005
PHASES = ("idle", "sizing", "download")


class Timed:
    """The Driver's HTTP, each call's start, headers and end times kept (perf_counter seconds)."""

    def __init__(self, session: aiohttp.ClientSession, base: str):
        self.session, self.base = session, base
        self.calls: list[tuple[float, float, float]] = []

    async def send(self, method: str, target: str, *, headers: dict[str, str], data: Any) -> Answer:
        url = target if target.startswith("http") else self.base + target
        start = time.perf_counter()
        async with self.session.request(method, URL(url, encoded=True), headers=headers, data=data,
                                        allow_redirects=False) as resp:
            headed = time.perf_counter()
            body = await resp.read()
        self.calls.append((start, headed, time.perf_counter()))
        return Answer(resp.status, dict(resp.headers), body)


async def probe(base: str, stop: asyncio.Event, out: list[tuple[float, float, bool]]) -> None:
    """GET health every PROBE_EVERY s on schedule; (sent at, latency s, failed) of each, once answered or failed.
    No client timeout: a server that holds its loop for seconds is measured, not given up on (a connection the
    kernel's backlog could not take is retried by the kernel, and its wait counts); one that fails still counts."""
    no_timeout = aiohttp.ClientTimeout(total=None, connect=None, sock_connect=None, sock_read=None)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0), timeout=no_timeout) as s:
        async def one(at: float) -> None:
            try:
                async with s.get(base + "/_fakeexports/health") as r:
                    await r.read()
                    failed = r.status != 200
            except (aiohttp.ClientError, OSError):
                failed = True
            out.append((at, time.perf_counter() - at, failed))

        pending: set[asyncio.Task[None]] = set()
        due = time.perf_counter()
        while not stop.is_set():
            task = asyncio.create_task(one(due))
            pending.add(task)
            task.add_done_callback(pending.discard)
            due += PROBE_EVERY
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
        await asyncio.gather(*pending)


async def run(base: str, vendor: str, recipe: Recipe, rows: int, idle: float) -> dict[str, Any]:
    timeout = aiohttp.ClientTimeout(total=7200)
    async with aiohttp.ClientSession(timeout=timeout) as s:
        http = Timed(s, base)

        async def clock() -> float:
            async with s.get(base + "/_fakeexports/clock") as r:
                return float((await r.json())["epoch"])

        async def advance(seconds: float) -> None:
            async with s.post(base + "/_fakeexports/clock/advance", json={"seconds": seconds}) as r:
                assert r.status == 200, await r.text()

        d = Driver(recipe, recipe.tenants[0], send=http.send, advance=advance, now=clock,
                   mount=discover()[vendor].mount)
        await d.login()
        job = await d.create()
        volume = await tenant_volume(s, base, vendor, job)
        await volume(1000)
        await d.create()
        await d.until_done()
        probe_rows = records_in((await d.download()).body)
        await volume(max(1, round(1000 * rows / max(1, probe_rows))))
        await d.create()
        await d.until_done()

        samples: list[tuple[float, float, bool]] = []
        stop = asyncio.Event()
        prober = asyncio.create_task(probe(base, stop, samples))
        idle_from = time.perf_counter()
        await asyncio.sleep(idle)
        http.calls.clear()
        began = time.perf_counter()
        answer = await d.download()
        stop.set()
        await prober
        headed, ended = http.calls[-1][1], http.calls[-1][2]
    bounds = {"idle": (idle_from, began), "sizing": (began, headed), "download": (headed, ended)}
    phases = {}
    for name, (lo, hi) in bounds.items():
        ms = sorted(lat * 1000 for at, lat, _ in samples if lo <= at < hi)
        phases[name] = {"probes": len(ms), "seconds": hi - lo, "p50": pick(ms, 0.5),
                        "p99": pick(ms, 0.99), "max": ms[-1] if ms else float("nan"),
                        "failed": sum(1 for at, _, bad in samples if bad and lo <= at < hi)}
    return {"vendor": vendor, "records": records_in(answer.body), "bytes": len(answer.body), "phases": phases}


def pick(ordered: list[float], q: float) -> float:
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))] if ordered else float("nan")


def serve(command: str, vendor: str, rows: int, idle: float) -> dict[str, Any]:
    recipe = discover()[vendor].recipe
    assert recipe is not None, f"{vendor} declares no recipe"
    port = t.free_port()
    log = Path(f"/tmp/fakeexports-loop-{vendor}.log")
    proc, t0 = t.spawn([command, "serve", "--port", str(port), "--clock", "virtual", "--fixtures", "none"], log)
    try:
        t.wait_ready(proc, t0, port, "/_fakeexports/health", log)
        return asyncio.run(run(f"http://127.0.0.1:{port}", vendor, recipe, rows, idle))
    finally:
        t.stop(proc)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--idle", type=float, default=10.0, help="seconds of probes before the download")
    ap.add_argument("--vendors", default="twilio,didww", help="comma-separated vendors with a recipe")
    ap.add_argument("--baseline", help="another checkout of fakeexports (with its own .venv) to run the same way")
    ap.add_argument("--json", help="also write the figures to this file (bench/all.py)")
    args = ap.parse_args()
    os.sched_setaffinity(0, {int(t.LOAD_CPU)})
    servers = {"fakeexports": str(Path(sys.executable).with_name("fakeexports"))}
    if args.baseline:
        base = Path(args.baseline).resolve()
        servers[f"fakeexports at {base.name}"] = str(base / ".venv" / "bin" / "fakeexports")
    results = []
    print("| server | vendor | file | phase | seconds | probes | failed | p50 ms | p99 ms | max ms |")
    print("|---|---|---|---|---:|---:|---:|---:|---:|---:|", flush=True)
    for vendor in (v for v in args.vendors.split(",") if v):
        for name, command in servers.items():
            print(f"{vendor}: {name} ...", file=sys.stderr, flush=True)
            r = {"server": name, **serve(command, vendor, args.rows, args.idle)}
            results.append(r)
            for phase in PHASES:  # each as it is measured: a long run keeps what it has
                f = r["phases"][phase]
                print(f"| {r['server']} | {r['vendor']} | {r['records']:,} records, {r['bytes'] / 1e6:.1f} MB | "
                      f"{phase} | {f['seconds']:.2f} | {f['probes']:,} | {f['failed']:,} | {f['p50']:.2f} | "
                      f"{f['p99']:.2f} | {f['max']:.2f} |", flush=True)
    print(f"probe: GET /_fakeexports/health every {PROBE_EVERY * 1000:.0f} ms on schedule; "
          f"server on CPU {t.SERVER_CPU}, this client on CPU {t.LOAD_CPU}")
    if args.json:
        Path(args.json).write_text(json.dumps(results))
    print("command:", " ".join(sys.argv))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
