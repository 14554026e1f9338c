"""Request and response validation compiled once per operation: query, path and header parameters are
coerced from strings by their schema type and checked by one compiled validator per location; bodies
(form or JSON) likewise. A failure is a Violation that the vendor turns into its own error envelope.
Compiled with fastjsonschema (a few microseconds a request, against openapi-core's ~1.5 ms)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import parse_qsl

import fastjsonschema
import orjson
from multidict import MultiMapping

from .caches import Memo
from .errors import StrictModeError, Violation
from .specs import Operation, Param

Validator = Callable[[Any], Any]

FORMATS: dict[str, str | Callable[[Any], bool]] = {
    "uuid": r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$",
    "int32": lambda _: True,
    "int64": lambda _: True,
    "float": lambda _: True,
    "double": lambda _: True,
    "binary": lambda _: True,
    "byte": lambda _: True,
    "password": lambda _: True,
    "uri-map": lambda _: True,
}

_INT = re.compile(r"^[-+]?\d+$")
_NUM = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")
JSON_TYPES = ("application/json", "application/vnd.api+json")
FORM_TYPE = "application/x-www-form-urlencoded"


def compile_schema(schema: Mapping[str, Any]) -> Validator:
    validator: Validator = fastjsonschema.compile(dict(schema), formats=FORMATS, use_default=False)
    return validator


class Lazy:
    """A validator compiled on first use (or by the warm-up that follows startup): compiling every
    operation's schemas up front would cost ~100 ms of the half-second startup."""

    __slots__ = ("_compiled", "schema")

    def __init__(self, schema: Mapping[str, Any]):
        self.schema = schema
        self._compiled: Validator | None = None

    def warm(self) -> Validator:
        if self._compiled is None:
            self._compiled = compile_schema(self.schema)
        return self._compiled

    def __call__(self, value: Any) -> Any:
        return (self._compiled or self.warm())(value)


def _types(schema: Mapping[str, Any]) -> set[str]:
    t = schema.get("type")
    if isinstance(t, list):
        return set(t)
    if isinstance(t, str):
        return {t}
    found: set[str] = set()
    for key in ("anyOf", "oneOf", "allOf"):
        for sub in schema.get(key, []):
            found |= _types(sub)
    return found


def _integer(v: str) -> Any:
    # Python refuses to read more than 4,300 digits (sys.int_info.str_digits_check_threshold guards against
    # quadratic work): a number that long is no vendor's value, so it stays text and is refused as not an integer.
    if not _INT.match(v) or len(v.lstrip("+-").lstrip("0")) > 4000:
        return v
    return int(v)


def coercer(schema: Mapping[str, Any]) -> Callable[[str], Any]:
    """How a string from a query, path, header or form becomes the schema's type. A value that does not
    convert is left a string, so the compiled validator reports the type error."""
    types = _types(schema)
    if "integer" in types:
        return _integer
    if "number" in types:
        return lambda v: float(v) if _NUM.match(v) else v
    if "boolean" in types:
        return lambda v: {"true": True, "false": False}.get(v, v)
    return lambda v: v


def violation_from(exc: fastjsonschema.JsonSchemaValueException, location: str | None) -> Violation:
    """``location`` None: the first path element names it (the parameters' combined validator)."""
    # exc.name ("data.query.page[size]") keeps bracketed names whole; exc.path would split them.
    full = str(exc.name or "")
    dotted = full[5:] if full.startswith("data.") else ""
    if location is None:
        location, _, dotted = dotted.partition(".")
        location = location or "query"
    path = dotted.split(".") if dotted else []
    name = ".".join(path)
    message = exc.message.replace("data.", "", 1) if exc.message.startswith("data.") else exc.message
    if exc.rule == "required" and isinstance(exc.value, dict):
        missing = [r for r in (exc.rule_definition or []) if r not in exc.value]
        if missing:
            name = ".".join([*path, str(missing[0])])
            message = f"{missing[0]} is required"
    elif exc.rule == "additionalProperties":
        # "data.x must not contain {'bogus'} properties": name the first unexpected key
        extra = re.search(r"\{'(.+?)'", exc.message)
        if extra:
            name = ".".join([*path, extra.group(1)])
            message = f"{extra.group(1)} is not allowed"
    return Violation(location=location, name=name, rule=str(exc.rule), message=message, value=exc.value,
                     schema=exc.definition)


class ParamGroup:
    """The parameters of one location (path, query or header), coerced from strings."""

    def __init__(self, location: str, params: list[Param]):
        self.location = location
        self.params = params
        self.plain = [(p.name, coercer(p.schema), p) for p in params if p.style != "deepObject"]
        self.deep = [(p.name, p) for p in params if p.style == "deepObject"]
        self.schema = {
            "type": "object",
            "properties": {p.name: p.schema for p in params},
            "required": [p.name for p in params if p.required],
        }
        self.deep_coercers = {
            p.name: {k: coercer(v) for k, v in (p.schema.get("properties") or {}).items()}
            for _, p in self.deep
        }

    def extract(self, source: MultiMapping[str] | Mapping[str, str]) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for name, coerce, param in self.plain:
            if name not in source:
                continue
            if "array" in _types(param.schema):
                getall = getattr(source, "getall", None)
                raw = getall(name) if getall and param.explode else str(source[name]).split(",")
                item = coercer(param.schema.get("items") or {})
                values[name] = [item(v) for v in raw]
            else:
                values[name] = coerce(source[name])
        for name, _param in self.deep:
            # deepObject: page[number]=2&page[size]=10 -> {"page": {"number": 2, "size": 10}}
            prefix = name + "["
            found: dict[str, Any] = {}
            coercers = self.deep_coercers[name]
            for key in source:
                if key.startswith(prefix) and key.endswith("]"):
                    sub = key[len(prefix) : -1]
                    raw = source[key]
                    found[sub] = coercers[sub](raw) if sub in coercers else raw
            if found:
                values[name] = found
        return values


class RequestValidator:
    """Everything one operation checks in a request, compiled at startup: one compiled validator for all
    its parameters (path, query and headers together: one call a request), one per body media type."""

    def __init__(self, op: Operation, memo: Memo[dict[str, Any]] | None = None):
        self.op = op
        groups = {}
        for location in ("path", "query", "header"):
            params = [p for p in op.params if p.location == location]
            if params:
                if location == "header":
                    params = [
                        Param(p.name.lower(), p.location, p.required, p.schema, p.style, p.explode)
                        for p in params
                    ]
                groups[location] = ParamGroup(location, params)
        self.groups = groups
        # Pollers repeat the same URL: where the parameters come from the path and query only, the same raw path always
        # gives the same values, kept by it (the "params" cache; a request with header parameters is always checked).
        self.memo = memo if "header" not in groups else None
        self.validate_params = Lazy({
            "type": "object",
            "properties": {location: group.schema for location, group in groups.items()},
        })
        self.bodies = {media: Lazy(schema) for media, schema in op.body.items()}
        self.body_coercers = {
            media: {k: coercer(v) for k, v in (schema.get("properties") or {}).items()}
            for media, schema in op.body.items()
            if media == FORM_TYPE
        }

    def params(self, match_info: Mapping[str, str], query: MultiMapping[str], headers: Mapping[str, str],
               raw_path: str = "") -> tuple[dict[str, Any], Violation | None]:
        """Coerced path, query and header values in one dict (shared by identical requests: read only); the first
        violation, if any."""
        memo = self.memo
        if memo is not None:
            kept = memo.get(raw_path)
            if kept is not None:
                return kept, None
        values, problem = self._params(match_info, query, headers)
        if memo is not None and problem is None:
            memo.put(raw_path, values)
        return values, problem

    def _params(self, match_info: Mapping[str, str], query: MultiMapping[str],
                headers: Mapping[str, str]) -> tuple[dict[str, Any], Violation | None]:
        grouped: dict[str, dict[str, Any]] = {}
        for location, group in self.groups.items():
            if location == "path":
                grouped[location] = group.extract(match_info)
            elif location == "query":
                grouped[location] = group.extract(query)
            else:
                grouped[location] = group.extract({k.lower(): v for k, v in headers.items()})
        try:
            self.validate_params(grouped)
        except fastjsonschema.JsonSchemaValueException as exc:
            return {}, violation_from(exc, None)
        values: dict[str, Any] = {}
        for part in grouped.values():
            values.update(part)
        return values, None

    def warm(self) -> None:
        self.validate_params.warm()
        for body in self.bodies.values():
            body.warm()

    @property
    def wants_body(self) -> bool:
        return bool(self.bodies)

    def body(self, content_type: str, raw: bytes) -> tuple[Any, Violation | None]:
        """Parse and check a body of ``content_type``; returns the parsed value and the first violation."""
        media = content_type.split(";", 1)[0].strip().lower()
        if not raw.strip():
            if FORM_TYPE in self.bodies:
                # An empty form is a form without fields: its required fields are named as missing.
                media, raw = FORM_TYPE, b""
            elif self.op.body_required:
                return None, Violation("body", "", "required", "a request body is required")
            else:
                return None, None
        validator = self.bodies.get(media)
        if validator is None and media in JSON_TYPES:
            alt = next((m for m in JSON_TYPES if m in self.bodies), None)
            validator = self.bodies.get(alt) if alt else None
            media = alt or media
        if validator is None:
            accepted = ", ".join(self.bodies) or "no body"
            return None, Violation("body", "", "content-type", f"Content-Type {media!r} is not {accepted}")
        if media == FORM_TYPE:
            try:
                pairs = parse_qsl(raw.decode("utf-8"), keep_blank_values=True, strict_parsing=False,
                                  errors="strict")
            except UnicodeDecodeError:
                return None, Violation("body", "", "encoding", "the form body is not UTF-8")
            coercers = self.body_coercers[media]
            value: Any = {}
            for k, v in pairs:
                value[k] = coercers[k](v) if k in coercers else v
        else:
            try:
                value = orjson.loads(raw)
            except orjson.JSONDecodeError as exc:
                return None, Violation("body", "", "json", f"the body is not valid JSON: {exc}")
        try:
            validator(value)
        except fastjsonschema.JsonSchemaValueException as exc:
            return value, violation_from(exc, "body")
        return value, None


class ResponseValidator:
    """Strict mode: every response checked against its operation's declared responses. Compiled on first
    use of each (status, media type): only strict mode pays for it."""

    def __init__(self, op: Operation):
        self.op = op
        self._compiled: dict[tuple[int, str], Validator] = {}

    def check(self, status: int, content_type: str | None, body: Any, headers: Mapping[str, str]) -> None:
        op = self.op
        spec = op.response_for(status)
        where = f"{op.vendor} {op.operation_id} ({op.method} {op.path}) response {status}"
        if spec is None:
            raise StrictModeError(f"{where}: status {status} is not declared in the spec")
        lower = {k.lower() for k in headers}
        for name, header in spec["headers"].items():
            if header["required"] and name not in lower:
                raise StrictModeError(f"{where}: header {name!r} is required")
        content = spec["content"]
        if not content:
            if body not in (None, b""):
                raise StrictModeError(f"{where}: the spec declares no body, the fake sent one")
            return
        media = (content_type or "").split(";", 1)[0].strip().lower()
        if media not in content:
            raise StrictModeError(f"{where}: content type {media!r} is not one of {sorted(content)}")
        if media not in JSON_TYPES:
            return
        key = (status, media)
        validator = self._compiled.get(key)
        if validator is None:
            validator = self._compiled[key] = compile_schema(content[media])
        if isinstance(body, bytes | bytearray):
            body = orjson.loads(body)
        try:
            validator(body)
        except fastjsonschema.JsonSchemaValueException as exc:
            v = violation_from(exc, "response")
            raise StrictModeError(f"{where}: field {v.name or '(root)'}: {v.message}") from None
