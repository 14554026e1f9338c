"""``python -m tests.conformance`` (``make conformance``): replays the whole corpus and prints, per vendor, the
examples matched exactly, matched with an accepted divergence, and mismatched, then every mismatch. Exits 1
when an example mismatches, a divergence it accepts no longer occurs, or reference data is missing under
CI=true."""

from __future__ import annotations

import asyncio
import os
import sys
from collections import Counter

from tests.reference import ENV, reference_dir

from . import VENDORS, all_examples
from .corpus import Result, replay


async def run() -> list[Result]:
    results = []
    for example in all_examples():
        if example.reference and example.name.endswith("(reference document)"):
            continue
        results.append(await replay(example, VENDORS[example.vendor][0]))
    return results


def main() -> int:
    results = asyncio.run(run())
    counts: dict[str, Counter[str]] = {vendor: Counter() for vendor in VENDORS}
    for result in results:
        counts[result.example.vendor][result.outcome] += 1
    print(f"{'vendor':<12}{'known':>7}{'matched':>9}{'accepted':>10}{'mismatch':>10}  conformance")
    for vendor, c in counts.items():
        known = sum(c.values())
        share = (c["matched"] + c["accepted"]) / known * 100 if known else 0.0
        print(f"{vendor:<12}{known:>7}{c['matched']:>9}{c['accepted']:>10}{c['mismatch']:>10}  {share:5.1f}%")
    failed = False
    for result in results:
        if result.unexpected or result.stale:
            failed = True
            print(f"\n{result.example.id}  ({result.example.source})")
            for line in result.unexpected:
                print(f"  mismatch: {line}")
            for key in result.stale:
                print(f"  accepted but no longer seen: {key}")
    accepted = sorted({(r.example.id, reason) for r in results for key, reason in r.example.accepted.items()
                       if any(key in p for p in r.problems)})
    if accepted:
        print("\naccepted divergences (README, Known divergences):")
        for example_id, reason in accepted:
            print(f"  {example_id}: {reason}")
    if not reference_dir().exists():
        print(f"\nreference data not found ({reference_dir()}): set {ENV}; the examples derived from it were skipped")
        failed = failed or os.environ.get("CI", "").lower() in ("true", "1", "yes")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
