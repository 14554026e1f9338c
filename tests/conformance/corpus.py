"""The conformance corpus: exchanges the vendors recorded or documented (their SDKs' fixtures, their Postman
collections and OpenAPI examples, public recordings of real answers), each replayed as its request against a
fresh fake and compared on status, content type, the headers that matter, and the body's shape (shape.py).

Every Example names its source. Ids and times are mapped onto the fake's: a step creates what the recording
presupposes and saves the ids it needs (``{job}`` in a path), the virtual clock starts at the recording's date,
or a fixture document holds the recorded resources themselves. An Example may list accepted divergences: the
substrings of the mismatches it is known to have, each with its reason; every one is in the README's "Known
divergences". A divergence that no longer occurs is reported too, so that the README stays current."""

from __future__ import annotations

import csv
import gzip
import io
import json
import tempfile
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from aiohttp.test_utils import TestClient, TestServer

from fakeexports import create_app
from fakeexports.registry import REGISTRY
from fakeexports.runtime import RUNTIME
from fakeexports.shape import Rules, compare, header_problems
from tests.conftest import settings

MISSING: Any = object()


@dataclass(frozen=True)
class Req:
    """A request under the vendor's mount. ``{name}`` in ``path`` (and in query values) is a value an earlier
    step saved. ``auth``: the vendor's conformance credential ("default"), none (None), or literal headers."""

    method: str
    path: str
    query: Mapping[str, str] | None = None
    headers: Mapping[str, str] | None = None
    json: Any = MISSING
    form: Mapping[str, str] | None = None
    body: bytes | None = None
    auth: str | Mapping[str, str] | None = "default"


@dataclass(frozen=True)
class Call:
    """A step: a request whose answer must have ``status``; ``save`` keeps values of its JSON body by dotted
    path (``data.id``, ``jobs.0.job_sid``) for later paths."""

    request: Req
    status: int
    save: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Advance:
    seconds: float


Step = Call | Advance | Callable[["Replay"], Awaitable[None]]


@dataclass(frozen=True)
class Example:
    vendor: str
    name: str
    source: str  # repo@commit:path, a URL, or a reference file and the item in it
    request: Req
    status: int
    content_type: str | None = None  # the recorded media type; None: a bodiless answer
    body: Any = MISSING  # the recorded JSON body
    headers: Mapping[str, str | None] = field(default_factory=dict)  # name -> regex of the value, or None
    absent_headers: Sequence[str] = ()
    csv_header: Sequence[str] | None = None  # a CSV file: its header row
    csv_sample: str | None = None  # a recorded CSV sample (header and rows): how its empty cells are written
    lines: Sequence[Any] | None = None  # a JSON-lines file: its recorded records
    follow: bool = False  # follow the answer's Location (a download behind a redirect)
    steps: Sequence[Step] = ()
    start: str | None = None  # the virtual clock's start (the recording's date)
    fixtures: Mapping[str, Any] | None = None  # a fixture document for the vendor (the recorded resources)
    settings: Mapping[str, Any] = field(default_factory=dict)
    accepted: Mapping[str, str] = field(default_factory=dict)  # mismatch substring -> reason
    reference: bool = False  # derived from FAKEEXPORTS_REFERENCE_DIR

    @property
    def id(self) -> str:
        return f"{self.vendor}/{self.name}"


@dataclass
class VendorConfig:
    """How the corpus talks to one vendor: its rules of comparison and its conformance credential."""

    rules: Rules
    auth: Callable[[TestClient[Any, Any]], Awaitable[dict[str, str]]]


@dataclass
class Result:
    example: Example
    problems: list[str]
    unexpected: list[str]
    stale: list[str]  # accepted divergences that did not occur

    @property
    def outcome(self) -> str:
        if self.unexpected:
            return "mismatch"
        return "accepted" if self.problems else "matched"


class Replay:
    """One example's run: a fresh fake (virtual clock, strict mode) and the values steps saved."""

    def __init__(self, example: Example, client: TestClient[Any, Any], config: VendorConfig, auth: dict[str, str]):
        self.example = example
        self.client = client
        self.config = config
        self.auth = auth
        self.saved: dict[str, str] = {}
        self.mount = client.app[REGISTRY].vendors[example.vendor].mount if client.app else ""

    def fill(self, text: str) -> str:
        return text.format(**self.saved) if "{" in text else text

    async def send(self, req: Req, *, follow: bool = False) -> tuple[int, Mapping[str, str], bytes]:
        headers: dict[str, str] = {}
        if req.auth == "default":
            headers.update(self.auth)
        elif isinstance(req.auth, Mapping):
            headers.update(req.auth)
        headers.update({k: self.fill(v) for k, v in (req.headers or {}).items()})
        kwargs: dict[str, Any] = {"headers": headers, "allow_redirects": False}
        if req.query is not None:
            kwargs["params"] = {k: self.fill(v) for k, v in req.query.items()}
        if req.json is not MISSING:
            kwargs["data"] = json.dumps(req.json).encode()
            headers.setdefault("Content-Type", "application/json")
        elif req.form is not None:
            kwargs["data"] = {k: self.fill(v) for k, v in req.form.items()}
        elif req.body is not None:
            kwargs["data"] = req.body
        path = self.fill(req.path)
        resp = await self.client.request(req.method, self.mount + path if path.startswith("/") else path, **kwargs)
        data = await resp.read()
        if follow and 300 <= resp.status < 400 and "Location" in resp.headers:
            target = urlsplit(resp.headers["Location"])
            local = target.path + (f"?{target.query}" if target.query else "")
            if not target.scheme:  # relative: on the vendor's host, under the fake's mount already
                resp = await self.client.get(local, headers=headers, allow_redirects=False)
            else:
                resp = await self.client.get(local, allow_redirects=False)
            data = await resp.read()
            if 300 <= resp.status < 400 and "Location" in resp.headers:
                target = urlsplit(resp.headers["Location"])
                resp = await self.client.get(target.path + (f"?{target.query}" if target.query else ""),
                                             allow_redirects=False)
                data = await resp.read()
        return resp.status, resp.headers, data

    async def run_steps(self) -> list[str]:
        problems = []
        for step in self.example.steps:
            if isinstance(step, Advance):
                resp = await self.client.post("/_fakeexports/clock/advance", json={"seconds": step.seconds})
                assert resp.status == 200
            elif isinstance(step, Call):
                status, _, data = await self.send(step.request)
                if status != step.status:
                    problems.append(f"setup {step.request.method} {step.request.path}: {status}, not {step.status}: "
                                    f"{data[:300]!r}")
                    break
                if step.save:
                    doc = json.loads(data)
                    for name, dotted in step.save.items():
                        self.saved[name] = str(dig(doc, dotted))
            else:
                await step(self)
        return problems


def dig(doc: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        doc = doc[int(part)] if isinstance(doc, list) else doc[part]
    return doc


def compare_records(recorded: Sequence[Mapping[str, Any]], actual: Mapping[str, Any], rules: Rules) -> list[str]:
    """One record of the fake's file against the recorded records: a key every recorded record has must be
    there, a key none has must not be, and each value must match the same key's value in one of them (a field
    is null in one real record and filled in another)."""
    rules = Rules(base_path=rules.base_path, mount=rules.mount, hosts=rules.hosts, ignore=rules.ignore)  # no words:
    # a record's statuses and types vary from line to line; their forms are what a file's reader depends on
    required = set.intersection(*(set(r) for r in recorded))
    known = set().union(*(set(r) for r in recorded))
    problems = []
    missing = sorted(required - set(actual))
    extra = sorted(set(actual) - known)
    if missing:
        problems.append(f"record: keys {missing} recorded, missing in the fake")
    if extra:
        problems.append(f"record: keys {extra} in the fake, not recorded")
    for key, value in actual.items():
        options = [compare(r[key], value, rules, f"record.{key}") for r in recorded if key in r]
        if options and all(options):
            problems.append(options[0][0])
    return problems


def _empty_cells(text: str) -> dict[str, set[str]]:
    """Per column of a CSV text, how its empty cells are written: '""' (an empty string) or '' (nothing)."""
    lines = text.splitlines()
    header = next(csv.reader(lines[:1]), [])
    seen: dict[str, set[str]] = {}
    for line in lines[1:]:
        cells = next(csv.reader([line.replace('""', "\x01")]), [])  # "" kept apart from a bare empty cell
        for name, cell in zip(header, cells, strict=False):
            if cell in ("", "\x01"):
                seen.setdefault(name, set()).add('""' if cell else "")
    return seen


def empty_cell_problems(recorded: str, actual: str) -> list[str]:
    """A column whose empty cells the recording writes one way and the fake another."""
    want, got = _empty_cells(recorded), _empty_cells(actual)
    return [f"csv {name}: empty cells recorded as {sorted(want[name])}, the fake writes {sorted(forms)}"
            for name, forms in sorted(got.items()) if name in want and not forms <= want[name]]


def _file_bytes(data: bytes) -> bytes:
    return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data


def check_answer(example: Example, rules: Rules, status: int, headers: Mapping[str, str], data: bytes) -> list[str]:
    problems = []
    if status != example.status:
        problems.append(f"status: {example.status} recorded, {status} in the fake")
    media = headers.get("Content-Type", "").split(";", 1)[0].strip().lower() or None
    if example.content_type is None:
        if data:
            problems.append(f"body: none recorded, {len(data)} bytes in the fake")
    elif media != example.content_type:
        problems.append(f"content type: {example.content_type} recorded, {media} in the fake")
    problems += header_problems(example.headers, headers, example.absent_headers)
    if example.csv_header is not None:
        text = _file_bytes(data).decode("utf-8", "replace")
        header = next(csv.reader(io.StringIO(text)), [])
        if list(header) != list(example.csv_header):
            missing = [c for c in example.csv_header if c not in header]
            extra = [c for c in header if c not in example.csv_header]
            problems.append(f"csv header: {len(example.csv_header)} columns recorded, {len(header)} in the fake; "
                            f"missing {missing}, extra {extra}" if missing or extra else
                            "csv header: the same columns in another order")
    if example.csv_sample is not None:
        problems += empty_cell_problems(example.csv_sample, _file_bytes(data).decode("utf-8", "replace"))
    if example.csv_header is not None or example.csv_sample is not None:
        return problems  # a CSV file: no JSON to compare
    if example.lines is not None:
        lines = [json.loads(line) for line in _file_bytes(data).decode().splitlines()[:200] if line.strip()]
        if not lines:
            problems.append("file: no records in the fake's file")
        for record in lines:
            found = compare_records(example.lines, record, rules)
            if found:
                problems += found
                break
    elif example.body is not MISSING:
        try:
            actual = json.loads(data) if data else None
        except ValueError:
            return [*problems, f"body: JSON recorded, {data[:80]!r} in the fake"]
        problems += compare(example.body, actual, rules)
    return problems


async def replay(example: Example, config: VendorConfig) -> Result:
    with tempfile.TemporaryDirectory() as tmp:
        fixtures = "none"
        if example.fixtures is not None:
            path = Path(tmp) / f"{example.vendor}.json"
            path.write_text(json.dumps({"vendor": example.vendor, **example.fixtures}))
            fixtures = str(path)
        app_settings = settings(clock="virtual", strict=True, fixtures=fixtures, start=example.start, cache_dir="").with_(
            **dict(example.settings))
        client: TestClient[Any, Any] = TestClient(TestServer(create_app(app_settings)))
        await client.start_server()
        try:
            run = Replay(example, client, config, await config.auth(client))
            problems = await run.run_steps()
            if not problems:
                status, headers, data = await run.send(example.request, follow=example.follow)
                problems = check_answer(example, config.rules, status, headers, data)
            assert client.app is not None
            for error in client.app[RUNTIME].journal.errors:
                problems.append(f"server-side error: {error.where}: {error.message}")
        finally:
            await client.close()
    unexpected = [p for p in problems if not any(key in p for key in example.accepted)]
    stale = [key for key in example.accepted if not any(key in p for p in problems)]
    return Result(example, problems, unexpected, stale)
