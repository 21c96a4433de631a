"""Desired Azure resources as data: ids, types, API versions, bodies, and the edges of the DAG.

A body may hold a ``Ref``: a value that exists only once another resource does (the kubelet identity's object id,
say). ``Ref`` mirrors ARM templates' ``reference()`` and prints the same way; ``resolve`` replaces refs with the
observed values once their resource is done. Role assignment names are a ``Guid`` of scope, principal and role,
like ARM templates' ``guid()``: the same inputs give the same name on every run, so a rerun never collides.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

# uuid5 namespace for role assignment names (fixed forever: changing it would orphan every assignment).
ROLE_ASSIGNMENT_NAMESPACE = uuid.UUID("5b8f3f0e-8a9a-4c1e-9d47-6a1c9d1f2a10")

Json = Any


@dataclass(frozen=True, slots=True)
class Ref:
    """The value at PATH of resource NODE's observed state."""

    node: str
    path: tuple[str, ...]

    def __str__(self) -> str:
        return f"[reference('{self.node}').{'.'.join(self.path)}]"


@dataclass(frozen=True, slots=True)
class Guid:
    """A deterministic GUID from parts, some of which may be refs."""

    parts: tuple[str | Ref, ...]

    def __str__(self) -> str:
        if all(isinstance(p, str) for p in self.parts):
            key = "|".join(str(p).lower() for p in self.parts)
            return str(uuid.uuid5(ROLE_ASSIGNMENT_NAMESPACE, key))
        # Path-like parts print as their last segment, so the expression never adds segments to an id.
        inner = ", ".join(f"'{p.rsplit('/', 1)[-1]}'" if isinstance(p, str) else str(p)[1:-1] for p in self.parts)
        return f"[guid({inner})]"


@dataclass(frozen=True, slots=True)
class Resource:
    """One node of the DAG: a resource aksdeploy owns, or an update aksdeploy makes to one (``key`` differs)."""

    key: str
    type: str
    api_version: str
    parent: str
    name: str | Guid
    body: Mapping[str, Json]
    depends_on: tuple[str, ...] = ()
    summary: tuple[tuple[str, str], ...] = field(default=(), compare=False)

    @property
    def id(self) -> str:
        return f"{self.parent}/{self.name}"

    @property
    def display_name(self) -> str:
        return str(self.name) if isinstance(self.name, str) else self.key

    @property
    def refs(self) -> tuple[Ref, ...]:
        """Every ref in the name and body."""
        found: list[Ref] = []
        if isinstance(self.name, Guid):
            found.extend(p for p in self.name.parts if isinstance(p, Ref))
        _collect_refs(self.body, found)
        return tuple(found)


def _collect_refs(value: Json, out: list[Ref]) -> None:
    if isinstance(value, Ref):
        out.append(value)
    elif isinstance(value, Mapping):
        for v in value.values():
            _collect_refs(v, out)
    elif isinstance(value, (list, tuple)):
        for v in value:
            _collect_refs(v, out)


def _map(value: Json, fn: Callable[[Ref], Json]) -> Json:
    if isinstance(value, Ref):
        return fn(value)
    if isinstance(value, Mapping):
        return {k: _map(v, fn) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_map(v, fn) for v in value]
    return value


def lookup(document: Mapping[str, Json], path: Iterable[str]) -> Json:
    """The value at PATH in DOCUMENT, or None."""
    node: Json = document
    for part in path:
        if not isinstance(node, Mapping):
            return None
        node = node.get(part)
    return node


def resolve(resource: Resource, observed: Mapping[str, Mapping[str, Json]]) -> Resource:
    """RESOURCE with every ref replaced by the value OBSERVED for its node; fails on a missing value."""

    def value(ref: Ref) -> Json:
        found = lookup(observed.get(ref.node, {}), ref.path)
        if found is None:
            raise LookupError(f"{ref.node} has no value at {'.'.join(ref.path)} (needed by {resource.key})")
        return found

    name = resource.name
    if isinstance(name, Guid):
        name = Guid(tuple(value(p) if isinstance(p, Ref) else p for p in name.parts))
    return replace(resource, name=name, body=_map(resource.body, value))


def to_json(value: Json) -> Json:
    """VALUE with refs printed as ARM template expressions."""
    return _map(value, str)
