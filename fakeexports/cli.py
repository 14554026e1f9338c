"""The command line: ``fakeexports serve [options]`` (also ``python -m fakeexports``)."""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import logging
import signal
import sys
from collections.abc import Sequence

from aiohttp import web
from aiohttp.http_exceptions import BadHttpMessage

from . import ca, ctl
from . import options as opts
from .app import create_app, vendor_base_urls
from .options import Option
from .proxy import listen
from .settings import Settings
from .vendors import discover


def vendor_options() -> list[tuple[str, Option]]:
    """Every discovered vendor's declared options, by settings key (``talkdesk_done_status``)."""
    return [(opts.key(name, option), option) for name, cls in discover().items() for option in cls.options]


def build_parser(declared: Sequence[tuple[str, Option]] = ()) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fakeexports",
        description="A stateful fake of vendors' export-job APIs. Every option can also be set as "
        "FAKEEXPORTS_<OPTION> (e.g. FAKEEXPORTS_PORT=9000, FAKEEXPORTS_<VENDOR>_<OPTION>); a flag wins "
        "over the environment.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the fake server", description="Run the fake server.")
    serve.add_argument("--host", help="interface to bind (default 127.0.0.1; 0.0.0.0 in Docker)")
    serve.add_argument("--port", type=int, help="TCP port (default 8080; 0 picks a free one)")
    serve.add_argument("--clock", choices=("real", "virtual"),
                       help="real: wall time, optionally sped up; virtual: stands still until "
                            "POST /_fakeexports/clock/advance (default real)")
    serve.add_argument("--speed", type=float,
                       help="real clock only: how many fake seconds pass per real second (default 1)")
    serve.add_argument("--start", help="virtual clock only: start time, RFC 3339 (default 2026-01-15T12:00:00Z)")
    serve.add_argument("--seed", type=int, help="random seed for every id and generated record (default 0)")
    serve.add_argument("--fixtures", help="fixture file or folder to load at start and after each reset "
                                          "(default: the bundled fixtures/; 'none' for nothing)")
    serve.add_argument("--strict", action=argparse.BooleanOptionalAction, default=None,
                       help="validate every response against the spec; a mismatch answers 500 and is "
                            "journaled (default off for serve, on in tests)")
    serve.add_argument("--public-url", help="origin for every URL the fake emits (links, Location, "
                                            "downloads), e.g. https://fake.example.test")
    serve.add_argument("--credentials", help="credentials file: accept only the credentials it lists")
    serve.add_argument("--vendors", help="comma-separated vendors to serve (default all)")
    serve.add_argument("--state", metavar="PATH", help="keep the state in this SQLite file (WAL) across restarts: "
                       "every answer is sent after its change is written; a new file starts from the fixtures")
    serve.add_argument("--control-token", help="require 'Authorization: Bearer <token>' on the control API "
                       "/_fakeexports/ (its health check stays open); for a fake shared by a team or a fleet")
    serve.add_argument("--webhook-timeout", type=float, help="real seconds a webhook or callback attempt may "
                       "take before it counts as failed and is retried on the clock (default 5)")
    serve.add_argument("--proxy", action=argparse.BooleanOptionalAction, default=None,
                       help="also answer HTTP CONNECT for the vendors' real host names (HTTPS_PROXY=<this server>), "
                            "terminating TLS with certificates from the fake's own CA; other hosts get a 403, "
                            "nothing is forwarded (default on)")
    serve.add_argument("--ca-dir", help="where the fake's CA is made and kept (default "
                                        "$XDG_DATA_HOME/fakeexports/ca, i.e. ~/.local/share/fakeexports/ca)")
    serve.add_argument("--tls", action=argparse.BooleanOptionalAction, default=None,
                       help="serve HTTPS on the port, with a certificate from the fake's CA for localhost, "
                            "127.0.0.1 and the --public-url host (or --tls-cert/--tls-key)")
    serve.add_argument("--tls-cert", help="PEM certificate chain for --tls (may hold the key too); implies --tls")
    serve.add_argument("--tls-key", help="PEM private key for --tls-cert")
    serve.add_argument("--webhook-allow", help="comma-separated hosts (wildcards: *.example.com) and networks "
                       "(10.0.0.0/8) webhooks and callbacks may call; others are refused and logged (default: any)")
    for key, option in declared:  # the vendors' own options, from their declarations
        flag = "--" + key.replace("_", "-")
        vendor = key[: -len(option.name) - 1]
        text = f"{vendor}: {option.help} (default {option.default})"
        if option.type is bool:
            serve.add_argument(flag, dest=key, action=argparse.BooleanOptionalAction, default=None, help=text)
        else:
            serve.add_argument(flag, dest=key, type=option.parse, default=None, help=text,
                               metavar=option.type.__name__.upper() if option.choices is None else None,
                               choices=option.choices)
    ca = sub.add_parser("ca", help="print the path of the fake's CA certificate (made if missing): trust it with "
                                   "REQUESTS_CA_BUNDLE / SSL_CERT_FILE", description="Print the CA certificate's path.")
    ca.add_argument("--ca-dir", help="default: FAKEEXPORTS_CA_DIR or $XDG_DATA_HOME/fakeexports/ca")
    ctl.add_parsers(sub)  # advance, clock, jobs, reset, journal, faults: a running server's control API
    health = sub.add_parser("health", help="exit 0 when a local server answers its health check (Docker "
                                           "HEALTHCHECK)", description="Check a running server's health.")
    health.add_argument("--host", default="127.0.0.1")
    health.add_argument("--port", type=int, help="default: FAKEEXPORTS_PORT or 8080")
    return parser


def health_check(host: str, port: int, https: bool = False) -> int:
    """0 when the server answers its health check. A port that does not speak the scheme tried first is asked
    with the other (``serve --tls`` given as a flag, which the environment does not show)."""
    import http.client
    import ssl
    import urllib.request

    problem = ""
    for secure in (https, not https):
        url = f"{'https' if secure else 'http'}://{host}:{port}/_fakeexports/health"
        # a local check of --tls: whether it answers, not whose certificate it shows
        context = ssl._create_unverified_context() if secure else None
        try:
            with urllib.request.urlopen(url, timeout=3, context=context) as resp:
                if resp.status == 200:
                    return 0
                problem = f"{url} answered {resp.status}"
        except ConnectionRefusedError as exc:
            problem = f"{url}: {exc}"
            break  # nothing listens: the other scheme will not do better
        except (OSError, http.client.HTTPException) as exc:
            problem = f"{url}: {exc}"
    print(f"fakeexports: unhealthy: {problem}", file=sys.stderr)
    return 1


def settings_from(args: argparse.Namespace, declared: Sequence[tuple[str, Option]] = ()) -> Settings:
    overrides = {
        "host": args.host, "port": args.port, "clock": args.clock, "speed": args.speed, "start": args.start,
        "seed": args.seed, "fixtures": args.fixtures, "strict": args.strict, "public_url": args.public_url,
        "credentials": args.credentials,
        "vendors": tuple(v.strip() for v in args.vendors.split(",") if v.strip()) if args.vendors else None,
        "proxy": args.proxy, "ca_dir": args.ca_dir, "tls": True if args.tls_cert else args.tls,
        "tls_cert": args.tls_cert, "tls_key": args.tls_key,
        "control_token": args.control_token, "webhook_timeout": args.webhook_timeout, "state": args.state,
        "webhook_allow": tuple(v.strip() for v in args.webhook_allow.split(",") if v.strip())
        if args.webhook_allow else None,
        **{key: getattr(args, key, None) for key, _ in declared},
    }
    return Settings.from_env(options=declared, **overrides)


class _OneLineBadRequests(logging.Filter):
    """aiohttp logs a full traceback for every request its parser rejects (a NUL in a header...); a fake
    that is fuzzed on purpose should say it in one line."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, BadHttpMessage):
            record.msg, record.args, record.exc_info = "rejected a malformed HTTP request: %s", (exc.message,), None
        return True


# SIGTERM or SIGINT: stop accepting, give in-flight requests this long to finish, flush, exit 0 (within 5 s).
SHUTDOWN_GRACE = 3.0


async def serve(settings: Settings) -> None:
    logging.getLogger("aiohttp.server").addFilter(_OneLineBadRequests())
    app = create_app(settings)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=SHUTDOWN_GRACE)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):  # before anything is printed: a signal from then on is graceful
        loop.add_signal_handler(sig, stop.set)
    await runner.setup()
    site = await listen(runner, settings)
    port = int(runner.addresses[0][1]) if runner.addresses else settings.port
    shown = "127.0.0.1" if settings.host in ("0.0.0.0", "::") else settings.host
    scheme = settings.scheme
    for name, url in vendor_base_urls(settings, shown, port).items():
        print(f"{name:<11} {url}", flush=True)
    print(f"{'control':<11} {scheme}://{shown}:{port}/_fakeexports/  (clock: {settings.clock}, "
          f"strict: {'on' if settings.strict else 'off'})", flush=True)
    if site.tunnels is not None:
        try:
            path = ca.ensure(settings.ca_dir)  # made on the first start; loaded on the first tunnel
        except (OSError, ValueError) as exc:
            print(f"fakeexports: WARNING: no CA, tunnels will be refused: {exc} (set --ca-dir)", file=sys.stderr,
                  flush=True)
        else:
            print(f"{'proxy':<11} HTTPS_PROXY={scheme}://{shown}:{port} REQUESTS_CA_BUNDLE={path} "
                  f"SSL_CERT_FILE={path}", flush=True)
    if not _loopback(settings.host) and not settings.control_token:
        print(f"fakeexports: WARNING: listening on {settings.host} without --control-token: anyone who can reach "
              "it can reset it, move its clock and inject faults", file=sys.stderr, flush=True)
    try:
        await stop.wait()
        print("fakeexports: stopping (finishing in-flight requests)", flush=True)
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
        await runner.cleanup()  # closes the listeners, waits for in-flight requests, runs the app's cleanup
    print("fakeexports: stopped", flush=True)


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def main(argv: Sequence[str] | None = None) -> int:
    declared = vendor_options()
    parser = build_parser(declared)
    args = parser.parse_args(argv)
    if args.command in ctl.COMMANDS:
        return ctl.run(args)
    if args.command == "health":
        env = Settings.from_env()
        return health_check(args.host, args.port or env.port, env.https)
    if args.command == "ca":
        try:
            print(ca.CertificateAuthority(args.ca_dir or Settings.from_env().ca_dir).cert_path)  # loaded: checked
        except (OSError, ValueError) as exc:
            print(f"fakeexports: {exc}", file=sys.stderr)
            return 1
        return 0
    try:
        settings = settings_from(args, declared)
    except (ValueError, TypeError) as exc:
        parser.error(str(exc))
    try:
        import uvloop  # optional: a faster event loop when installed
    except ImportError:
        runner = asyncio.run
    else:
        runner = uvloop.run
    try:
        runner(serve(settings))
    except KeyboardInterrupt:
        pass
    except (OSError, ValueError) as exc:
        print(f"fakeexports: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
