"""The command line: ``fakeexports serve [options]`` (also ``python -m fakeexports``)."""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import logging
import signal
import sys
from collections.abc import Sequence
from typing import Any

from aiohttp.http_exceptions import BadHttpMessage

from . import ca, ctl
from . import options as opts
from .app import create_app, make_runner, vendor_base_urls
from .options import Option
from .persist import StateError
from .proxy import listen
from .settings import Settings, parse_value
from .settings import declared as declared_settings
from .vendors import discover


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("fakeexports")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "(not installed)"


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
    parser.add_argument("--version", action="version", version=f"fakeexports {_version()}")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the fake server", description="Run the fake server.")
    for f in settings_fields():  # each setting's flag, from its one declaration (settings.py)
        flag, meta, text = "--" + f.name.replace("_", "-"), f.metadata, str(f.type)
        if "bool" in text:
            serve.add_argument(*([meta["short"]] if meta.get("short") else []), flag, dest=f.name,
                               action=argparse.BooleanOptionalAction, default=None, help=meta["help"])
        else:
            serve.add_argument(flag, dest=f.name, default=None, help=meta["help"], choices=meta["choices"],
                               metavar=meta["metavar"], type=_parser(f.name, text))
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
    verify = sub.add_parser("verify", help="run a vendor's recipe against the real vendor and against a fake here, "
                                           "and report where the fake drifts", description="Check the fake against "
                            "the real vendor: says what it will send first, sends nothing without --yes.",
                            epilog="exit codes: 0 no drift, 1 drift, 2 nothing sent (no --yes, or a usage error)")
    verify.add_argument("vendor")
    verify.add_argument("--url", required=True, help="the vendor's API as its clients reach it, its version path "
                        "included (e.g. https://api.example.com/v3)")
    verify.add_argument("--credentials", required=True, metavar="FILE", help="YAML or JSON: the fields the vendor's "
                        "client is configured with (README: 'Verify the fake'); never printed or saved")
    verify.add_argument("--yes", action="store_true", help="go ahead: the run creates one small export")
    verify.add_argument("--poll", type=float, metavar="SECONDS", help="seconds between polls of the real vendor "
                        "(default: the vendor's lint interval)")
    verify.add_argument("--timeout", type=float, default=900.0, metavar="SECONDS",
                        help="give up on the job after this long (default 900)")
    verify.add_argument("--junit", metavar="FILE", help="write the checks as JUnit XML")
    verify.add_argument("--save", metavar="DIR", help="save the real run's transcript there, secrets removed")
    imp = sub.add_parser("import", help="turn recordings of a vendor's API (a verify transcript, a HAR file, a "
                         "vcrpy cassette, a Postman collection) into conformance corpus entries",
                         description="Write each recording as corpus entries under DIR/VENDOR/, secrets removed.")
    imp.add_argument("vendor")
    imp.add_argument("files", nargs="+", metavar="FILE")
    imp.add_argument("--out", default="conformance", metavar="DIR", help="the corpus folder (default conformance)")
    imp.add_argument("--header", action="append", metavar="'NAME: VALUE'", help="add this header to every recorded "
                     "request (what the recording left out, e.g. an API version header); repeatable")
    conf = sub.add_parser("conformance", help="replay every corpus entry under DIR against a fresh fake and report "
                          "the drift", description="Check the fake against a corpus `fakeexports import` wrote.",
                          epilog="exit codes: 0 no drift, 1 drift")
    conf.add_argument("folder", nargs="?", default="conformance", metavar="DIR")
    conf.add_argument("--vendor", help="only this vendor's entries")
    conf.add_argument("--junit", metavar="FILE", help="write the checks as JUnit XML")
    health = sub.add_parser("health", help="exit 0 when a local server answers its health check (Docker "
                                           "HEALTHCHECK)", description="Check a running server's health.")
    health.add_argument("--host", default="127.0.0.1")
    health.add_argument("--port", type=int, help="default: FAKEEXPORTS_PORT or 8080")
    health.add_argument("--url", help="a server elsewhere, e.g. http://fake:8080 (instead of --host and --port)")
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


def health_url(url: str) -> int:
    """0 when the server at ``url`` answers its health check (its certificate checked, for https)."""
    import http.client
    import urllib.request

    target = url.rstrip("/") + "/_fakeexports/health"
    try:
        with urllib.request.urlopen(target, timeout=3) as resp:
            if resp.status == 200:
                return 0
            problem = f"{target} answered {resp.status}"
    except (OSError, http.client.HTTPException, ValueError) as exc:
        problem = f"{target}: {exc}"
    print(f"fakeexports: unhealthy: {problem}", file=sys.stderr)
    return 1


def settings_from(args: argparse.Namespace, declared: Sequence[tuple[str, Option]] = ()) -> Settings:
    """The serve command's settings: its flags over the environment over the defaults."""
    overrides = {f.name: getattr(args, f.name, None) for f in settings_fields()}
    overrides.update({key: getattr(args, key, None) for key, _ in declared})
    return Settings.from_env(options=declared, **overrides)


def _parser(name: str, text: str) -> Any:
    def parse(raw: str) -> Any:
        return parse_value(name, raw)

    parse.__name__ = text.split(" ")[0]  # argparse names the type in its message: "invalid int value: 'x'"
    return parse


def settings_fields() -> list[Any]:
    return [f for f in declared_settings() if f.metadata["flag"]]


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
    runner = make_runner(app, shutdown_timeout=SHUTDOWN_GRACE)
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
    print(f"{'dashboard':<11} {scheme}://{shown}:{port}/_fakeexports/ui", flush=True)
    if site.tunnels is not None and site.tunnels.recorder is not None:
        print(f"{'recording':<11} tunnels to {', '.join(site.tunnels.recorder.hosts)} go to the real vendor; "
              f"transcripts in {settings.record}", flush=True)
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
    if args.command in ("import", "conformance"):
        from . import replay

        return replay.import_main(args) if args.command == "import" else replay.conformance_main(args)
    if args.command == "verify":
        from . import verify

        return verify.main(args)
    if args.command == "health":
        env = Settings.from_env()
        if args.url:
            return health_url(args.url)
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
    except StateError as exc:  # --state names a file this server cannot use: one line saying why, exit 2
        print(f"fakeexports: {exc}", file=sys.stderr)
        return 2
    except (OSError, ValueError) as exc:
        print(f"fakeexports: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
