"""Every code block of the README (and of docs/*.md) is executed or checked here, so an example cannot rot: each
block is preceded by a marker, an HTML comment that the rendered page does not show, saying what it is:

    <!-- example: pytest -->                 a test file: run by pytest in a separate session, must pass
    <!-- example: python NAME -->            a snippet: run against a live fake (127.0.0.1:8080 is that fake), then
                                             the check NAME below uses what it made
    <!-- example: sh -->                     shell commands: run by bash against a live fake, must exit 0
    <!-- example: fixture -->                a fixture document: loaded by a fake, which must hold what it says
    <!-- example: refused -->                a fixture document a fake refuses: `fakeexports serve --fixtures mine.yaml`
                                             stops, printing the error the next block shows
    <!-- example: refusal -->                that error: the lines printed, after the refused document's block
    <!-- example: credentials -->            a credentials file: a fake started with it accepts what it lists only
    <!-- example: synopsis COMMAND -->       a command line's synopsis: every --flag in it is one of COMMAND's
    <!-- example: output COMMAND -->         a command's output: the command prints the same lines
    <!-- example: tested-by PATH -->         run by that test or script (Docker, make): PATH must exist and run each
                                             of the block's commands
    <!-- example: sketch PATH -->            a shortened copy of a YAML file of the repository: the same top-level
                                             keys and services
    <!-- example: same-as PATH -->           a copy of a file of the repository: its lines are in PATH
    <!-- example: layout -->                 a tree of the repository: every path it names exists

A block without a marker fails the suite."""

from __future__ import annotations

import base64
import json
import os
import re
import shlex
import subprocess
import sys
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from fakeexports.cli import build_parser, vendor_options
from fakeexports.server import ServerThread
from tests.conftest import settings

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
MARKER = re.compile(r"<!-- example: (\S+)(?: (.+?))? -->")
FENCE = re.compile(r"^(\s*)```(\w*)\s*$")


@dataclass(frozen=True)
class Block:
    page: Path
    line: int
    lang: str
    kind: str
    arg: str
    text: str

    @property
    def id(self) -> str:
        return f"{self.page.name}:{self.line}:{self.kind}"


def blocks(page: Path) -> Iterator[Block]:
    lines = page.read_text().splitlines()
    i = 0
    while i < len(lines):
        fence = FENCE.match(lines[i])
        if fence is None:
            i += 1
            continue
        start, indent = i, len(fence.group(1))
        end = next(j for j in range(i + 1, len(lines)) if lines[j].strip() == "```")
        marker = next((MARKER.search(lines[j]) for j in range(start - 1, max(start - 3, -1), -1)
                       if MARKER.search(lines[j])), None)
        kind, arg = (marker.group(1), marker.group(2) or "") if marker else ("", "")
        text = "\n".join(line[indent:] for line in lines[start + 1:end]) + "\n"
        yield Block(page, start + 1, fence.group(2), kind, arg, text)
        i = end + 1


BLOCKS = [b for page in PAGES for b in blocks(page)]


def of(kind: str) -> list[Any]:
    return [pytest.param(b, id=b.id) for b in BLOCKS if b.kind == kind]


def test_every_block_says_what_it_is() -> None:
    known = {"pytest", "python", "sh", "fixture", "refused", "refusal", "credentials", "synopsis", "output", "tested-by",
             "sketch", "same-as", "layout", "lint-report",
             "verify-report"}
    unmarked = [f"{b.page.name}:{b.line}" for b in BLOCKS if b.kind not in known]
    assert not unmarked, f"code blocks without an <!-- example: KIND --> marker (see {__name__}): {unmarked}"


# --- run against a live fake ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def live() -> Iterator[ServerThread]:
    with ServerThread(settings(clock="virtual", strict=True, cache_dir="")) as server:
        yield server


def on(server: ServerThread, text: str) -> str:
    """The example's text pointed at the live fake instead of the default address."""
    return text.replace("http://127.0.0.1:8080", server.url)


@pytest.mark.parametrize("block", of("pytest"))
def test_a_pytest_example_passes(block: Block, pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_readme_example=block.text)
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider")
    assert result.ret == 0, result.stdout.str()[-3000:]


ACCOUNT, AUTH_TOKEN = "AC" + "7" * 32, "readme-token"
# What a snippet may leave to the reader (its credentials), and the check that uses what it made.
GIVEN = {"account_sid": ACCOUNT, "auth_token": AUTH_TOKEN, "api_key": "readme-api-key"}


def _twilio(names: dict[str, Any], server: ServerThread) -> None:
    exports = names["client"].bulkexports.v1.exports("Messages")
    assert exports.fetch().resource_type == "Messages"


def _didww(names: dict[str, Any], server: ServerThread) -> None:
    from didww.query_params import QueryParams

    assert names["client"].exports().list(QueryParams()).data == []


def _hookbridge(names: dict[str, Any], server: ServerThread) -> None:
    assert names["client"].list_exports() == []


CHECKS: dict[str, Callable[[dict[str, Any], ServerThread], None]] = {
    "twilio-client": _twilio, "didww-client": _didww, "hookbridge-client": _hookbridge}


@pytest.mark.parametrize("block", of("python"))
def test_a_python_snippet_runs_against_the_fake(block: Block, live: ServerThread) -> None:
    assert block.arg in CHECKS, f"{block.id}: no check named {block.arg!r}"
    names: dict[str, Any] = dict(GIVEN)
    exec(compile(on(live, block.text), block.id, "exec"), names)
    CHECKS[block.arg](names, live)


@pytest.mark.parametrize("block", of("sh"))
def test_shell_commands_run_against_the_fake(block: Block, live: ServerThread, tmp_path: Path) -> None:
    env = {**os.environ, "FAKEEXPORTS_URL": live.url, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    proc = subprocess.run(["bash", "-euo", "pipefail", "-c", on(live, block.text)], capture_output=True, text=True,
                          env=env, cwd=tmp_path, timeout=120)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]


@pytest.mark.parametrize("block", of("fixture"))
def test_a_fixture_document_loads(block: Block, tmp_path: Path) -> None:
    """``fixture scale=N``: the document's repeat counts divided by N (a million jobs would take the suite a minute)."""
    scale = int(block.arg.removeprefix("scale=")) if block.arg else 1
    doc = yaml.safe_load(block.text)
    for spec in doc["tenants"].values():
        for key in ("jobs", "exports"):
            for item in spec.get(key) or []:
                if "repeat" in item:
                    item["repeat"] //= scale
    path = tmp_path / "fixture.yaml"
    path.write_text(yaml.safe_dump(doc))
    with ServerThread(settings(clock="virtual", strict=True, fixtures=str(path), cache_dir="")) as server:
        jobs = json.load(urllib.request.urlopen(f"{server.url}/_fakeexports/jobs?limit=1"))
    expected = sum(item.get("repeat", 1) for spec in doc["tenants"].values()
                   for key in ("jobs", "exports") for item in spec.get(key) or [])
    assert jobs["total"] == expected


@pytest.mark.parametrize("block", of("refused"))
def test_a_refused_fixture_document_stops_the_server_with_the_error_shown(block: Block, tmp_path: Path) -> None:
    shown = next((b for b in BLOCKS if b.page == block.page and b.line > block.line), None)
    assert shown is not None and shown.kind == "refusal", f"{block.id}: the next block shows its error (refusal)"
    (tmp_path / "mine.yaml").write_text(block.text)
    proc = subprocess.run([sys.executable, "-m", "fakeexports", "serve", "--port", "0", "--fixtures", "mine.yaml"],
                          capture_output=True, text=True, cwd=tmp_path, timeout=60,
                          env={**os.environ, "FAKEEXPORTS_CACHE_DIR": ""})
    assert (proc.returncode, proc.stderr.splitlines()) == (1, shown.text.splitlines())


def test_an_error_shown_follows_its_refused_document() -> None:
    for i, b in enumerate(BLOCKS):
        if b.kind == "refusal":
            assert i and BLOCKS[i - 1].kind == "refused", f"{b.id}: no refused fixture document before it"


@pytest.mark.parametrize("block", of("credentials"))
def test_a_credentials_file_is_what_a_fake_accepts(block: Block, tmp_path: Path) -> None:
    path = tmp_path / "creds.yaml"
    path.write_text(block.text)
    listed = yaml.safe_load(block.text)["twilio"][0]
    with ServerThread(settings(clock="virtual", strict=True, credentials=str(path), cache_dir="")) as server:
        def status(user: str, password: str) -> int:
            token = base64.b64encode(f"{user}:{password}".encode()).decode()
            req = urllib.request.Request(server.url + "/twilio/v1/Exports/Messages",
                                         headers={"Authorization": f"Basic {token}"})
            try:
                return int(urllib.request.urlopen(req).status)
            except urllib.error.HTTPError as exc:
                return exc.code

        assert status(listed["account_sid"], listed["auth_token"]) == 200
        assert status(listed["account_sid"], "not-the-token") == 401


# --- checked without running -------------------------------------------------------------------------------------
def _options(command: str) -> set[str]:
    parser = build_parser(vendor_options())
    sub = next(a for a in parser._actions if a.dest == "command").choices[command]  # type: ignore[union-attr]
    found = set()
    stack = [sub]
    while stack:
        p = stack.pop()
        for action in p._actions:
            found |= set(action.option_strings)
            if action.choices and isinstance(action.choices, dict):
                stack.extend(action.choices.values())
                found |= set(action.choices)
    return found


@pytest.mark.parametrize("block", of("synopsis"))
def test_a_synopsis_names_only_real_options(block: Block) -> None:
    commands = block.arg.split()
    known = set().union(*(_options(c) for c in commands)) | {"--no-" + o[2:] for c in commands for o in _options(c)}
    named = set(re.findall(r"(?<![\w-])--[a-z][a-z-]+", block.text))
    assert named <= known, f"{block.id}: not options of {commands}: {sorted(named - known)}"
    for line in block.text.splitlines():
        words = shlex.split(line.split("#", 1)[0].replace("[", " ").replace("]", " ").replace("|", " "))
        if words[:1] == ["fakeexports"] and len(words) > 1:
            assert words[1] in commands, f"{block.id}: fakeexports {words[1]} is not one of {commands}"


@pytest.mark.parametrize("block", of("output"))
def test_shown_output_is_what_the_command_prints(block: Block) -> None:
    proc = subprocess.run([sys.executable, *shlex.split(block.arg)], capture_output=True, text=True, cwd=ROOT,
                          timeout=600)
    printed = [line.rstrip() for line in proc.stdout.splitlines()]
    for line in block.text.rstrip("\n").splitlines():
        assert line.rstrip() in printed, f"{block.id}: {line!r} is not in what `{block.arg}` prints now"


@pytest.mark.parametrize("block", of("tested-by"))
def test_a_block_run_elsewhere_names_its_test(block: Block) -> None:
    test = ROOT / block.arg
    assert test.is_file(), f"{block.id}: {block.arg} does not exist"
    source = test.read_text()
    for line in block.text.splitlines():
        words = [w for w in shlex.split(line.split("#", 1)[0]) if not w.startswith("-")] if line.strip() else []
        if words[:1] == ["export"] or not words:
            continue
        command = words[:2] if words[0] in ("docker", "make", "fakeexports") else words[:1]
        assert all(w in source for w in command), f"{block.id}: {block.arg} never runs {' '.join(command)!r}"


@pytest.mark.parametrize("block", of("lint-report"))
def test_a_lint_report_shown_is_what_a_client_that_polls_too_fast_gets(block: Block, live: ServerThread) -> None:
    from fakeexports.lint import lint, report

    live.run(lambda: live.registry.reset(clock=True))
    mark = live.runtime.journal.mark
    headers = {"Authorization": "Bearer hb_test_readme"}
    made = requests.post(live.vendor_url("hookbridge") + "/v1/exports", headers=headers, timeout=10,
                         json={"start_time": "2026-01-14T00:00:00Z", "end_time": "2026-01-15T00:00:00Z"})
    for _ in range(3):
        requests.get(live.vendor_url("hookbridge") + f"/v1/exports/{made.json()['data']['id']}", headers=headers,
                     timeout=10)
    found = live.run(lambda: lint(live.registry, since=mark))
    printed = ("fakeexports lint: this test's client broke vendor rules (at or above warning):\n"
               + report(found)).splitlines()
    for line in block.text.rstrip("\n").splitlines():  # "…" stands for what differs: ids, tenants, numbers
        pattern = re.compile(".*".join(re.escape(part) for part in re.split(r"#\d+|…", line)) + "$")
        assert any(pattern.match(p) for p in printed), f"{block.id}: {line!r} is not what the report prints"


@pytest.mark.parametrize("block", of("verify-report"))
def test_a_drift_table_shown_is_what_verify_prints_for_that_difference(block: Block) -> None:
    import asyncio
    import tempfile

    import yaml

    from fakeexports.vendors import discover
    from fakeexports.verify import drift_table, verify

    with tempfile.TemporaryDirectory() as folder:
        creds = Path(folder) / "accounts.yaml"
        creds.write_text(yaml.safe_dump({"talkdesk": [{"client_id": "readme", "client_secret": "s"}]}))
        with ServerThread(settings(clock="real", speed=60, fixtures="none", credentials=str(creds),
                                   talkdesk_done_status=303)) as vendor:
            _, _, checks = asyncio.run(verify(discover()["talkdesk"], vendor.vendor_url("talkdesk"),
                                              {"client_id": "readme", "client_secret": "s"}, poll=0.05, timeout=60))
    printed = drift_table(checks).splitlines()
    lines = block.text.rstrip("\n").splitlines()
    assert len(lines) == len(printed), f"{block.id}: the table has {len(printed)} lines: {printed}"
    for line in lines:  # "…" stands for the count of checks
        pattern = re.compile(".*".join(re.escape(part) for part in line.split("…")) + "$")
        assert any(pattern.match(p.rstrip()) for p in printed), f"{block.id}: {line!r} not in {printed}"


@pytest.mark.parametrize("block", of("sketch"))
def test_a_sketch_has_its_files_shape(block: Block) -> None:
    sketch, full = yaml.safe_load(block.text), yaml.safe_load((ROOT / block.arg).read_text())
    assert set(sketch) <= set(full), f"{block.id}: keys {sorted(set(sketch) - set(full))} are not in {block.arg}"
    for key in ("services", "volumes"):
        if key in sketch:
            assert set(sketch[key]) == set(full[key]), f"{block.id}: {key} differ from {block.arg}'s"


@pytest.mark.parametrize("block", of("same-as"))
def test_a_copy_is_in_its_file(block: Block) -> None:
    source = (ROOT / block.arg).read_text()
    for line in block.text.splitlines():
        assert line.strip() in source, f"{block.id}: {line.strip()!r} is not in {block.arg}"


@pytest.mark.parametrize("block", of("layout"))
def test_a_layout_names_real_paths(block: Block) -> None:
    tracked = subprocess.run(["git", "ls-files"], capture_output=True, text=True, cwd=ROOT, check=True).stdout.split()
    names = {part for path in tracked for part in (path, *path.split("/"))} | {
        "/".join(path.split("/")[i:j]) + "/" for path in tracked for i in range(3) for j in range(i + 1, 4)}
    named = re.findall(r"[\w./-]+(?:\.py|\.html|\.sh|\.yaml|/)", re.sub(r"\([^)]*\)", "", block.text))
    missing = [word for word in named if word not in names]
    assert not missing, f"{block.id}: no such path: {missing}"
    if block.page.name == "README.md":  # the map of the core names every module of it
        core = {path.split("/")[1] for path in tracked if re.fullmatch(r"fakeexports/[^/]+\.(py|html)", path)}
        unnamed = sorted(core - set(named) - {"__init__.py", "__main__.py"})
        assert not unnamed, f"{block.id}: the core's modules missing from the layout: {unnamed}"


def test_the_map_of_the_request_path_is_the_pipelines_steps_in_order() -> None:
    """docs/architecture.md "The request path" names the steps of pipeline.Pipeline in the order __call__, run and
    finish call them: a step added, dropped or moved in either must be in both."""
    import ast

    text = (ROOT / "docs" / "architecture.md").read_text()
    section = text[text.index("### The request path"):text.index("## Adding a vendor")]
    documented = [m.replace(" ", "_") for m in re.findall(r"^\d+\. \*\*([a-z ]+)\*\*", section, re.M)]
    tree = ast.parse((ROOT / "fakeexports" / "pipeline.py").read_text())
    pipeline = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Pipeline")
    methods = {f.name: f for f in pipeline.body if isinstance(f, ast.FunctionDef | ast.AsyncFunctionDef)}
    steps = set(methods) - {"__init__", "__call__", "run", "finish"}

    def called(name: str) -> list[str]:
        out = []
        for node in ast.walk(methods[name]):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and isinstance(
                    node.func.value, ast.Name) and node.func.value.id == "self":
                out.append((node.lineno, node.func.attr))
        return [attr for _, attr in sorted(out)]

    order = [s for s in (*called("__call__"), *called("run"), *called("finish")) if s in steps]
    assert documented == order, f"README: {documented}\npipeline.py: {order}"


def _anchors(page: Path) -> set[str]:
    """The anchors GitHub makes of a page's headings (and the explicit ``<a id>`` ones)."""
    text = page.read_text()
    heads = re.findall(r"^#+ (.+)$", text, re.M)
    made = {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in heads}
    return made | set(re.findall(r'<a id="([^"]+)"', text))


def test_every_link_between_pages_finds_its_file_and_heading() -> None:
    """A relative link of the README or a docs page names a file of the repository, and a #heading that page has."""
    broken = []
    for page in PAGES:
        for target in re.findall(r"\]\(([^)\s]+)\)", page.read_text()):
            if re.match(r"[a-z]+:", target):
                continue
            path, _, anchor = target.partition("#")
            file = (page.parent / path).resolve() if path else page
            if not file.exists():
                broken.append(f"{page.name}: {target} (no such file)")
            elif anchor and file.suffix == ".md" and anchor not in _anchors(file):
                broken.append(f"{page.name}: {target} (no such heading)")
    assert not broken, broken
