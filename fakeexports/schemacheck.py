"""A JSON Schema checked by walking it, with nothing compiled: for documents read once or twice a process (fixture
documents), where fastjsonschema's compiling (10-15 ms a vendor's fixture schema, most of it Python compiling the
50 KB of code it writes) costs far more than the check. It raises what fastjsonschema's compiled check raises, the
same JsonSchemaValueException (message, value, name, definition, rule) for the same first failure in the same order,
so fixtures.worded reads either; tests/unit/test_schemacheck.py holds the two side by side on every vendor's schema.

The keywords are the subset fixture schemas use (type, enum, anyOf, minLength, maxLength, pattern, minimum, maximum,
items, required, properties, additionalProperties, description): a schema with any other is refused when the
checker is made, so a vendor author learns it at import, not from a document that slipped through."""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from fastjsonschema import JsonSchemaDefinitionException, JsonSchemaValueException

KNOWN = frozenset({"type", "enum", "anyOf", "minLength", "maxLength", "pattern", "minimum", "maximum", "items",
                   "required", "properties", "additionalProperties", "description", "title", "default"})
# fastjsonschema's draft 7 types: a float without a fraction is an integer, a bool is never a number
TYPES: dict[str, tuple[type, ...]] = {"null": (type(None),), "boolean": (bool,), "number": (int, float, Decimal),
                                      "integer": (int,), "string": (str,), "array": (list, tuple), "object": (dict,)}


class SchemaCheck:
    """``SchemaCheck(schema)(value)``: None, or JsonSchemaValueException for the first failure fastjsonschema
    would report."""

    def __init__(self, schema: Mapping[str, Any]):
        self.schema = schema
        self.patterns: dict[str, re.Pattern[str]] = {}
        self._learn(schema, "data")

    def _learn(self, schema: Any, where: str) -> None:
        if isinstance(schema, bool):
            return
        if not isinstance(schema, Mapping):
            raise JsonSchemaDefinitionException(f"{where}: a schema is a mapping")
        unknown = set(schema) - KNOWN
        if unknown:
            raise JsonSchemaDefinitionException(f"{where}: schemacheck does not know {sorted(unknown)}")
        if "pattern" in schema:
            self.patterns[schema["pattern"]] = re.compile(schema["pattern"])
        for key, sub in (schema.get("properties") or {}).items():
            self._learn(sub, f"{where}.{key}")
        for sub in schema.get("anyOf") or ():
            self._learn(sub, where)
        for key in ("items", "additionalProperties"):
            if isinstance(schema.get(key), Mapping):
                self._learn(schema[key], f"{where}[]")

    def __call__(self, value: Any) -> None:
        self.check(self.schema, value, "data")

    def check(self, schema: Any, value: Any, name: str) -> None:
        if schema is True or schema == {}:
            return
        if schema is False:
            raise _fail(f"{name} must not be there", value, name, {}, "not")
        if "type" in schema:
            types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
            if not _typed(value, types):
                raise _fail(f"{name} must be {' or '.join(types)}", value, name, schema, "type")
        if "enum" in schema and not any(_same(value, option) for option in schema["enum"]):
            raise _fail(f"{name} must be one of {schema['enum']}", value, name, schema, "enum")
        if "anyOf" in schema:
            for sub in schema["anyOf"]:
                try:
                    self.check(sub, value, name)
                    break
                except JsonSchemaValueException:
                    continue
            else:
                raise _fail(f"{name} cannot be validated by any definition", value, name, schema, "anyOf")
        self._bounds(schema, value, name)
        if isinstance(value, list | tuple) and isinstance(schema.get("items"), Mapping | bool):
            for i, item in enumerate(value):
                self.check(schema["items"], item, f"{name}[{i}]")
        if isinstance(value, dict):
            self._object(schema, value, name)

    def _bounds(self, schema: Mapping[str, Any], value: Any, name: str) -> None:
        """minLength, maxLength and pattern of a string; minimum and maximum of a number."""
        if isinstance(value, str):
            if "minLength" in schema and len(value) < schema["minLength"]:
                raise _fail(f"{name} must be longer than or equal to {schema['minLength']} characters", value, name,
                            schema, "minLength")
            if "maxLength" in schema and len(value) > schema["maxLength"]:
                raise _fail(f"{name} must be shorter than or equal to {schema['maxLength']} characters", value,
                            name, schema, "maxLength")
            if "pattern" in schema and not self.patterns[schema["pattern"]].search(value):
                raise _fail(f"{name} must match pattern {schema['pattern']}", value, name, schema, "pattern")
        if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
            if "minimum" in schema and value < schema["minimum"]:
                raise _fail(f"{name} must be bigger than or equal to {schema['minimum']}", value, name, schema,
                            "minimum")
            if "maximum" in schema and value > schema["maximum"]:
                raise _fail(f"{name} must be smaller than or equal to {schema['maximum']}", value, name, schema,
                            "maximum")

    def _object(self, schema: Mapping[str, Any], value: dict[Any, Any], name: str) -> None:
        required = schema.get("required")
        if required and not all(key in value for key in required):
            raise _fail(f"{name} must contain {sorted(required)} properties", value, name, schema, "required")
        properties = schema.get("properties") or {}
        for key, sub in properties.items():
            if key in value:
                self.check(sub, value[key], f"{name}.{key}")
        extra_schema = schema.get("additionalProperties", True)
        if extra_schema is True or extra_schema == {}:
            return
        extra = [key for key in value if key not in properties]
        if extra_schema is False:
            if extra:
                raise _fail(f"{name} must not contain {set(extra)} properties", value, name, schema,
                            "additionalProperties")
            return
        for key in extra:
            self.check(extra_schema, value[key], f"{name}.{key}")


def _typed(value: Any, types: list[str]) -> bool:
    python = tuple(t for name in types for t in TYPES[name])
    ok = isinstance(value, python) or ("integer" in types and isinstance(value, float) and value.is_integer())
    if isinstance(value, bool) and ("number" in types or "integer" in types) and "boolean" not in types:
        return False
    return ok


def _same(value: Any, option: Any) -> bool:
    """fastjsonschema's enum match: a bool only as itself, a number only as a number, None only as None."""
    if isinstance(option, bool):
        return isinstance(value, bool) and value is option
    if isinstance(option, int | float):
        return isinstance(value, int | float) and not isinstance(value, bool) and value == option
    if option is None:
        return value is None
    if isinstance(option, str):
        return isinstance(value, str) and value == option
    return bool(value == option)


def _fail(message: str, value: Any, name: str, definition: Any, rule: str) -> JsonSchemaValueException:
    return JsonSchemaValueException(message, value=value, name=name, definition=definition, rule=rule)
