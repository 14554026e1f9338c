"""The clock: events made due by one advance, and deliveries that come due together.

    .venv/bin/python bench/clock.py [--events 100000] [--deliveries 5000] [--finished 200000] [--index-jobs 100000]

1. Events. A fresh server (virtual clock, no fixtures) is seeded through POST /_fakeexports/fixtures with
   ``--events`` jobs whose moments all fall within the next 31 days: half DIDWW exports that run (each completes,
   then is removed after DIDWW's retention), half Talkdesk jobs ended failed (each removed after the core's 30
   days). One POST /_fakeexports/clock/advance of 31 days makes them all due; the answer's ``fired`` counts every
   moment that ran. Reported: events, seconds of the advance as the client saw it, events per second (goal:
   100,000 or more); and, as the reference in the same run, an advance of 31 days with nothing scheduled.
2. Deliveries. ``--deliveries`` DIDWW exports with a callback_url on a receiver in this process (aiohttp on
   loopback, answering 200 at once) complete at the same moment; one advance sends them all. Reported: deliveries
   per second from the advance's start to the last arrival (goal: 1,000 or more), and the latency of unrelated
   requests (a DIDWW export fetch every 5 ms) while the deliveries go out, beside the same probe when idle.
3. GET /_fakeexports/clock (the dashboard polls it every second). Its next event includes the next status change of
   any job, read from the engine's index of the jobs' next changes (the cache ``changes``, jobs.Changes) or from a
   pass over every job; its pending events count the jobs that wait for a moment, kept as they are armed (the cache
   ``waiting``, jobs.Waiting) or counted over the heap of moments. Four servers in this same run: both caches on,
   ``--no-caches changes``, ``--no-caches waiting``, and both off. Each is read with no jobs; with the ``--events``
   jobs of 1. waiting; with ``--finished`` DIDWW exports a fixture holds completed (no moment waits); and with
   ``--finished`` Talkdesk jobs a fixture made failed (each waits for its removal); each case with one job that runs.
   Reported: the median of 20 reads each, and whether every server answered every read alike.
4. What they cost: in this process, ``--index-jobs`` running DIDWW exports loaded from a fixture (each made by the
   engine's create, which pushes its next change and counts it in) into an app with both caches and into one with
   neither: tracemalloc's bytes a job (the difference is what they cost a running job) and the best of 3 loads' µs
   a job.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parent))
import throughput as t

DIDWW_HEADERS = {"Api-Key": "clock-key", "Accept": "application/vnd.api+json"}
MONTH = 31 * 86400


def seed_docs(events: int, callback: str | None = None) -> list[dict[str, Any]]:
    export: dict[str, Any] = {"export_type": "cdr_in", "filters": {"year": 2026, "month": 1}}
    if callback:
        return [{"vendor": "didww", "tenants": {"clock-key": {"exports": [
            {**export, "callback_url": callback, "callback_method": "POST", "repeat": events}]}}}]
    return [
        {"vendor": "didww", "tenants": {"clock-key": {"exports": [{**export, "repeat": events // 2}]}}},
        {"vendor": "talkdesk", "tenants": {"clock-client": {"jobs": [
            {"type": "calls", "from": "2026-01-01T00:00:00", "to": "2026-01-02T00:00:00", "status": "failed",
             "repeat": events - events // 2}]}}},
    ]


async def post(s: aiohttp.ClientSession, url: str, body: Any) -> Any:
    async with s.post(url, json=body, timeout=aiohttp.ClientTimeout(total=3600)) as r:
        data = await r.json()
        if r.status >= 300:
            raise RuntimeError(f"{url}: {r.status} {data}")
        return data


async def clock_reads(s: aiohttp.ClientSession, base: str, n: int = 20) -> float:
    """The median milliseconds of a GET /_fakeexports/clock."""
    spent = []
    for _ in range(n):
        start = time.perf_counter()
        async with s.get(base + "/_fakeexports/clock") as r:
            await r.read()
        spent.append((time.perf_counter() - start) * 1000)
    return statistics.median(spent)


def finished_docs(finished: int, held: bool) -> list[dict[str, Any]]:
    """``finished`` jobs a fixture holds completed (DIDWW) or made failed (Talkdesk: each waits for its removal), and
    one DIDWW export that runs."""
    export: dict[str, Any] = {"export_type": "cdr_in", "filters": {"year": 2026, "month": 1}}
    running = {"vendor": "didww", "tenants": {"clock-key": {"exports": [
        {**export, "status": "completed", "repeat": finished if held else 0}, {**export, "repeat": 1}]}}}
    if held:
        return [running]
    return [running, {"vendor": "talkdesk", "tenants": {"clock-client": {"jobs": [
        {"type": "calls", "from": "2026-01-01T00:00:00", "to": "2026-01-02T00:00:00", "status": "failed",
         "repeat": finished}]}}}]


CASES = ("idle", "running", "held", "ended")
PEERS = {"on": [], "no changes": ["--no-caches", "changes"], "no waiting": ["--no-caches", "waiting"],
         "both off": ["--no-caches", "changes,waiting"]}


async def clock_of(s: aiohttp.ClientSession, base: str) -> Any:
    async with s.get(base + "/_fakeexports/clock") as r:
        return await r.json()


async def reads_phase(base: str, events: int, finished: int) -> dict[str, Any]:
    """GET clock in each of CASES: its median ms, and what it said."""
    out: dict[str, Any] = {"said": []}
    cases = {"idle": [], "running": seed_docs(events), "held": finished_docs(finished, True),
             "ended": finished_docs(finished, False)}
    async with aiohttp.ClientSession() as s:
        for name in CASES:
            await post(s, base + "/_fakeexports/reset", {})
            for doc in cases[name]:
                await post(s, base + "/_fakeexports/fixtures", doc)
            out[name] = await clock_reads(s, base)
            out["said"].append(await clock_of(s, base))
        await post(s, base + "/_fakeexports/reset", {})
    return out


def index_cost(jobs: int, rounds: int = 3) -> dict[str, float]:
    """``jobs`` running DIDWW exports loaded from a fixture (each through the engine's create) into an app with the
    index and into one without: tracemalloc's bytes a job, and the best of ``rounds`` loads' µs a job (untraced)."""
    from fakeexports import create_app, fixtures
    from fakeexports.registry import REGISTRY
    from fakeexports.settings import Settings

    doc = {"vendor": "didww", "tenants": {"clock-key": {"exports": [
        {"export_type": "cdr_in", "filters": {"year": 2026, "month": 1}, "repeat": jobs}]}}}
    out: dict[str, float] = {}
    for i in range(rounds + 1):
        for label, off in (("on", ()), ("off", ("changes", "waiting"))):
            vendors = create_app(Settings(clock="virtual", fixtures="none", no_caches=off))[REGISTRY].vendors
            if i == rounds:
                tracemalloc.start()
                fixtures.load_into(vendors, [doc])
                out[label] = tracemalloc.get_traced_memory()[0] / jobs
                tracemalloc.stop()
                index = vendors["didww"].jobs.changes
                out[f"{label}_entries"] = len(index) if index is not None else 0
            else:
                start = time.perf_counter()
                fixtures.load_into(vendors, [doc])
                spent = (time.perf_counter() - start) / jobs * 1e6
                out[f"{label}_us"] = min(out.get(f"{label}_us", spent), spent)
    return out


async def events_phase(base: str, events: int) -> dict[str, float]:
    async with aiohttp.ClientSession() as s:
        start = time.perf_counter()
        empty = await post(s, base + "/_fakeexports/clock/advance", {"seconds": MONTH})
        idle = time.perf_counter() - start
        for doc in seed_docs(events):
            await post(s, base + "/_fakeexports/fixtures", doc)
        start = time.perf_counter()
        done = await post(s, base + "/_fakeexports/clock/advance", {"seconds": MONTH})
        spent = time.perf_counter() - start
        async with s.get(base + "/_fakeexports/health") as r:
            left = (await r.json())["jobs"]
    return {"fired": done["fired"], "seconds": spent, "idle_fired": empty["fired"], "idle_seconds": idle,
            "left": left}


async def probe(s: aiohttp.ClientSession, url: str, stop: asyncio.Event, out: list[float]) -> None:
    while not stop.is_set():
        start = time.perf_counter()
        async with s.get(url, headers=DIDWW_HEADERS) as r:
            await r.read()
            if r.status != 200:
                raise RuntimeError(f"probe: {r.status}")
        out.append((time.perf_counter() - start) * 1000)
        await asyncio.sleep(0.005)


async def deliveries_phase(base: str, n: int) -> dict[str, Any]:
    arrivals: list[float] = []

    async def receive(request: web.Request) -> web.Response:
        await request.read()
        arrivals.append(time.perf_counter())
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/callback", receive)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = t.free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        async with aiohttp.ClientSession() as s:
            await post(s, base + "/_fakeexports/reset", {})
            for doc in seed_docs(n, f"http://127.0.0.1:{port}/callback"):
                await post(s, base + "/_fakeexports/fixtures", doc)
            async with s.get(base + "/didww/v3/exports?page%5Bsize%5D=1", headers=DIDWW_HEADERS) as r:
                one = (await r.json())["data"][0]["id"]
            url = base + f"/didww/v3/exports/{one}"
            idle: list[float] = []
            stop = asyncio.Event()
            task = asyncio.create_task(probe(s, url, stop, idle))
            await asyncio.sleep(1.0)
            stop.set()
            await task
            busy: list[float] = []
            stop = asyncio.Event()
            task = asyncio.create_task(probe(s, url, stop, busy))
            start = time.perf_counter()
            await post(s, base + "/_fakeexports/clock/advance", {"seconds": 3600})
            stop.set()
            await task
            async with s.get(base + "/_fakeexports/webhooks?vendor=didww") as r:
                logged = len((await r.json())["attempts"])
    finally:
        await runner.cleanup()
    last = max(arrivals) if arrivals else start
    return {"arrived": len(arrivals), "seconds": last - start, "idle": idle, "busy": busy, "logged": logged}


def p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))] if ordered else float("nan")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--events", type=int, default=100_000)
    ap.add_argument("--deliveries", type=int, default=5000)
    ap.add_argument("--finished", type=int, default=200_000, help="finished jobs of a fixture, for GET clock")
    ap.add_argument("--index-jobs", type=int, default=100_000, help="running jobs for the index's bytes a job")
    ap.add_argument("--json", help="also write the figures to this file (bench/all.py)")
    args = ap.parse_args()
    fe = str(Path(sys.executable).with_name("fakeexports"))
    reads: dict[str, dict[str, Any]] = {}
    for label, extra in reversed(PEERS.items()):  # the peers first: the one with every cache on goes on
        port = t.free_port()
        log = Path(f"/tmp/fakeexports-clock-{label.replace(' ', '-')}.log")
        proc, t0 = t.spawn([fe, "serve", "--port", str(port), "--clock", "virtual", "--fixtures", "none", *extra],
                           log)
        try:
            t.wait_ready(proc, t0, port, "/_fakeexports/health", log)
            base = f"http://127.0.0.1:{port}"
            reads[label] = asyncio.run(reads_phase(base, args.events, args.finished))
            if label == "on":
                ev = asyncio.run(events_phase(base, args.events))
                dl = asyncio.run(deliveries_phase(base, args.deliveries))
        finally:
            t.stop(proc)
    memory = index_cost(args.index_jobs)
    on = reads["on"]
    alike = all(r["said"] == on["said"] for r in reads.values())
    rate = ev["fired"] / ev["seconds"]
    print("| measure | fakeexports | reference | goal |")
    print("|---|---:|---:|---:|")
    print(f"| one advance over {args.events:,} jobs: events fired | {ev['fired']:,} | {ev['idle_fired']:,} "
          f"(nothing scheduled) | |")
    print(f"| seconds of that advance | {ev['seconds']:.2f} | {ev['idle_seconds'] * 1000:.1f} ms | |")
    print(f"| events per second | {rate:,.0f} | | 100,000 |")
    what = {"idle": "no jobs", "running": f"the {args.events:,} jobs of the advance waiting",
            "held": f"{args.finished:,} held completed", "ended": f"{args.finished:,} failed, waiting for removal"}
    for case in CASES:
        peers = " / ".join(f"{reads[label][case]:.2f}" for label in PEERS)
        print(f"| GET clock, {what[case]}: p50 ms with {' / '.join(PEERS)} | {peers} | "
              f"both off / on {reads['both off'][case] / on[case]:.1f}x | |")
    print(f"| bytes a running job of changes and waiting (tracemalloc, {args.index_jobs:,} loaded: with / without) | "
          f"{memory['on'] - memory['off']:.0f} | {memory['on']:.0f} / {memory['off']:.0f} a job | |")
    print(f"| a job loaded from a fixture (the engine's create), best of 3 loads of {args.index_jobs:,}: "
          f"with / without, µs | {memory['on_us']:.2f} / {memory['off_us']:.2f} | | |")
    print(f"| deliveries arrived / sent | {dl['arrived']:,} / {args.deliveries:,} | | all |")
    print(f"| deliveries per second | {dl['arrived'] / dl['seconds']:,.0f} | | 1,000 |")
    print(f"| unrelated fetch while delivering, p50 / p99 ms | {statistics.median(dl['busy']):.2f} / "
          f"{p(dl['busy'], 0.99):.2f} | idle {statistics.median(dl['idle']):.2f} / {p(dl['idle'], 0.99):.2f} | |")
    print(f"jobs left after the advance: {ev['left']:,}; attempts in the webhook log: {dl['logged']:,} (capped); "
          f"every GET clock alike on every server: {'yes' if alike else 'NO'}; "
          f"index entries for {args.index_jobs:,} running jobs: {memory['on_entries']:,}")
    print("command:", " ".join(sys.argv))
    if args.json:
        Path(args.json).write_text(json.dumps({
            "events": ev["fired"], "events_per_s": rate, "clock_read_ms": on["running"],
            "clock_reads_ms": {label: {case: r[case] for case in CASES} for label, r in reads.items()},
            "index_bytes_per_job": memory["on"] - memory["off"], "create_us": memory["on_us"],
            "create_off_us": memory["off_us"],
            "deliveries": dl["arrived"], "sent": args.deliveries,
            "deliveries_per_s": dl["arrived"] / dl["seconds"], "busy_p50_ms": statistics.median(dl["busy"]),
            "busy_p99_ms": p(dl["busy"], 0.99), "idle_p50_ms": statistics.median(dl["idle"]),
            "idle_p99_ms": p(dl["idle"], 0.99)}))
    return 0 if dl["arrived"] == args.deliveries and alike else 1


if __name__ == "__main__":
    raise SystemExit(main())
