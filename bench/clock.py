"""The clock: events made due by one advance, and deliveries that come due together.

    .venv/bin/python bench/clock.py [--events 100000] [--deliveries 5000]

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
3. Next event. GET /_fakeexports/clock with the ``--events`` jobs of 1. waiting, before the advance: its next
   event includes the next status change of any job, found by reading every job's schedule (no index, no cache).
   Reported: the median of 20 reads, beside the same read with no jobs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
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
    """The median milliseconds of a GET /_fakeexports/clock, whose next event reads every job's schedule."""
    spent = []
    for _ in range(n):
        start = time.perf_counter()
        async with s.get(base + "/_fakeexports/clock") as r:
            await r.read()
        spent.append((time.perf_counter() - start) * 1000)
    return statistics.median(spent)


async def events_phase(base: str, events: int) -> dict[str, float]:
    async with aiohttp.ClientSession() as s:
        read_idle = await clock_reads(s, base)
        start = time.perf_counter()
        empty = await post(s, base + "/_fakeexports/clock/advance", {"seconds": MONTH})
        idle = time.perf_counter() - start
        for doc in seed_docs(events):
            await post(s, base + "/_fakeexports/fixtures", doc)
        read_busy = await clock_reads(s, base)
        start = time.perf_counter()
        done = await post(s, base + "/_fakeexports/clock/advance", {"seconds": MONTH})
        spent = time.perf_counter() - start
        async with s.get(base + "/_fakeexports/health") as r:
            left = (await r.json())["jobs"]
    return {"fired": done["fired"], "seconds": spent, "idle_fired": empty["fired"], "idle_seconds": idle,
            "left": left, "read_ms": read_busy, "read_idle_ms": read_idle}


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
    ap.add_argument("--json", help="also write the figures to this file (bench/all.py)")
    args = ap.parse_args()
    fe = str(Path(sys.executable).with_name("fakeexports"))
    port = t.free_port()
    log = Path("/tmp/fakeexports-clock.log")
    proc, t0 = t.spawn([fe, "serve", "--port", str(port), "--clock", "virtual", "--fixtures", "none"], log)
    try:
        t.wait_ready(proc, t0, port, "/_fakeexports/health", log)
        base = f"http://127.0.0.1:{port}"
        ev = asyncio.run(events_phase(base, args.events))
        dl = asyncio.run(deliveries_phase(base, args.deliveries))
    finally:
        t.stop(proc)
    rate = ev["fired"] / ev["seconds"]
    print("| measure | fakeexports | reference | goal |")
    print("|---|---:|---:|---:|")
    print(f"| one advance over {args.events:,} jobs: events fired | {ev['fired']:,} | {ev['idle_fired']:,} "
          f"(nothing scheduled) | |")
    print(f"| seconds of that advance | {ev['seconds']:.2f} | {ev['idle_seconds'] * 1000:.1f} ms | |")
    print(f"| events per second | {rate:,.0f} | | 100,000 |")
    print(f"| GET clock with those jobs waiting (next event, next status change), p50 ms | {ev['read_ms']:.1f} | "
          f"{ev['read_idle_ms']:.1f} (no jobs) | |")
    print(f"| deliveries arrived / sent | {dl['arrived']:,} / {args.deliveries:,} | | all |")
    print(f"| deliveries per second | {dl['arrived'] / dl['seconds']:,.0f} | | 1,000 |")
    print(f"| unrelated fetch while delivering, p50 / p99 ms | {statistics.median(dl['busy']):.2f} / "
          f"{p(dl['busy'], 0.99):.2f} | idle {statistics.median(dl['idle']):.2f} / {p(dl['idle'], 0.99):.2f} | |")
    print(f"jobs left after the advance: {ev['left']:,}; attempts in the webhook log: {dl['logged']:,} (capped)")
    print("command:", " ".join(sys.argv))
    if args.json:
        Path(args.json).write_text(json.dumps({
            "events": ev["fired"], "events_per_s": rate, "clock_read_ms": ev["read_ms"],
            "deliveries": dl["arrived"], "sent": args.deliveries,
            "deliveries_per_s": dl["arrived"] / dl["seconds"], "busy_p50_ms": statistics.median(dl["busy"]),
            "busy_p99_ms": p(dl["busy"], 0.99), "idle_p50_ms": statistics.median(dl["idle"]),
            "idle_p99_ms": p(dl["idle"], 0.99)}))
    return 0 if dl["arrived"] == args.deliveries else 1


if __name__ == "__main__":
    raise SystemExit(main())
