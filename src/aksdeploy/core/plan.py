"""A plan: for each desired resource, what would change, and the Kubernetes objects that go with it.

``plan → apply(plan) → plan`` must come out empty; the JSON form below is the contract other tools read:
``{"azure": [{"id", "type", "apiVersion", "action", "dependsOn", "body", …}], "kubernetes": [objects]}``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from aksdeploy.core.graph import keyed, topological_order
from aksdeploy.core.resources import Json, Resource, to_json


class Action(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    NOOP = "noop"


@dataclass(frozen=True, slots=True)
class PropertyChange:
    path: str
    before: Json
    after: Json


@dataclass(frozen=True, slots=True)
class Change:
    action: Action
    resource: Resource
    diff: tuple[PropertyChange, ...] = ()


@dataclass(frozen=True, slots=True)
class Plan:
    environment: str
    changes: tuple[Change, ...]
    kubernetes: tuple[Mapping[str, Any], ...] = ()
    notes: tuple[str, ...] = field(default=(), compare=False)

    @property
    def pending(self) -> bool:
        return any(c.action is not Action.NOOP for c in self.changes)

    def count(self, action: Action) -> int:
        return sum(1 for c in self.changes if c.action is action)


def offline_plan(
    environment: str, resources: Sequence[Resource], kubernetes: Sequence[Mapping[str, Any]], notes: Sequence[str] = ()
) -> Plan:
    """The plan when nothing exists yet: every resource is created, in dependency order."""
    ordered = topological_order(resources)
    return Plan(environment, tuple(Change(Action.CREATE, r) for r in ordered), tuple(kubernetes), tuple(notes))


def plan_to_json(plan: Plan) -> dict[str, Any]:
    """The plan in the JSON contract."""
    by_key = keyed([c.resource for c in plan.changes])
    azure = []
    for change in plan.changes:
        r = change.resource
        entry: dict[str, Any] = {
            "id": r.id,
            "type": r.type,
            "apiVersion": r.api_version,
            "action": change.action.value,
            "dependsOn": [by_key[d].id for d in r.depends_on if d in by_key],
            "body": to_json(r.body),
            "node": r.key,
        }
        if change.diff:
            entry["changes"] = [{"path": p.path, "before": p.before, "after": p.after} for p in change.diff]
        azure.append(entry)
    return {"environment": plan.environment, "azure": azure, "kubernetes": list(plan.kubernetes)}
