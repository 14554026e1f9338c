"""Clocks (issue 21): a team's CI on one server, each tenant on a clock of its own, beside the same load on one clock.

    .venv/bin/python bench/clocks.py [--clocks 500] [--tenants-per-clock 4] [--rounds 6] [--jobs 100000]

A fresh server (virtual clock, no fixtures) on CPU 0, the load on CPU 1 (BENCHMARKING.md).

1. Many clocks. ``--clocks`` clocks are made through POST /_fakeexports/clocks, each with ``--tenants-per-clock``
   DIDWW keys attached by their Api-Key header (2,000 tenants on 500 clocks by default). Every tenant creates one
   export through the plain mount (its credential brings it to its clock) and then polls it, once a round, for
   ``--rounds`` rounds; between two rounds every clock moves 5 s (time compressed: a CI job polling every 5 s, as
   fast as the server answers). Reported: p50 and p99 latency of a poll, server CPU per request, RSS per idle clock
   (after making them, before any request) and the time to make one.
2. The reference, in the same run on a second fresh server: the same tenants, exports and polls with every tenant
   on the server's one clock, which moves 5 s between rounds.
3. Advancing one clock while ``--jobs`` jobs wait on another (seeded through that clock's POST fixtures with
   ``repeat``): seconds of an advance of a day of a clock with one job, beside the same advance before the
   others were seeded. Work in proportion to the clock's own events shows as the two being alike.

Numbers only, no assertions; prints a table and the command line.
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

sys.path.insert(0, str(Path(__file__).resolve().parent))
import throughput as t
from clock import p  # the same percentile as bench/clock.py

from fakeexports.progress import bar

EXPORT = {"data": {"type": "exports", "attributes": {"export_type": "cdr_in", "filters": {"year": 2026,
                                                                                           "month": 1}}}}
JSON_API = {"Accept": "application/vnd.api+json", "Content-Type": "application/vnd.api+json"}


async def load(base: str, clocks: int, per_clock: int, rounds: int, on_clocks: bool, pid: int) -> dict[str, Any]:
    conn = aiohttp.TCPConnector(limit=50)
    async with aiohttp.ClientSession(connector=conn) as s:
        keys = [f"bench-{c}-{i}" for c in range(clocks) for i in range(per_clock)]
        made: list[dict[str, Any]] = []
        rss0 = t.proc_rss_mib(pid)
        t0 = time.perf_counter()
        if on_clocks:
            for c in range(clocks):
                mine = keys[c * per_clock:(c + 1) * per_clock]
                tenants = [{"vendor": "didww", "headers": {"Api-Key": k}} for k in mine]
                async with s.post(base + "/_fakeexports/clocks", json={"tenants": tenants}) as r:
                    assert r.status == 201, await r.text()
                    made.append(await r.json())
        make_s = time.perf_counter() - t0
        rss1 = t.proc_rss_mib(pid)
        sem = asyncio.Semaphore(50)

        async def create(key: str) -> str:
            async with sem, s.post(base + "/didww/v3/exports", json=EXPORT,
                                   headers={**JSON_API, "Api-Key": key}) as r:
                assert r.status == 201, await r.text()
                return str((await r.json())["data"]["id"])

        ids = await asyncio.gather(*(create(k) for k in keys))
        latencies: list[float] = []

        async def poll(key: str, export: str) -> None:
            async with sem:
                start = time.perf_counter()
                async with s.get(f"{base}/didww/v3/exports/{export}", headers={**JSON_API, "Api-Key": key}) as r:
                    await r.read()
                    assert r.status == 200, r.status
                latencies.append(time.perf_counter() - start)

        async def advance(url: str, token: str | None) -> None:
            async with sem, s.post(url + "/_fakeexports/clock/advance", json={"seconds": 5},
                                   headers={"Authorization": f"Bearer {token}"} if token else {}) as r:
                assert r.status == 200, await r.text()

        cpu0, requests = t.proc_cpu_s(pid), 0
        for _ in bar(range(rounds), desc="rounds"):
            await asyncio.gather(*(poll(k, i) for k, i in zip(keys, ids, strict=True)))
            requests += len(keys)
            if on_clocks:
                await asyncio.gather(*(advance(f"{base}/_clocks/{c['id']}", c["token"]) for c in made))
                requests += len(made)
            else:
                await advance(base, None)
                requests += 1
        cpu = t.proc_cpu_s(pid) - cpu0
    return {"p50_ms": statistics.median(latencies) * 1000, "p99_ms": p(latencies, 0.99) * 1000,
            "cpu_us_per_request": cpu / requests * 1e6, "requests": requests, "polls": len(latencies),
            "rss_per_clock_kib": (rss1 - rss0) * 1024 / clocks if on_clocks else 0.0,
            "ms_per_clock_made": make_s * 1000 / clocks if on_clocks else 0.0, "made": made}


async def advance_beside(base: str, jobs: int) -> dict[str, float]:
    async with aiohttp.ClientSession() as s:
        async def clock() -> dict[str, Any]:
            async with s.post(base + "/_fakeexports/clocks", json={}) as r:
                return dict(await r.json())

        async def timed_day(c: dict[str, Any]) -> float:
            h = {"Authorization": f"Bearer {c['token']}"}
            start = time.perf_counter()
            async with s.post(f"{base}/_clocks/{c['id']}/_fakeexports/clock/advance", json={"seconds": 86400},
                              headers=h) as r:
                assert r.status == 200, await r.text()
            return time.perf_counter() - start

        async def one_job(c: dict[str, Any], key: str, repeat: int) -> None:
            doc = {"vendor": "didww", "tenants": {key: {"exports": [{"export_type": "cdr_in", "repeat": repeat,
                                                                      "filters": {"year": 2026, "month": 1}}]}}}
            async with s.post(f"{base}/_clocks/{c['id']}/_fakeexports/fixtures", json=doc,
                              headers={"Authorization": f"Bearer {c['token']}"}) as r:
                assert r.status == 201, await r.text()

        before = await clock()
        await one_job(before, "alone-key", 1)
        alone = await timed_day(before)
        crowd = await clock()
        await one_job(crowd, "crowd-key", jobs)
        mine = await clock()
        await one_job(mine, "mine-key", 1)
        beside = await timed_day(mine)
    return {"alone_ms": alone * 1000, "beside_ms": beside * 1000}


def serve() -> tuple[Any, str, int]:
    fe = str(Path(sys.executable).with_name("fakeexports"))
    port = t.free_port()
    log = Path("/tmp/fakeexports-clocks.log")
    proc, t0 = t.spawn([fe, "serve", "--port", str(port), "--clock", "virtual", "--fixtures", "none"], log)
    t.wait_ready(proc, t0, port, "/_fakeexports/health", log)
    return proc, f"http://127.0.0.1:{port}", proc.pid


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--clocks", type=int, default=500)
    ap.add_argument("--tenants-per-clock", type=int, default=4)
    ap.add_argument("--rounds", type=int, default=6)
    ap.add_argument("--jobs", type=int, default=100_000)
    ap.add_argument("--json", help="also write the figures to this file")
    args = ap.parse_args()
    results: dict[str, Any] = {}
    for name, on_clocks in (("clocks", True), ("one clock", False)):
        proc, base, pid = serve()
        try:
            results[name] = asyncio.run(load(base, args.clocks, args.tenants_per_clock, args.rounds, on_clocks, pid))
        finally:
            t.stop(proc)
    proc, base, _ = serve()
    try:
        beside = asyncio.run(advance_beside(base, args.jobs))
    finally:
        t.stop(proc)
    many, one = results["clocks"], results["one clock"]
    tenants = args.clocks * args.tenants_per_clock
    print(f"| measure | {tenants:,} tenants on {args.clocks:,} clocks | the same on one clock |")
    print("|---|---:|---:|")
    print(f"| poll p50 / p99 ms | {many['p50_ms']:.2f} / {many['p99_ms']:.2f} | {one['p50_ms']:.2f} / "
          f"{one['p99_ms']:.2f} |")
    print(f"| server CPU per request, µs (polls and advances) | {many['cpu_us_per_request']:.0f} | "
          f"{one['cpu_us_per_request']:.0f} |")
    print(f"| requests ({args.rounds} rounds) | {many['requests']:,} | {one['requests']:,} |")
    print(f"| RSS per idle clock, KiB | {many['rss_per_clock_kib']:.0f} | |")
    print(f"| making a clock, ms | {many['ms_per_clock_made']:.1f} | |")
    print(f"| advancing a clock of one job a day, ms | {beside['beside_ms']:.1f} with {args.jobs:,} jobs on "
          f"another clock | {beside['alone_ms']:.1f} with none |")
    print("command:", " ".join(sys.argv))
    if args.json:
        Path(args.json).write_text(json.dumps({k: {kk: vv for kk, vv in v.items() if kk != "made"}
                                               for k, v in results.items()} | {"beside": beside}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
