"""The control CLI: ``fakeexports advance|clock|jobs|reset|journal|faults ...`` against a running server's control
API (--url, else FAKEEXPORTS_URL, else http://127.0.0.1:8080; --token, else FAKEEXPORTS_CONTROL_TOKEN). Human
tables by default, ``--json`` for scripts.

Exit codes: 0 done; 1 the server refused (its message on stderr); 2 a usage error; 3 no server answered."""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

DEFAULT_URL = "http://127.0.0.1:8080"
OK, REFUSED, USAGE, UNREACHABLE = 0, 1, 2, 3
EPILOG = "exit codes: 0 done, 1 the server refused (its message on stderr), 2 usage error, 3 no server answered"
UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


class Refused(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


class Unreachable(Exception):
    pass


class Control:
    """A client of the control API."""

    def __init__(self, url: str, token: str | None = None, timeout: float = 30):
        self.base = url.rstrip("/") + "/_fakeexports"
        self.token = token
        self.timeout = timeout

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method)
        request.add_header("Accept", "application/json")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as resp:
                raw = resp.read()
            answer = json.loads(raw or b"{}")
            if not isinstance(answer, dict):
                raise ValueError("not a JSON object")
            return answer
        except urllib.error.HTTPError as exc:
            try:
                message = json.loads(exc.read())["error"]
            except (ValueError, TypeError, KeyError):
                message = exc.reason
            if exc.code == 401:
                message = f"{message} (give --token or FAKEEXPORTS_CONTROL_TOKEN)"
            raise Refused(exc.code, str(message)) from None
        except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
            reason = getattr(exc, "reason", exc)
            raise Unreachable(f"no fakeexports server at {self.base.rsplit('/', 1)[0]}: {reason}") from None
        except ValueError:  # a 200 that is not the control API's JSON: something else listens there
            raise Unreachable(f"{self.base.rsplit('/', 1)[0]} is not a fakeexports server (its {path} answered "
                              "something other than the control API's JSON)") from None


def seconds(text: str) -> float:
    """``90``, ``90s``, ``10m``, ``2h``, ``1d`` (or ``1.5h``) as seconds."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*", text)
    if m is None:
        raise argparse.ArgumentTypeError(f"not a duration: {text!r} (e.g. 90, 10m, 2h, 1d)")
    return float(m.group(1)) * UNITS[m.group(2) or "s"]


def interval(text: str) -> float:
    value = seconds(text)
    if value <= 0:
        raise argparse.ArgumentTypeError("the interval must be more than 0 seconds")
    return value


def add_parsers(sub: Any) -> None:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--url", default=None, help=f"the server (default: FAKEEXPORTS_URL or {DEFAULT_URL})")
    common.add_argument("--token", default=None, help="control token (default: FAKEEXPORTS_CONTROL_TOKEN)")
    common.add_argument("--json", action="store_true", help="print the control API's JSON, for scripts")
    common.add_argument("--clock-id", metavar="ID", help="act on this clock of the server (clocks made with "
                        "`fakeexports clocks new`), with its token as --token")

    def command(name: str, text: str) -> argparse.ArgumentParser:
        parser: argparse.ArgumentParser = sub.add_parser(name, parents=[common], help=text, description=text + ".",
                                                         epilog=EPILOG)
        return parser

    p = command("advance", "move a running server's fake clock forward, firing what comes due")
    p.add_argument("seconds", type=seconds, help="how far: 90, 90s, 10m, 2h, 1d")
    p.add_argument("--clock", dest="clock_id", metavar="ID", help="that clock instead (as --clock-id)")
    p = command("clock", "show a running server's fake clock, or --set it")
    p.add_argument("--set", metavar="RFC3339", help="move it to this time (forward only)")
    p = command("clocks", "list a running server's clocks (control token), make one, or delete one")
    csub = p.add_subparsers(dest="action", required=True)
    csub.add_parser("list", parents=[common], help="every clock: its time, next event, tenants, idle time",
                    epilog=EPILOG)
    new_clock = csub.add_parser("new", parents=[common], help="make a clock; prints its id and token", epilog=EPILOG)
    new_clock.add_argument("--start", metavar="RFC3339", help="its start (default 2026-01-15T12:00:00Z)")
    new_clock.add_argument("--tenant", action="append", default=[], metavar="VENDOR=TENANT",
                           help="attach this tenant, as its vendor names it (repeatable)")
    drop = csub.add_parser("delete", parents=[common], help="delete a clock and its tenants' state", epilog=EPILOG)
    drop.add_argument("id")
    p = command("jobs", "list a running server's jobs")
    p.add_argument("--vendor")
    p.add_argument("--tenant")
    p.add_argument("--limit", type=int, help="at most this many")
    p = command("reset", "drop a running server's state (all, a vendor's or a tenant's) and load its fixtures again")
    p.add_argument("--vendor")
    p.add_argument("--tenant")
    p.add_argument("--clock", action="store_true", help="also restart a virtual clock at its start")
    p = command("journal", "print a running server's request journal")
    p.add_argument("--vendor")
    p.add_argument("--follow", "-f", action="store_true", help="keep printing new entries until interrupted")
    p.add_argument("--interval", type=interval, default=0.5, help="seconds between polls with --follow (default 0.5)")
    p.add_argument("--verbose", "-v", action="store_true", help="under each row: why a refused request was refused "
                   "(the rule, the field, the spec's words) and the request's and answer's bodies, secrets masked")
    p = command("webhooks", "list the webhook and callback attempts a running server made, with their answers")
    p.add_argument("--vendor")
    p.add_argument("--tenant")
    p = command("lint", "judge how the clients behaved: the vendors' lint rules over the journal")
    p.add_argument("--vendor")
    p.add_argument("--tenant", help="as the journal shows it (a masked key works)")
    p.add_argument("--since", type=int, default=0, metavar="MARK", help="only requests after this journal mark")
    p.add_argument("--fail-on", choices=("info", "warning", "error"), default="warning",
                   help="exit 1 when there are findings at or above this severity (default warning)")
    p.add_argument("--rules", action="store_true", help="list the rules, their figures and sources instead")
    p.add_argument("--clock", dest="clock_id", metavar="ID", help="that clock's journal (as --clock-id)")
    p.epilog = "exit codes: 0 no findings at or above --fail-on, 1 findings (or the server refused), 2 usage " \
               "error, 3 no server answered"
    faults = command("faults", "list, add or clear injected faults")
    fsub = faults.add_subparsers(dest="action", required=True)
    fsub.add_parser("list", parents=[common], help="the faults waiting to be used", epilog=EPILOG)
    add = fsub.add_parser("add", parents=[common], help="inject a fault", epilog=EPILOG,
                          description="Answer a vendor's next matching request(s) with --status (and --message), "
                                      "or force the next created job into --outcome.")
    add.add_argument("--vendor", required=True)
    add.add_argument("--operation", help="an operationId (default: any)")
    add.add_argument("--tenant", help="default: any")
    kind = add.add_mutually_exclusive_group(required=True)
    kind.add_argument("--status", type=int, help="answer with this HTTP status, in the vendor's envelope")
    kind.add_argument("--outcome", help="force the next created job into this status")
    add.add_argument("--message", help="the error message (with --status)")
    add.add_argument("--times", type=int, default=1, help="how many matches use it up (0: forever; default 1)")
    clear = fsub.add_parser("clear", parents=[common], help="remove faults", epilog=EPILOG)
    clear.add_argument("--vendor", help="only this vendor's")


COMMANDS = ("advance", "clock", "clocks", "jobs", "reset", "journal", "webhooks", "lint", "faults")
FINDINGS = 1  # fakeexports lint: findings at or above --fail-on


def run(args: argparse.Namespace, out: Callable[[str], None] = print) -> int:
    url = (args.url or os.environ.get("FAKEEXPORTS_URL") or DEFAULT_URL).rstrip("/")
    on_clock = getattr(args, "clock_id", None) if args.command != "clocks" else None
    control = Control(url + (f"/_clocks/{on_clock}" if on_clock else ""),
                      args.token or os.environ.get("FAKEEXPORTS_CONTROL_TOKEN"))
    try:
        if args.command == "journal" and args.follow:
            return follow(control, args, out)
        data = act(control, args)
    except Refused as exc:
        print(f"fakeexports: {exc.status}: {exc}", file=sys.stderr)
        return REFUSED
    except Unreachable as exc:
        print(f"fakeexports: {exc}", file=sys.stderr)
        return UNREACHABLE
    if args.json:
        out(json.dumps(data, indent=2, sort_keys=True))
    else:
        out(human(args, data))
    if args.command == "lint" and not args.rules and data["findings"]:
        return FINDINGS
    return OK


def _query(**params: Any) -> str:
    given = {k: v for k, v in params.items() if v is not None}
    return "?" + urllib.parse.urlencode(given) if given else ""


def act(control: Control, args: argparse.Namespace) -> Any:
    c = args.command
    if c == "advance":
        return control.call("POST", "/clock/advance", {"seconds": args.seconds})
    if c == "clock":
        return control.call("POST", "/clock/set", {"now": args.set}) if args.set else control.call("GET", "/clock")
    if c == "clocks":
        return _clocks(control, args)
    if c == "jobs":
        return control.call("GET", "/jobs" + _query(vendor=args.vendor, tenant=args.tenant, limit=args.limit))
    if c == "reset":
        body = {k: v for k, v in {"vendor": args.vendor, "tenant": args.tenant}.items() if v is not None}
        return control.call("POST", "/reset", {**body, "clock": args.clock})
    if c == "journal":
        return control.call("GET", "/journal" + _query(vendor=args.vendor, detail="true" if args.verbose else None))
    if c == "webhooks":
        return control.call("GET", "/webhooks" + _query(vendor=args.vendor, tenant=args.tenant))
    if c == "lint":
        if args.rules:
            return control.call("GET", "/lint/rules" + _query(vendor=args.vendor))
        return control.call("GET", "/lint" + _query(vendor=args.vendor, tenant=args.tenant, since=args.since or None,
                                                     severity=args.fail_on))
    if args.action == "list":
        return control.call("GET", "/faults")
    if args.action == "clear":
        return control.call("DELETE", "/faults" + _query(vendor=args.vendor))
    fault = {k: getattr(args, k) for k in ("vendor", "operation", "tenant", "status", "outcome", "message", "times")
             if getattr(args, k) is not None}
    return control.call("POST", "/faults", fault)


def _clocks(control: Control, args: argparse.Namespace) -> Any:
    if args.action == "list":
        return control.call("GET", "/clocks")
    if args.action == "delete":
        return control.call("DELETE", f"/clocks/{urllib.parse.quote(args.id)}")
    tenants = []
    for given in args.tenant:
        vendor, sep, tenant = given.partition("=")
        if not sep or not vendor or not tenant:
            raise Refused(400, f"--tenant takes VENDOR=TENANT, not {given!r}")
        tenants.append({"vendor": vendor, "tenant": tenant})
    body: dict[str, Any] = {"tenants": tenants}
    if args.start:
        body["start"] = args.start
    return control.call("POST", "/clocks", body)


def follow(control: Control, args: argparse.Namespace, out: Callable[[str], None]) -> int:
    """Print entries as they come (the journal's mark says where the last poll ended); Ctrl-C ends it with 0, a
    refusal or a server gone away ends it as run() says."""
    mark = 0
    first = True
    try:
        while True:
            data = control.call("GET", "/journal" + _query(since=mark, vendor=args.vendor,
                                                           detail="true" if args.verbose else None))
            mark = data["mark"]
            for entry in data["entries"]:
                out(json.dumps(entry, sort_keys=True) if args.json else "\n".join(
                    [_entry_line(entry, header=first), *(_details(entry) if args.verbose else [])]))
                first = False
            sys.stdout.flush()
            time.sleep(args.interval)
    except KeyboardInterrupt:
        return OK


# --- human output ---------------------------------------------------------------------------------------------
def _clocks_text(args: argparse.Namespace, data: Any) -> str:
    if args.action == "delete":
        return f"clock {data['deleted']} deleted, {data['jobs_dropped']} job(s) dropped"
    if args.action == "new":
        return (f"clock {data['id']} at {data['now']}\ntoken {data['token']}\n"
                f"drive it: fakeexports advance 10m --clock {data['id']} --token {data['token']}")
    rows = [[c["id"], c["now"], c["next_event"] or "-", ", ".join(f"{t['vendor']} {t['tenant']}" for t in c["tenants"])
             or "-", c["jobs"], f"{c['idle_seconds']:.0f} s"] for c in data["clocks"]]
    return table(("CLOCK", "NOW", "NEXT EVENT", "TENANTS", "JOBS", "IDLE"), rows) + f"\n({len(rows)} clocks)"


def _lint_text(args: argparse.Namespace, data: Any) -> str:
    if args.rules:
        rows = [[vendor, r["id"], r["severity"], r["message"], r["source"][:70]]
                for vendor, rules in data["rules"].items() for r in rules]
        return table(("VENDOR", "RULE", "SEVERITY", "JUDGES", "SOURCE"), rows)
    found = data["findings"]
    if not found:
        return f"no lint findings at or above {args.fail_on}"
    rows = [[f["severity"], f["vendor"], f["tenant"], f["rule"], f["subject"][:48], f["count"]] for f in found]
    text = [table(("SEVERITY", "VENDOR", "TENANT", "RULE", "SUBJECT", "REQUESTS"), rows), ""]
    for n, f in enumerate(found, 1):
        seqs = ", ".join(f"#{e['seq']}" for e in f["evidence"] if "seq" in e)
        text += [f"{n}. {f['vendor']} {f['rule']}: {f['message']}", f"   do instead: {f['advice']}",
                 f"   source: {f['source']}"] + ([f"   requests: {seqs}"] if seqs else [])
    counts = ", ".join(f"{v} {k}" for k, v in data["counts"].items() if v)
    return "\n".join(text) + f"\n({len(found)} findings: {counts})"


def _at(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def cell(value: Any) -> str:
    """A value as one table cell on one line: a control character a client sent (a newline in a tenant name) is
    written as its escape, so a row stays a line."""
    text = "" if value is None else str(value)
    return _CONTROL.sub(lambda m: repr(m.group(0))[1:-1], text) if _CONTROL.search(text) else text


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    cells = [[str(h) for h in headers]] + [[cell(v) for v in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    return "\n".join("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip() for row in cells)


JOURNAL_HEADERS = ("#", "AT", "VENDOR", "TENANT", "METHOD", "PATH", "STATUS", "OPERATION")


PATH_WIDTH = 72  # a table's path column: a presigned link's query is cut (--json has it whole)


def _cut(text: str, width: int = PATH_WIDTH) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _entry_row(e: dict[str, Any]) -> list[Any]:
    return [e["seq"], _at(e["at"]), e["vendor"], e["tenant"], e["method"], _cut(e["path"]), e["status"],
            e["operation"] or e.get("error")]


def _entry_line(e: dict[str, Any], header: bool) -> str:
    widths = (5, 20, 10, 24, 6, 50, 6, 0)
    line = "  ".join(cell(v).ljust(w) for v, w in zip(_entry_row(e), widths, strict=True))
    head = "  ".join(h.ljust(w) for h, w in zip(JOURNAL_HEADERS, widths, strict=True)).rstrip()
    return (head + "\n" if header else "") + line.rstrip()


BODY_SHOWN = 600  # characters of a body journal --verbose prints (the detail endpoint has up to 8 KiB)
BODY_LINES = 12


def _body_lines(mark: str, body: str | None, truncated: bool) -> list[str]:
    if body is None:
        return []
    text, cut = body[:BODY_SHOWN], truncated or len(body) > BODY_SHOWN
    lines = text.splitlines() or [""]
    cut = cut or len(lines) > BODY_LINES
    lines = lines[:BODY_LINES]
    if cut:
        lines[-1] += " …(cut; --json or GET /_fakeexports/journal/{seq} for more)"
    return [f"      {mark} {line}" for line in lines]


def _details(e: dict[str, Any]) -> list[str]:
    """journal --verbose: under a row, why it was refused, then the request's and the answer's bodies."""
    from .journal import reason_line

    lines = [f"      {reason_line(e['explain'])}"] if e.get("explain") else []
    request, response = e.get("request") or {}, e.get("response") or {}
    lines += _body_lines(">", request.get("body"), bool(request.get("truncated")))
    lines += _body_lines("<", response.get("body"), bool(response.get("truncated")))
    return lines


def _clock_line(c: dict[str, Any]) -> str:
    line = f"clock {c['now']} ({c['mode']})"
    if c.get("fired") is not None:
        line += f", {c['fired']} event(s) fired"
    if not c.get("next_event_at"):
        return line + ", nothing scheduled"
    line += f", next event {c['next_event_at']}"
    change = c.get("next_status_change")
    if change and change["at"] == c["next_event_at"]:  # a status change is an event to a user, effect or none
        line += f" ({change['vendor']} job {change['job']} becomes {change['status']})"
    return line


def human(args: argparse.Namespace, data: Any) -> str:
    c = args.command
    if c in ("advance", "clock"):
        return _clock_line(data)
    if c == "clocks":
        return _clocks_text(args, data)
    if c == "jobs":
        rows = []
        for j in data["jobs"]:
            nxt = f"{j['next_status']} at {j['next_change']}" if j.get("next_change") else "-"
            rows.append([j["vendor"], j["tenant"], j["id"], j["collection"], j["status"], nxt, len(j["files"])])
        text = table(("VENDOR", "TENANT", "JOB", "COLLECTION", "STATUS", "NEXT", "FILES"), rows)
        shown, total = len(data["jobs"]), data.get("total", len(data["jobs"]))
        return text + (f"\n({shown} of {total} jobs)" if total != shown else f"\n({total} jobs)")
    if c == "reset":
        return f"reset: {data['tenants_dropped']} tenant(s) dropped, fixtures loaded again"
    if c == "lint":
        return _lint_text(args, data)
    if c == "webhooks":
        rows = [[_at(a["at"]), a["vendor"], a["tenant"], a["method"], _cut(a["url"]), a["attempt"],
                 (a["status"] or a["error"] or "") if not a["will_retry"] else f"{a['status'] or a['error']} (retried)"]
                for a in data["attempts"]]
        return table(("AT", "VENDOR", "TENANT", "METHOD", "URL", "TRY", "ANSWER"), rows) + \
            f"\n({len(rows)} attempts)"
    if c == "journal":
        text = table(JOURNAL_HEADERS, [_entry_row(e) for e in data["entries"]])
        if args.verbose:  # each row, then what it says
            head, *lines = text.split("\n")
            text = "\n".join([head, *("\n".join([line, *_details(e)]) for line, e in zip(lines, data["entries"],
                                                                                          strict=True))])
        return text + f"\n({len(data['entries'])} entries)"
    if args.action == "list":
        faults = data["faults"]
        return table(("VENDOR", "OPERATION", "TENANT", "FAULT", "LEFT"), [
            [f["vendor"], f["operation"] or "any", f["tenant"] or "any",
             f"outcome {f['outcome']}" if f["outcome"] else f"{f['status']} {f['message']}",
             "forever" if f["times"] == 0 else f["times"]] for f in faults]) + f"\n({len(faults)} faults)"
    if args.action == "clear":
        return "faults cleared"
    f = data["added"]
    what = f"outcome {f['outcome']}" if f["outcome"] else f"{f['status']} {f['message']}"
    return f"fault added: {f['vendor']} {f['operation'] or 'any operation'}: {what}"

