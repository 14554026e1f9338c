"""What the HTTPS proxy costs a client: the same GET of Twilio's job list, by requests on one kept connection,
direct over HTTP (the reference) and through the fake's CONNECT proxy over TLS to bulkexports.twilio.com; then
the cost of opening a tunnel (CONNECT, the TLS handshake with a certificate from the fake's CA, one request).

    .venv/bin/python bench/proxy.py [--requests 1000] [--rounds 3] [--tunnels 50] [--json]

Sequential on purpose: one client, as an SDK polls; the figure is the round trip, not the server's capacity
(bench/throughput.py measures that).
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time

import requests

from fakeexports.progress import bar
from fakeexports.server import ServerThread
from fakeexports.settings import Settings

AUTH = ("AC" + "1" * 32, "secret-token")
PATH = "/v1/Exports/Messages/Jobs"


def rate(session: requests.Session, url: str, n: int, verify: str | bool) -> float:
    start = time.perf_counter()
    for _ in range(n):
        resp = session.get(url, auth=AUTH, verify=verify)  # verify per request: REQUESTS_CA_BUNDLE wins otherwise
        assert resp.status_code == 200, resp.text
    return n / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--tunnels", type=int, default=50)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as ca_dir, \
            ServerThread(Settings(clock="virtual", ca_dir=ca_dir)) as server:
        env = server.proxy_env()
        ca, proxies = env["REQUESTS_CA_BUNDLE"], {"https": env["HTTPS_PROXY"]}
        direct, tunnel = requests.Session(), requests.Session()
        tunnel.proxies = proxies
        runs: dict[str, list[float]] = {"direct HTTP (reference)": [], "through the proxy, TLS": []}
        for _ in bar(range(args.rounds), desc="rounds"):  # interleaved, so that drift hits both alike
            runs["direct HTTP (reference)"].append(rate(direct, server.vendor_url("twilio") + PATH, args.requests,
                                                        True))
            runs["through the proxy, TLS"].append(rate(tunnel, "https://bulkexports.twilio.com" + PATH,
                                                       args.requests, ca))
        opens = []
        for _ in range(args.tunnels):
            with requests.Session() as fresh:
                fresh.proxies = proxies
                start = time.perf_counter()
                fresh.get("https://bulkexports.twilio.com" + PATH, auth=AUTH, verify=ca)
                opens.append((time.perf_counter() - start) * 1e3)
    result = {name: {"median_rps": statistics.median(v), "min": min(v), "max": max(v)} for name, v in runs.items()}
    result["tunnel_open_ms"] = {"median": statistics.median(opens), "max": max(opens)}
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"{args.rounds} rounds x {args.requests} sequential GET {PATH} (requests, one kept connection)\n")
    print("| client path | req/s | min-max |\n|---|---:|---:|")
    for name, v in runs.items():
        print(f"| {name} | {statistics.median(v):,.0f} | {min(v):,.0f}-{max(v):,.0f} |")
    ratio = statistics.median(runs["through the proxy, TLS"]) / statistics.median(runs["direct HTTP (reference)"])
    print(f"\nproxy / direct: {ratio:.2f}")
    print(f"opening a tunnel (CONNECT + TLS handshake + one request), {args.tunnels} times: median "
          f"{statistics.median(opens):.1f} ms, max {max(opens):.1f} ms")


if __name__ == "__main__":
    main()
