"""Deploying a release to the cluster, and the read-side commands around it (status, rollback).

Order (DESIGN.md §5): namespace and configuration → migration Job, which must succeed (else nothing else changes
and its logs are shown) → server-side apply of everything with one field manager → watch the rollout, failing
fast on pods that cannot start → on failure, roll back to the previous revision's pod template and wait → prune
objects of this app that are no longer rendered. Reapplying the same release changes nothing: server-side apply of
an identical object is a no-op, the migration Job for a digest runs once, and no pod restarts.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from aksdeploy.core.errors import ConfigError, DeployError
from aksdeploy.core.manifests import Release, TlsPair, labels, render_release
from aksdeploy.core.rollout import (
    PRUNABLE,
    Phase,
    RolloutState,
    job_outcome,
    owned_by,
    pod_problems,
    revision_of,
    rollout_state,
    template_without_hash,
)
from aksdeploy.ports import Cluster
from aksdeploy.services.project import Project

# Applied before the migration Job, which needs them; everything else only after it succeeds.
FOUNDATION = ("Namespace", "ServiceAccount", "ConfigMap", "Secret")


@dataclass(frozen=True, slots=True)
class DeployOptions:
    force_conflicts: bool = False
    rollback: bool = True
    timeout: float = 900.0


@dataclass(slots=True)
class DeployResult:
    image: str
    revision: int = 0
    changed: list[str] = field(default_factory=list)
    pruned: list[str] = field(default_factory=list)
    migrated: bool = False


Report = Callable[[str], None]


def secret_values(project: Project, environ: Mapping[str, str]) -> dict[str, str]:
    """The values of the config's secret names, from ENVIRON; every missing one is named (values never are)."""
    names = project.config.settings.app.secrets
    missing = [n for n in names if n not in environ]
    if missing:
        raise ConfigError(
            f"missing environment variables for app.secrets: {', '.join(missing)}",
            "set them in the environment (in GitHub Actions, from repository or environment secrets)",
        )
    return {n: environ[n] for n in names}


def tls_pair(project: Project, environ: Mapping[str, str]) -> TlsPair | None:
    """The Ingress certificate from gateway.tls cert_file/key_file, or AKSDEPLOY_TLS_CERT/KEY (PEM text)."""
    tls = project.config.settings.gateway.tls
    if tls.certificate != "secret":
        return None
    if tls.cert_file and tls.key_file:
        try:
            return TlsPair((project.root / tls.cert_file).read_text(), (project.root / tls.key_file).read_text())
        except OSError as exc:
            raise ConfigError(
                f"{project.config.where(('gateway', 'tls'))}: cannot read the certificate ({exc})"
            ) from None
    if environ.get("AKSDEPLOY_TLS_CERT") and environ.get("AKSDEPLOY_TLS_KEY"):
        return TlsPair(environ["AKSDEPLOY_TLS_CERT"], environ["AKSDEPLOY_TLS_KEY"])
    return None


def _changed(before: Mapping[str, Any] | None, after: Mapping[str, Any]) -> bool:
    return before is None or before["metadata"].get("resourceVersion") != after["metadata"].get("resourceVersion")


class Deployer:
    def __init__(
        self,
        cluster: Cluster,
        report: Report,
        options: DeployOptions | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._cluster = cluster
        self._report = report
        self._options = options or DeployOptions()
        self._clock = clock
        self._last_progress = ""
        self._last_pod_check = float("-inf")

    def _apply(self, obj: Mapping[str, Any], result: DeployResult) -> dict[str, Any]:
        meta = obj["metadata"]
        before = self._cluster.get(obj["kind"], meta.get("namespace"), meta["name"])
        force = self._options.force_conflicts or _takes_over_replicas(obj, before)
        live = self._cluster.apply(obj, force=force)
        if _changed(before, live):
            result.changed.append(f"{obj['kind']}/{meta['name']}")
        return live

    def deploy(self, release: Release, image: str, instance_selector: str) -> DeployResult:
        result = DeployResult(image)
        objects = list(release.objects)
        for obj in objects:
            if obj["kind"] in FOUNDATION:
                self._apply(obj, result)
        if release.migration is not None:
            result.migrated = self._migrate(release.migration, result)
        deployment = next(o for o in objects if o["kind"] == "Deployment")
        namespace, name = deployment["metadata"]["namespace"], deployment["metadata"]["name"]
        previous = self._cluster.get("Deployment", namespace, name)
        for obj in objects:
            if obj["kind"] not in FOUNDATION:
                self._apply(obj, result)
        state, live = self._wait(namespace, name)
        if state.phase is Phase.FAILED:
            cause = state.message
            if not self._options.rollback or previous is None:
                hint = "fix the cause and deploy again" if previous is None else "run `aksdeploy rollback` to go back"
                raise DeployError(f"the rollout of {image} failed: {cause}", hint)
            revision = self.rollback(deployment)
            raise DeployError(
                f"the rollout of {image} failed: {cause}\n  rolled back automatically to revision {revision}",
                "fix the cause (the pod's reason and logs are above) and deploy again",
            )
        result.revision = revision_of(live)
        result.pruned = self._prune(objects, namespace, instance_selector)
        return result

    def _migrate(self, job: Mapping[str, Any], result: DeployResult) -> bool:
        namespace, name = job["metadata"]["namespace"], job["metadata"]["name"]
        existing = self._cluster.get("Job", namespace, name)
        if existing is not None and job_outcome(existing) is Phase.DONE:
            self._report(f"migrations already ran for this image (job {name})")
            return False
        if existing is not None and job_outcome(existing) is Phase.FAILED:
            self._cluster.delete("Job", namespace, name)
            self._wait_gone("Job", namespace, name)
        self._report(f"running migrations (job {name})")
        live = self._apply(job, result)
        deadline = self._clock() + self._options.timeout
        version = live["metadata"]["resourceVersion"]
        outcome = job_outcome(live)
        stuck: str | None = None
        while outcome is Phase.WAITING and self._clock() < deadline and stuck is None:
            for _, obj in self._cluster.watch("Job", namespace, version, name=name, timeout=2):
                version = obj["metadata"]["resourceVersion"]
                outcome = job_outcome(obj)
                if outcome is not Phase.WAITING:
                    break
            else:
                current = self._cluster.get("Job", namespace, name)
                if current is not None:
                    outcome, version = job_outcome(current), current["metadata"]["resourceVersion"]
                pods, _ = self._cluster.list("Pod", namespace, f"job-name={name}")
                problems = pod_problems(pods)
                if problems:  # a pod that cannot start will not finish the job
                    stuck = f"pod {problems[0].pod}: {problems[0].reason}: {problems[0].message}"
        if stuck is not None:
            raise DeployError(
                f"the migration job {name} cannot run: {stuck}; nothing else was changed",
                "check the image reference and that the cluster can pull it (AcrPull for the kubelet identity)",
            )
        if outcome is Phase.DONE:
            self._report("migrations done")
            return True
        logs = self._job_logs(namespace, name)
        reason = "failed" if outcome is Phase.FAILED else "did not finish in time"
        raise DeployError(
            f"the migration job {name} {reason}; nothing else was changed\n  job output:\n    " + "\n    ".join(logs),
            "fix the migration (or the database it reaches) and deploy again",
        )

    def _job_logs(self, namespace: str, job: str) -> list[str]:
        pods, _ = self._cluster.list("Pod", namespace, f"job-name={job}")
        lines: list[str] = []
        for pod in pods[-1:]:
            lines += list(self._cluster.logs(namespace, pod["metadata"]["name"], tail=30))
        return lines or ["(no output)"]

    def _wait_gone(self, kind: str, namespace: str, name: str) -> None:
        deadline = self._clock() + 60
        while self._cluster.get(kind, namespace, name) is not None and self._clock() < deadline:
            time.sleep(0.1)

    def _wait(self, namespace: str, name: str) -> tuple[RolloutState, dict[str, Any]]:
        """Watch the Deployment (and its pods) until the rollout is done or has failed."""
        deadline = self._clock() + self._options.timeout
        live = self._cluster.get("Deployment", namespace, name)
        if live is None:
            raise DeployError(f"deployment {namespace}/{name} disappeared during the rollout")
        state = self._check(live)
        version = live["metadata"]["resourceVersion"]
        while state.phase is Phase.WAITING and self._clock() < deadline:
            try:
                for _, obj in self._cluster.watch("Deployment", namespace, version, name=name, timeout=2):
                    version = obj["metadata"]["resourceVersion"]
                    live, state = obj, self._check(obj)
                    if state.phase is not Phase.WAITING:
                        break
                else:
                    # The watch ended (its timeout, or the server dropped it): look at pods, then re-watch.
                    state = self._check(live)
            except DeployError as exc:
                if exc.status != 410:
                    raise
                # Our resourceVersion is too old to resume from: re-list, then watch from there.
                current = self._cluster.get("Deployment", namespace, name)
                if current is None:
                    raise
                live, version = current, current["metadata"]["resourceVersion"]
                state = self._check(live)
        if state.phase is Phase.WAITING:
            return RolloutState(Phase.FAILED, f"timed out after {self._options.timeout:.0f}s: {state.message}"), live
        return state, live

    def _check(self, deployment: Mapping[str, Any]) -> RolloutState:
        state = rollout_state(deployment)
        progress = f"rollout: {state.updated}/{state.desired} updated, {state.ready} ready, {state.available} available"
        if progress != self._last_progress:
            self._report(progress)
            self._last_progress = progress
        if state.phase is Phase.DONE:
            return state
        # Looking for stuck pods costs two list calls: do it at most once a second, not on every event.
        now = self._clock()
        if now - self._last_pod_check < 1.0:
            return state
        self._last_pod_check = now
        namespace = deployment["metadata"]["namespace"]
        replica_sets, _ = self._cluster.list("ReplicaSet", namespace)
        mine = sorted(owned_by(replica_sets, deployment), key=revision_of)
        if not mine:
            return state
        pods, _ = self._cluster.list("Pod", namespace)
        problems = pod_problems(owned_by(pods, mine[-1]))
        if problems:
            p = problems[0]
            logs = list(self._cluster.logs(namespace, p.pod, tail=10)) if p.reason == "CrashLoopBackOff" else []
            detail = f"pod {p.pod}: {p.reason}: {p.message}"
            if logs:
                detail += "\n  last log lines:\n    " + "\n    ".join(logs)
            return RolloutState(Phase.FAILED, detail, state.desired, state.updated, state.ready, state.available)
        return state

    def rollback(self, deployment: Mapping[str, Any], to_revision: int | None = None) -> int:
        """Re-apply the rendered DEPLOYMENT with an earlier revision's pod template, and wait; returns that revision.

        The whole Deployment is applied (not just the template) because server-side apply removes the fields a
        manager stops sending.
        """
        namespace, name = deployment["metadata"]["namespace"], deployment["metadata"]["name"]
        live = self._cluster.get("Deployment", namespace, name)
        if live is None:
            raise DeployError(f"no deployment {namespace}/{name}", "deploy first")
        replica_sets, _ = self._cluster.list("ReplicaSet", namespace)
        history = sorted(owned_by(replica_sets, live), key=revision_of)
        current = revision_of(live)
        candidates = [r for r in history if revision_of(r) != current]
        if to_revision is not None:
            candidates = [r for r in history if revision_of(r) == to_revision]
        if not candidates:
            which = f"revision {to_revision}" if to_revision is not None else "an earlier revision"
            raise DeployError(
                f"{namespace}/{name} has no {which} to roll back to", "`aksdeploy status` lists revisions"
            )
        target = candidates[-1]
        self._report(f"rolling back {name} to revision {revision_of(target)}")
        restored = copy.deepcopy(dict(deployment))
        restored["spec"]["template"] = template_without_hash(target)
        self._cluster.apply(restored, force=True)
        state, after = self._wait(namespace, name)
        if state.phase is not Phase.DONE:
            raise DeployError(f"the rollback of {name} did not finish: {state.message}")
        return revision_of(after) or revision_of(target)

    def _prune(self, objects: list[dict[str, Any]], namespace: str, selector: str) -> list[str]:
        keep = {(o["kind"], o["metadata"]["name"]) for o in objects}
        pruned = []
        with ThreadPoolExecutor(max_workers=len(PRUNABLE), thread_name_prefix="prune") as pool:
            listed = list(pool.map(lambda kind: (kind, self._cluster.list(kind, namespace, selector)[0]), PRUNABLE))
        for kind, found in listed:
            for obj in found:
                key = (kind, obj["metadata"]["name"])
                if key not in keep:
                    self._cluster.delete(kind, namespace, obj["metadata"]["name"])
                    pruned.append(f"{kind}/{key[1]}")
        return pruned


def _takes_over_replicas(obj: Mapping[str, Any], live: Mapping[str, Any] | None) -> bool:
    """True when OBJ, a Deployment with a fixed count, may take ``spec.replicas`` back from an autoscaler.

    While an HPA scaled the Deployment, its controller owned ``spec.replicas``; once aksdeploy renders a fixed
    count instead (the HPA is gone from the config), that field — and only when it is the sole field owned by
    someone else — is aksdeploy's again.
    """
    if obj["kind"] != "Deployment" or "replicas" not in obj.get("spec", {}) or live is None:
        return False
    others = [e for e in live["metadata"].get("managedFields", []) if e.get("manager") != "aksdeploy"]
    owned = [_field_paths(e.get("fieldsV1", {})) for e in others]
    return bool(owned) and all(paths <= {("spec", "replicas")} for paths in owned)


def _field_paths(tree: Mapping[str, Any], prefix: tuple[str, ...] = ()) -> set[tuple[str, ...]]:
    """Leaf paths of a FieldsV1 tree (``{"f:spec": {"f:replicas": {}}}`` → ``{("spec", "replicas")}``)."""
    paths: set[tuple[str, ...]] = set()
    for key, sub in tree.items():
        if not key.startswith("f:"):
            continue
        path = (*prefix, key[2:])
        paths |= _field_paths(sub, path) if sub else {path}
    return paths


def instance_selector(project: Project) -> str:
    """The label selector for every object this app and environment owns."""
    lbls = labels(project.config.settings, project.config.environment)
    return ",".join(f"{k}={v}" for k, v in lbls.items())


def render_for(project: Project, image: str, environ: Mapping[str, str]) -> Release:
    """The release for IMAGE with secret values and the TLS certificate from ENVIRON."""
    settings = project.config.settings
    return render_release(
        settings,
        project.config.environment,
        project.names,
        image,
        secret_values(project, environ),
        tls_pair(project, environ),
    )


def deploy(
    project: Project,
    cluster: Cluster,
    image: str,
    environ: Mapping[str, str],
    report: Report,
    options: DeployOptions | None = None,
) -> DeployResult:
    """Deploy IMAGE (a digest reference) for PROJECT."""
    if "@sha256:" not in image:
        raise ConfigError(
            f"--image {image!r} is not a digest reference", "deploy registry/app@sha256:… (printed by push)"
        )
    release = render_for(project, image, environ)
    return Deployer(cluster, report, options).deploy(release, image, instance_selector(project))
