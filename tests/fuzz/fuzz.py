"""Fuzzing with schemathesis: every operation of every spec the fake serves (each vendor's documents, through
/_fakeexports/specs/{vendor}?version=), and the vendors' own official documents from the reference folder,
against one fake in strict mode (every answer it sends is checked against its spec; a mismatch is a 500).
Examples, coverage, fuzzing and stateful phases, at most --max-examples cases per operation and phase.

    make fuzz                                  # installs schemathesis in .venv-fuzz, then runs this
    .venv/bin/python tests/fuzz/fuzz.py --st .venv-fuzz/bin/st [--max-examples 60] [--seed 1]

Exit status 1 on any failure: a 5xx, an answer that breaks its document, a check below.

Checks: schemathesis' ``all``, except
  - positive_data_acceptance, everywhere: schema-valid values that the vendors refuse by design and no schema
    can express (an opaque page token the server did not make, a Twilio EndDay less than two days back, a DIDWW
    period outside the last three months, a Talkdesk timespan in the future or over 31 days);
  - status_code_conformance, for the vendors' official documents: Twilio's declares no error response at all
    (only 200, 201, 204 and 307), DIDWW's none for its list and its PATCH, while both answer 400, 401 and 404
    (vendors/twilio.md A6, vendors/didww.md B6); our own documents declare every answer, and are checked;
  - negative_data_rejection, for DIDWW's official document: it counts an unknown extra header as invalid data,
    and HTTP servers ignore headers they do not know (DIDWW's too); our documents are checked for it;
  - unsupported_method and allow_header_conformance, for DIDWW's official document: DIDWW answers PUT like
    PATCH (jsonapi-resources' routes, vendors/didww.md B1), which its document leaves out, so a PUT is not a
    405 and a 405's Allow names it; our 2026 documents declare the PUT.

The fake runs with a credentials file that lists each vendor's recipe credential only, so that
ignored_auth (any other credential must get a 401) means something: without one the fake accepts any
well-formed credential, by design.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from fakeexports.recipe import Driver  # noqa: E402
from fakeexports.vendors import discover  # noqa: E402
from tests.reference import ENV, reference_dir  # noqa: E402

# The header that picks a document of a vendor that serves several (DIDWW's API versions).
VERSION_HEADERS = {"didww": "X-DIDWW-API-Version"}
EXCLUDED = ["positive_data_acceptance"]
REFERENCES = [  # (vendor, file in the reference folder, extra headers, checks excluded besides EXCLUDED)
    ("twilio", "twilio_bulkexports_v1.json", {}, ["status_code_conformance"]),
    ("didww", "didww_exports.json", {"X-DIDWW-API-Version": "2026-04-16"},
     ["status_code_conformance", "negative_data_rejection", "unsupported_method", "allow_header_conformance"]),
]
# Only the recipes' credentials are accepted (their secrets as the recipes send them).
CREDENTIALS = {
    "twilio": [{"account_sid": "AC" + "a" * 32, "auth_token": "auth-token"}],
    "didww": [{"api_key": "recipe-key-a"}],
    "talkdesk": [{"client_id": "recipe-client-a", "client_secret": "secret"}],
    "hookbridge": [{"api_key": "hb_test_alpha"}],
}


def start(port: int, credentials: Path) -> subprocess.Popen[bytes]:
    fe = Path(sys.executable).with_name("fakeexports")
    cmd = [str(fe)] if fe.exists() else [sys.executable, "-m", "fakeexports"]
    credentials.write_text(json.dumps(CREDENTIALS))
    proc = subprocess.Popen([*cmd, "serve", "--port", str(port), "--clock", "virtual", "--strict", "--fixtures",
                             "none", "--credentials", str(credentials)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_fakeexports/health", timeout=1):
                return proc
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("the fake did not start")


async def credentials(base: str, vendor: str) -> dict[str, str]:
    """The headers the vendor's recipe sends, after its login (a Talkdesk token...)."""
    cls = discover()[vendor]
    assert cls.recipe is not None
    async with aiohttp.ClientSession() as session:
        d = Driver.over(session, base, cls.recipe, cls.recipe.tenants[0], cls.mount)
        await d.login()
        return await d.headers()


def auth_header_names(doc: dict[str, Any]) -> dict[str, str]:
    """The document's own spelling of its API-key headers, by their lower-case name (schemathesis leaves a
    credential out, or spoils it, only under the name the document gives)."""
    schemes = (doc.get("components") or {}).get("securitySchemes") or {}
    return {s["name"].lower(): s["name"] for s in schemes.values() if s.get("type") == "apiKey" and s.get("in") == "header"}


def control(base: str, method: str, path: str, body: Any = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + "/_fakeexports" + path, data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.load(resp)


def run(st: str, location: str, url: str | None, headers: dict[str, str], excluded: list[str], args: argparse.Namespace,
        report: Path) -> tuple[int, int, int, float, str]:
    """One schemathesis run: (exit code, operations, cases, seconds, its summary)."""
    cmd = [st, "run", location, "--phases", "examples,coverage,fuzzing,stateful", "--checks", "all",
           "--exclude-checks", ",".join(excluded), "-n", str(args.max_examples), "--seed", str(args.seed),
           "--workers", "1", "--generation-database", "none", "--request-timeout", "20", "--no-color",
           "--report", "junit", "--report-junit-path", str(report)]
    if url:
        cmd += ["--url", url]
    for name, value in headers.items():
        cmd += ["-H", f"{name}: {value}"]
    t0 = time.monotonic()
    out = subprocess.run(cmd, capture_output=True, text=True)
    took = time.monotonic() - t0
    text = out.stdout + out.stderr
    ops = re.search(r"Tested:\s+(\d+)", text)
    cases = re.search(r"(\d+) generated", text)
    summary = text[text.find("=== SUMMARY"):] if "=== SUMMARY" in text else text[-3000:]
    if out.returncode:
        failures = text[text.find("=== FAILURES"):text.find("=== SUMMARY")] if "=== FAILURES" in text else ""
        summary = failures[:6000] + summary
    return out.returncode, int(ops.group(1)) if ops else 0, int(cases.group(1)) if cases else 0, took, summary


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--st", required=True, help="the schemathesis CLI (make fuzz installs it in .venv-fuzz)")
    ap.add_argument("--max-examples", type=int, default=60,
                    help="cases per operation and phase (default 60: every operation's every parameter is "
                         "reached in each phase, and the whole run stays within a few minutes)")
    ap.add_argument("--seed", type=int, default=1, help="schemathesis' seed, for a run that repeats (default 1)")
    ap.add_argument("--only", help="only this vendor")
    args = ap.parse_args()
    port = 18000 + os.getpid() % 1000
    base = f"http://127.0.0.1:{port}"
    tmpdir = tempfile.mkdtemp()
    proc = start(port, Path(tmpdir) / "credentials.json")
    rows: list[tuple[str, int, int, int, float]] = []
    failed = False
    try:
        with tempfile.TemporaryDirectory() as tmp:
            targets: list[tuple[str, str, str | None, dict[str, str], list[str]]] = []
            for name, cls in sorted(discover().items()):
                if args.only and name != args.only:
                    continue
                for version in cls.specs:
                    extra = {VERSION_HEADERS[name]: version} if name in VERSION_HEADERS else {}
                    targets.append((f"{name} {version} (ours)", f"{base}/_fakeexports/specs/{name}?version={version}",
                                    None, extra, EXCLUDED))
            folder = reference_dir()
            for name, filename, extra, more in REFERENCES:
                if args.only and name != args.only:
                    continue
                path = folder / filename
                if not path.exists():
                    message = f"reference document not found: {path} (set {ENV})"
                    if os.environ.get("CI") == "true":
                        print(message, file=sys.stderr)
                        return 1
                    print("skipped:", message)
                    continue
                targets.append((f"{name} {filename} (vendor's)", str(path), base + discover()[name].mount, extra,
                                EXCLUDED + more))
            for label, location, url, extra, excluded in targets:
                control(base, "POST", "/reset", {})
                vendor = label.split()[0]
                doc = json.loads(Path(location).read_text()) if not location.startswith("http") else \
                    json.load(urllib.request.urlopen(location, timeout=30))
                names = auth_header_names(doc)
                headers = {names.get(k.lower(), k): v for k, v in
                           {**asyncio.run(credentials(base, vendor)), **extra}.items()}
                mark = control(base, "GET", "/journal")["mark"]
                code, ops, cases, took, summary = run(args.st, location, url, headers, excluded, args,
                                                      Path(tmp) / "report.xml")
                journal = control(base, "GET", f"/journal?since={mark}")
                server_5xx = [e for e in journal["entries"] if e["status"] >= 500]
                errors = journal["errors"]
                rows.append((label, ops, cases, len(server_5xx) + len(errors), took))
                if code or server_5xx or errors:
                    failed = True
                    print(f"--- {label}: schemathesis exit {code}, {len(server_5xx)} 5xx, {len(errors)} server errors")
                    print(summary)
                    for entry in (server_5xx + errors)[:10]:
                        print("   ", entry)
    finally:
        proc.terminate()
        proc.wait(10)
    print(f"$ .venv/bin/python tests/fuzz/fuzz.py --max-examples {args.max_examples} --seed {args.seed}")
    print("| document | operations | cases | 5xx and server errors | seconds |")
    print("|---|---:|---:|---:|---:|")
    for label, ops, cases, bad, took in rows:
        print(f"| {label} | {ops} | {cases:,} | {bad} | {took:.0f} |")
    total = sum(r[2] for r in rows)
    print(f"| all | {sum(r[1] for r in rows)} | {total:,} | {sum(r[3] for r in rows)} | {sum(r[4] for r in rows):.0f} |")
    print("checks left out: " + ", ".join(EXCLUDED) + " everywhere; " + "; ".join(
        f"{', '.join(more)} for {name}'s own document" for name, _, _, more in REFERENCES if more) +
        " (why: this file's docstring)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
