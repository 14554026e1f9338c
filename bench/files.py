"""Download throughput per vendor and format, with a tenant's volume set so that one export holds --rows records.

    .venv/bin/python bench/files.py [--rows 1000000] [--only twilio,didww,...]

One server (virtual clock, no fixtures, pinned to CPU 0; this client on CPU 1). For each vendor and format, the
vendor's own recipe (fakeexports/recipe.py) makes a job at 1,000 records a day to learn the recipe's period, then
sets the tenant's records_per_day (POST /_fakeexports/tenants/{vendor}/{tenant}) so that the next job holds about
--rows records, runs it to done and downloads its file twice through the API and its links (the file is generated
as it streams; the first download may also measure it, for its Content-Length, unless the API stated its size
before). Reported per download: seconds, records per second (goal: 200,000 or more), MB/s on the wire, and the
server's RSS growth over its RSS before the download (sampled every 20 ms; goal: 30 MB or less).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import gzip
import sys
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import throughput as t

from fakeexports.recipe import Driver, Recipe
from fakeexports.vendors import discover


def records_in(body: bytes) -> int:
    if body[:2] == b"\x1f\x8b":
        body = gzip.decompress(body)
    if body.startswith(b'{"') and b'"entries":[' in body[:4096] and b"\n" not in body.rstrip(b"\n"):
        return len(orjson.loads(body)["entries"])
    lines = body.count(b"\n") + (0 if body.endswith(b"\n") else 1)
    return lines if body.startswith(b"{") else lines - 1  # JSON lines, or a CSV and its header


def variants() -> list[tuple[str, str, Recipe]]:
    """(vendor, format, recipe): each vendor's recipe, and Talkdesk's in each of its three formats."""
    out = []
    for name, cls in discover().items():
        recipe: Recipe | None = getattr(cls, "recipe", None)
        if recipe is None:
            continue
        if name == "talkdesk":
            for fmt in ("csv", "json", "json_bulk"):
                body = {**recipe.create.json, "format": fmt}
                out.append((name, fmt, dataclasses.replace(recipe, create=dataclasses.replace(recipe.create,
                                                                                              json=body))))
        else:
            out.append((name, {"twilio": "json.gz", "didww": "csv.gz"}.get(name, "csv"), recipe))
    return out


class RssPeak:
    def __init__(self, pid: int):
        self.pid, self.peak, self.stop = pid, 0.0, threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self) -> None:
        while not self.stop.is_set():
            self.peak = max(self.peak, t.proc_rss_mib(self.pid))
            time.sleep(0.02)

    def __enter__(self) -> RssPeak:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join()


async def tenant_volume(s: aiohttp.ClientSession, base: str, vendor: str,
                        job: str) -> Callable[[int], Awaitable[None]]:
    """What sets the records a day of the tenant that made ``job`` (named as the jobs view shows it; the control
    API takes that form)."""
    async with s.get(base + f"/_fakeexports/jobs?vendor={vendor}") as r:
        tenant = next(j["tenant"] for j in (await r.json())["jobs"] if j["id"] == job)

    async def volume(n: int) -> None:
        async with s.post(base + f"/_fakeexports/tenants/{vendor}/{tenant}", json={"records_per_day": n}) as r:
            if r.status != 200:
                raise RuntimeError(f"{vendor}: {r.status} {await r.text()}")

    return volume


async def measure(base: str, pid: int, vendor: str, fmt: str, recipe: Recipe, rows: int) -> list[dict[str, Any]]:
    timeout = aiohttp.ClientTimeout(total=3600)
    async with aiohttp.ClientSession(timeout=timeout) as s:
        mount = discover()[vendor].mount
        d = Driver.over(s, base, recipe, recipe.tenants[0], mount)
        await d.login()
        job = await d.create()
        volume = await tenant_volume(s, base, vendor, job)
        await volume(1000)
        await d.create()
        await d.until_done()
        probe = records_in((await d.download()).body)
        await volume(max(1, round(1000 * rows / max(1, probe))))
        await d.create()
        await d.until_done()
        out = []
        for attempt in ("first", "again"):
            before = t.proc_rss_mib(pid)
            with RssPeak(pid) as peak:
                start = time.perf_counter()
                answer = await d.download()
                spent = time.perf_counter() - start
            n = records_in(answer.body)
            out.append({"vendor": vendor, "format": fmt, "download": attempt, "records": n, "seconds": spent,
                        "rate": n / spent, "mbs": len(answer.body) / spent / 1e6, "bytes": len(answer.body),
                        "rss": max(0.0, peak.peak - before)})
        return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--only", default="", help="comma-separated vendors")
    ap.add_argument("--json", help="also write the figures to this file (bench/all.py)")
    args = ap.parse_args()
    only = {v for v in args.only.split(",") if v}
    fe = str(Path(sys.executable).with_name("fakeexports"))
    port = t.free_port()
    log = Path("/tmp/fakeexports-files.log")
    proc, t0 = t.spawn([fe, "serve", "--port", str(port), "--clock", "virtual", "--fixtures", "none"], log)
    results: list[dict[str, Any]] = []
    try:
        t.wait_ready(proc, t0, port, "/_fakeexports/health", log)
        for vendor, fmt, recipe in variants():
            if only and vendor not in only:
                continue
            results += asyncio.run(measure(f"http://127.0.0.1:{port}", proc.pid, vendor, fmt, recipe, args.rows))
    finally:
        t.stop(proc)
    print("| vendor | format | download | records | MB | seconds | records/s | MB/s | RSS growth MiB |")
    print("|---|---|---|---:|---:|---:|---:|---:|---:|")
    for r in results:
        print(f"| {r['vendor']} | {r['format']} | {r['download']} | {r['records']:,} | {r['bytes'] / 1e6:.1f} | "
              f"{r['seconds']:.2f} | {r['rate']:,.0f} | {r['mbs']:.1f} | {r['rss']:.1f} |")
    print("goals: 200,000 records/s or more, RSS growth 30 MB or less")
    if args.json:
        Path(args.json).write_text(orjson.dumps(results).decode())
    print("command:", " ".join(sys.argv))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
