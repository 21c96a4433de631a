"""Order and timing of a resource DAG: topological order, levels, critical path."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from aksdeploy.core.resources import Resource


class CycleError(ValueError):
    """The dependencies form a cycle or name a node that does not exist."""


def topological_order(resources: Sequence[Resource]) -> list[Resource]:
    """RESOURCES ordered so that each comes after its dependencies (stable for ties)."""
    by_key = {r.key: r for r in resources}
    for r in resources:
        missing = [d for d in r.depends_on if d not in by_key]
        if missing:
            raise CycleError(f"{r.key} depends on unknown {', '.join(missing)}")
    done: set[str] = set()
    order: list[Resource] = []
    remaining = list(resources)
    while remaining:
        ready = [r for r in remaining if all(d in done for d in r.depends_on)]
        if not ready:
            raise CycleError("dependency cycle among " + ", ".join(r.key for r in remaining))
        for r in ready:
            done.add(r.key)
            order.append(r)
        remaining = [r for r in remaining if r.key not in done]
    return order


def critical_path(resources: Sequence[Resource], duration: Callable[[Resource], float]) -> tuple[float, list[str]]:
    """The longest chain of DURATIONs through the DAG, and the keys on it."""
    finish: dict[str, float] = {}
    via: dict[str, str | None] = {}
    for r in topological_order(resources):
        start, previous = 0.0, None
        for d in r.depends_on:
            if finish[d] > start:
                start, previous = finish[d], d
        finish[r.key] = start + duration(r)
        via[r.key] = previous
    if not finish:
        return 0.0, []
    end = max(finish, key=lambda k: finish[k])
    path: list[str] = []
    node: str | None = end
    while node is not None:
        path.append(node)
        node = via[node]
    return finish[end], path[::-1]


def sequential_time(resources: Sequence[Resource], duration: Callable[[Resource], float]) -> float:
    """The time one resource after another would take."""
    return sum(duration(r) for r in resources)


def keyed(resources: Sequence[Resource]) -> Mapping[str, Resource]:
    """RESOURCES by key."""
    return {r.key: r for r in resources}
