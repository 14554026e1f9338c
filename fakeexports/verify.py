"""``fakeexports verify``: run a vendor's recipe against the real vendor and against a fake started here with the
same scenario, and report where the fake drifts.

The recipe (fakeexports/recipe.py, the one the shared suite runs) is the scenario: log in, create one small export,
poll it until done, follow its redirects to the file, list the jobs, three deliberate bad requests (an unknown job,
a wrong credential, a create with a bad date), and delete it where the API allows. Against the vendor it polls at
the vendor's own lint interval (its rule poll-too-fast), in real time; against the fake (virtual clock started at
the real now) it moves the clock a second at a time, so that every status and its length are seen.

The two transcripts are compared after what must differ is normalised away (ids, times, request ids, tokens,
signatures, record values): each step's status code; the statuses a job went through, in order, and how long each
lasted by the answers' Date headers; the headers that carry meaning (content type, Location's form and path,
request-id and rate-limit headers); the JSON bodies' field names, types and nullability (fakeexports/shape.py, as
the conformance corpus); the error envelopes of the bad requests; pagination links and meta; the redirects' kinds;
the file's compression, format, columns in order, their types, line endings and quoting. Each comparison is a check;
a check that fails is a drift."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import gzip
import io
import json
import re
import tempfile
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit
from xml.sax.saxutils import escape, quoteattr

import aiohttp
from yarl import URL

from . import progress
from .recipe import Answer, Call, Driver, Recipe, RecipeError, fill
from .shape import Rules, compare, compare_url, string_format
from .transcript import Exchange, Transcript, date_of
from .vendor import Vendor

ANY_STATUS = tuple(range(100, 600))
WORDS = frozenset({"status", "type", "format", "code"})  # members whose value is a word, compared exactly
RECORDS_PER_DAY = 200  # of the fake's account: a day of it always has a file
FAKE_STEP = 1.0  # seconds the fake's clock moves between polls: every status seen, and its length to a second
MEANINGFUL = re.compile(r"(request-id|requestid|ratelimit|rate-limit|retry-after|concurrent-requests|"
                        r"request-duration|^content-encoding$|^etag$)", re.IGNORECASE)
_DATEISH = re.compile(r"\{now:[^{}]*\}")


# --- running the recipe, recording every exchange ------------------------------------------------------------------
@dataclass
class Side:
    """Where a run goes: an origin and the vendor's path below it, how time passes there, how often to poll."""

    origin: str
    mount: str
    poll: float
    advance: Callable[[float], Awaitable[None]]
    now: Callable[[], Awaitable[float]]
    credentials: Mapping[str, str] | None = None
    tenant: str | None = None
    finished: tuple[str, ...] = ()  # the statuses a job ends in (the vendor's poll_finished rule): polling stops


def bad_create(call: Call) -> Call:
    """The recipe's create with every date in its body made ``not-a-date``: a request every vendor refuses, so a
    real account gets nothing made by it."""
    def spoil(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: spoil(v) for k, v in value.items()}
        if isinstance(value, str) and _DATEISH.search(value):
            return "not-a-date"
        return value
    return replace(call, json=spoil(call.json) if call.json is not None else None,
                   form=spoil(dict(call.form)) if call.form is not None else None, status=ANY_STATUS, save={})


async def run(vendor: Vendor, side: Side, session: aiohttp.ClientSession, timeout: float) -> Transcript:
    """The recipe against one side, every exchange recorded; a step that answers what the recipe does not expect
    ends the run (its error in the transcript) after the bad requests, which run whatever happened."""
    recipe = vendor.recipe
    assert recipe is not None
    transcript = Transcript(vendor.name, side.origin + side.mount)
    step = ["start"]

    async def send(method: str, target: str, *, headers: dict[str, str], data: Any) -> Answer:
        url = target if target.startswith("http") else side.origin + target
        if isinstance(data, dict):  # a form, encoded here so that the transcript has the bytes sent
            data = urlencode(data).encode()
            headers = {**headers, "Content-Type": "application/x-www-form-urlencoded"}
        sent = data if isinstance(data, bytes) else b""
        async with session.request(method, URL(url, encoded=True), headers=headers, data=data,
                                   allow_redirects=False) as resp:
            body = await resp.read()
            answered = {str(k): str(v) for k, v in resp.headers.items()}
        transcript.exchanges.append(Exchange(step[0], method, url, dict(headers), bytes(sent), resp.status, answered,
                                             body, date_of(answered)))
        return Answer(resp.status, answered, body)

    d = Driver(recipe, side.tenant or recipe.tenants[0], send=send, advance=side.advance, now=side.now,
               mount=side.mount, credentials=side.credentials)
    try:
        await _lifecycle(d, recipe, side, step, transcript, timeout)
    except RecipeError as exc:
        transcript.error = str(exc)
    except (aiohttp.ClientError, TimeoutError, OSError, ValueError) as exc:  # unreachable, or an answer that is not
        transcript.error = f"{step[0]}: {type(exc).__name__}: {exc}"     # what it says (HTML for JSON): said
    await _bad_requests(d, recipe, step)
    if recipe.delete is not None and "job" in d.vars:  # what it made goes, whatever happened
        step[0] = "delete"
        await _try(d.call(recipe.delete))
    return transcript


async def _lifecycle(d: Driver, recipe: Recipe, side: Side, step: list[str], transcript: Transcript,
                     timeout: float) -> None:
    step[0] = "login"
    await d.login()
    step[0] = "create"
    await d.create()
    step[0] = "poll"
    started = time.monotonic()
    finished = {recipe.done.lower(), *(s.lower() for s in side.finished)}
    with progress.status(f"{side.origin}: the job") as say:  # minutes against a real account: say where it is
        while True:
            status = await d.status()
            say(status)
            transcript.exchanges[-1].status_word = status
            if status.lower() in finished:
                break
            if time.monotonic() - started > timeout:
                raise RecipeError(f"the job was not {recipe.done} after {timeout:g} s (last {status})")
            await side.advance(side.poll)
    for i, call in enumerate(recipe.download, 1):
        step[0] = f"download {i}"
        await d.call(call)
    step[0] = "list"
    await d.call(recipe.listing)


async def _bad_requests(d: Driver, recipe: Recipe, step: list[str]) -> None:
    poll = replace(recipe.poll, status=ANY_STATUS, save={})
    step[0] = "bad: unknown job"
    job = str(d.vars.get("job") or "0")
    await _try(d.call(poll, job=job[:-4] + ("0000" if job[-4:] != "0000" else "1111")))
    step[0] = "bad: wrong credential"
    spoiled = {name: str(d.vars[name]) + "x" for name in (*recipe.credentials, "token") if name in d.vars}
    if recipe.login and "token" not in d.vars:
        spoiled["token"] = "x"
    saved = dict(d.vars)
    d.vars.update(spoiled)
    await _try(d.call(poll, job=job))
    d.vars.clear()
    d.vars.update(saved)
    step[0] = "bad: a date that is none"
    await _try(d.call(bad_create(recipe.create)))


async def _try(call: Awaitable[Any]) -> None:
    with contextlib.suppress(RecipeError, aiohttp.ClientError, TimeoutError, OSError, ValueError):
        await call


# --- comparing the two runs ------------------------------------------------------------------------------------------
@dataclass
class Check:
    aspect: str
    step: str
    ok: bool
    real: str = ""
    fake: str = ""


def _first(t: Transcript, step: str, last: bool = False) -> Exchange | None:
    found = [e for e in t.exchanges if e.step == step]
    return (found[-1] if last else found[0]) if found else None


def _pairs(real: Transcript, fake: Transcript, step: str) -> list[tuple[str, Exchange, Exchange | None]]:
    """The exchanges to compare for a step: its first on each side; for polls, the first that showed each status
    the real run saw (the two runs poll at different moments: a status is compared with the same status)."""
    if step != "poll":
        r = _first(real, step)
        return [] if r is None else [(step, r, _first(fake, step))]
    pairs: list[tuple[str, Exchange, Exchange | None]] = []
    for r in (e for e in real.exchanges if e.step == "poll"):
        if not any(label == f"poll: {r.status_word}" for label, _, _ in pairs):
            f = next((e for e in fake.exchanges if e.step == "poll" and e.status_word == r.status_word), None)
            pairs.append((f"poll: {r.status_word}", r, f))
    return pairs


def steps_of(t: Transcript) -> list[str]:
    seen: list[str] = []
    for e in t.exchanges:
        if e.step not in seen:
            seen.append(e.step)
    return seen


def compare_runs(real: Transcript, fake: Transcript, rules: Rules,
                 tenants: tuple[Sequence[str], Sequence[str]] = ((), ()), file_step: str = "") -> list[Check]:
    """Every check, passed or not. ``tenants``: what names each run's account (taken out of links); ``file_step``:
    the step whose answer is the file (the recipe's last download)."""
    checks: list[Check] = []
    if real.error or fake.error:
        checks.append(Check("run", "recipe", real.error == fake.error or (not real.error and not fake.error),
                            real.error or "ran to its end", fake.error or "ran to its end"))
    for step in steps_of(real):
        for label, r, f in _pairs(real, fake, step):
            if f is None:
                checks.append(Check("step", label, False, f"{r.method} answered {r.status}", "never reached"))
                continue
            checks += compare_exchange(r, f, label, rules, tenants)
    checks += compare_statuses(real, fake)
    real_file, fake_file = _file_of(real, file_step), _file_of(fake, file_step)
    if real_file is not None and fake_file is not None:
        checks += compare_files(real_file, fake_file)
    return checks


IDS = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
                  r"|(?<![A-Za-z0-9])[A-Z]{2}[0-9a-fA-F]{32}|[0-9a-fA-F]{24,}")


def neutral(text: str, tenants: Sequence[str] = ()) -> str:
    """Ids (UUIDs, SIDs, long hex) and the tenants' names taken out of a URL, so two runs' links compare by form."""
    for tenant in tenants:
        if len(tenant) >= 4:
            text = text.replace(tenant, "{tenant}")
    return IDS.sub("{id}", text)


def neutral_json(value: Any, tenants: Sequence[str]) -> Any:
    if isinstance(value, dict):
        return {k: neutral_json(v, tenants) for k, v in value.items()}
    if isinstance(value, list):
        return [neutral_json(v, tenants) for v in value]
    if isinstance(value, str) and value.startswith(("http://", "https://", "/")):
        return neutral(value, tenants)
    return value


def compare_exchange(r: Exchange, f: Exchange, label: str, rules: Rules,
                     tenants: tuple[Sequence[str], Sequence[str]] = ((), ())) -> list[Check]:
    checks = [Check("status", label, r.status == f.status, str(r.status), str(f.status))]
    rt, ft = _media(r.content_type), _media(f.content_type)
    checks.append(Check("content type", label, rt == ft, rt or "(none)", ft or "(none)"))
    checks.append(_location(r, f, label, rules, tenants))
    rn = sorted({k.lower() for k in r.headers if MEANINGFUL.search(k)})
    fn = sorted({k.lower() for k in f.headers if MEANINGFUL.search(k)})
    checks.append(Check("headers", label, rn == fn, ", ".join(rn) or "(none)", ", ".join(fn) or "(none)"))
    rj, fj = r.json(), f.json()
    if rj is not None and fj is not None and "json" in rt:
        problems = compare(neutral_json(rj, tenants[0]), neutral_json(fj, tenants[1]), rules)
        aspect = "error envelope" if label.startswith("bad:") or r.status >= 400 else "body"
        checks.append(Check(aspect, label, not problems, "; ".join(problems)[:300] if problems else "same shape",
                            "" if not problems else "(the fake's shape differs)"))
    return checks


def _media(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def _location(r: Exchange, f: Exchange, label: str, rules: Rules,
              tenants: tuple[Sequence[str], Sequence[str]]) -> Check:
    rl, fl = r.header("Location"), f.header("Location")
    rl, fl = (neutral(rl, tenants[0]) if rl else rl), (neutral(fl, tenants[1]) if fl else fl)
    if rl is None or fl is None:
        return Check("location", label, (rl is None) == (fl is None), (rl and "a Location") or "(none)",
                     (fl and "a Location") or "(none)")
    r_abs, f_abs = bool(urlsplit(rl).scheme), bool(urlsplit(fl).scheme)
    if r_abs != f_abs:
        return Check("location", label, False, "absolute" if r_abs else "relative",
                     "absolute" if f_abs else "relative")
    problems = compare_url(rl, fl, rules, "Location") if r_abs else []
    return Check("location", label, not problems, "; ".join(problems) or "same form", "")


def spans(seen: Sequence[tuple[str, float | None]]) -> tuple[list[str], dict[str, tuple[float, float]]]:
    """The statuses in the order first seen, and for each but the last the bounds of how long it lasted (from the
    polls' Date: seen from ``lower`` to ``upper`` seconds)."""
    order: list[str] = []
    first: dict[str, float] = {}
    last: dict[str, float] = {}
    for status, at in seen:
        if status not in first:
            order.append(status)
            first[status] = at or 0.0
        last[status] = at or 0.0
    bounds = {}
    for i, status in enumerate(order[:-1]):
        start = last[order[i - 1]] if i else first[status]
        bounds[status] = (last[status] - first[status], first[order[i + 1]] - start)
    return order, bounds


def compare_statuses(real: Transcript, fake: Transcript) -> list[Check]:
    r_order, r_spans = spans([(e.status_word or "", e.at) for e in real.exchanges if e.step == "poll"])
    f_order, f_spans = spans([(e.status_word or "", e.at) for e in fake.exchanges if e.step == "poll"])
    if not r_order:
        return []
    timed = all(e.at is not None for t in (real, fake) for e in t.exchanges if e.step == "poll")
    it = iter(f_order)
    in_order = all(status in it for status in r_order)  # the real ones, in order, among the fake's
    checks = [Check("statuses", "poll", in_order, " -> ".join(r_order), " -> ".join(f_order))]
    for status, (lower, upper) in r_spans.items():
        if status in f_spans and timed:  # an answer without Date tells no time
            fake_len = sum(f_spans[status]) / 2
            ok = lower / 2 - 2 <= fake_len <= upper * 2 + 2
            checks.append(Check("timing", f"poll: {status}", ok, f"{lower:g}-{upper:g} s", f"{fake_len:g} s"))
    return checks


@dataclass(frozen=True)
class FileShape:
    compression: str
    format: str
    columns: tuple[str, ...]
    types: tuple[str, ...]
    line_ending: str
    quoting: str


def _file_of(t: Transcript, step: str) -> Exchange | None:
    return next((e for e in t.exchanges if e.step == step and e.status == 200), None)


def file_shape(data: bytes) -> FileShape:
    """The form of a file; one that cannot be read as JSON, JSON lines or CSV is ``unreadable``."""
    try:
        return _file_shape(data)
    except (ValueError, csv.Error):
        return FileShape("gzip" if data[:2] == b"\x1f\x8b" else "none", "unreadable", (), (), "-", "-")


def _file_shape(data: bytes) -> FileShape:
    compression = "gzip" if data[:2] == b"\x1f\x8b" else "none"
    if compression == "gzip":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError):
            data = b""
    text = data.decode("utf-8", "replace")
    ending = "\\r\\n" if "\r\n" in text else ("\\n" if "\n" in text else "(one line)")
    lines = text.splitlines()
    first = lines[0] if lines else ""
    try:
        doc = json.loads(text) if text.strip() else None
    except ValueError:
        doc = None
    if isinstance(doc, dict):
        rows = next((v for v in doc.values() if isinstance(v, list)), [])
        cols = tuple(rows[0]) if rows and isinstance(rows[0], dict) else tuple(doc)
        return FileShape(compression, "json", cols, _types(rows[:50], cols), ending, "-")
    try:
        record = json.loads(first) if first.startswith("{") else None
    except ValueError:
        record = None
    if isinstance(record, dict):
        rows = [json.loads(line) for line in lines[:50] if line.startswith("{")]
        return FileShape(compression, "json lines", tuple(record), _types(rows, tuple(record)), ending, "-")
    table = list(csv.reader(io.StringIO(text)))[:51]
    cols = tuple(table[0]) if table else ()
    rows = [dict(zip(cols, row, strict=False)) for row in table[1:]]
    quoting = "every field quoted" if first.startswith('"') and first.count('"') >= 2 * len(cols) else "as needed"
    return FileShape(compression, "csv" if cols else "empty", cols, _types(rows, cols), ending, quoting)


def _types(rows: Sequence[Mapping[str, Any]], cols: Sequence[str]) -> tuple[str, ...]:
    out = []
    for col in cols:
        kinds = sorted({_kind(row.get(col)) for row in rows if isinstance(row, Mapping)} - {"empty"})
        out.append("|".join(kinds) or "empty")
    return tuple(out)


def _kind(value: Any) -> str:
    if value is None or value == "":
        return "empty"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        fmt = string_format(value)
        return "number" if fmt in ("integer-text", "decimal-text") else fmt.split("(")[0].split(":")[0]
    return type(value).__name__


def compare_files(r: Exchange, f: Exchange) -> list[Check]:
    rs, fs = file_shape(r.body), file_shape(f.body)
    checks = [Check("file: " + name, "download", getattr(rs, name) == getattr(fs, name),
                    _shown(getattr(rs, name)), _shown(getattr(fs, name)))
              for name in ("compression", "format", "columns", "line_ending", "quoting")]
    if rs.columns == fs.columns and rs.types and fs.types:
        differ = [f"{c}: {a} / {b}" for c, a, b in zip(rs.columns, rs.types, fs.types, strict=True)
                  if a != b and "empty" not in (a, b)]
        checks.append(Check("file: types", "download", not differ, "; ".join(differ)[:300] or "same", ""))
    return checks


def _shown(value: Any) -> str:
    return ", ".join(value) if isinstance(value, tuple) else str(value)


# --- the report ----------------------------------------------------------------------------------------------------
def drift_table(checks: Sequence[Check]) -> str:
    drift = [c for c in checks if not c.ok]
    if not drift:
        return f"no drift: {len(checks)} checks passed"
    width = max(len(c.aspect) for c in drift), max(len(c.step) for c in drift)
    lines = [f"{'ASPECT':<{width[0]}}  {'STEP':<{width[1]}}  REAL / FAKE"]
    for c in drift:
        lines.append(f"{c.aspect:<{width[0]}}  {c.step:<{width[1]}}  {c.real}" + (f"  /  {c.fake}" if c.fake else ""))
    return "\n".join(lines) + f"\n({len(drift)} drift of {len(checks)} checks)"


def junit(vendor: str, checks: Sequence[Check], seconds: float) -> str:
    """JUnit XML: one test case a check, a failure for each drift."""
    failures = sum(1 for c in checks if not c.ok)
    cases = []
    for c in checks:
        name = quoteattr(f"{c.aspect}: {c.step}")
        body = "" if c.ok else (f"<failure message={quoteattr(f'real {c.real} / fake {c.fake}'[:500])}>"
                                f"{escape(f'real: {c.real}')}\n{escape(f'fake: {c.fake}')}</failure>")
        cases.append(f'  <testcase classname="fakeexports.verify.{vendor}" name={name}>{body}</testcase>')
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<testsuite name="fakeexports verify {vendor}" '
            f'tests="{len(checks)}" failures="{failures}" errors="0" time="{seconds:.1f}">\n'
            + "\n".join(cases) + "\n</testsuite>\n")


def plan(vendor: Vendor, base: str, poll: float, timeout: float) -> str:
    """What a real run does against the account, in words, before anything is sent."""
    recipe = vendor.recipe
    assert recipe is not None
    now = datetime.now(UTC).timestamp()
    body = recipe.create.json if recipe.create.json is not None else recipe.create.form
    made = json.dumps(fill(body, {}, now)) if body is not None else "(no body)"
    lines = [f"fakeexports verify {vendor.name} against {base}: it will send, with your credentials,"]
    n = 1
    for call in recipe.login:
        lines.append(f"  {n}. {call.method} {call.path}: get a token")
        n += 1
    lines.append(f"  {n}. {recipe.create.method} {recipe.create.path}: CREATE ONE EXPORT, {made}")
    lines.append(f"  {n + 1}. {recipe.poll.method} {recipe.poll.path} every {poll:g} s until {recipe.done} "
                 f"(at most {timeout:g} s)")
    n += 2
    for call in recipe.download:
        lines.append(f"  {n}. {call.method} {call.path}: " + ("follow the link" if call.link else "the file's way"))
        n += 1
    lines.append(f"  {n}. {recipe.listing.method} {recipe.listing.path}: list the jobs")
    lines.append(f"  {n + 1}. three requests the vendor refuses: an unknown job, a wrong credential, a create "
                 "whose dates are not dates (nothing is made)")
    if recipe.delete is not None:
        lines.append(f"  {n + 2}. {recipe.delete.method} {recipe.delete.path}: delete the export it made")
    else:
        lines.append(f"  (the {vendor.name} API has no delete: the export stays, as the vendor keeps exports)")
    return "\n".join(lines)


async def verify(vendor: Vendor, base: str, credentials: Mapping[str, str], *, poll: float | None = None,
                 timeout: float = 900.0, session_timeout: float = 60.0) -> tuple[Transcript, Transcript, list[Check]]:
    """Both runs and the checks. ``base``: the vendor's API as its clients reach it (``https://api.didww.com/v3``)."""
    from .app import create_app
    from .settings import Settings

    parts = urlsplit(base)
    origin, mount = f"{parts.scheme}://{parts.netloc}", parts.path.rstrip("/")
    interval = poll if poll is not None else poll_interval(vendor)
    assert vendor.recipe is not None
    creds = aliased(credentials, vendor.recipe)
    tenant = creds.pop("tenant", None)

    async def sleep(seconds: float) -> None:
        await asyncio.sleep(seconds)

    async def wall() -> float:
        return time.time()

    start = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    with tempfile.TemporaryDirectory(prefix="fakeexports-verify-") as folder:
        fake_creds = fake_account(vendor, Path(folder))
        app = create_app(Settings(clock="virtual", start=start, strict=True, fixtures="none", port=0,
                                  credentials=str(Path(folder) / "credentials.yaml")))
    fake_tenant = fake_creds.pop("tenant", None)
    from aiohttp.test_utils import TestServer

    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    fake_origin = str(server.make_url("")).rstrip("/")
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=session_timeout)) as session:
            # the fake's account has records every day, so that its run always reaches a file to compare
            account = fake_tenant or next(iter(fake_creds.values()), "")
            async with session.post(f"{fake_origin}/_fakeexports/tenants/{vendor.name}/{account}",
                                    json={"records_per_day": RECORDS_PER_DAY}) as resp:
                resp.raise_for_status()
            ended = finished_statuses(vendor)
            real = await run(vendor, Side(origin, mount, interval, sleep, wall, creds, tenant, ended), session,
                             timeout)
            fake = await run(vendor, Side(fake_origin, vendor.mount, FAKE_STEP, _advance(session, fake_origin),
                                          _clock(session, fake_origin), fake_creds, fake_tenant, ended), session,
                             timeout)
    finally:
        await server.close()
    rules = Rules(base_path=mount, mount=vendor.mount, hosts=(parts.hostname or "",), counts=False,
                  words=WORDS)
    fake_names = [n for n in (fake_tenant, *fake_creds.values()) if n]
    real_names = [n for n in (tenant, *creds.values()) if n]
    assert vendor.recipe is not None
    return real, fake, compare_runs(real, fake, rules, (real_names, fake_names),
                                    f"download {len(vendor.recipe.download)}")


def fake_account(vendor: Vendor, folder: Path) -> dict[str, str]:
    """The fake's side has an account as the real one does, the only one its credentials file lists: a wrong
    credential is refused there as it is by the vendor. Its fields as the recipe names them (``tenant`` among
    them)."""
    import yaml

    from .app import create_app
    from .control import fresh_credentials
    from .registry import REGISTRY
    from .settings import Settings

    made = fresh_credentials(create_app(Settings(fixtures="none"))[REGISTRY], "fakeexports verify")
    fields = made[vendor.name]["fields"] if vendor.name in made else {}
    (folder / "credentials.yaml").write_text(yaml.safe_dump({vendor.name: [dict(fields)]} if fields else {}))
    assert vendor.recipe is not None
    return aliased(fields, vendor.recipe)


def aliased(fields: Mapping[str, Any], recipe: Recipe) -> dict[str, str]:
    """Credential fields as the recipe's variables: its ``tenant_field`` (an account's id) is its ``tenant``."""
    out = {str(k): str(v) for k, v in fields.items()}
    if recipe.tenant_field in out:
        out.setdefault("tenant", out[recipe.tenant_field])
    return out


def finished_statuses(vendor: Vendor) -> tuple[str, ...]:
    """The statuses a job ends in, as the vendor's lint rule poll_finished names them (its lifecycle's words)."""
    rule = next((r for r in vendor.lint if r.check == "poll_finished"), None)
    return tuple(rule.figures.get("finished", ())) if rule is not None else ()


def poll_interval(vendor: Vendor) -> float:
    """The vendor's own polling interval (its lint rule), so that verify never polls faster than it judges."""
    rule = next((r for r in vendor.lint if r.check == "poll_interval"), None)
    return float(rule.figures["seconds"]) if rule is not None else 10.0


def _advance(session: aiohttp.ClientSession, origin: str) -> Callable[[float], Awaitable[None]]:
    async def advance(seconds: float) -> None:
        async with session.post(origin + "/_fakeexports/clock/advance", json={"seconds": seconds}) as resp:
            resp.raise_for_status()
    return advance


def _clock(session: aiohttp.ClientSession, origin: str) -> Callable[[], Awaitable[float]]:
    async def now() -> float:
        async with session.get(origin + "/_fakeexports/clock") as resp:
            return float((await resp.json())["epoch"])
    return now


def read_credentials(path: Path, recipe: Recipe) -> dict[str, str]:
    """A credentials file: YAML or JSON, a mapping of the recipe's credential names to values (its
    ``credentials``, and its ``tenant_field`` or ``tenant``)."""
    import yaml

    try:
        data = yaml.safe_load(path.read_text())
    except (yaml.YAMLError, UnicodeDecodeError):  # said without its text: it holds secrets
        raise ValueError(f"{path}: not YAML or JSON") from None
    if not isinstance(data, dict) or not all(isinstance(v, str | int) for v in data.values()):
        raise ValueError(f"{path}: a credentials file is a mapping of names to strings")
    return aliased(data, recipe)


def save_junit(path: Path, vendor: str, checks: Sequence[Check], seconds: float) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(junit(vendor, checks, seconds))


def main(args: Any) -> int:
    """The CLI's ``verify``: the plan, then (with --yes) both runs, the drift table, the JUnit XML and the real
    transcript; exit 0 no drift, 1 drift, 2 nothing sent (no --yes, or a usage error)."""
    import sys

    from .vendors import discover

    vendors = discover()
    vendor = vendors.get(args.vendor)
    if vendor is None or vendor.recipe is None:
        print(f"fakeexports: no vendor {args.vendor!r} with a recipe; vendors: {', '.join(sorted(vendors))}",
              file=sys.stderr)
        return 2
    if not args.url.startswith(("http://", "https://")):
        print(f"fakeexports: --url must be an http:// or https:// URL, not {args.url!r}", file=sys.stderr)
        return 2
    try:
        credentials = read_credentials(Path(args.credentials), vendor.recipe)
    except (OSError, ValueError) as exc:
        print(f"fakeexports: {exc}", file=sys.stderr)
        return 2
    poll = args.poll if args.poll is not None else poll_interval(vendor)
    print(plan(vendor, args.url, poll, args.timeout))
    if not args.yes:
        print("nothing was sent: run again with --yes to go ahead", file=sys.stderr)
        return 2
    began = time.monotonic()
    real, _fake, checks = asyncio.run(verify(vendor, args.url, credentials, poll=poll, timeout=args.timeout))
    took = time.monotonic() - began
    print(drift_table(checks))
    if args.junit:
        save_junit(Path(args.junit), vendor.name, checks, took)
    if args.save:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        print(f"real transcript (secrets removed): {real.save(Path(args.save), f'{vendor.name}-{stamp}.json')}")
    return 1 if any(not c.ok for c in checks) else 0
