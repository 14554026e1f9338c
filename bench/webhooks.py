"""Latency of unrelated requests while webhook receivers hang. A fake whose jobs call receivers that never
answer must keep serving everyone else: this measures the Twilio job list (wrk, like throughput.py) on its own,
then while N webhook attempts hang on a receiver that accepts and never answers.

    .venv/bin/python bench/webhooks.py [--hanging 300] [--duration 10]

Numbers only, no assertions; the server runs on CPU 0, wrk on CPU 1 (BENCHMARKING.md).
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import sys
import threading
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import throughput as t  # (the bench's shared helpers: spawn, stop, call, wrk)

HANGING_RECEIVER = '''\
import asyncio, sys
from aiohttp import web

async def hang(request):
    await asyncio.Event().wait()

async def main(port):
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", hang)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port, backlog=4096).start()
    print("ready", flush=True)
    await asyncio.Event().wait()

asyncio.run(main(int(sys.argv[1])))
'''


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hanging", type=int, default=300, help="webhook attempts held by the receiver (default 300)")
    ap.add_argument("--duration", type=int, default=10, help="seconds of recorded load per run (default 10)")
    args = ap.parse_args()
    t.WORK.mkdir(parents=True, exist_ok=True)
    (t.WORK / "logs").mkdir(exist_ok=True)
    script = t.WORK / "hanging_receiver.py"
    script.write_text(HANGING_RECEIVER)
    hook_port, port = t.free_port(), t.free_port()
    receiver, _ = t.spawn([sys.executable, str(script), str(hook_port)], t.WORK / "logs" / "hanging-receiver.log")
    fe_bin = Path(sys.executable).with_name("fakeexports")
    fe = [str(fe_bin)] if fe_bin.exists() else [sys.executable, "-m", "fakeexports"]
    # the attempts must hang through the whole measurement: a timeout longer than it
    server, t0 = t.spawn([*fe, "serve", "--port", str(port), "--fixtures", "none",
                          "--webhook-timeout", str(args.duration * 3 + 30)], t.WORK / "logs" / "webhooks-fe.log")
    try:
        t.wait_ready(server, t0, port, "/_fakeexports/health", t.WORK / "logs" / "webhooks-fe.log")
        t.create_jobs(port)  # the 50 jobs the list shows (no webhooks)
        url = f"http://{t.HOST}:{port}/twilio{t.JOBS_PATH}{t.LIST_QUERY}"
        quiet = t.run_wrk(url, args.duration)
        # the hanging jobs: three per account run at once, so each account gets three
        hook = f"http://127.0.0.1:{hook_port}/hook"
        for i in range(args.hanging):
            account = "AC" + f"{i // 3:032x}"
            auth = "Basic " + base64.b64encode(f"{account}:x".encode()).decode()
            form = urllib.parse.urlencode({"StartDay": "2026-01-01", "EndDay": "2026-01-01", "FriendlyName": "h",
                                           "WebhookUrl": hook, "WebhookMethod": "POST"}).encode()
            status, body = t.call(port, "POST", "/twilio" + t.JOBS_PATH, form, {
                "Authorization": auth, "Content-Type": "application/x-www-form-urlencoded"})
            assert status == 201, body
        # the jobs finish and call the receiver, which holds every attempt; the advance waits for them
        def advance() -> None:
            # the server is stopped while the advance still waits for the attempts it started
            with contextlib.suppress(OSError):
                t.call(port, "POST", "/_fakeexports/clock/advance", b'{"seconds": 120}', {}, args.duration * 3 + 60)

        advancing = threading.Thread(target=advance, daemon=True)
        advancing.start()
        deadline = time.monotonic() + 60
        while json.loads(t.call(port, "GET", "/_fakeexports/clock")[1])["in_flight"] < args.hanging:
            if time.monotonic() > deadline:
                raise RuntimeError("the attempts did not all start")
            time.sleep(0.05)
        loud = t.run_wrk(url, args.duration)
        held = json.loads(t.call(port, "GET", "/_fakeexports/clock")[1])["in_flight"]
    finally:
        t.stop(server)
        t.stop(receiver)
    print(f"$ .venv/bin/python bench/webhooks.py --hanging {args.hanging} --duration {args.duration}")
    print(f"GET [/twilio]{t.JOBS_PATH}{t.LIST_QUERY} (50 jobs), wrk -t1 -c50 on CPU 1, server on CPU 0\n")
    print("| run | req/s | p50 ms | p99 ms | errors |")
    print("|---|---:|---:|---:|---:|")
    for name, row in (("no webhooks in flight", quiet), (f"{args.hanging} attempts hanging", loud)):
        print(f"| {name} | {row['rps']:,.0f} | {row['p50_ms']:.2f} | {row['p99_ms']:.2f} | "
              f"{row['non_2xx'] + row['socket_errors']} |")
    print(f"\np99 hanging / quiet: {loud['p99_ms'] / quiet['p99_ms']:.2f}; attempts still hanging after the run: "
          f"{held}")


if __name__ == "__main__":
    main()
