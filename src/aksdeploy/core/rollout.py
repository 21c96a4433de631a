"""Reading Kubernetes state: where each kind lives in the API, and whether a rollout is done, waiting or failed.

The rollout rules are the ones ``kubectl rollout status`` applies to a Deployment; pod reasons that will not fix
themselves (image pull errors, crash loops, bad container config) fail the rollout at once instead of waiting
for the progress deadline.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

Obj = Mapping[str, Any]

# kind -> (api path prefix, plural, namespaced)
KINDS: dict[str, tuple[str, str, bool]] = {
    "Namespace": ("/api/v1", "namespaces", False),
    "ServiceAccount": ("/api/v1", "serviceaccounts", True),
    "ConfigMap": ("/api/v1", "configmaps", True),
    "Secret": ("/api/v1", "secrets", True),
    "Service": ("/api/v1", "services", True),
    "Pod": ("/api/v1", "pods", True),
    "Event": ("/api/v1", "events", True),
    "Deployment": ("/apis/apps/v1", "deployments", True),
    "ReplicaSet": ("/apis/apps/v1", "replicasets", True),
    "Job": ("/apis/batch/v1", "jobs", True),
    "HorizontalPodAutoscaler": ("/apis/autoscaling/v2", "horizontalpodautoscalers", True),
    "PodDisruptionBudget": ("/apis/policy/v1", "poddisruptionbudgets", True),
    "Ingress": ("/apis/networking.k8s.io/v1", "ingresses", True),
    "NetworkPolicy": ("/apis/networking.k8s.io/v1", "networkpolicies", True),
}
# Kinds a release may prune when it no longer renders them (Jobs expire by TTL; the namespace stays).
PRUNABLE = (
    "ServiceAccount",
    "ConfigMap",
    "Secret",
    "Service",
    "Deployment",
    "HorizontalPodAutoscaler",
    "PodDisruptionBudget",
    "Ingress",
    "NetworkPolicy",
)
FAIL_FAST = frozenset(
    {
        "ErrImagePull",
        "ImagePullBackOff",
        "CrashLoopBackOff",
        "CreateContainerConfigError",
        "InvalidImageName",
        "CreateContainerError",
    }
)
REVISION = "deployment.kubernetes.io/revision"


def path_of(kind: str, namespace: str | None = None, name: str | None = None) -> str:
    """The API path of KIND (a collection when NAME is None)."""
    prefix, plural, namespaced = KINDS[kind]
    path = f"{prefix}/namespaces/{namespace}/{plural}" if namespaced and namespace else f"{prefix}/{plural}"
    return f"{path}/{name}" if name else path


class Phase(StrEnum):
    WAITING = "waiting"
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class RolloutState:
    phase: Phase
    message: str
    desired: int = 0
    updated: int = 0
    ready: int = 0
    available: int = 0


def rollout_state(deployment: Obj) -> RolloutState:
    """Where DEPLOYMENT's rollout stands, by the rules of ``kubectl rollout status``."""
    meta, spec, status = deployment.get("metadata", {}), deployment.get("spec", {}), deployment.get("status", {})
    desired = int(spec.get("replicas", 1))
    updated = int(status.get("updatedReplicas", 0))
    ready = int(status.get("readyReplicas", 0))
    available = int(status.get("availableReplicas", 0))
    total = int(status.get("replicas", 0))

    def state(phase: Phase, message: str) -> RolloutState:
        return RolloutState(phase, message, desired, updated, ready, available)

    if int(status.get("observedGeneration", 0)) < int(meta.get("generation", 1)):
        return state(Phase.WAITING, "waiting for the deployment spec update to be observed")
    for condition in status.get("conditions", []):
        if condition.get("type") == "Progressing" and condition.get("reason") == "ProgressDeadlineExceeded":
            return state(Phase.FAILED, f"ProgressDeadlineExceeded: {condition.get('message', '')}".strip())
    if updated < desired:
        return state(Phase.WAITING, f"{updated} of {desired} updated replicas")
    if total > updated:
        return state(Phase.WAITING, f"{total - updated} old replicas pending termination")
    if available < updated:
        return state(Phase.WAITING, f"{available} of {updated} updated replicas available")
    return state(Phase.DONE, f"{available} of {desired} replicas available")


@dataclass(frozen=True, slots=True)
class PodProblem:
    pod: str
    container: str
    reason: str
    message: str


def pod_problems(pods: Iterable[Obj]) -> list[PodProblem]:
    """Containers stuck for a reason that will not resolve by waiting."""
    found = []
    for pod in pods:
        statuses = pod.get("status", {}).get("containerStatuses", []) or []
        for cs in statuses:
            waiting = (cs.get("state") or {}).get("waiting") or {}
            if waiting.get("reason") in FAIL_FAST:
                found.append(
                    PodProblem(
                        pod["metadata"]["name"], cs.get("name", ""), waiting["reason"], waiting.get("message", "")
                    )
                )
    return found


def job_outcome(job: Obj) -> Phase:
    """Whether JOB completed, failed or is still running."""
    for condition in job.get("status", {}).get("conditions", []) or []:
        if condition.get("status") == "True" and condition.get("type") == "Complete":
            return Phase.DONE
        if condition.get("status") == "True" and condition.get("type") == "Failed":
            return Phase.FAILED
    return Phase.WAITING


def revision_of(obj: Obj) -> int:
    return int((obj.get("metadata", {}).get("annotations") or {}).get(REVISION, "0"))


def owned_by(children: Iterable[Obj], owner: Obj) -> list[Obj]:
    """CHILDREN whose controller is OWNER."""
    uid = owner.get("metadata", {}).get("uid")
    return [
        c for c in children if any(r.get("uid") == uid for r in c.get("metadata", {}).get("ownerReferences", []) or [])
    ]


def template_without_hash(replica_set: Obj) -> dict[str, Any]:
    """A ReplicaSet's pod template as a Deployment would carry it (without the pod-template-hash label)."""
    import copy

    template: dict[str, Any] = copy.deepcopy(dict(replica_set["spec"]["template"]))
    labels = template.get("metadata", {}).get("labels", {})
    labels.pop("pod-template-hash", None)
    return template
