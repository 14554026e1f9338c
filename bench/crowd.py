"""What a crowd of new credentials costs a shared server: its RSS before, after N job-list reads each with a
credential never seen before (Twilio, DIDWW, HookBridge in turn), and after a full reset; this checkout beside
another (``--baseline CHECKOUT``, its own .venv) in the same invocation.

    .venv/bin/python bench/crowd.py [--reads 20000] [--baseline /path/to/other/checkout] [--json PATH]

Numbers only: nothing is asserted (the behaviour is tested in tests/test_shared_instances.py).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import sys
from pathlib import Path
from typing import Any

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent))
import throughput as t  # the bench's shared helpers: spawn, wait_ready, free_port

ROOT = Path(__file__).resolve().parents[1]


def _reader(vendor: str, i: int) -> tuple[str, dict[str, str]]:
    if vendor == "twilio":
        auth = base64.b64encode(f"AC{i:032x}:password-{i}".encode()).decode()
        return "/twilio/v1/Exports/Messages/Jobs", {"Authorization": "Basic " + auth}
    if vendor == "didww":
        return "/didww/v3/exports", {"Api-Key": f"crowd-key-{i:08d}-abcdefgh", "Accept": "application/vnd.api+json"}
    return "/hookbridge/v1/exports", {"Authorization": f"Bearer hb_test_crowd{i:08d}"}


def _rss(pid: int) -> float:
    return int(Path(f"/proc/{pid}/status").read_text().split("VmRSS:")[1].split()[0]) / 1024


async def _crowd(port: int, pid: int, reads: int) -> dict[str, float]:
    base = f"http://127.0.0.1:{port}"
    out = {"before": _rss(pid)}
    async with aiohttp.ClientSession() as session:
        async def one(vendor: str, i: int) -> None:
            path, headers = _reader(vendor, i)
            async with session.get(base + path, headers=headers) as resp:
                await resp.read()
                if resp.status != 200:
                    raise SystemExit(f"{vendor} answered {resp.status}")

        per_vendor = reads // 3
        for n, vendor in enumerate(("twilio", "didww", "hookbridge")):
            for start in range(n * per_vendor, (n + 1) * per_vendor, 50):
                await asyncio.gather(*(one(vendor, i) for i in range(start, min(start + 50, (n + 1) * per_vendor))))
        out["after"] = _rss(pid)
        async with session.post(base + "/_fakeexports/reset", json={}) as resp:
            await resp.read()
        out["reset"] = _rss(pid)
    return out


def run(checkout: Path, reads: int, label: str) -> dict[str, Any]:
    port = t.free_port()
    log = t.WORK / "logs" / f"crowd-{label}.log"
    cmd = [str(checkout / ".venv" / "bin" / "fakeexports"), "serve", "--port", str(port), "--clock", "virtual",
           "--fixtures", "none"]
    proc, t0 = t.spawn(cmd, log)
    try:
        t.wait_ready(proc, t0, port, "/_fakeexports/health", log)
        return {"server": label, **asyncio.run(_crowd(port, proc.pid, reads))}
    finally:
        proc.terminate()
        proc.wait()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reads", type=int, default=20000, help="reads, each with a new credential (default 20000)")
    ap.add_argument("--baseline", type=Path, help="another checkout of fakeexports with its own .venv")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    args = ap.parse_args()
    (t.WORK / "logs").mkdir(parents=True, exist_ok=True)
    rows = [run(ROOT, args.reads, "fakeexports")]
    if args.baseline:
        rows.append(run(args.baseline.resolve(), args.reads, f"fakeexports at {args.baseline.name}"))
    print(f"$ .venv/bin/python bench/crowd.py --reads {args.reads}" + (f" --baseline {args.baseline}"
                                                                        if args.baseline else ""))
    print(f"RSS MiB of a server read {args.reads:,} times, each read with a new credential (a third each Twilio, "
          "DIDWW, HookBridge job lists), then reset\n")
    print("| server | idle | after the reads | after a full reset |\n|---|---:|---:|---:|")
    for row in rows:
        print(f"| {row['server']} | {row['before']:.0f} | {row['after']:.0f} | {row['reset']:.0f} |")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
