"""A transcript: the exchanges of one run of a vendor's recipe (``fakeexports verify``), each a request and its
answer with the step it belongs to. Saved as JSON with every secret taken out: credentials in headers, tokens and
secrets in bodies, the signature of every signed URL. Nothing in a saved transcript can be replayed against the
account it came from."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

HIDDEN = "***"
SECRET_HEADERS = frozenset({"authorization", "api-key", "x-api-key", "cookie", "set-cookie", "proxy-authorization"})
# and any header whose name says it signs, authorizes or carries a secret (a vendor's X-…-Signature on callbacks)
SECRET_HEADER = re.compile(r"signature|secret|token|key|auth|password|cookie|credential", re.IGNORECASE)
# a JSON member or form field whose name (lower case, without _ and -) says its value is a secret
SECRET_NAME = re.compile(r"(token|secret|password|apikey|privatekey|signature|credential)$")
# query parameters that sign or authorize a URL (presigned links of S3 and others, tokens and keys in links)
SECRET_QUERY = re.compile(r"^(x-amz-signature|x-amz-credential|x-amz-security-token|x-goog-signature|"
                          r"x-goog-credential|signature|sig|token|access_token|key|api_key|apikey|api-key|"
                          r"client_secret|password|secret)$", re.IGNORECASE)
_SIGNED = re.compile(r"([?&](?:x-amz-signature|x-amz-credential|x-goog-signature|signature|sig|token|access_?token|"
                     r"api[_-]?key|client_?secret|password)=)[^&\s\"'<>]*", re.IGNORECASE)


def secret_name(name: str) -> bool:
    return bool(SECRET_NAME.search(name.lower().replace("_", "").replace("-", "")))


def scrub(text: str) -> str:
    """Any text (an error message, a header) with every signing or secret query value in it hidden."""
    return _SIGNED.sub(lambda m: m.group(1) + HIDDEN, text)


# a JSON member with a string or number value, or a form field, in text that does not parse (a body cut short)
_MEMBER = re.compile(r'"((?:[^"\\]|\\.)*)"(\s*:\s*)(?:"(?:[^"\\]|\\.)*"?|-?\d[\d.eE+-]*)')
_FIELD = re.compile(r"(^|&)([^=&\s]+)=([^&\s]*)")
# a multipart/form-data part: its name, then its value after the blank line
_PART = re.compile(r'(name="([^"]*)"[^\r\n]*\r?\n(?:[^\r\n]+\r?\n)*\r?\n)([^\r\n]*)')


def scrub_members(text: str) -> str:
    """Text that may be JSON or a form but does not parse as a whole (a body cut at a journal's cap): every secret
    member's or field's value hidden where it stands (secret_name), and every signed URL's signature."""
    text = _MEMBER.sub(lambda m: f'"{m.group(1)}"{m.group(2)}"{HIDDEN}"' if secret_name(m.group(1)) else m.group(0),
                       text)
    if "=" in text and "\n" not in text.strip():
        text = _FIELD.sub(lambda m: f"{m.group(1)}{m.group(2)}={HIDDEN}" if secret_name(m.group(2)) else m.group(0),
                          text)
    if 'name="' in text:
        text = _PART.sub(lambda m: m.group(1) + HIDDEN if secret_name(m.group(2)) else m.group(0), text)
    return scrub(text)


def redact_text(data: bytes, content_type: str) -> str:
    """A UTF-8 body as text with its secrets hidden (redact_body), kept as it was sent where nothing in it is
    secret: a JSON body is not re-serialized just to be shown."""
    text = data.decode("utf-8")
    if "x-www-form-urlencoded" in content_type.lower():  # its fields where they stand, "***" not "%2A%2A%2A"
        return scrub_members(text)
    hidden = redact_body(data, content_type)
    if hidden == data:
        return text
    stripped = text.lstrip()
    if "json" in content_type.lower() or stripped[:1] in ("{", "["):
        try:
            value = json.loads(text)
        except (ValueError, RecursionError):  # RecursionError: nested deeper than the parser goes
            return hidden.decode("utf-8")
        if redact_value(value) == value:
            return text
    return hidden.decode("utf-8")
BODY_LIMIT = 256 * 1024  # of an answer kept in a transcript (a file: its head is enough to compare its format)


def redact_url(url: str) -> str:
    """The URL with every signing or authorizing query value hidden (and a user:password in it)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    query = urlencode([(k, HIDDEN if SECRET_QUERY.match(k) else v) for k, v in parse_qsl(parts.query,
                                                                                          keep_blank_values=True)],
                      safe="*:/")
    netloc = parts.netloc.rsplit("@", 1)[-1] if "@" in parts.netloc else parts.netloc
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Secret headers keep their scheme (``Basic``, ``Bearer``) and lose their value; every other header loses the
    secrets a URL in it carries (Location, Link, Refresh)."""
    out = {}
    for name, value in headers.items():
        low = name.lower()
        if low in SECRET_HEADERS or SECRET_HEADER.search(low):
            scheme, sep, _ = value.partition(" ")
            out[name] = f"{scheme} {HIDDEN}" if sep and scheme.isalpha() and low.endswith("authorization") else HIDDEN
        else:
            out[name] = scrub(value)
    return out


def redact_value(value: Any) -> Any:
    """A JSON value with every secret member hidden and every URL's signature taken out."""
    if isinstance(value, dict):
        return {k: HIDDEN if secret_name(str(k)) and v is not None else redact_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact_value(v) for v in value]
    if isinstance(value, str):
        return redact_url(value) if value.startswith(("http://", "https://")) else scrub(value)
    return value


def redact_body(data: bytes, content_type: str) -> bytes:
    """A body with its secrets hidden, whatever its Content-Type says (recordings often say nothing): JSON members,
    form fields, and any signed URL in any other text; a binary body (a file) as it is."""
    if not data:
        return data
    kind = content_type.lower()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return data
    stripped = text.lstrip()
    if "json" in kind or stripped[:1] in ("{", "["):
        try:
            return json.dumps(redact_value(json.loads(text))).encode()
        except (ValueError, RecursionError):  # not JSON after all, cut short, or nested too deep: its members
            return scrub_members(text).encode()
    if "x-www-form-urlencoded" in kind or (not kind and "=" in text and "\n" not in text.strip()):
        pairs = parse_qsl(text, keep_blank_values=True)
        if pairs:
            return urlencode([(k, HIDDEN if secret_name(k) else v) for k, v in pairs]).encode()
    return scrub_members(text).encode()  # any other text (a form sent as text/plain, multipart): where they stand


@dataclass
class Exchange:
    """One request and its answer. ``step`` names what the recipe was doing (``create``, ``poll``, ``download 2``,
    ``bad: unknown job``...); ``at`` is the answer's Date (the vendor's clock), ``status_word`` the job status a
    poll's answer showed."""

    step: str
    method: str
    url: str
    request_headers: dict[str, str]
    request_body: bytes
    status: int
    headers: dict[str, str]
    body: bytes
    at: float | None = None
    status_word: str | None = None

    def header(self, name: str) -> str | None:
        low = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == low), None)

    @property
    def content_type(self) -> str:
        return self.header("Content-Type") or ""

    def json(self) -> Any:
        try:
            return json.loads(self.body) if self.body else None
        except ValueError:
            return None

    def redacted(self) -> Exchange:
        sent_type = next((v for k, v in self.request_headers.items() if k.lower() == "content-type"), "")
        # redacted whole, then cut: a cut JSON body would no longer parse, and keep its secrets
        return Exchange(self.step, self.method, redact_url(self.url), redact_headers(self.request_headers),
                        redact_body(self.request_body, sent_type)[:BODY_LIMIT], self.status,
                        redact_headers(self.headers), redact_body(self.body, self.content_type)[:BODY_LIMIT],
                        self.at, self.status_word)

    def to_json(self) -> dict[str, Any]:
        return {"step": self.step, "method": self.method, "url": self.url, "request_headers": self.request_headers,
                "request_body": _text(self.request_body), "status": self.status, "headers": self.headers,
                "body": _text(self.body), "at": self.at, "status_word": self.status_word}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Exchange:
        return cls(str(data["step"]), str(data["method"]), str(data["url"]), dict(data.get("request_headers") or {}),
                   _bytes(data.get("request_body")), int(data["status"]), dict(data.get("headers") or {}),
                   _bytes(data.get("body")), data.get("at"), data.get("status_word"))


def _text(data: bytes) -> dict[str, str]:
    try:
        return {"text": data.decode("utf-8")}
    except UnicodeDecodeError:
        return {"base64": base64.b64encode(data).decode()}


def _bytes(value: Any) -> bytes:
    if not value:
        return b""
    if isinstance(value, str):
        return value.encode()
    if "base64" in value:
        return base64.b64decode(value["base64"])
    return str(value.get("text", "")).encode()


def date_of(headers: Mapping[str, str]) -> float | None:
    """An answer's Date header as epoch seconds (the clock of whoever answered), or None."""
    value = next((v for k, v in headers.items() if k.lower() == "date"), None)
    if not value:
        return None
    try:
        return parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, OverflowError):
        return None


@dataclass
class Transcript:
    """A run of a vendor's recipe: where it ran, and its exchanges in order."""

    vendor: str
    base: str
    exchanges: list[Exchange] = field(default_factory=list)
    error: str | None = None  # the run stopped: the vendor answered what the recipe did not expect

    def redacted(self) -> Transcript:
        return Transcript(self.vendor, redact_url(self.base), [e.redacted() for e in self.exchanges],
                          scrub(self.error) if self.error else self.error)

    def to_json(self) -> dict[str, Any]:
        return {"fakeexports_transcript": 1, "vendor": self.vendor, "base": self.base, "error": self.error,
                "exchanges": [e.to_json() for e in self.exchanges]}

    def save(self, folder: Path, name: str) -> Path:
        """Written redacted, always."""
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / name
        path.write_text(json.dumps(self.redacted().to_json(), indent=1) + "\n")
        return path

    @classmethod
    def load(cls, path: Path) -> Transcript:
        data = json.loads(path.read_text())
        return cls(str(data["vendor"]), str(data["base"]), [Exchange.from_json(e) for e in data["exchanges"]],
                   data.get("error"))
