"""Looking at a running release: status and logs."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from aksdeploy.core.rollout import owned_by, revision_of, rollout_state
from aksdeploy.ports import Cluster
from aksdeploy.services.project import Project
from aksdeploy.services.releases import instance_selector


@dataclass(slots=True)
class Status:
    namespace: str
    deployment: str
    exists: bool
    revision: int = 0
    image: str = ""
    desired: int = 0
    ready: int = 0
    available: int = 0
    rollout: str = ""
    hpa: str = ""
    ingress: str = ""
    revisions: list[tuple[int, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def status(project: Project, cluster: Cluster) -> Status:
    """Revision, image digest, replicas, HPA, ingress address and recent warnings of the app."""
    ns, name = project.names.namespace, project.config.settings.app.name
    deployment = cluster.get("Deployment", ns, name)
    result = Status(ns, name, deployment is not None)
    if deployment is None:
        return result
    state = rollout_state(deployment)
    result.revision = revision_of(deployment)
    result.image = deployment["spec"]["template"]["spec"]["containers"][0]["image"]
    result.desired, result.ready, result.available, result.rollout = (
        state.desired,
        state.ready,
        state.available,
        f"{state.phase.value}: {state.message}",
    )
    replica_sets, _ = cluster.list("ReplicaSet", ns)
    for rs in sorted(owned_by(replica_sets, deployment), key=revision_of):
        result.revisions.append((revision_of(rs), rs["spec"]["template"]["spec"]["containers"][0]["image"]))
    hpa = cluster.get("HorizontalPodAutoscaler", ns, name)
    if hpa is not None:
        st = hpa.get("status", {})
        result.hpa = (
            f"{st.get('currentReplicas', '?')} current / {st.get('desiredReplicas', '?')} desired "
            f"(min {hpa['spec'].get('minReplicas')}, max {hpa['spec']['maxReplicas']})"
        )
    ingress = cluster.get("Ingress", ns, name)
    if ingress is not None:
        points = (ingress.get("status", {}).get("loadBalancer", {}) or {}).get("ingress") or []
        result.ingress = ", ".join(p.get("ip") or p.get("hostname", "") for p in points) or "pending"
    events, _ = cluster.list("Event", ns)
    warnings = [e for e in events if e.get("type") == "Warning"]
    for event in warnings[-10:]:
        involved = event.get("involvedObject", {})
        result.warnings.append(
            f"{involved.get('kind')}/{involved.get('name')}: {event.get('reason')}: {event.get('message')}"
        )
    return result


def logs(
    project: Project, cluster: Cluster, tail: int | None, since_seconds: int | None, previous: bool, follow: bool
) -> Iterator[tuple[str, str]]:
    """(pod, line) for every pod of the app, in turn (or interleaved as they come when following)."""
    ns = project.names.namespace
    pods, _ = cluster.list("Pod", ns, instance_selector(project))
    if not follow:
        for pod in pods:
            for line in cluster.logs(ns, pod["metadata"]["name"], tail, previous, since_seconds):
                yield pod["metadata"]["name"], line
        return
    import queue
    import threading

    lines: queue.Queue[tuple[str, str] | None] = queue.Queue()

    def pump(pod_name: str) -> None:
        try:
            for line in cluster.logs(ns, pod_name, tail, previous, since_seconds, follow=True):
                lines.put((pod_name, line))
        finally:
            lines.put(None)

    for pod in pods:
        threading.Thread(target=pump, args=(pod["metadata"]["name"],), daemon=True).start()
    open_streams = len(pods)
    while open_streams:
        item = lines.get()
        if item is None:
            open_streams -= 1
        else:
            yield item
