"""A recording replayed against a fresh fake and compared, exchange by exchange, as ``fakeexports conformance``
does for the corpus a user imported (``fakeexports import``).

The fake has an account of its own (its credentials file lists only it); every recorded request is sent with that
account's credentials instead of the recorded ones, under the fake's mount. What the recording's answers named is
mapped onto what the fake's answers named at the same place (ids, links), so a later request for the recorded job
asks for the fake's. A request for a job the recording never created here (a Postman example on its own) first
creates one through the vendor's recipe. A poll waits, on the fake's virtual clock, until the fake's job shows the
status the recording saw. Each answer is compared as verify compares its runs (verify.compare_exchange: status,
content type, Location, meaningful headers, the body's shape; a file's format and columns)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from yarl import URL

from .recipe import Answer, Call, Driver, RecipeError, fill, pick
from .shape import Rules
from .transcript import SECRET_HEADER, SECRET_HEADERS, Exchange, Transcript, date_of
from .vendor import Vendor
from .verify import (
    IDS,
    RECORDS_PER_DAY,
    WORDS,
    Check,
    compare_exchange,
    compare_files,
    fake_account,
    file_shape,
    neutral_json,
)

HOP = frozenset({"host", "content-length", "connection", "transfer-encoding", "accept-encoding", "user-agent",
                 "postman-token", "cookie"})
POLL_WAITS = 40  # status changes a replayed poll may wait through for the recorded status


@dataclass
class Replay:
    vendor: Vendor
    origin: str  # the fake's
    session: aiohttp.ClientSession
    vars: dict[str, Any]
    mapped: dict[str, str] = field(default_factory=dict)  # recorded id or link -> the fake's

    @property
    def recipe(self) -> Any:
        return self.vendor.recipe

    def headers(self) -> dict[str, str]:
        return {k: str(fill(v, self.vars, 0.0)) for k, v in self.recipe.headers.items()}

    def spoiled_headers(self) -> dict[str, str]:
        spoiled = {k: (str(v) + "x" if k in (*self.recipe.credentials, "token") else v) for k, v in self.vars.items()}
        return {k: str(fill(v, spoiled, 0.0)) for k, v in self.recipe.headers.items()}

    async def send(self, method: str, url: str, headers: Mapping[str, str], body: bytes) -> Exchange:
        async with self.session.request(method, URL(url, encoded=True), headers=dict(headers), data=body or None,
                                        allow_redirects=False) as resp:
            data = await resp.read()
            answered = {str(k): str(v) for k, v in resp.headers.items()}
        return Exchange("replayed", method, url, dict(headers), body, resp.status, answered, data, date_of(answered))

    def driver(self) -> Driver:
        async def send(method: str, target: str, *, headers: dict[str, str], data: Any) -> Answer:
            from urllib.parse import urlencode

            if isinstance(data, dict):
                data = urlencode(data).encode()
                headers = {**headers, "Content-Type": "application/x-www-form-urlencoded"}
            url = target if target.startswith("http") else self.origin + target
            e = await self.send(method, url, headers, data or b"")
            return Answer(e.status, e.headers, e.body)

        d = Driver(self.recipe, str(self.vars.get("tenant", self.recipe.tenants[0])), send=send,
                   advance=self.advance, now=self.now, mount=self.vendor.mount, credentials=self.vars)
        return d

    async def advance(self, seconds: float) -> None:
        async with self.session.post(self.origin + "/_fakeexports/clock/advance", json={"seconds": seconds}) as r:
            r.raise_for_status()

    async def now(self) -> float:
        async with self.session.get(self.origin + "/_fakeexports/clock") as r:
            return float((await r.json())["epoch"])

    async def next_change(self, job: str) -> float | None:
        async with self.session.get(self.origin + f"/_fakeexports/jobs?vendor={self.vendor.name}") as r:
            jobs = (await r.json())["jobs"]
        found = next((j for j in jobs if j["id"] == job), None)
        if found is None or not found.get("next_change"):
            return None
        return datetime.fromisoformat(found["next_change"].replace("Z", "+00:00")).timestamp()


def _template(path: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(path)) + "$")


def vendor_path(vendor: Vendor, url: str, base: str) -> str:
    """A recorded URL's path and query below the vendor's API root (its recorded base, host path or mount)."""
    parts = urlsplit(url)
    path = parts.path
    for prefix in (urlsplit(base).path.rstrip("/") if base else "", vendor.host_path, vendor.mount):
        if prefix and (path == prefix or path.startswith(prefix + "/")):
            path = path[len(prefix):]
            break
    return path + (f"?{parts.query}" if parts.query else "")


def _substitute(text: str, mapped: Mapping[str, str]) -> str:
    for recorded, fake in sorted(mapped.items(), key=lambda kv: -len(kv[0])):
        if recorded and recorded in text:
            text = text.replace(recorded, fake)
    return text


def learn(recorded: Any, fake: Any, mapped: dict[str, str]) -> None:
    """What the recorded answer named (ids, links) mapped to what the fake's named at the same place."""
    if isinstance(recorded, dict) and isinstance(fake, dict):
        for key, value in recorded.items():
            if key in fake:
                learn(value, fake[key], mapped)
    elif isinstance(recorded, list) and isinstance(fake, list):
        for r, f in zip(recorded, fake, strict=False):
            learn(r, f, mapped)
    elif (isinstance(recorded, str) and isinstance(fake, str) and recorded != fake
          and (recorded.startswith(("http://", "https://")) or IDS.fullmatch(recorded))):
        mapped[recorded] = fake
        for r_id, f_id in zip(IDS.findall(recorded), IDS.findall(fake), strict=False):  # a link's ids too
            mapped.setdefault(r_id, f_id)


async def presuppose(r: Replay, recorded_id: str) -> None:
    """A job for a recorded id the replay has not met: made through the recipe, its id mapped."""
    d = r.driver()
    if r.recipe.login:
        await d.login()
    job = await d.create()
    r.mapped[recorded_id] = job


async def wait_for(r: Replay, url: str, headers: Mapping[str, str], job: str, word: str) -> Exchange:
    """The poll sent again after each status change of the fake's job until it shows ``word`` (or cannot)."""
    where = r.recipe.poll.save.get("status", "")
    e = await r.send("GET", url, headers, b"")
    for _ in range(POLL_WAITS):
        try:
            seen = str(pick(Answer(e.status, e.headers, e.body), where))
        except (RecipeError, ValueError):
            return e
        if seen == word:
            return e
        when = await r.next_change(job)
        if when is None:
            return e
        await r.advance(max(0.0, when - await r.now()) + 0.001)
        e = await r.send("GET", url, headers, b"")
    return e


async def step(r: Replay, e: Exchange, base: str, label: str, rules: Rules) -> list[Check]:
    recipe, root = r.recipe, r.origin + r.vendor.mount
    mapped = r.mapped.get(e.url)  # a link an earlier answer gave: the fake's own instead
    if mapped is not None and not mapped.startswith(root + "/"):  # a signed file link carries its own auth
        return _compared(e, await r.send(e.method, mapped, {}, b""), label, rules, r)
    if mapped is None and (urlsplit(e.url).path.startswith("/_s3/") or "X-Amz-Signature" in e.url):
        return [Check("link", label, True, "a signed link from elsewhere", "not replayed: no answer named it")]
    path = mapped[len(root):] if mapped is not None else _substitute(vendor_path(r.vendor, e.url, base), r.mapped)
    login = next((c for c in recipe.login if _template(c.path).match(path.split("?")[0])), None)
    if login is not None:
        return await _login(r, e, login, label, rules)
    poll = _template(recipe.poll.path).match(path.split("?")[0])
    if poll is not None and "job" in poll.groupdict() and poll["job"] not in r.mapped.values() \
            and IDS.fullmatch(poll["job"]) and e.status < 400:  # a job the recording found, not one it did not
        await presuppose(r, poll["job"])
        path = _substitute(path, r.mapped)
        poll = _template(recipe.poll.path).match(path.split("?")[0])
    target = root + path
    headers = {k: v for k, v in e.request_headers.items()
               if k.lower() not in SECRET_HEADERS | HOP and not SECRET_HEADER.search(k)}
    # the fake account's credentials; a refused one's replayed refused (the recording's own is not kept)
    headers.update(r.headers() if e.status not in (401, 403) else r.spoiled_headers())
    if poll is not None and e.method == "GET":
        word = _recorded_status(e, recipe.poll.save.get("status", ""))
        if word is not None:
            return _compared(e, await wait_for(r, target, headers, poll["job"], word), label, rules, r)
    body = _substitute(e.request_body.decode("utf-8", "replace"), r.mapped).encode() if e.request_body else b""
    return _compared(e, await r.send(e.method, target, headers, body), label, rules, r)


async def _login(r: Replay, e: Exchange, login: Call, label: str, rules: Rules) -> list[Check]:
    d = r.driver()
    answer = await d.call(replace(login, status=tuple(range(100, 600))))  # its answer, whatever it is
    r.vars.update({k: v for k, v in d.vars.items() if k in login.save})
    fake = Exchange("replayed", login.method, login.path, {}, b"", answer.status, dict(answer.headers), answer.body)
    return _compared(e, fake, label, rules, r)


def _recorded_status(e: Exchange, where: str) -> str | None:
    if not where or (e.status >= 300 and e.status not in (300, 302, 303)):
        return None
    try:
        return str(pick(Answer(e.status, e.headers, e.body), where))
    except (RecipeError, ValueError):  # not JSON, or no status there: nothing to wait for
        return None


def _compared(recorded: Exchange, fake: Exchange, label: str, rules: Rules, r: Replay) -> list[Check]:
    learn(recorded.json(), fake.json(), r.mapped)
    for name in ("Location",):
        rl, fl = recorded.header(name), fake.header(name)
        if rl and fl:
            r.mapped[rl] = fl if fl.startswith("http") else r.origin + fl
    checks = compare_exchange(recorded, fake, label, rules)
    if not recorded.headers:  # a documented example without its headers: nothing to compare them with
        checks = [c for c in checks if c.aspect not in ("headers", "content type", "location")]
    if recorded.status == 200 and recorded.json() is None and recorded.body and fake.status == 200:
        shape = file_shape(recorded.body)
        if shape.format != "empty":
            checks += [replace_step(c, label) for c in compare_files(recorded, fake)]
    return checks


def replace_step(c: Check, label: str) -> Check:
    return Check(c.aspect, label, c.ok, c.real, c.fake)


async def replay(vendor: Vendor, transcript: Transcript) -> list[Check]:
    """Every check of one recording replayed against a fresh fake."""
    import tempfile

    from aiohttp.test_utils import TestServer

    from .app import create_app
    from .settings import Settings

    assert vendor.recipe is not None, f"{vendor.name} declares no recipe"
    first = next((e.at for e in transcript.exchanges if isinstance(e.at, int | float) and 0 < e.at < 2e10), None)
    start = datetime.fromtimestamp(first or datetime.now(UTC).timestamp(), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    with tempfile.TemporaryDirectory(prefix="fakeexports-replay-") as folder:
        creds = fake_account(vendor, Path(folder))
        app = create_app(Settings(clock="virtual", start=start, strict=True, fixtures="none", port=0,
                                  credentials=str(Path(folder) / "credentials.yaml")))
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    origin = str(server.make_url("")).rstrip("/")
    rules = Rules(base_path=urlsplit(transcript.base).path.rstrip("/") if transcript.base else vendor.host_path,
                  mount=vendor.mount, hosts=tuple(h for h in vendor.hosts if "*" not in h), counts=False,
                  words=WORDS)
    checks: list[Check] = []
    try:
        async with aiohttp.ClientSession() as session:
            r = Replay(vendor, origin, session, dict(creds))
            account = creds.get("tenant") or next(iter(creds.values()), "")
            async with session.post(f"{origin}/_fakeexports/tenants/{vendor.name}/{account}",
                                    json={"records_per_day": RECORDS_PER_DAY}) as resp:
                resp.raise_for_status()
            for n, e in enumerate(transcript.exchanges, 1):
                try:
                    label = f"{n} {e.step} {e.method} {_neutral_path(vendor, e.url, transcript.base)}"
                except ValueError:
                    label = f"{n} {e.step} {e.method} (a URL that is none)"
                try:
                    checks += await step(r, e, transcript.base, label, rules)
                except (RecipeError, ValueError, aiohttp.ClientError) as exc:  # a recording it cannot replay: said
                    checks.append(Check("replay", label, False, f"could not be replayed: {exc}"[:300], ""))
    finally:
        await server.close()
    return checks


def _neutral_path(vendor: Vendor, url: str, base: str) -> str:
    return str(neutral_json(vendor_path(vendor, url, base).split("?")[0], ()))


# --- the commands --------------------------------------------------------------------------------------------------
def import_main(args: Any) -> int:
    """``fakeexports import VENDOR FILE... --out DIR``: each recording as corpus entries (transcripts, secrets
    removed) under DIR/VENDOR/; exit 0, or 2 for a file that is not a recording."""
    import sys

    from .recordings import RecordingError, read
    from .vendors import discover

    vendor = discover().get(args.vendor)
    if vendor is None or vendor.recipe is None:
        print(f"fakeexports: no vendor {args.vendor!r} with a recipe", file=sys.stderr)
        return 2
    folder = Path(args.out) / vendor.name
    written = 0
    extra = {}
    for given in args.header or ():
        key, sep, value = given.partition(":")
        if not sep or not key.strip():
            print(f"fakeexports: --header takes 'Name: value', not {given!r}", file=sys.stderr)
            return 2
        extra[key.strip()] = value.strip()
    for name in args.files:
        try:
            transcripts = read(Path(name), vendor.name)
        except (OSError, RecordingError) as exc:
            print(f"fakeexports: {exc}", file=sys.stderr)
            return 2
        stem = Path(name).stem + (f"-{Path(name).suffix[1:]}" if Path(name).suffix else "")  # run.har: run-har
        for i, t in enumerate(transcripts, 1):
            for e in t.exchanges:  # what the recording left out and the vendor reads (an API version)
                e.request_headers.update(extra)
            label = stem if len(transcripts) == 1 else f"{stem}-{i:03d}"
            t.save(folder, re.sub(r"[^\w.-]", "_", label) + ".json")
            written += 1
    print(f"{written} corpus entr{'y' if written == 1 else 'ies'} in {folder}: run `fakeexports conformance "
          f"{args.out}` to check the fake against them")
    return 0


def conformance_main(args: Any) -> int:
    """``fakeexports conformance DIR``: every corpus entry under DIR replayed against a fresh fake; a table of the
    drift of each; exit 1 when there is any."""
    import asyncio

    from .vendors import discover
    from .verify import drift_table, save_junit

    vendors = discover()
    entries = sorted(Path(args.folder).glob("*/*.json"))
    all_checks: list[Check] = []
    for path in entries:
        vendor = vendors.get(path.parent.name)
        if vendor is None or (args.vendor and args.vendor != vendor.name):
            continue
        try:
            transcript = Transcript.load(path)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            print(f"{path}: UNREADABLE ({type(exc).__name__}: {exc})"[:300])
            all_checks.append(Check("entry", path.stem, False, "unreadable", ""))
            continue
        checks = asyncio.run(replay(vendor, transcript))
        failed = [c for c in checks if not c.ok]
        print(f"{path}: {'ok' if not failed else 'DRIFT'} ({len(checks) - len(failed)}/{len(checks)} checks)")
        if failed:
            print("  " + drift_table(checks).replace("\n", "\n  "))
        all_checks += [Check(c.aspect, f"{path.stem}: {c.step}", c.ok, c.real, c.fake) for c in checks]
    if args.junit:
        save_junit(Path(args.junit), "corpus", all_checks, 0.0)
    if not entries:
        print(f"no corpus entries under {args.folder} (DIR/VENDOR/*.json: `fakeexports import` writes them)")
    return 1 if any(not c.ok for c in all_checks) else 0
