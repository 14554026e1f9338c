"""Flat to a million jobs: the same list pages at a small and a large tenant, and what a stored job costs.

    .venv/bin/python bench/scale.py [--small 1000] [--large 1000000] [--requests 60]

For each size, one fresh server (virtual clock, no fixtures) is seeded through POST /_fakeexports/fixtures with
``repeat`` (one fixture item standing for N jobs) in one tenant of each vendor with a paged list: Twilio Messages
jobs (forced Completed, so their days are published: one job of 3,650 days makes the Days list long too), DIDWW
exports (held completed, created under 2026-04-16) and Talkdesk calls jobs (ended failed). Then each list's first,
middle and last page in its default order is fetched ``--requests`` times; before each timed GET an untimed create
adds a job to the same list (through the API; Talkdesk's, which queues at most 15, by the control API), so that
no cached page is served and a page's cost is measured with the list growing (a 4xx or 5xx is reported). Latency
is the client's, median and p99, over a keep-alive connection on loopback.

Memory: the server's RSS after seeding minus before, over the jobs added (everything a stored job costs: its
record, ids, indexes, its moment in the engine's heap, the days it published). Prints one table with the ratio
large/small per page (goal: 1.2x or less) and bytes per job (goal: 512 or less).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent))
import throughput as t

TWILIO = "AC" + "5" * 32
TWILIO_AUTH = "Basic " + base64.b64encode(f"{TWILIO}:token".encode()).decode()
DIDWW = "scale-key"
TALKDESK = "scale-client"
JSONAPI = "application/vnd.api+json"
DIDWW_HEADERS = {"Api-Key": DIDWW, "Accept": JSONAPI, "X-DIDWW-API-Version": "2026-04-16"}


def fixtures(n: int) -> list[dict[str, Any]]:
    """One fixture document per vendor: ``n`` jobs in one tenant, made alike."""
    return [
        {"vendor": "twilio", "tenants": {TWILIO: {"jobs": [
            {"resource_type": "Messages", "start_day": -3651, "end_day": -2, "outcome": "Completed"},
            {"resource_type": "Messages", "start_day": -2, "end_day": -2, "outcome": "Completed", "repeat": n - 1},
        ]}}},
        {"vendor": "didww", "tenants": {DIDWW: {"exports": [
            {"export_type": "cdr_in", "api_version": "2026-04-16", "status": "completed", "repeat": n,
             "filters": {"from": "2026-01-01 00:00:00", "to": "2026-01-31 23:59:59"}},
        ]}}},
        {"vendor": "talkdesk", "tenants": {TALKDESK: {"jobs": [
            {"type": "calls", "from": "2026-01-01T00:00:00", "to": "2026-01-02T00:00:00", "status": "failed",
             "repeat": n},
        ]}}},
    ]


class Lists:
    """The paged lists of the seeded tenants, and a create on each (untimed: it only makes the list grow)."""

    def __init__(self, session: aiohttp.ClientSession, base: str, n: int):
        self.s, self.base, self.n = session, base, n
        self.talkdesk_auth = ""

    async def login(self) -> None:
        basic = "Basic " + base64.b64encode(f"{TALKDESK}:secret".encode()).decode()
        async with self.s.post(self.base + "/talkdesk/oauth/token", data={"grant_type": "client_credentials"},
                               headers={"Authorization": basic}) as r:
            self.talkdesk_auth = "Bearer " + (await r.json())["access_token"]

    def pages(self) -> dict[str, list[tuple[str, str, dict[str, str]]]]:
        """Per list: (page name, path and query, headers) for its first, middle and last page of 50."""
        n, size = self.n, 50
        last, middle = max(0, (n - 1) // size), max(0, (n - 1) // size // 2)
        days = 3650
        return {
            "twilio jobs": [(name, f"/twilio/v1/Exports/Messages/Jobs?PageSize={size}&Page={p}",
                             {"Authorization": TWILIO_AUTH}) for name, p in _three(middle, last)],
            "twilio days": [(name, f"/twilio/v1/Exports/Messages/Days?PageSize={size}&Page={p}",
                             {"Authorization": TWILIO_AUTH}) for name, p in _three(days // size // 2,
                                                                                    (days - 1) // size)],
            "didww exports": [(name, f"/didww/v3/exports?page%5Bnumber%5D={p + 1}&page%5Bsize%5D={size}",
                               DIDWW_HEADERS) for name, p in _three(middle, last)],
            "talkdesk jobs": [(name, f"/talkdesk/data/reports/calls/jobs?page={p + 1}&per_page={size}",
                               {"Authorization": self.talkdesk_auth}) for name, p in _three(middle, last)],
        }

    async def grow(self, name: str) -> None:
        if name.startswith("twilio"):
            await self._ok(self.s.post(self.base + "/twilio/v1/Exports/Messages/Jobs", headers={
                "Authorization": TWILIO_AUTH}, data={"StartDay": "2026-01-01", "EndDay": "2026-01-01",
                                                     "FriendlyName": "grow"}))
        elif name.startswith("didww"):
            attributes = {"export_type": "cdr_in", "filters": {"from": "2026-01-01 00:00:00",
                                                               "to": "2026-01-02 00:00:00"}}
            headers = {**DIDWW_HEADERS, "Content-Type": JSONAPI}
            await self._ok(self.s.post(self.base + "/didww/v3/exports", headers=headers,
                                       json={"data": {"type": "exports", "attributes": attributes}}))
        else:  # Talkdesk lets 15 jobs be queued at once: the list grows by the control API
            doc = fixtures(1)[2]
            doc["tenants"][TALKDESK]["jobs"][0].pop("repeat")
            await self._ok(self.s.post(self.base + "/_fakeexports/fixtures", json=doc))

    async def _ok(self, call: Any) -> None:
        async with call as r:
            await r.read()
            if r.status >= 400:
                raise RuntimeError(f"create answered {r.status}: {await r.text()}")


def _three(middle: int, last: int) -> list[tuple[str, int]]:
    return [("first", 0), ("middle", middle), ("last", last)]


async def run(port: int, pid: int, n: int, requests: int) -> tuple[dict[tuple[str, str], list[float]], float, float,
                                                                    list[str]]:
    base = f"http://127.0.0.1:{port}"
    problems: list[str] = []
    async with aiohttp.ClientSession() as s:
        rss0 = t.proc_rss_mib(pid)
        t0 = time.perf_counter()
        for doc in fixtures(n):
            async with s.post(base + "/_fakeexports/fixtures", json=doc,
                              timeout=aiohttp.ClientTimeout(total=3600)) as r:
                if r.status != 201:
                    raise RuntimeError(f"seeding {doc['vendor']}: {r.status} {await r.text()}")
        seeded = time.perf_counter() - t0
        per_job = (t.proc_rss_mib(pid) - rss0) * 1024 * 1024 / (3 * n)
        lists = Lists(s, base, n)
        await lists.login()
        times: dict[tuple[str, str], list[float]] = {}
        for name, pages in lists.pages().items():
            for page, path, headers in pages:
                spent = times[(name, page)] = []
                for _ in range(requests):
                    await lists.grow(name)
                    start = time.perf_counter()
                    async with s.get(base + path, headers=headers) as r:
                        body = await r.read()
                    spent.append((time.perf_counter() - start) * 1000)
                    if r.status != 200 or len(body) < 100:
                        problems.append(f"{name} {page} at {n:,}: {r.status} {body[:200]!r}")
                        break
    return times, seeded, per_job, problems


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--small", type=int, default=1000)
    ap.add_argument("--large", type=int, default=1_000_000)
    ap.add_argument("--requests", type=int, default=60, help="timed GETs per page")
    ap.add_argument("--json", help="also write the figures to this file (bench/all.py)")
    args = ap.parse_args()
    fe = str(Path(sys.executable).with_name("fakeexports"))
    results: dict[int, Any] = {}
    for n in (args.small, args.large):
        port = t.free_port()
        log = Path(f"/tmp/fakeexports-scale-{n}.log")
        proc, t0 = t.spawn([fe, "serve", "--port", str(port), "--clock", "virtual", "--fixtures", "none"], log)
        try:
            t.wait_ready(proc, t0, port, "/_fakeexports/health", log)
            results[n] = asyncio.run(run(port, proc.pid, n, args.requests))
        finally:
            t.stop(proc)
    small, large = results[args.small], results[args.large]
    print(f"| list | page | {args.small:,} jobs p50 ms | p99 | {args.large:,} jobs p50 ms | p99 | ratio p50 |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for key, spent in small[0].items():
        big = large[0][key]
        ratio = statistics.median(big) / statistics.median(spent)
        print(f"| {key[0]} | {key[1]} | {statistics.median(spent):.2f} | {p99(spent):.2f} | "
              f"{statistics.median(big):.2f} | {p99(big):.2f} | {ratio:.2f}x |")
    for n, (_, seeded, per_job, _) in sorted(results.items()):
        print(f"seeding {3 * n:,} jobs (3 vendors x {n:,}): {seeded:.1f} s ({3 * n / seeded:,.0f} jobs/s); "
              f"RSS per stored job: {per_job:,.0f} bytes")
    for problem in small[3] + large[3]:
        print("problem:", problem)
    if args.json:
        Path(args.json).write_text(json.dumps({
            "pages": [{"list": k[0], "page": k[1], "small_ms": statistics.median(v),
                       "large_ms": statistics.median(large[0][k]), "large_p99_ms": p99(large[0][k])}
                      for k, v in small[0].items()],
            "small": args.small, "large": args.large, "bytes_per_job": large[2], "seed_jobs_per_s":
                3 * args.large / large[1], "problems": small[3] + large[3]}))
    print("command:", " ".join(sys.argv))
    return 1 if small[3] or large[3] else 0


if __name__ == "__main__":
    raise SystemExit(main())
