"""Every benchmark of bench/, one after another, and one table of fakeexports' figures beside their references and
goals (issue 11). ``make bench`` runs it after bench/setup.sh (wrk from Debian, Prism 5 from npm).

    .venv/bin/python bench/all.py [--quick]

Each benchmark prints its own full output as it runs and writes its figures to bench/.work/all-<name>.json; the
table at the end is made from those files. ``--quick``: fewer rounds, shorter runs and smaller sizes, to check the
benches themselves (its figures are not the goals' sizes).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
WORK = HERE / ".work"


def run(name: str, args: list[str]) -> Any:
    out = WORK / f"all-{name}.json"
    out.unlink(missing_ok=True)
    print(f"\n### {name}: {' '.join(['bench/' + args[0], *args[1:]])}", flush=True)
    subprocess.run([sys.executable, str(HERE / args[0]), *args[1:], "--json", str(out)], check=False)
    return json.loads(out.read_text()) if out.exists() else None


def cell(s: dict[str, float], fmt: str = "{:,.0f}") -> str:
    return f"{fmt.format(s['median'])} ({fmt.format(s['min'])}-{fmt.format(s['max'])})"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true")
    a = ap.parse_args()
    WORK.mkdir(exist_ok=True)
    rounds = ["--rounds", "1", "--duration", "3"] if a.quick else ["--rounds", "3", "--duration", "10"]
    hot = {e: run(f"throughput-{e}", ["throughput.py", "--endpoint", e, *rounds]) for e in ("twilio", "didww",
                                                                                           "hookbridge")}
    scale = run("scale", ["scale.py", *(["--large", "20000", "--requests", "20"] if a.quick else [])])
    clock = run("clock", ["clock.py", *(["--events", "20000", "--deliveries", "1000"] if a.quick else [])])
    files = run("files", ["files.py", *(["--rows", "100000"] if a.quick else [])])
    loop = run("loop", ["loop.py", *(["--rows", "100000", "--idle", "2"] if a.quick else [])])
    plugin = run("plugin", ["plugin.py", *(["--tests", "300", "--rounds", "1"] if a.quick else [])])

    rows: list[tuple[str, str, str, str]] = []
    for endpoint, data in hot.items():
        if not data:
            rows.append((f"{endpoint}: hot path", "failed", "", ""))
            continue
        summary = data["summary"]
        names = list(summary)
        fake, raw = summary[names[0]], summary[names[1]]
        rows.append((f"{endpoint}: req/s",
                     cell(fake["rps"]), f"raw aiohttp {cell(raw['rps'])}", "0.85x raw"))
        rows.append((f"{endpoint}: fakeexports / raw aiohttp", cell(data["ratio_rps_fakeexports_over"][names[1]],
                                                                      "{:.2f}"), "", ">= 0.85"))
        rows.append((f"{endpoint}: p50 / p99 ms", f"{fake['p50_ms']['median']:.2f} / {fake['p99_ms']['median']:.2f}",
                     f"raw {raw['p50_ms']['median']:.2f} / {raw['p99_ms']['median']:.2f}", ""))
        if len(names) > 2:
            rows.append(("twilio: fakeexports / Prism 5", cell(data["ratio_rps_fakeexports_over"][names[2]], "{:.2f}"),
                         f"Prism {cell(summary[names[2]]['rps'])} req/s", ">= 5"))
        if endpoint == "twilio":
            rows.append(("startup ms (spawn to first 200, all vendors)", cell(fake["startup_ms"]),
                         f"raw aiohttp {cell(raw['startup_ms'])}", "<= 300"))
            rows.append(("idle RSS MiB", cell(fake["idle_rss_mib"], "{:.1f}"), "", "<= 50"))
    if scale:
        worst = max(p["large_ms"] / p["small_ms"] for p in scale["pages"])
        rows.append((f"pages at {scale['large']:,} jobs / at {scale['small']:,} (worst of "
                     f"{len(scale['pages'])} pages)", f"{worst:.2f}x", "", "<= 1.2x"))
        rows.append(("bytes of RSS per stored job", f"{scale['bytes_per_job']:,.0f}", "", "<= 512"))
    if clock:
        rows.append((f"events per second ({clock['events']:,} in one advance)", f"{clock['events_per_s']:,.0f}", "",
                     ">= 100,000"))
        rows.append((f"deliveries per second ({clock['deliveries']:,} due together)",
                     f"{clock['deliveries_per_s']:,.0f}", "", ">= 1,000"))
        rows.append(("unrelated fetch while delivering, p50 / p99 ms",
                     f"{clock['busy_p50_ms']:.2f} / {clock['busy_p99_ms']:.2f}",
                     f"idle {clock['idle_p50_ms']:.2f} / {clock['idle_p99_ms']:.2f}", ""))
    for r in files or []:
        if r["download"] == "again":
            rows.append((f"download {r['vendor']} {r['format']}, {r['records']:,} records: records/s",
                         f"{r['rate']:,.0f} ({r['mbs']:.1f} MB/s)", f"RSS +{r['rss']:.1f} MiB", ">= 200,000; <= 30 MB"))
    for r in loop or []:
        idle = r["phases"]["idle"]
        for phase in ("sizing", "download"):
            f = r["phases"][phase]
            rows.append((f"health during a {r['records']:,}-record {r['vendor']} file's {phase}, p50 / p99 / max ms",
                         f"{f['p50']:.2f} / {f['p99']:.2f} / {f['max']:.2f}",
                         f"idle {idle['p50']:.2f} / {idle['p99']:.2f} / {idle['max']:.2f}", "max <= 50"))
    if plugin:
        rows.append(("pytest fixture overhead per test, ms", f"{plugin['per_test_ms']:.3f}", "", "<= 0.25"))
        rows.append(("pytest: of it beyond pytest's own cost of a like fixture, ms",
                     f"{plugin['beyond_pytest_ms']:.3f}", "", ""))
        rows.append(("pytest: first test's wait for the server, s", f"{plugin['first_ready_s']:.3f}", "", "<= 0.3"))
    print("\n| measure | fakeexports | reference | goal |\n|---|---:|---:|---:|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print(f"\ncommand: {' '.join(sys.argv)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
