"""Validate ARM request bodies against the official Azure REST API specifications.

ARM rejects a body that breaks its OpenAPI (Swagger 2.0) definition with a 400. Tests and the ARM emulator use
this module to do the same: find the PUT operation whose path template matches a resource id, in the spec file
whose ``info.version`` equals the request's ``api-version``, and walk the body against its schema.

Checked: ``$ref`` (resolved lazily, across files), ``allOf``, ``properties``, ``required``, ``type``,
``enum`` (case-insensitive, as ARM compares them; ``modelAsString`` enums accept any string), ``readOnly``
(must not be sent), ``additionalProperties``, numeric and length bounds, and unknown properties (the network
and container service providers answer "Could not find member" for them).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

SPEC_ROOT = Path(
    os.environ.get(
        "AKSDEPLOY_SPEC_ROOT",
        Path(__file__).resolve().parents[3] / "shared" / "reference" / "azure-rest-api-specs" / "specification",
    )
)


@dataclass(frozen=True, slots=True)
class Operation:
    file: Path
    template: str
    schema: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Problem:
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path or '<body>'}: {self.message}"


class SpecNotFound(LookupError):
    """No spec file has a PUT operation for this resource id at this api-version."""


@cache
def _load(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as fh:
        data: dict[str, Any] = json.load(fh)
    return data


@cache
def _spec_files() -> tuple[Path, ...]:
    return tuple(sorted(p for p in SPEC_ROOT.rglob("*.json") if "common-types" not in p.parts))


def _template_regex(template: str) -> re.Pattern[str]:
    parts = []
    for segment in template.strip("/").split("/"):
        if segment == "{scope}":
            parts.append(r"(?:[^/]+(?:/[^/]+)*)")
        elif segment.startswith("{") and segment.endswith("}"):
            parts.append(r"[^/]+")
        else:
            parts.append(re.escape(segment))
    return re.compile("^/?" + "/".join(parts) + "$", re.IGNORECASE)


def _literal_count(template: str) -> int:
    return sum(1 for s in template.split("/") if s and not s.startswith("{"))


def find_put_operation(resource_id: str, api_version: str, method: str = "put") -> Operation:
    """The operation for METHOD on RESOURCE_ID at API_VERSION, most specific template first."""
    best: tuple[int, Operation] | None = None
    for file in _spec_files():
        spec = _load(file)
        if spec.get("info", {}).get("version") != api_version:
            continue
        for template, ops in spec.get("paths", {}).items():
            op = ops.get(method)
            if op is None or not _template_regex(template).match(resource_id):
                continue
            for param in op.get("parameters", []):
                param_file = file
                if "$ref" in param:
                    param, param_file = _resolve(param["$ref"], file)
                if param.get("in") != "body":
                    continue
                score = _literal_count(template)
                if best is None or score > best[0]:
                    best = (score, Operation(param_file, template, param["schema"]))
    if best is None:
        raise SpecNotFound(f"no {method.upper()} body for {resource_id} at api-version {api_version}")
    return best[1]


def _resolve(ref: str, base: Path) -> tuple[dict[str, Any], Path]:
    file_part, _, pointer = ref.partition("#")
    target = (base.parent / file_part).resolve() if file_part else base
    node: Any = _load(target)
    for token in pointer.strip("/").split("/"):
        if token:
            node = node[token.replace("~1", "/").replace("~0", "~")]
    return node, target


@dataclass(slots=True)
class _Flat:
    """A schema with its allOf chain merged: what one JSON object may hold."""

    properties: dict[str, tuple[dict[str, Any], Path]]
    required: set[str]
    additional: tuple[dict[str, Any], Path] | bool | None
    types: set[str]


def _flatten(schema: dict[str, Any], base: Path, seen: frozenset[str] = frozenset()) -> _Flat:
    while "$ref" in schema:
        key = f"{base}#{schema['$ref']}"
        if key in seen:
            return _Flat({}, set(), None, set())
        seen = seen | {key}
        schema, base = _resolve(schema["$ref"], base)
    flat = _Flat({}, set(schema.get("required", [])), None, set())
    if "type" in schema:
        flat.types.add(schema["type"])
    for parent in schema.get("allOf", []):
        sub = _flatten(parent, base, seen)
        flat.properties.update(sub.properties)
        flat.required |= sub.required
        flat.types |= sub.types
        if sub.additional is not None:
            flat.additional = sub.additional
    for name, prop in schema.get("properties", {}).items():
        flat.properties[name] = (prop, base)
    extra = schema.get("additionalProperties")
    if isinstance(extra, dict):
        flat.additional = (extra, base)
    elif isinstance(extra, bool):
        flat.additional = extra
    return flat


def _deref(schema: dict[str, Any], base: Path) -> tuple[dict[str, Any], Path]:
    while "$ref" in schema:
        schema, base = _resolve(schema["$ref"], base)
    return schema, base


_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "object": (dict,),
    "array": (list,),
}


def _type_ok(expected: str, value: Any) -> bool:
    if isinstance(value, bool) and expected in ("integer", "number"):
        return False
    return isinstance(value, _JSON_TYPES.get(expected, (object,)))


def _walk(value: Any, schema: dict[str, Any], base: Path, path: str) -> Iterator[Problem]:
    read_only = bool(schema.get("readOnly"))
    schema, base = _deref(schema, base)
    if read_only or schema.get("readOnly"):
        yield Problem(path, "is read-only and must not be sent")
        return
    has_object_shape = "properties" in schema or "allOf" in schema or "additionalProperties" in schema
    expected = schema.get("type") or ("object" if has_object_shape else None)
    if expected and not _type_ok(expected, value):
        yield Problem(path, f"expected {expected}, got {type(value).__name__}")
        return
    if "enum" in schema and isinstance(value, str):
        model_as_string = schema.get("x-ms-enum", {}).get("modelAsString", False)
        allowed = [str(v) for v in schema["enum"]]
        if not model_as_string and value.lower() not in {a.lower() for a in allowed}:
            yield Problem(path, f"{value!r} is not one of {allowed}")
    if isinstance(value, str):
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            yield Problem(path, f"longer than {schema['maxLength']}")
        if "minLength" in schema and len(value) < schema["minLength"]:
            yield Problem(path, f"shorter than {schema['minLength']}")
        if "pattern" in schema and not re.search(schema["pattern"], value):
            yield Problem(path, f"{value!r} does not match {schema['pattern']}")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            yield Problem(path, f"{value} is below the minimum {schema['minimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            yield Problem(path, f"{value} is above the maximum {schema['maximum']}")
    if isinstance(value, list):
        if "minItems" in schema and len(value) < schema["minItems"]:
            yield Problem(path, f"fewer than {schema['minItems']} items")
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            yield Problem(path, f"more than {schema['maxItems']} items")
        items = schema.get("items")
        if isinstance(items, dict):
            for i, item in enumerate(value):
                yield from _walk(item, items, base, f"{path}[{i}]")
    if isinstance(value, dict):
        flat = _flatten(schema, base)
        for name in sorted(flat.required - value.keys()):
            yield Problem(_join(path, name), "is required")
        for name, item in value.items():
            if name in flat.properties:
                prop, prop_base = flat.properties[name]
                yield from _walk(item, prop, prop_base, _join(path, name))
            elif isinstance(flat.additional, tuple):
                yield from _walk(item, flat.additional[0], flat.additional[1], _join(path, name))
            elif flat.additional is True or (flat.additional is None and not flat.properties):
                continue
            else:
                yield Problem(_join(path, name), "is not a known property")


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def validate_body(resource_id: str, api_version: str, body: Any) -> list[Problem]:
    """Every way BODY breaks the PUT schema for RESOURCE_ID; empty when it is valid."""
    op = find_put_operation(resource_id, api_version)
    return list(_walk(body, op.schema, op.file, ""))
