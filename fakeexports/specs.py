"""Loading our OpenAPI documents (specs/<vendor>*.yaml): local $refs resolved once, OpenAPI 3.0 schemas
turned into plain JSON Schema (nullable, formats), and operations listed by method and path. The
request validators compiled from them live in validation.py; routes are built in routing.py."""

from __future__ import annotations

import copy
import hashlib
import os
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import orjson

from .errors import SpecError

HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
# OpenAPI's annotations that are no JSON Schema keywords; any x- extension is dropped too.
_DROP = {"example", "examples", "xml", "externalDocs", "discriminator", "deprecated", "nullable"}
_NAMED = {"properties", "patternProperties", "definitions", "$defs"}  # maps of names to schemas, not keywords


def data_dir(kind: str) -> Path:
    """Where the bundled specs/ or fixtures/ are: inside the installed wheel, or the source checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "_data" / kind, here.parent / kind):
        if candidate.is_dir():
            return candidate
    raise SpecError(f"bundled {kind}/ not found next to {here}")


def load_yaml(path: Path, cache: Path | None = None) -> Any:
    """A YAML document, through a JSON copy in ``cache`` keyed by the file's hash: parsing the specs and
    fixtures as YAML costs ~80 ms of startup, reading the JSON copies ~2 ms. A cache that cannot be read
    or written is simply not used."""
    raw = path.read_bytes()
    copy_path = cache / f"{hashlib.sha256(raw).hexdigest()[:32]}.json" if cache else None
    if copy_path is not None:
        try:
            return orjson.loads(copy_path.read_bytes())
        except (OSError, orjson.JSONDecodeError):
            pass
    import yaml  # only when there is no JSON copy: it costs ~15 ms of startup to import

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    doc = yaml.load(raw, Loader=loader)  # a safe loader (CSafeLoader when libyaml is there)
    if copy_path is not None:
        try:
            copy_path.parent.mkdir(parents=True, exist_ok=True)
            tmp = copy_path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_bytes(orjson.dumps(doc))
            tmp.replace(copy_path)
        except (OSError, TypeError):
            pass  # e.g. a YAML date the JSON copy cannot hold: parse it every time
    return doc


def resolve_refs(doc: dict[str, Any]) -> dict[str, Any]:
    """Inline every local ``$ref`` (our specs use only ``#/components/...``); a cycle is a SpecError."""

    def lookup(ref: str) -> Any:
        if not ref.startswith("#/"):
            raise SpecError(f"only local $refs are supported, not {ref!r}")
        node: Any = doc
        for part in ref[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            if not isinstance(node, dict) or part not in node:
                raise SpecError(f"unresolvable $ref {ref!r}")
            node = node[part]
        return node

    def walk(node: Any, seen: tuple[str, ...]) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str):
                if ref in seen:
                    raise SpecError(f"recursive $ref {ref!r}")
                return walk(lookup(ref), (*seen, ref))
            return {k: walk(v, seen) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v, seen) for v in node]
        return node

    resolved: dict[str, Any] = walk(doc, ())
    return resolved


def to_json_schema(schema: Any) -> Any:
    """OpenAPI 3.0 Schema Object -> JSON Schema (draft 7): ``nullable`` becomes a "null" type."""
    if isinstance(schema, list):
        return [to_json_schema(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: ({name: to_json_schema(s) for name, s in v.items()} if k in _NAMED and isinstance(v, dict)
               else to_json_schema(v))
           for k, v in schema.items() if k not in _DROP and not k.startswith("x-")}
    if schema.get("nullable"):
        t = out.get("type")
        if isinstance(t, str):
            out["type"] = [t, "null"]
            if "enum" in out and None not in out["enum"]:
                out["enum"] = [*out["enum"], None]
        elif t is None:
            out = {"anyOf": [out, {"type": "null"}]}
    return out


@dataclass(frozen=True)
class Param:
    name: str
    location: str  # path, query, header
    required: bool
    schema: dict[str, Any]
    style: str
    explode: bool


@dataclass(frozen=True)
class Operation:
    """One operation of one spec document, with its parameters, body and responses in JSON Schema."""

    vendor: str
    spec_key: str
    method: str
    path: str
    operation_id: str
    params: tuple[Param, ...]
    body: dict[str, dict[str, Any]]  # media type -> schema
    body_required: bool
    responses: dict[str, dict[str, Any]]  # "201" / "default" -> {"content": {...}, "headers": {...}}
    secured: bool
    security: tuple[dict[str, list[str]], ...]  # alternatives: scheme name -> scopes (OAuth2)
    raw: dict[str, Any] = field(repr=False, compare=False)
    # the security schemes ``security`` names, as the document declares them (where a credential goes, its words)
    schemes: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def handler_name(self) -> str:
        return snake_case(self.operation_id)

    def response_for(self, status: int) -> dict[str, Any] | None:
        return self.responses.get(str(status)) or self.responses.get(f"{status // 100}XX") or (
            self.responses.get("default")
        )


def snake_case(operation_id: str) -> str:
    """``CreateExportCustomJob`` -> ``create_export_custom_job``; ``getExport`` -> ``get_export``."""
    text = re.sub(r"[^0-9A-Za-z]+", "_", operation_id)
    text = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", text)
    return text.strip("_").lower()


@dataclass(frozen=True)
class SpecDoc:
    """One OpenAPI document of a vendor (one API version)."""

    vendor: str
    key: str
    path: Path
    sha256: str
    document: dict[str, Any] = field(repr=False)
    operations: tuple[Operation, ...] = field(repr=False)
    source: dict[str, Any] = field(repr=False, default_factory=dict)  # as written, $refs and all


def _param(raw: dict[str, Any]) -> Param:
    location = raw["in"]
    style = raw.get("style") or ("simple" if location in ("path", "header") else "form")
    return Param(
        name=raw["name"],
        location=location,
        required=bool(raw.get("required", location == "path")),
        schema=to_json_schema(raw.get("schema") or {}),
        style=style,
        explode=bool(raw.get("explode", style == "form")),
    )


def load_spec(vendor: str, key: str, path: Path, cache_dir: Path | None = None) -> SpecDoc:
    raw_bytes = path.read_bytes()
    return _load_spec_cached(vendor, key, str(path), hashlib.sha256(raw_bytes).hexdigest(),
                             str(cache_dir) if cache_dir else None)


@cache
def _load_spec_cached(vendor: str, key: str, path_text: str, sha: str, cache_dir: str | None) -> SpecDoc:
    # Keyed by content hash: a second app in the same process (tests) reuses the parsed document.
    path = Path(path_text)
    doc = load_yaml(path, Path(cache_dir) if cache_dir else None)
    if not isinstance(doc, dict) or "paths" not in doc:
        raise SpecError(f"{path}: not an OpenAPI document")
    resolved = resolve_refs(doc)
    global_security = resolved.get("security")
    declared = (resolved.get("components") or {}).get("securitySchemes") or {}
    operations: list[Operation] = []
    for route, item in (resolved.get("paths") or {}).items():
        shared = item.get("parameters", [])
        for method in HTTP_METHODS:
            op = item.get(method)
            if op is None:
                continue
            if "operationId" not in op:
                raise SpecError(f"{path}: {method.upper()} {route} has no operationId")
            merged = {(p["in"], p["name"]): p for p in shared}
            merged.update({(p["in"], p["name"]): p for p in op.get("parameters", [])})
            body = op.get("requestBody") or {}
            content = {
                media: to_json_schema(spec.get("schema") or {})
                for media, spec in (body.get("content") or {}).items()
            }
            responses = {
                str(code): {
                    "content": {
                        media: to_json_schema(spec.get("schema") or {})
                        for media, spec in (resp.get("content") or {}).items()
                    },
                    "headers": {
                        name.lower(): {
                            "required": bool(h.get("required")),
                            "schema": to_json_schema(h.get("schema") or {}),
                        }
                        for name, h in (resp.get("headers") or {}).items()
                    },
                }
                for code, resp in (op.get("responses") or {}).items()
            }
            security = op.get("security", global_security)
            operations.append(
                Operation(
                    vendor=vendor,
                    spec_key=key,
                    method=method.upper(),
                    path=route,
                    operation_id=op["operationId"],
                    params=tuple(_param(p) for p in merged.values()),
                    body=content,
                    body_required=bool(body.get("required")),
                    responses=responses,
                    secured=bool(security),
                    security=tuple(dict(req) for req in security or ()),
                    raw=copy.deepcopy(op),
                    schemes={name: declared[name] for req in security or () for name in req if name in declared},
                )
            )
    return SpecDoc(vendor, key, path, sha, resolved, tuple(operations), doc)
