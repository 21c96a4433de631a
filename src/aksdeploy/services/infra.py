"""Plan, provision and destroy the Azure architecture of one environment.

Provisioning walks the resource DAG concurrently: a node starts the moment its dependencies are done, so
independent branches (the cluster and the gateway above all) run in parallel. Each node is
GET → compare what aksdeploy owns → PUT only if it differs → wait; a rerun with no change sends no write, and a
run killed anywhere converges when rerun because every write is an idempotent PUT of the same body under the same
name. ``plan`` runs the same observation without writing.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

from aksdeploy.core.errors import AzureError
from aksdeploy.core.graph import topological_order
from aksdeploy.core.ownership import drift, update_body
from aksdeploy.core.plan import Action, Change, Plan, PropertyChange
from aksdeploy.core.resources import Resource, resolve
from aksdeploy.ports import InfraGateway, Progress

ROLE_ASSIGNMENT = "Microsoft.Authorization/roleAssignments"
RESOURCE_GROUP = "Microsoft.Resources/resourceGroups"


@dataclass(frozen=True, slots=True)
class NodeResult:
    key: str
    action: Action
    resource_id: str
    seconds: float
    error: str | None = None


@dataclass(slots=True)
class ProvisionResult:
    results: list[NodeResult] = field(default_factory=list)
    observed: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def failed(self) -> list[NodeResult]:
        return [r for r in self.results if r.error is not None]


class Provisioner:
    """Runs a resource DAG against an ``InfraGateway``."""

    def __init__(
        self,
        gateway: InfraGateway,
        progress: Progress,
        *,
        workers: int = 16,
        principal_retry: Sequence[float] = (2, 4, 8, 15, 30, 30, 30),
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._gateway = gateway
        self._progress = progress
        self._workers = workers
        self._principal_retry = tuple(principal_retry)
        self._sleep = sleep
        # Ids this run created: nothing beneath a scope created moments ago can exist yet, so it is not read.
        self._created: set[str] = set()

    # -- planning -------------------------------------------------------------------------------------------

    def plan(
        self, environment: str, resources: Sequence[Resource], kubernetes: Sequence[Mapping[str, Any]] = ()
    ) -> Plan:
        """What ``apply`` would do, observed from Azure without writing."""
        observed: dict[str, dict[str, Any]] = {}
        changes: list[Change] = []
        for node in topological_order(resources):
            try:
                concrete = resolve(node, observed)
            except LookupError:  # needs a value from a resource that does not exist yet
                changes.append(Change(Action.CREATE, node))
                continue
            live = self._gateway.get(concrete.id, concrete.api_version)
            if live is None:
                changes.append(Change(Action.CREATE, concrete))
                continue
            observed[node.key] = live
            diff = drift(concrete, live)
            changes.append(Change(Action.UPDATE if diff else Action.NOOP, concrete, tuple(diff)))
        return Plan(environment, tuple(changes), tuple(kubernetes))

    # -- provisioning ---------------------------------------------------------------------------------------

    def apply(self, resources: Sequence[Resource], only: frozenset[str] | None = None) -> ProvisionResult:
        """Bring every resource to its desired state, concurrently in dependency order.

        With ONLY, just those nodes are written; the others are read, and must already exist.
        """
        ordered = topological_order(resources)
        result = ProvisionResult()
        lock = threading.Lock()
        done: set[str] = set()
        failed: set[str] = set()
        waiting = {r.key: r for r in ordered}
        for r in ordered:
            self._progress.start(r.key, r.display_name, "waiting")
        with ThreadPoolExecutor(max_workers=self._workers, thread_name_prefix="provision") as pool:
            running: dict[Future[NodeResult], Resource] = {}
            while waiting or running:
                for key, node in list(waiting.items()):
                    if any(d in failed for d in node.depends_on):
                        del waiting[key]
                        failed.add(key)
                        result.results.append(
                            NodeResult(key, Action.NOOP, node.id, 0.0, "skipped: a dependency failed")
                        )
                        self._progress.finish(key, "skipped", "a dependency failed")
                    elif all(d in done for d in node.depends_on):
                        del waiting[key]
                        task = self._node if only is None or key in only else self._observe
                        running[pool.submit(task, node, result.observed, lock)] = node
                if not running:
                    break
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in finished:
                    node = running.pop(future)
                    outcome = future.result()
                    result.results.append(outcome)
                    (failed if outcome.error else done).add(node.key)
        return result

    def _node(self, node: Resource, observed: dict[str, dict[str, Any]], lock: threading.Lock) -> NodeResult:
        started = time.monotonic()
        try:
            with lock:
                concrete = resolve(node, observed)
            self._progress.start(node.key, concrete.display_name, "checking")
            live = (
                None
                if self._under_new_scope(concrete.id, lock)
                else self._gateway.get(concrete.id, concrete.api_version)
            )
            diff = drift(concrete, live) if live is not None else []
            if live is not None and not diff:
                action, final = Action.NOOP, live
                self._progress.finish(node.key, "unchanged")
            else:
                action = Action.CREATE if live is None else Action.UPDATE
                self._progress.start(node.key, concrete.display_name, "creating" if live is None else "updating")
                final = self._write(concrete, update_body(concrete, live))
                if action is Action.CREATE:
                    with lock:
                        self._created.add(concrete.id.lower())
                self._progress.finish(node.key, "done", _describe(diff))
            with lock:
                observed[node.key] = final
            return NodeResult(node.key, action, concrete.id, time.monotonic() - started)
        except AzureError as exc:
            self._progress.finish(node.key, "failed", exc.message)
            return NodeResult(node.key, Action.NOOP, node.id, time.monotonic() - started, _error_text(exc))

    def _under_new_scope(self, resource_id: str, lock: threading.Lock) -> bool:
        lowered = resource_id.lower()
        with lock:
            return any(lowered.startswith(created + "/") for created in self._created)

    def _observe(self, node: Resource, observed: dict[str, dict[str, Any]], lock: threading.Lock) -> NodeResult:
        """Read NODE without writing it; a missing resource is an error."""
        started = time.monotonic()
        try:
            with lock:
                concrete = resolve(node, observed)
            live = self._gateway.get(concrete.id, concrete.api_version)
        except (AzureError, LookupError) as exc:
            self._progress.finish(node.key, "failed", str(exc))
            return NodeResult(node.key, Action.NOOP, node.id, 0.0, str(exc))
        if live is None:
            message = f"{concrete.display_name} does not exist; run `aksdeploy provision` first"
            self._progress.finish(node.key, "failed", message)
            return NodeResult(node.key, Action.NOOP, concrete.id, 0.0, message)
        with lock:
            observed[node.key] = live
        self._progress.finish(node.key, "unchanged")
        return NodeResult(node.key, Action.NOOP, concrete.id, time.monotonic() - started)

    def _write(self, resource: Resource, body: Mapping[str, Any]) -> dict[str, Any]:
        delays = self._principal_retry if resource.type == ROLE_ASSIGNMENT else ()
        for attempt in range(len(delays) + 1):
            try:
                return self._gateway.put(resource.id, resource.api_version, body)
            except AzureError as exc:
                # A principal created seconds ago may not have replicated through Entra ID yet.
                if exc.code != "PrincipalNotFound" or attempt == len(delays):
                    raise
                self._progress.note(f"{resource.key}: principal not replicated yet, retrying in {delays[attempt]:g}s")
                self._sleep(delays[attempt])
        raise AssertionError("unreachable")

    # -- destroying -----------------------------------------------------------------------------------------

    def destroy(self, resource_group: Resource) -> bool:
        """Delete the environment's resource group if aksdeploy manages it; False when it is already gone."""
        live = self._gateway.get(resource_group.id, resource_group.api_version)
        if live is None:
            return False
        tags = {k.lower(): str(v) for k, v in (live.get("tags") or {}).items()}
        expected = {k: str(v) for k, v in resource_group.body.get("tags", {}).items()}
        if any(tags.get(k) != v for k, v in expected.items()):
            raise AzureError(
                f"{resource_group.id} is not tagged as this environment's ({expected}); refusing to delete it",
                "delete it yourself if it really is disposable",
            )
        self._progress.start(resource_group.key, resource_group.display_name, "deleting")
        self._gateway.delete(resource_group.id, resource_group.api_version)
        self._progress.finish(resource_group.key, "deleted")
        return True


def _describe(diff: Sequence[PropertyChange]) -> str:
    return ", ".join(c.path for c in diff[:3]) + (" …" if len(diff) > 3 else "")


def _error_text(exc: AzureError) -> str:
    return exc.message + (f" (hint: {exc.suggestion})" if exc.suggestion else "")
