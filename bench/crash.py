"""kill -9 under load, restart on the same --state file, and check that nothing acknowledged was lost.

Writers drive every vendor through its recipe (fakeexports/recipe.py): they create jobs, delete some (where
the vendor's delete removes the job), update DIDWW exports' external_reference_id, and download finished
jobs' files, while another task moves the virtual clock. At a random moment the server gets SIGKILL. It is
started again on the same file, and every acknowledged create, delete, update and clock move is checked;
then the clock is moved on, every job must reach its end, and every file fetched before the kill must come
back byte for byte.

    .venv/bin/python bench/crash.py [--rounds 5] [--seconds 8] [--writers 20]
    .venv/bin/python bench/crash.py --short       # CI: 2 rounds of about 2 s

Exit status 1 when anything acknowledged was lost.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import random
import signal
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent))
import throughput as t  # the bench's shared helpers: spawn, wait_ready, free_port

from fakeexports.recipe import Driver, RecipeError
from fakeexports.vendors import discover

DELETES_REMOVE = {"acme", "hookbridge"}  # their delete takes the job out of the store at once


@dataclass
class Acked:
    created: dict[str, float] = field(default_factory=dict)  # "vendor/id" -> the clock before it was made
    deleted: set[str] = field(default_factory=set)
    refs: dict[str, str] = field(default_factory=dict)  # DIDWW export -> its last acknowledged reference
    tenants: dict[str, str] = field(default_factory=dict)  # "vendor/id" -> the credential that made it (views
    # show a DIDWW key masked and a HookBridge key as its project: the writer's own is the one to use)
    files: dict[str, str] = field(default_factory=dict)  # "vendor/id" -> sha256 of its file
    clock: float = 0.0  # the latest clock an advance answered with
    writes: int = 0


async def writer(session: aiohttp.ClientSession, base: str, vendor: str, tenant: str, acked: Acked,
                 rnd: random.Random, stop: float) -> None:
    cls = discover()[vendor]
    recipe = cls.recipe
    assert recipe is not None
    d = Driver.over(session, base, recipe, tenant, cls.mount)
    mine: list[str] = []
    while time.monotonic() < stop:
        try:
            if recipe.login and "token" not in d.vars:
                await d.login()
            roll = rnd.random()
            if roll < 0.45 or not mine:
                job = await d.create()
                acked.created[f"{vendor}/{job}"] = acked.clock
                acked.tenants[f"{vendor}/{job}"] = tenant
                acked.writes += 1
                mine.append(job)
            elif roll < 0.6 and vendor in DELETES_REMOVE:
                job = mine.pop(rnd.randrange(len(mine)))
                d.vars["job"] = job
                if await d.status(job) == recipe.done or vendor == "acme":
                    await d.delete(job)
                    acked.deleted.add(f"{vendor}/{job}")
                    acked.writes += 1
            elif roll < 0.75 and vendor == "didww":
                job = rnd.choice(mine)
                ref = f"ref-{rnd.randrange(10**6)}"
                async with session.patch(f"{base}{cls.mount}/exports/{job}", headers={
                        "Api-Key": tenant, "Content-Type": "application/vnd.api+json",
                        "X-DIDWW-API-Version": "2026-04-16"}, json={
                        "data": {"type": "exports", "id": job, "attributes": {"external_reference_id": ref}}}) as r:
                    if r.status == 200:
                        acked.refs[job] = ref
                        acked.writes += 1
            else:
                job = rnd.choice(mine)
                d.vars["job"] = job
                if await d.status(job) == recipe.done and f"{vendor}/{job}" not in acked.files:
                    body = (await d.download()).body
                    acked.files[f"{vendor}/{job}"] = hashlib.sha256(body).hexdigest()
        except RecipeError as exc:
            if exc.status == 401 and recipe.login:
                d.vars.pop("token", None)
            elif exc.status not in (404, 409, 410, 429, None):
                raise
        except (TimeoutError, aiohttp.ClientError, OSError):
            return  # the server is gone: whatever was not answered was not acknowledged


async def clock_mover(session: aiohttp.ClientSession, base: str, acked: Acked, stop: float) -> None:
    while time.monotonic() < stop:
        try:
            async with session.post(base + "/_fakeexports/clock/advance", json={"seconds": 7}) as resp:
                acked.clock = max(acked.clock, float((await resp.json())["epoch"]))
        except (TimeoutError, aiohttp.ClientError, OSError):
            return
        await asyncio.sleep(0.05)


async def load(port: int, writers: int, seconds: float, acked: Acked, seed: int) -> None:
    base = f"http://{t.HOST}:{port}"
    vendors = sorted(n for n, c in discover().items() if c.recipe is not None)
    rnd = random.Random(seed)
    stop = time.monotonic() + seconds + 3600  # until the kill
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
        tasks = [writer(session, base, vendors[i % len(vendors)],
                        _tenant(discover()[vendors[i % len(vendors)]].recipe.tenants[0], i),  # type: ignore[union-attr]
                        acked, random.Random(rnd.random()), stop) for i in range(writers)]
        tasks.append(clock_mover(session, base, acked, stop))
        await asyncio.gather(*tasks)


def _tenant(base: str, i: int) -> str:
    return base[:-2] + f"{i:02x}"


async def verify(port: int, acked: Acked) -> tuple[list[str], int]:
    """What the restarted server holds against what was acknowledged; (problems, files compared)."""
    base = f"http://{t.HOST}:{port}"
    problems: list[str] = []
    async with aiohttp.ClientSession() as session:
        clock = float((await (await session.get(base + "/_fakeexports/clock")).json())["epoch"])
        if clock < acked.clock:
            problems.append(f"the clock went back: acknowledged {acked.clock}, now {clock}")
        stored: dict[str, dict[str, Any]] = {}
        for name in discover():
            for job in (await (await session.get(f"{base}/_fakeexports/jobs?vendor={name}")).json())["jobs"]:
                stored[f"{name}/{job['id']}"] = job
        classes = discover()
        for key, made_after in acked.created.items():
            lc = classes[key.split("/", 1)[0]].lifecycle
            retained = clock < made_after + min(lc.retention.values(), default=float("inf"))
            if key not in acked.deleted and key not in stored and retained:
                problems.append(f"lost an acknowledged create: {key}")
        for key in acked.deleted:
            if key in stored:
                problems.append(f"an acknowledged delete came back: {key}")
        for job, ref in acked.refs.items():
            async with session.get(f"{base}/didww/v3/exports/{job}", headers={
                    "Api-Key": acked.tenants[f"didww/{job}"],
                    "X-DIDWW-API-Version": "2026-04-16"}) as resp:
                got = (await resp.json(content_type=None))["data"]["attributes"]["external_reference_id"] \
                    if resp.status == 200 else None
            if got != ref:
                problems.append(f"lost an acknowledged update: didww/{job} has {got!r}, not {ref!r}")
        # the schedules go on: an hour later every job has reached its end
        await session.post(base + "/_fakeexports/clock/advance", json={"seconds": 3600})
        for name in classes:
            terminal = classes[name].lifecycle.terminal | {classes[name].recipe.done}  # type: ignore[union-attr]
            for job in (await (await session.get(f"{base}/_fakeexports/jobs?vendor={name}")).json())["jobs"]:
                if job["status"] not in terminal and job["next_change"] is None:
                    problems.append(f"{name}/{job['id']} is stuck in {job['status']}")
        compared = 0
        for key, digest in acked.files.items():
            vendor, job = key.split("/", 1)
            if key in acked.deleted:
                continue
            cls = classes[vendor]
            tenant = acked.tenants[key] if key in stored else None
            recipe = cls.recipe
            assert recipe is not None
            if tenant is None:
                continue
            d = Driver.over(session, base, recipe, tenant, cls.mount)
            try:
                if recipe.login:
                    await d.login()
                d.vars["job"] = job
                await d.status(job)
                body = (await d.download()).body
            except RecipeError as exc:
                problems.append(f"{key}: its file is gone after the restart ({exc})")
                continue
            compared += 1
            if hashlib.sha256(body).hexdigest() != digest:
                problems.append(f"{key}: its file differs after the restart")
    return problems, compared


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=5, help="kill and restart cycles (default 5)")
    ap.add_argument("--seconds", type=float, default=8.0, help="about how long the load runs before a kill")
    ap.add_argument("--writers", type=int, default=20, help="concurrent writers (default 20)")
    ap.add_argument("--short", action="store_true", help="CI: 2 rounds of about 2 s")
    args = ap.parse_args()
    if args.short:
        args.rounds, args.seconds = 2, 2.0
    (t.WORK / "logs").mkdir(parents=True, exist_ok=True)
    fe_bin = Path(sys.executable).with_name("fakeexports")
    fe = [str(fe_bin)] if fe_bin.exists() else [sys.executable, "-m", "fakeexports"]
    rnd = random.Random(11)
    acked = Acked()
    lost: list[str] = []
    restarts: list[float] = []
    compared = 0
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "state.db")
        for rnd_no in range(1, args.rounds + 1):
            port = t.free_port()
            log = t.WORK / "logs" / f"crash-round{rnd_no}.log"
            cmd = [*fe, "serve", "--port", str(port), "--fixtures", "none", "--clock", "virtual", "--state", path]
            server, t0 = t.spawn(cmd, log)
            restarts.append(t.wait_ready(server, t0, port, "/_fakeexports/health", log))
            if rnd_no > 1:  # the previous round's kill: check it
                problems, n = asyncio.run(verify(port, acked))
                lost += problems
                compared += n
            kill_after = args.seconds * (0.5 + rnd.random())

            async def run_and_kill(port: int = port, proc: Any = server, after: float = kill_after) -> None:
                loading = asyncio.create_task(load(port, args.writers, after, acked, rnd.randrange(10**6)))
                await asyncio.sleep(after)
                os.killpg(proc.pid, signal.SIGKILL)  # mid-flight: whatever was answered must be there
                await loading

            asyncio.run(run_and_kill())
            server.wait(10)
            if server in t.LIVE:
                t.LIVE.remove(server)
        port = t.free_port()
        log = t.WORK / "logs" / "crash-final.log"
        server, t0 = t.spawn([*fe, "serve", "--port", str(port), "--fixtures", "none", "--clock", "virtual",
                              "--state", path], log)
        try:
            restarts.append(t.wait_ready(server, t0, port, "/_fakeexports/health", log))
            problems, n = asyncio.run(verify(port, acked))
            lost += problems
            compared += n
        finally:
            t.stop(server)
        size = Path(path).stat().st_size
    print(f"$ .venv/bin/python bench/crash.py --rounds {args.rounds} --seconds {args.seconds:g} "
          f"--writers {args.writers}")
    print(f"{args.rounds} kills (SIGKILL under load), {len(restarts)} starts on the same state file "
          f"({size / 1024:.0f} KiB at the end)")
    print(f"acknowledged writes: {acked.writes:,} (creates {len(acked.created):,}, deletes {len(acked.deleted):,}, "
          f"updates {len(acked.refs):,}); files compared byte for byte: {compared:,}")
    print(f"start on the file, ms: {', '.join(f'{r:.0f}' for r in restarts)}")
    print(f"acknowledged writes lost: {len(lost)}")
    for problem in lost[:20]:
        print("  ", problem)
    return 1 if lost else 0


if __name__ == "__main__":
    sys.exit(main())
