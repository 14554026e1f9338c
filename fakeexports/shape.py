"""Comparing a body the vendor recorded or documented (or answered just now: ``fakeexports verify``) with the
fake's answer to the same request: the same
keys, the same JSON types, the same string formats (id patterns, date and time forms, URLs), nullability, and
the same words where a word is the value (statuses, types, enums). Ids, times and generated content differ by
nature and are compared by form only.

A recorded string equal to its own key (``"friendly_name": "friendly_name"``) is a placeholder of the vendor's
generated examples (twilio-oai writes them so) and matches any string."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

_FORMATS: list[tuple[str, re.Pattern[str]]] = [
    ("uuid", re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")),
    ("sid", re.compile(r"^[A-Z]{2}[0-9a-fA-F]{32}$")),
    ("hex40", re.compile(r"^[0-9a-f]{40}$")),
    ("hex32", re.compile(r"^[0-9a-f]{32}$")),
    ("hex24", re.compile(r"^[0-9a-f]{24}$")),
    ("datetime", re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?P<frac>\.\d+)?(?P<zone>Z|[+-]\d{2}:\d{2})?$")),
    ("datetime-space", re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(?P<frac>\.\d+)?(?P<zone> UTC)?$")),
    ("date", re.compile(r"^\d{4}-\d{2}-\d{2}$")),
    ("url", re.compile(r"^https?://\S+$")),
    ("path", re.compile(r"^/[\w./%-]*$")),
    ("e164", re.compile(r"^\+\d{6,15}$")),
    ("integer-text", re.compile(r"^-?\d+$")),
    ("decimal-text", re.compile(r"^-?\d+\.\d+$")),
]


def string_format(value: str) -> str:
    """The form of a string: ``uuid``, ``sid:JS``, ``datetime(Z,ms)``, ``url``, ``text``..."""
    if value == "":
        return "empty"
    for name, pattern in _FORMATS:
        match = pattern.match(value)
        if match is None:
            continue
        if name == "sid":
            return f"sid:{value[:2]}"
        if name.startswith("datetime"):
            frac = match.group("frac")
            zone = match.group("zone")
            parts = [("Z" if zone == "Z" else "offset" if zone and zone != " UTC" else "UTC" if zone else "naive")]
            if frac:
                parts.append("ms" if len(frac) == 4 else "fraction")
            return f"{name}({','.join(parts)})"
        return name
    return "text"


def kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


@dataclass
class Rules:
    """How one vendor's bodies compare. ``words``: keys whose values are vocabulary, compared exactly.
    ``base_path``: the vendor's own path prefix in recorded URLs (DIDWW's ``/v3``), ``mount``: the fake's
    (``/didww/v3``), so that links compare by their path below it. ``hosts``: the vendor's API hosts (links to
    other hosts, S3 ones, compare by form only)."""

    words: frozenset[str] = frozenset()
    base_path: str = ""
    mount: str = ""
    hosts: tuple[str, ...] = ()
    ignore: Mapping[str, str] = field(default_factory=dict)  # path pattern -> why (an accepted divergence)
    counts: bool = True  # False: arrays compare by their items' shape only (two runs of a vendor list different jobs)


_ID_SEGMENT = re.compile(
    r"^([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|[A-Z]{2}[0-9a-fA-F]{32}"
    r"|[0-9a-f]{24,40}|\d{4}-\d{2}-\d{2})(\.[\w.]+)?$"
)


def _path_template(path: str) -> str:
    return "/".join(("{id}" + (m.group(2) or "")) if (m := _ID_SEGMENT.match(s)) else s for s in path.split("/"))


def compare_url(recorded: str, actual: str, rules: Rules, where: str) -> list[str]:
    rec, act = urlsplit(recorded), urlsplit(actual)
    if rules.hosts and rec.hostname not in rules.hosts:
        return []  # a link off the vendor's API (S3...): its form is enough
    rec_path = rec.path[len(rules.base_path):] if rules.base_path and rec.path.startswith(rules.base_path) else rec.path
    act_path = act.path
    if rules.mount and act_path.startswith(rules.mount):
        act_path = act_path[len(rules.mount):]
    problems = []
    if _path_template(rec_path) != _path_template(act_path):
        problems.append(f"{where}: link path {rec_path!r} recorded, {act_path!r} in the fake")
    rec_query, act_query = dict(parse_qsl(rec.query)), dict(parse_qsl(act.query))
    if sorted(rec_query) != sorted(act_query):
        problems.append(f"{where}: link query keys {sorted(rec_query)} recorded, {sorted(act_query)} in the fake")
    return problems


def compare(recorded: Any, actual: Any, rules: Rules, where: str = "") -> list[str]:
    """Every difference in shape between ``recorded`` and ``actual``, each a line naming its path."""
    for pattern in rules.ignore:
        if _matches(pattern, where):
            return []
    name = where.rsplit(".", 1)[-1].split("[", 1)[0]
    label = where or "(body)"
    rec_kind, act_kind = kind(recorded), kind(actual)
    if rec_kind == "string" and recorded == name and act_kind in ("string", "null"):
        return []  # a placeholder
    if rec_kind != act_kind and not (rec_kind == "number" and act_kind == "integer"):
        return [f"{label}: {describe(recorded)} recorded, {describe(actual)} in the fake"]
    if rec_kind == "object":
        return _objects(recorded, actual, rules, where, label)
    if rec_kind == "array":
        return _arrays(recorded, actual, rules, where, label)
    if rec_kind == "string":
        return _strings(recorded, actual, rules, name, label)
    if rec_kind == "boolean" and name in rules.words and recorded != actual:
        return [f"{label}: {recorded} recorded, {actual} in the fake"]
    return []


def _objects(recorded: dict[str, Any], actual: dict[str, Any], rules: Rules, where: str, label: str) -> list[str]:
    if not recorded:
        return []  # {}: an untyped placeholder object (twilio-oai's "details": [{}])
    problems = []
    missing = [k for k in recorded if k not in actual]
    extra = [k for k in actual if k not in recorded]
    if missing:
        problems.append(f"{label}: keys {missing} recorded, missing in the fake")
    if extra:
        problems.append(f"{label}: keys {extra} in the fake, not recorded")
    for key in recorded:
        if key in actual:
            problems += compare(recorded[key], actual[key], rules, f"{where}.{key}" if where else key)
    return problems


def _arrays(recorded: list[Any], actual: list[Any], rules: Rules, where: str, label: str) -> list[str]:
    if not recorded or not actual:
        if not rules.counts or len(recorded) == len(actual) or not recorded:
            return []
        return [f"{label}: {len(recorded)} items recorded, none in the fake"]
    problems: list[str] = []
    for i, item in enumerate(actual):
        problems += compare(recorded[min(i, len(recorded) - 1)], item, rules, f"{where}[]")
        if problems:
            break
    if len(recorded) != len(actual) and rules.counts:
        problems.append(f"{label}: {len(recorded)} items recorded, {len(actual)} in the fake")
    return problems


def _strings(recorded: str, actual: str, rules: Rules, name: str, label: str) -> list[str]:
    rec_fmt, act_fmt = string_format(recorded), string_format(actual)
    if name in rules.words:
        return [] if recorded == actual else [f"{label}: {recorded!r} recorded, {actual!r} in the fake"]
    if rec_fmt != act_fmt:
        return [f"{label}: {rec_fmt} {recorded!r} recorded, {act_fmt} {actual!r} in the fake"]
    if rec_fmt == "url":
        return compare_url(recorded, actual, rules, label)
    return []


def describe(value: Any) -> str:
    k = kind(value)
    if k == "string":
        return f"{string_format(value)} {value!r}"[:80]
    if k in ("integer", "number", "boolean"):
        return f"{k} {value!r}"
    return k


def _matches(pattern: str, where: str) -> bool:
    return re.fullmatch(re.escape(pattern).replace(r"\*", r"[^.]*"), where) is not None


def header_problems(expected: Mapping[str, str | None], headers: Mapping[str, str],
                    absent: Iterable[str] = ()) -> list[str]:
    """``expected``: header name -> a regular expression its value must match fully, or None (present)."""
    problems = []
    lower = {k.lower(): v for k, v in headers.items()}
    for name, pattern in expected.items():
        value = lower.get(name.lower())
        if value is None:
            problems.append(f"header {name}: recorded, missing in the fake")
        elif pattern is not None and re.fullmatch(pattern, value) is None:
            problems.append(f"header {name}: {value!r} does not match the recorded form {pattern!r}")
    for name in absent:
        if name.lower() in lower:
            problems.append(f"header {name}: in the fake, not in the recording")
    return problems


Check = Callable[[Any], list[str]]
