"""Soak: many clients of every vendor for a long while, on a sped-up real clock, and what the server's memory
does. Each client drives one vendor through its recipe (fakeexports/recipe.py) with a mix of create, poll,
list and download for a handful of tenants; the clock runs at --speed and jumps a day every --jump seconds,
so retention (30 days and less) begins within the first minute.

    .venv/bin/python bench/soak.py [--duration 60] [--clients 50] [--speed 600] [--jump 1]

Prints the request and error counts per vendor, the reconciliation of acknowledged creates with the store,
and the RSS curve. Exit status 1 when there were unexpected errors (a correct 429, a token or link that the
jumping clock expired, a job its retention removed are not errors) or the counts do not reconcile.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent))
import throughput as t  # the bench's shared helpers: spawn, stop, wait_ready, proc_rss_mib

from fakeexports.recipe import Answer, Driver, Recipe, RecipeError
from fakeexports.vendors import discover

TENANTS = 4  # per vendor
LIVE = 30  # jobs a client keeps polling at most


def tenants(recipe: Recipe) -> list[str]:
    """TENANTS well-formed tenant names for a vendor: its recipe's first one with its end changed."""
    base = recipe.tenants[0]
    return [base[:-2] + f"{i:02x}" for i in range(TENANTS)]


@dataclass
class Tally:
    requests: Counter[str] = field(default_factory=Counter)
    expected: Counter[str] = field(default_factory=Counter)  # 429s, expired tokens and links, retention
    errors: list[str] = field(default_factory=list)
    created: dict[str, float] = field(default_factory=dict)  # job id -> fake time it was acknowledged


class Client:
    def __init__(self, vendor: str, recipe: Recipe, tenant: str, session: aiohttp.ClientSession, base: str,
                 clock: Clock, tally: Tally, rnd: random.Random):
        self.vendor, self.recipe, self.tally, self.rnd = vendor, recipe, tally, rnd
        self.session, self.base, self.clock = session, base, clock
        self.live: list[str] = []
        self.driver = Driver.over(session, base, recipe, tenant, discover()[vendor].mount, now=self.now)
        sent = self.driver.send

        async def counted(method: str, target: str, **kw: Any) -> Answer:
            self.tally.requests[vendor] += 1
            return await sent(method, target, **kw)

        self.driver.send = counted

    async def now(self) -> float:
        return self.clock.now()

    async def step(self) -> None:
        roll = self.rnd.random()
        try:
            if "token" not in self.driver.vars and self.recipe.login:
                await self.driver.login()
            if roll < 0.2 and len(self.live) < LIVE:
                job = await self.driver.create()
                self.tally.created[f"{self.vendor}/{job}"] = self.clock.now()
                self.live.append(job)
            elif roll < 0.3:
                await self.driver.ids()
            elif self.live:
                job = self.rnd.choice(self.live)
                self.driver.vars["job"] = job
                if await self.driver.status(job) == self.recipe.done:
                    await self.driver.download()
        except RecipeError as exc:
            self.judge(exc)
        except (TimeoutError, aiohttp.ClientError) as exc:
            self.tally.errors.append(f"{self.vendor}: {type(exc).__name__}: {exc}")

    def judge(self, exc: RecipeError) -> None:
        status, text = exc.status, str(exc)
        if status is None:  # an answer without what the recipe reads: a job that changed or went meanwhile
            self.tally.expected[f"{self.vendor} answer without its field"] += 1
        elif status == 429:
            self.tally.expected[f"{self.vendor} 429"] += 1
        elif status == 401 and self.recipe.login:
            self.driver.vars.pop("token", None)  # the token expired when the clock jumped: log in again
            self.tally.expected[f"{self.vendor} expired token"] += 1
        elif status == 403 and "Request has expired" in text:
            self.tally.expected[f"{self.vendor} expired link"] += 1
        elif status in (404, 410) or (status == 409 and self.vendor == "hookbridge"):
            job = self.driver.vars.get("job")
            if job in self.live:  # gone by retention (or its file expired): forget it
                self.live.remove(job)
            self.tally.expected[f"{self.vendor} gone ({status})"] += 1
        else:
            self.tally.errors.append(f"{self.vendor}: {text[:300]}")


class Clock:
    """The server's fake time, read once a second and extrapolated at its speed in between."""

    def __init__(self, speed: float):
        self.speed, self.at, self.epoch = speed, time.monotonic(), 0.0

    def set(self, epoch: float) -> None:
        self.at, self.epoch = time.monotonic(), epoch

    def now(self) -> float:
        return self.epoch + (time.monotonic() - self.at) * self.speed


async def control(session: aiohttp.ClientSession, base: str, method: str, path: str, **body: Any) -> Any:
    async with session.request(method, base + "/_fakeexports" + path, json=body or None) as resp:
        assert resp.status == 200, (path, resp.status, await resp.text())
        return await resp.json()


async def soak(args: argparse.Namespace, port: int, pid: int) -> tuple[Tally, list[tuple[float, float, int, float]],
                                                                       dict[str, Any]]:
    base = f"http://{t.HOST}:{port}"
    vendors = {name: cls.recipe for name, cls in sorted(discover().items()) if cls.recipe is not None}
    tally = Tally()
    clock = Clock(args.speed)
    curve: list[tuple[float, float, int, float]] = []
    connector = aiohttp.TCPConnector(limit=args.clients * 2)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=30)) as session:
        start_epoch = float((await control(session, base, "GET", "/clock"))["epoch"])
        clock.set(start_epoch)
        rnd = random.Random(7)
        names = list(vendors)
        clients = [Client(names[i % len(names)], vendors[names[i % len(names)]],
                          tenants(vendors[names[i % len(names)]])[(i // len(names)) % TENANTS], session, base, clock,
                          tally, random.Random(rnd.random())) for i in range(args.clients)]
        t0 = time.monotonic()
        stop = t0 + args.duration

        async def run(client: Client) -> None:
            while time.monotonic() < stop:
                await client.step()

        async def jumps() -> None:
            nxt = t0
            while time.monotonic() < stop:
                view = await control(session, base, "GET", "/clock")
                clock.set(float(view["epoch"]))
                health = await control(session, base, "GET", "/health")
                curve.append((time.monotonic() - t0, (clock.now() - start_epoch) / 86400, int(health["jobs"]),
                              t.proc_rss_mib(pid)))
                nxt += args.jump
                await asyncio.sleep(max(0.0, nxt - time.monotonic()))
                view = await control(session, base, "POST", "/clock/advance", seconds=86400)
                clock.set(float(view["epoch"]))

        await asyncio.gather(jumps(), *(run(c) for c in clients))
        final = {"clock": await control(session, base, "GET", "/clock"),
                 "jobs": (await control(session, base, "GET", "/jobs"))["jobs"]}
        curve.append((time.monotonic() - t0, (clock.now() - start_epoch) / 86400, len(final["jobs"]),
                      t.proc_rss_mib(pid)))
    return tally, curve, final


def reconcile(tally: Tally, final: dict[str, Any]) -> tuple[int, int, int, list[str]]:
    """(acknowledged, still in the store, removed by retention, problems): every job in the store was
    acknowledged to a client, and every acknowledged job missing from it was old enough for its retention."""
    now = float(final["clock"]["epoch"])
    classes = discover()
    stored = {f"{j['_vendor']}/{j['id']}" for j in final["jobs"]}
    problems = [f"a job nobody created: {k}" for k in sorted(stored - set(tally.created))]
    removed = 0
    for key, created in tally.created.items():
        if key in stored:
            continue
        vendor = key.split("/", 1)[0]
        lc = classes[vendor].lifecycle
        soonest = min(lc.retention.values()) if lc.retention else None
        if soonest is None or now - created < soonest:
            problems.append(f"{key}: acknowledged {now - created:.0f} s ago and gone before any retention")
        else:
            removed += 1
    return len(tally.created), len(stored), removed, problems


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--duration", type=int, default=60, help="seconds of load (default 60)")
    ap.add_argument("--clients", type=int, default=50, help="concurrent clients (default 50)")
    ap.add_argument("--speed", type=float, default=600, help="the real clock's speed (default 600)")
    ap.add_argument("--jump", type=float, default=1.0, help="real seconds between one-day jumps (default 1)")
    args = ap.parse_args()
    (t.WORK / "logs").mkdir(parents=True, exist_ok=True)
    log = t.WORK / "logs" / "soak.log"
    fe_bin = Path(sys.executable).with_name("fakeexports")
    fe = [str(fe_bin)] if fe_bin.exists() else [sys.executable, "-m", "fakeexports"]
    port = t.free_port()
    os.environ["FAKEEXPORTS_DOWNLOAD_TTL"] = str(2 * 86400)  # a link outlives a jump
    server, t0 = t.spawn([*fe, "serve", "--port", str(port), "--fixtures", "none", "--speed", str(args.speed)], log)
    os.sched_setaffinity(0, {int(t.LOAD_CPU)})
    try:
        t.wait_ready(server, t0, port, "/_fakeexports/health", log)
        tally, curve, final = asyncio.run(soak_with_vendors(args, port, server.pid))
    finally:
        t.stop(server)
    acknowledged, stored, removed, problems = reconcile(tally, final)

    print(f"$ .venv/bin/python bench/soak.py --duration {args.duration} --clients {args.clients} "
          f"--speed {args.speed:g} --jump {args.jump:g}")
    print(f"{args.clients} clients over {len(tally.requests)} vendors, {args.duration} s; the clock at x{args.speed:g} "
          f"and a day ahead every {args.jump:g} s\n")
    print("| vendor | requests | expected refusals | unexpected errors |")
    print("|---|---:|---:|---:|")
    for vendor in sorted(tally.requests):
        refused = sum(n for k, n in tally.expected.items() if k.startswith(vendor + " "))
        errors = sum(1 for e in tally.errors if e.startswith(vendor + ":"))
        print(f"| {vendor} | {tally.requests[vendor]:,} | {refused:,} | {errors} |")
    total = sum(tally.requests.values())
    print(f"| all | {total:,} ({total / args.duration:,.0f}/s) | {sum(tally.expected.values()):,} | "
          f"{len(tally.errors)} |\n")
    print("expected refusals: " + ", ".join(f"{k} {n:,}" for k, n in sorted(tally.expected.items())))
    for error in tally.errors[:10]:
        print("  error:", error)
    print(f"\nreconciliation: {acknowledged:,} creates acknowledged = {stored:,} in the store + {removed:,} removed "
          f"by retention; problems: {len(problems)}")
    for problem in problems[:10]:
        print("  ", problem)
    print("\n| s | fake days | jobs stored | RSS MiB |")
    print("|---:|---:|---:|---:|")
    step = max(1, len(curve) // 20)
    for s, days, jobs, rss in curve[::step] + ([curve[-1]] if (len(curve) - 1) % step else []):
        print(f"| {s:.0f} | {days:.1f} | {jobs:,} | {rss:.1f} |")
    half = [rss for s, _, _, rss in curve if s >= args.duration / 2]
    if half:
        print(f"\nRSS over the second half: {min(half):.1f} to {max(half):.1f} MiB")
    return 1 if tally.errors or problems else 0


async def soak_with_vendors(args: argparse.Namespace, port: int, pid: int) -> tuple[Tally, Any, dict[str, Any]]:
    tally, curve, final = await soak(args, port, pid)
    # the control view does not name a job's vendor: ask per vendor
    base = f"http://{t.HOST}:{port}"
    async with aiohttp.ClientSession() as session:
        jobs = []
        for name in discover():
            for job in (await control(session, base, "GET", f"/jobs?vendor={name}"))["jobs"]:
                jobs.append({**job, "_vendor": name})
        final["jobs"] = jobs
        final["clock"] = await control(session, base, "GET", "/clock")  # after the jobs: none went later than it
    return tally, curve, final


if __name__ == "__main__":
    sys.exit(main())
