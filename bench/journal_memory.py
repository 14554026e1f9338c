"""Memory a journal entry holds, measured with tracemalloc in one process: requests of three kinds are answered by an
in-process fake (virtual clock, no fixtures), then the journal is cleared and what that frees is divided by the
entries it held. Run it in two checkouts to compare (``--baseline CHECKOUT`` runs the same script with that
checkout's .venv and sources).

    .venv/bin/python bench/journal_memory.py [--requests 500] [--baseline CHECKOUT]...

Numbers only, no assertions (bench/README.md)."""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import subprocess
import sys
import tracemalloc
from pathlib import Path

HB = {"Authorization": "Bearer hb_test_memory"}
CREATE = {"start_time": "2026-01-14T00:00:00Z", "end_time": "2026-01-15T00:00:00Z"}
REFUSED = {"start_time": "2026-13-01T00:00:00Z", "end_time": "2026-01-15T00:00:00Z"}


async def measure(n: int) -> dict[str, float]:
    from aiohttp.test_utils import TestClient, TestServer

    from fakeexports.app import create_app
    from fakeexports.runtime import RUNTIME
    from fakeexports.settings import Settings

    app = create_app(Settings(clock="virtual", fixtures="none", journal_size=10 * n, cache_dir=""))
    out: dict[str, float] = {}
    async with TestClient(TestServer(app)) as client:
        made = await client.post("/hookbridge/v1/exports", headers=HB, json=CREATE)
        job = (await made.json())["data"]["id"]
        kinds = {
            "poll (200, kept answer)": lambda: client.get(f"/hookbridge/v1/exports/{job}", headers=HB),
            "create (201, JSON body)": lambda: client.post("/hookbridge/v1/exports", headers=HB, json=CREATE),
            "refused (400)": lambda: client.post("/hookbridge/v1/exports", headers=HB, json=REFUSED),
        }
        journal = app[RUNTIME].journal
        for name, send in kinds.items():
            for _ in range(20):  # warm: caches filled, validators compiled
                await (await send()).read()
            journal.clear()
            gc.collect()
            tracemalloc.start()
            for _ in range(n):
                await (await send()).read()
            gc.collect()
            held = tracemalloc.get_traced_memory()[0]
            journal.clear()
            gc.collect()
            freed = held - tracemalloc.get_traced_memory()[0]
            tracemalloc.stop()
            out[name] = freed / n
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requests", type=int, default=500)
    ap.add_argument("--baseline", action="append", default=[], metavar="CHECKOUT")
    ap.add_argument("--json", metavar="PATH", help="also write the figures there")
    ap.add_argument("--one", action="store_true", help=argparse.SUPPRESS)  # one checkout's figures, for a peer run
    args = ap.parse_args()
    print(f"$ {' '.join(sys.argv)}", file=sys.stderr)
    here = asyncio.run(measure(args.requests))
    if args.one:
        print(json.dumps(here))
        return 0
    rows = [("this checkout", here)]
    for checkout in args.baseline:
        root = Path(checkout).resolve()
        proc = subprocess.run([str(root / ".venv/bin/python"), str(Path(__file__).resolve()), "--one", "--requests",
                               str(args.requests)], capture_output=True, text=True, cwd=root, check=True,
                              env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"})
        rows.append((f"at {root.name}", json.loads(proc.stdout.strip().splitlines()[-1])))
    print(f"bytes a journal entry holds (tracemalloc, {args.requests} requests of each kind)\n")
    print("| request | " + " | ".join(name for name, _ in rows) + " |")
    print("|---|" + "---:|" * len(rows))
    for kind in here:
        print(f"| {kind} | " + " | ".join(f"{figures[kind]:,.0f}" for _, figures in rows) + " |")
    if args.json:
        Path(args.json).write_text(json.dumps({name: figures for name, figures in rows}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
