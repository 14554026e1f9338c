"""What a flood of slow clients does to the fake (gate.py): the health check's latency, p50 and p99 over a number
of checks, on an idle server and then while N connections that sent one byte each are open, the server in a
subprocess with its open-file limit at the common 1,024.

    .venv/bin/python bench/slowloris.py [--flood 1100] [--checks 200] [--limit 1024] [--json PATH]

Each check opens its own connection (as a load balancer's probe does). Numbers only: nothing is asserted.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import signal
import socket
import statistics
import subprocess
import sys
import time

HEALTH = b"GET /_fakeexports/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"


def serve(limit: int) -> tuple[subprocess.Popen[str], int]:
    def lower() -> None:
        _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(limit, hard), hard))

    env = {k: v for k, v in os.environ.items() if not k.startswith("FAKEEXPORTS_")}
    proc = subprocess.Popen([sys.executable, "-m", "fakeexports", "serve", "--port", "0", "--clock", "virtual",
                             "--fixtures", "none"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env, preexec_fn=lower, start_new_session=True)
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("control"):
            return proc, int(line.split("/_fakeexports/")[0].rsplit(":", 1)[1])
    raise SystemExit(f"the server did not start: {proc.communicate()[1][-2000:]}")


def check(port: int) -> float | None:
    """One health check's seconds, None if it did not answer 200 within 10 s."""
    start = time.perf_counter()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(HEALTH)
            data = b""
            while b"\r\n" not in data and (chunk := sock.recv(4096)):
                data += chunk
    except OSError:
        return None
    return time.perf_counter() - start if data.startswith(b"HTTP/1.1 200") else None


def measure(port: int, n: int) -> dict[str, float]:
    times = [check(port) for _ in range(n)]
    ok = sorted(t for t in times if t is not None)
    if not ok:
        return {"answered": 0}
    p99 = ok[min(len(ok) - 1, int(len(ok) * 0.99))]
    return {"answered": len(ok) / n, "p50_ms": statistics.median(ok) * 1000, "p99_ms": p99 * 1000}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--flood", type=int, default=1100)
    parser.add_argument("--checks", type=int, default=200)
    parser.add_argument("--limit", type=int, default=1024, help="the server's RLIMIT_NOFILE")
    parser.add_argument("--json", metavar="PATH")
    args = parser.parse_args()
    print("$", " ".join([sys.executable, *sys.argv]))
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)  # this process holds the flood's sockets
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, args.flood + 256)), hard))
    proc, port = serve(args.limit)
    flood: list[socket.socket] = []
    try:
        measure(port, 20)  # warm-up: the first requests compile what the server compiles lazily
        idle = measure(port, args.checks)
        start = time.perf_counter()
        for _ in range(args.flood):
            try:
                sock = socket.create_connection(("127.0.0.1", port), timeout=10)
            except OSError:
                continue
            flood.append(sock)
            with contextlib.suppress(OSError):
                sock.sendall(b"G")
        opened = time.perf_counter() - start
        flooded = measure(port, args.checks)
    finally:
        for sock in flood:
            sock.close()
        os.killpg(proc.pid, signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    figures = {"idle": idle, "flooded": flooded, "flood": args.flood, "limit": args.limit,
               "flood_open_s": opened, "log_lines": len(err.splitlines())}
    print(f"server open-file limit {args.limit}; {args.flood} one-byte connections opened in {opened:.2f} s")
    for name, m in (("idle", idle), (f"under {args.flood} one-byte connections", flooded)):
        if m["answered"]:
            print(f"health {name:<36} p50 {m['p50_ms']:7.2f} ms  p99 {m['p99_ms']:7.2f} ms  "
                  f"answered {m['answered']:.0%} of {args.checks}")
        else:
            print(f"health {name:<36} never answered")
    print(f"server log: {figures['log_lines']} lines")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(figures, f, indent=2)


if __name__ == "__main__":
    main()
