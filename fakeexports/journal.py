"""The request journal: a capped record of what each vendor was asked and answered, and the server-side
errors (a handler crash, a strict-mode mismatch, a failing scheduled event) that a test should see.

Theory of operation: recording is cheap, viewing does the work. An entry holds references to what the request path
made anyway (the request's and the answer's headers, the body as read, the answer's bytes, the refusal and the
validation failure behind it, the operation); only a body over CAP is cut (a copy of CAP bytes). When an entry is
viewed (``detail``), the headers and bodies are decoded and their secrets masked (transcript.py's redaction, the one
there is), a gzip or binary body is summarised, and a refusal is explained in the spec's own words (``explain``)."""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from typing import TYPE_CHECKING, Any

from .transcript import (
    HIDDEN,
    SECRET_HEADER,
    redact_headers,
    redact_text,
    redact_value,
    scrub,
    scrub_members,
    secret_name,
)

if TYPE_CHECKING:
    from .errors import VendorError, Violation
    from .specs import Operation

BODY = 16 * 1024  # a request body kept for the lint rules: enough to tell two creates apart
CAP = 8 * 1024  # of a body as a view shows it, and of an answer's body as the journal keeps it
# what the lint rules read of a request's headers (who sent it; "the same request") and of an answer's
CREDENTIALS = ("Authorization", "Api-Key", "X-Api-Key")
ANSWER = ("Location", "Retry-After")


def kept(headers: Mapping[str, str] | None, names: tuple[str, ...]) -> tuple[tuple[str, str], ...] | None:
    """Those of ``names`` the headers have, as (name, value) pairs under those names (what the vendors' hooks look
    up), or None."""
    if headers is None:
        return None
    found = tuple((name, value) for name in names if (value := headers.get(name)) is not None)
    return found or None


PUBLIC = ("seq", "at", "vendor", "tenant", "method", "path", "status", "operation", "error", "reason", "job")


@dataclass(slots=True)
class Entry:
    """One request and its answer. ``error`` names what a refusal was in the vendor-neutral words of VendorError's
    ``kind`` (``auth``, ``rate_limited``, ``expired``...) and ``reason`` gives the vendor's words; ``job`` is the job
    the request created. The rest is never shown as it is: ``params`` the checked path, query and header values (the
    validator's own dict), ``headers`` the request's headers and ``body`` its body (raw, up to BODY bytes), ``answer``
    the answer's body (up to CAP bytes; None when it was streamed) of ``size`` bytes and ``answered`` its headers,
    ``op`` the operation, ``where`` the field a refusal named and ``problem`` the validation failure behind it.
    The lint rules (lint.py) read ``params``, ``body``, ``sent`` and ``answer_header``; views read ``detail``."""

    seq: int
    at: float
    vendor: str
    tenant: str | None
    method: str
    path: str
    status: int
    operation: str | None
    error: str | None = None
    reason: str | None = None
    job: str | None = None
    params: Mapping[str, Any] | None = None
    headers: Mapping[str, str] | None = None
    body: bytes | None = None
    answered: Mapping[str, str] | None = None
    answer: bytes | None = None
    size: int = 0
    op: Operation | None = None
    where: str | None = None
    problem: Violation | None = None

    def public(self) -> dict[str, Any]:
        """What views show: the fields in PUBLIC (what RemoteFake builds an Entry from again)."""
        return {name: getattr(self, name) for name in PUBLIC}

    @property
    def sent(self) -> tuple[tuple[str, str], ...] | None:
        """A refused request's credential headers (CREDENTIALS: whose tenant the journal may not know)."""
        return kept(self.headers, CREDENTIALS) if self.status >= 400 else None

    def answer_header(self, name: str) -> str | None:
        """A redirect's or a 429's Location or Retry-After (ANSWER), as the lint rules read them."""
        if self.answered is None or not (300 <= self.status < 400 or self.status == 429):
            return None
        return self.answered.get(name)

    def detail(self) -> dict[str, Any]:
        """The public fields and what was sent and answered, secrets masked; with ``explain`` for a refusal."""
        view = self.public()
        view["path"] = scrub(self.path)
        view["request"] = {"headers": shown_headers(self.headers), **shown_body(self.body, self.headers,
                                                                                 len(self.body or b""))}
        view["response"] = {"status": self.status, "headers": shown_headers(self.answered),
                            **shown_body(self.answer, self.answered, self.size)}
        view["explain"] = explain(self)
        return view


def shown_headers(headers: Mapping[str, str] | None) -> dict[str, str]:
    """Headers masked, as text JSON can carry: the bytes aiohttp could not read as UTF-8 (kept as surrogates) shown
    as U+FFFD."""
    return redact_headers({_text(k): _text(v) for k, v in headers.items()}) if headers else {}


def _text(value: str) -> str:
    return value if value.isascii() else value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _header(headers: Mapping[str, str] | None, name: str) -> str:
    return (headers.get(name) if headers is not None else None) or ""


def shown_body(data: bytes | None, headers: Mapping[str, str] | None, size: int) -> dict[str, Any]:
    """``{"body": text or None, "truncated": bool}``: a body as text up to CAP, secrets masked; a gzip or binary
    body (or one streamed, never held) as a one-line summary ("<gzip, 1234 bytes>")."""
    content_type = _header(headers, "Content-Type")
    if data is None and size < 0:  # a file streamed to the client, never held: its headers say what it was
        length = _header(headers, "Content-Length") or "?"
        what = "gzip" if _gzip(b"", headers, content_type) else content_type.split(";")[0] or "file"
        return {"body": f"<{what}, {length} bytes>", "truncated": False}
    if not data:
        return {"body": None, "truncated": False}
    if _gzip(data, headers, content_type):
        return {"body": f"<gzip, {size} bytes>", "truncated": False}
    cut = len(data) > CAP or size > len(data)
    part = data[:CAP]
    try:
        text = part.decode("utf-8")
    except UnicodeDecodeError as exc:
        if not (cut and exc.start >= len(part) - 3):  # not a character cut in two at the cap: binary
            return {"body": f"<{content_type.split(';')[0] or 'binary'}, {size} bytes>", "truncated": False}
        part = part[: exc.start]
        text = part.decode("utf-8")
    return {"body": scrub_members(text) if cut else redact_text(part, content_type), "truncated": cut}


def _gzip(data: bytes, headers: Mapping[str, str] | None, content_type: str) -> bool:
    return (data[:2] == b"\x1f\x8b" or "gzip" in _header(headers, "Content-Encoding").lower()
            or "gzip" in content_type.lower())


# --- why a request was refused ---------------------------------------------------------------------------------------
# where a refusal of this status points when nothing more precise is known (RFC 9110's meanings)
WHERE_BY_STATUS = {406: "header.Accept", 408: "body", 413: "body", 415: "header.Content-Type"}
WHERE_BY_KIND = {"too_large": "body", "timeout": "body", "method": "method"}  # whatever status the vendor gives them


def explain(e: Entry) -> dict[str, Any] | None:
    """Why a request was refused, for every answer of 400 or more: ``kind`` (the rule that refused it: auth,
    validation, rate_limited, not_found, conflict, fault...), ``reason`` (the vendor's words), ``where`` (the parameter
    or field: ``body.start``, ``query.page_size``, ``header.Authorization``; None when no one thing is), ``rule``
    (the JSON Schema keyword that failed, or the security scheme) and ``spec`` (the spec's own words: the rule as the
    schema states it and the field's description, the security scheme's description, or the operation's description
    of that answer)."""
    if e.status < 400:
        return None
    problem, op = e.problem, e.op
    kind = e.error or ("internal" if e.status >= 500 else "refused")
    out: dict[str, Any] = {"kind": kind, "reason": e.reason, "where": e.where, "rule": None, "spec": None}
    if problem is not None:
        where = problem.location + (f".{problem.name}" if problem.name else "")
        out.update(where=out["where"] or ("header.Content-Type" if problem.rule == "content-type" else where),
                   rule=problem.rule, spec=_join(schema_words(problem), _described(op, problem)))
    elif kind == "auth" and op is not None and op.schemes:
        name, scheme = next(iter(op.schemes.items()))
        out.update(where=out["where"] or credential_where(scheme), rule=f"security: {name}",
                   spec=scheme.get("description"))
    if out["where"] is None:
        out["where"] = WHERE_BY_KIND.get(kind) or WHERE_BY_STATUS.get(e.status) or (
            _path_param(op) if kind == "not_found" else None)
    if out["spec"] is None and op is not None:
        out["spec"] = _answer_words(op, e.status)
    return out


def reason_line(why: Mapping[str, Any] | None, width: int = 300) -> str:
    """An explanation in one line, as serve --verbose and journal --verbose print it:
    ``why: validation at body.end: <the vendor's words> | spec: <the spec's words>``."""
    if not why:
        return ""
    text = f"why: {why.get('kind')}" + (f" at {why['where']}" if why.get("where") else "") + \
        f": {why.get('reason') or '(no message)'}" + (f" | spec: {why['spec']}" if why.get("spec") else "")
    return text if len(text) <= width else text[: width - 1] + "…"


def credential_where(scheme: Mapping[str, Any]) -> str:
    """Where a security scheme says the credential goes: ``header.Authorization`` (HTTP, OAuth 2, OpenID Connect)
    or an API key's ``header.<name>`` / ``query.<name>`` / ``cookie.<name>``."""
    if scheme.get("type") == "apiKey":
        return f"{scheme.get('in', 'header')}.{scheme.get('name', '')}"
    return "header.Authorization"


def _path_param(op: Operation | None) -> str:
    """An unknown resource: the last path parameter names it (the job's id), or the path itself."""
    names = [p.name for p in op.params if p.location == "path"] if op is not None else []
    return f"path.{names[-1]}" if names else "path"


def _answer_words(op: Operation, status: int) -> str | None:
    """The operation's own description of an answer of ``status`` (its exact code, its class, or default)."""
    responses = op.raw.get("responses") or {}
    for key in (str(status), f"{status // 100}XX", "default"):
        found = responses.get(key)
        if isinstance(found, Mapping) and found.get("description"):
            return str(found["description"])
    return None


def _join(*parts: str | None) -> str | None:
    words = [p.strip() for p in parts if p and p.strip()]
    return ". ".join(w.rstrip(".") for w in words) + "." if words else None


SAID = 200  # characters of a refused value the journal keeps


class Said(str):
    """A refused value as the journal keeps it: its repr already, secrets hidden, cut at SAID characters; it prints
    as it is where schema_words writes ``{value!r}``."""

    def __repr__(self) -> str:
        return str(self)


def said(problem: Violation) -> Said:
    """What the journal keeps of a refused value (record time, a refusal only): never the value itself, which may be
    a whole body (a megabyte kept an entry) or a secret a client sent in the wrong place."""
    leaf = problem.name.rsplit(".", 1)[-1] if problem.name else ""
    secret = bool(leaf) and (secret_name(leaf) or (problem.location == "header" and bool(SECRET_HEADER.search(leaf))))
    try:
        text = repr(HIDDEN if secret else redact_value(problem.value))
    except RecursionError:  # nested deeper than Python goes: the kind of value is all there is to say
        text = f"<a {type(problem.value).__name__} nested too deep to show>"
    return Said(text if len(text) <= SAID else text[:SAID - 1] + "…")


def schema_words(problem: Violation) -> str | None:
    """The rule a value broke, as the schema states it: "'2026-13-01' is not a 'date'", "'x' is not one of
    ['csv', 'json']", "'AB' does not match '^[0-9a-f]{32}$'"..."""
    schema = problem.schema if isinstance(problem.schema, Mapping) else {}
    rule, value = problem.rule, problem.value
    leaf = problem.name.rsplit(".", 1)[-1] if problem.name else "the body"
    if rule in ("format", "enum", "pattern", "type", "const") and rule in schema:
        verb = {"format": "is not a", "enum": "is not one of", "pattern": "does not match", "type": "is not of type",
                "const": "is not"}[rule]
        return f"{value!r} {verb} {schema[rule]!r}"
    if rule in BOUNDS and rule in schema:
        return f"{value!r} {BOUNDS[rule]} {schema[rule]!r}"
    if rule == "required":
        return f"{leaf!r} is a required property" if problem.name else "a request body is required"
    if rule == "additionalProperties":
        return f"additional property {leaf!r} is not allowed"
    return problem.message


BOUNDS = {"minimum": "is less than the minimum of", "maximum": "is more than the maximum of",
          "exclusiveMinimum": "is not more than", "exclusiveMaximum": "is not less than",
          "minLength": "is shorter than", "maxLength": "is longer than", "minItems": "has fewer items than",
          "maxItems": "has more items than"}


def _described(op: Operation | None, problem: Violation) -> str | None:
    """The description the spec gives the refused parameter or field (its schema's, or the parameter's own)."""
    schema = problem.schema if isinstance(problem.schema, Mapping) else {}
    leaf = problem.name.rsplit(".", 1)[-1]
    if problem.rule == "required":  # the schema is the object's: the missing member's own
        member = (schema.get("properties") or {}).get(leaf)
        schema = member if isinstance(member, Mapping) else {}
    if schema.get("description"):
        return f"{problem.name}: {schema['description']}" if problem.name else str(schema["description"])
    if op is not None and problem.location in ("path", "query", "header"):
        for param in op.raw.get("parameters") or ():
            if (isinstance(param, Mapping) and param.get("in") == problem.location
                    and str(param.get("name", "")).lower() == leaf.lower() and param.get("description")):
                return f"{param['name']}: {param['description']}"
    return None


@dataclass(frozen=True, slots=True)
class ServerError:
    seq: int
    at: float
    where: str
    message: str
    traceback: str


class Journal:
    """``entries`` keeps the last ``size`` requests; ``errors`` the last ``size`` server-side errors.
    ``seq`` numbers never repeat, so a test can ask for what happened since a mark."""

    def __init__(self, size: int = 1000):
        self.entries: deque[Entry] = deque(maxlen=size)
        self.errors: deque[ServerError] = deque(maxlen=size)
        self._seq = 0

    @property
    def mark(self) -> int:
        return self._seq

    def record(
        self,
        at: float,
        vendor: str,
        tenant: str | None,
        method: str,
        path: str,
        status: int,
        operation: str | None,
        error: str | None = None,
        reason: str | None = None,
        job: str | None = None,
        params: Mapping[str, Any] | None = None,
        sent: Mapping[str, str] | None = None,
        body: bytes | None = None,
        answered: Mapping[str, str] | None = None,
        answer: bytes | None = None,
        op: Operation | None = None,
        refusal: VendorError | None = None,
        problem: Violation | None = None,
        streamed: bool = False,
    ) -> Entry:
        """One request: ``sent`` its headers, ``body`` its body, ``answered`` the answer's headers and ``answer``
        its body (``streamed``: a file written in parts, never held). Everything is kept by reference; only a body
        over its cap is cut."""
        self._seq += 1
        if body is not None and len(body) > BODY:
            body = body[:BODY]
        size = -1 if streamed else 0
        if answer is not None:
            size = len(answer)
            # a copy of CAP bytes at most: orjson's output keeps its whole 4 KiB buffer (bench/journal_memory.py)
            answer = answer[:CAP] if size > CAP else bytes(memoryview(answer))
        if problem is not None and problem.value is not None:
            problem = replace(problem, value=said(problem))
        # the refusal's words and field, not the exception: its traceback holds the request's frames
        entry = Entry(self._seq, at, vendor, tenant, method, path, status, operation, error, reason, job, params, sent,
                      body, answered, answer, size, op, None if refusal is None else refusal.where, problem)
        self.entries.append(entry)
        return entry

    def server_error(self, at: float, where: str, message: str, traceback: str) -> None:
        self._seq += 1
        self.errors.append(ServerError(self._seq, at, where, message, traceback))

    def since(self, mark: int = 0, vendor: str | None = None) -> list[Entry]:
        return [e for e in self.entries if e.seq > mark and (vendor is None or e.vendor == vendor)]

    def find(self, seq: int) -> Entry | None:
        """The entry numbered ``seq``, or None if there never was one or it was dropped (the oldest go first)."""
        for e in reversed(self.entries):
            if e.seq <= seq:
                return e if e.seq == seq else None
        return None

    def errors_since(self, mark: int = 0) -> list[ServerError]:
        return [e for e in self.errors if e.seq > mark]

    def clear(self) -> None:
        self.entries.clear()
        self.errors.clear()

    def to_json(self, mark: int = 0, vendor: str | None = None, detail: bool = False) -> dict[str, Any]:
        """The entries since ``mark`` (signed URLs' signatures masked in their paths), each with what ``detail``
        adds when asked for."""
        return {
            "entries": [e.detail() if detail else {**e.public(), "path": scrub(e.path)}
                        for e in self.since(mark, vendor)],
            "errors": [asdict(e) for e in self.errors_since(mark)],
            "mark": self.mark,
        }
