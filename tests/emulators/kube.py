"""A local Kubernetes API server for tests, following the API conventions for what aksdeploy uses.

Run as its own process (``python -m tests.emulators.kube --certs DIR``); prints ``READY <url>``. It serves HTTPS
on 127.0.0.1 and requires a bearer token. Implemented:

- discovery (``/api``, ``/apis``, group versions) for the kinds aksdeploy renders;
- server-side apply (``PATCH`` with ``application/apply-patch+yaml``): field managers recorded in
  ``managedFields``, conflicts (409) with another manager's differing value unless ``force=true``, fields a manager
  stops applying removed, a no-op apply leaving ``resourceVersion`` untouched; lists are atomic;
- get, list (label selectors), watch from a ``resourceVersion`` (410 Gone when it is too old), delete with
  background cascade through ``ownerReferences``, pod logs;
- every applied object validated strictly against the upstream OpenAPI schema (kubernetes-validate): 422;
- a controller loop: Deployments → ReplicaSets (revision annotations, rollback reuses a matching ReplicaSet) →
  Pods with rolling updates, ``progressDeadlineSeconds``; Jobs → Pods; an HPA raising replicas to its minimum;
  a kubelet moving pods through Pending → Running/Ready, or scripted failures by image: ErrImagePull /
  ImagePullBackOff, CrashLoopBackOff, CreateContainerConfigError, or a failing Job.

Control endpoints under ``/_emulator/``: failures, scale (as the HPA would), objects, requests, reset.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import queue
import ssl
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import yaml

KINDS: dict[tuple[str, str], tuple[str, str, bool]] = {
    # (group/version, plural) -> (kind, group, namespaced)
    ("v1", "namespaces"): ("Namespace", "", False),
    ("v1", "serviceaccounts"): ("ServiceAccount", "", True),
    ("v1", "configmaps"): ("ConfigMap", "", True),
    ("v1", "secrets"): ("Secret", "", True),
    ("v1", "services"): ("Service", "", True),
    ("v1", "pods"): ("Pod", "", True),
    ("v1", "events"): ("Event", "", True),
    ("apps/v1", "deployments"): ("Deployment", "apps", True),
    ("apps/v1", "replicasets"): ("ReplicaSet", "apps", True),
    ("batch/v1", "jobs"): ("Job", "batch", True),
    ("autoscaling/v2", "horizontalpodautoscalers"): ("HorizontalPodAutoscaler", "autoscaling", True),
    ("policy/v1", "poddisruptionbudgets"): ("PodDisruptionBudget", "policy", True),
    ("networking.k8s.io/v1", "ingresses"): ("Ingress", "networking.k8s.io", True),
    ("networking.k8s.io/v1", "networkpolicies"): ("NetworkPolicy", "networking.k8s.io", True),
}
VALIDATE_VERSION = "1.33.0"
TIMING = {"pod_start": 0.15, "pod_ready": 0.15, "job_run": 0.2}
HISTORY = 1000


@dataclass
class Store:
    objects: dict[tuple[str, str, str, str], dict[str, Any]] = field(default_factory=dict)
    events: list[tuple[int, str, str, dict[str, Any]]] = field(default_factory=list)
    revision: int = 100
    failures: dict[str, str] = field(default_factory=dict)
    requests: list[dict[str, Any]] = field(default_factory=list)
    watchers: list[queue.Queue[tuple[int, str, str, dict[str, Any]]]] = field(default_factory=list)
    pod_started: dict[str, float] = field(default_factory=dict)
    drop_watch_after: int = 0
    last_ready: float = 0.0


S = Store()
LOCK = threading.RLock()


class ApiError(Exception):
    def __init__(self, code: int, reason: str, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code, self.reason, self.message, self.details = code, reason, message, details

    def status(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        }
        if self.details:
            out["details"] = self.details
        return out


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def _next_rv() -> str:
    S.revision += 1
    return str(S.revision)


def _key(gv: str, plural: str, namespace: str, name: str) -> tuple[str, str, str, str]:
    return (gv, plural, namespace if KINDS[(gv, plural)][2] else "", name)


def _emit(kind: str, gv_plural: str, obj: dict[str, Any]) -> None:
    event = (int(obj["metadata"]["resourceVersion"]), kind, gv_plural, copy.deepcopy(obj))
    S.events.append(event)
    del S.events[:-HISTORY]
    for watcher in list(S.watchers):
        watcher.put(event)


def _store(gv: str, plural: str, obj: dict[str, Any], created: bool) -> dict[str, Any]:
    obj["metadata"]["resourceVersion"] = _next_rv()
    key = _key(gv, plural, obj["metadata"].get("namespace", ""), obj["metadata"]["name"])
    S.objects[key] = obj
    _emit("ADDED" if created else "MODIFIED", f"{gv}/{plural}", obj)
    return obj


def _delete(gv: str, plural: str, namespace: str, name: str) -> dict[str, Any] | None:
    key = _key(gv, plural, namespace, name)
    obj = S.objects.pop(key, None)
    if obj is None:
        return None
    obj["metadata"]["resourceVersion"] = _next_rv()
    _emit("DELETED", f"{gv}/{plural}", obj)
    uid = obj["metadata"]["uid"]
    for other_key, other in list(S.objects.items()):
        if any(ref.get("uid") == uid for ref in other["metadata"].get("ownerReferences", [])):
            _delete(other_key[0], other_key[1], other_key[2], other_key[3])
    if plural == "namespaces":
        for other_key in [k for k in S.objects if k[2] == name]:
            _delete(*other_key)
    return obj


# -- server-side apply ------------------------------------------------------------------------------------------


def _leaves(value: Any, prefix: tuple[str, ...] = ()) -> dict[tuple[str, ...], Any]:
    """Field paths of VALUE; lists are atomic (one leaf)."""
    if isinstance(value, dict) and value:
        out: dict[tuple[str, ...], Any] = {}
        for k, v in value.items():
            out.update(_leaves(v, (*prefix, k)))
        return out
    return {prefix: value}


def _set(doc: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    for part in path[:-1]:
        doc = doc.setdefault(part, {})
    doc[path[-1]] = copy.deepcopy(value)


def _get(doc: Any, path: tuple[str, ...]) -> Any:
    for part in path:
        if not isinstance(doc, dict) or part not in doc:
            return None
        doc = doc[part]
    return doc


def _remove(doc: dict[str, Any], path: tuple[str, ...]) -> None:
    parents = [doc]
    for part in path[:-1]:
        nxt = parents[-1].get(part)
        if not isinstance(nxt, dict):
            return
        parents.append(nxt)
    parents[-1].pop(path[-1], None)
    for depth in range(len(path) - 1, 0, -1):
        if parents[depth] == {}:
            parents[depth - 1].pop(path[depth - 1], None)


IGNORED = (
    ("metadata", "resourceVersion"),
    ("metadata", "managedFields"),
    ("metadata", "generation"),
    ("metadata", "uid"),
    ("metadata", "creationTimestamp"),
    ("status",),
)


def _owned(obj: dict[str, Any]) -> dict[str, set[tuple[str, ...]]]:
    out: dict[str, set[tuple[str, ...]]] = {}
    for entry in obj["metadata"].get("managedFields", []):
        out[entry["manager"]] = {tuple(p.split("\x1f")) for p in entry["fieldsV1"]}
    return out


def _write_owned(obj: dict[str, Any], owned: dict[str, set[tuple[str, ...]]], operations: dict[str, str]) -> None:
    obj["metadata"]["managedFields"] = [
        {
            "manager": m,
            "operation": operations.get(m, "Apply"),
            "apiVersion": obj.get("apiVersion", ""),
            "fieldsType": "FieldsV1",
            "fieldsV1": sorted("\x1f".join(p) for p in paths),
            "time": _now(),
        }
        for m, paths in sorted(owned.items())
        if paths
    ]


def _operations(obj: dict[str, Any]) -> dict[str, str]:
    return {e["manager"]: e.get("operation", "Apply") for e in obj["metadata"].get("managedFields", [])}


def _spec_part(obj: dict[str, Any]) -> dict[str, Any]:
    trimmed = copy.deepcopy(obj)
    for path in IGNORED:
        _remove(trimmed, path)
    return trimmed


def apply(
    gv: str, plural: str, namespace: str, name: str, body: dict[str, Any], manager: str, force: bool
) -> dict[str, Any]:
    import kubernetes_validate

    kind, _, namespaced = KINDS[(gv, plural)]
    if body.get("kind") != kind or body.get("apiVersion") != gv:
        raise ApiError(400, "BadRequest", f"apply body is {body.get('apiVersion')}/{body.get('kind')}, not {gv}/{kind}")
    if body.get("metadata", {}).get("name") != name:
        raise ApiError(400, "BadRequest", "the name in the body does not match the URL")
    try:
        kubernetes_validate.validate(body, VALIDATE_VERSION, strict=True)
    except kubernetes_validate.ValidationError as exc:
        raise ApiError(422, "Invalid", f'{kind} "{name}" is invalid: {exc.message} at {list(exc.path)}') from None
    if namespaced and ("v1", "namespaces", "", namespace) not in S.objects:
        raise ApiError(404, "NotFound", f'namespaces "{namespace}" not found')
    applied = _leaves({k: v for k, v in body.items() if k not in ("status",)})
    applied.pop(("metadata", "name"), None)
    applied.pop(("metadata", "namespace"), None)
    applied.pop(("apiVersion",), None)
    applied.pop(("kind",), None)
    key = _key(gv, plural, namespace, name)
    live = S.objects.get(key)
    if live is None:
        obj: dict[str, Any] = {"apiVersion": gv, "kind": kind, "metadata": {"name": name}}
        if namespaced:
            obj["metadata"]["namespace"] = namespace
        for path, value in applied.items():
            _set(obj, path, value)
        obj["metadata"].update(uid=str(uuid.uuid4()), creationTimestamp=_now(), generation=1)
        _write_owned(obj, {manager: set(applied)}, {manager: "Apply"})
        _defaults(obj)
        return _store(gv, plural, obj, created=True)
    owned = _owned(live)
    conflicts = []
    for other, paths in owned.items():
        if other == manager:
            continue
        for path in paths & set(applied):
            if _get(live, path) != applied[path]:
                conflicts.append((other, path))
    if conflicts and not force:
        causes = [
            {"reason": "FieldManagerConflict", "message": f'conflict with "{m}"', "field": "." + ".".join(p)}
            for m, p in conflicts
        ]
        raise ApiError(
            409,
            "Conflict",
            f"Apply failed with {len(conflicts)} conflict(s): "
            + "; ".join(f'conflict with "{m}": .{".".join(p)}' for m, p in conflicts),
            {"name": name, "kind": plural, "causes": causes},
        )
    new = copy.deepcopy(live)
    previous = owned.get(manager, set())
    others = set().union(*(p for m, p in owned.items() if m != manager)) if len(owned) > 1 else set()
    for path in previous - set(applied):
        if path not in others:
            _remove(new, path)
    for path, value in applied.items():
        _set(new, path, value)
    owned[manager] = set(applied)
    for other in list(owned):
        if other != manager and force:
            owned[other] -= set(applied)
    operations = _operations(live)
    operations[manager] = "Apply"
    _write_owned(new, owned, operations)
    _defaults(new)
    same_owners = _owned(new) == _owned(live) and _operations(new) == _operations(live)
    if _spec_part(new) == _spec_part(live) and same_owners:
        return live  # a no-op apply changes nothing, not even resourceVersion
    if _get(_spec_part(new), ("spec",)) != _get(_spec_part(live), ("spec",)):
        new["metadata"]["generation"] = live["metadata"].get("generation", 1) + 1
    return _store(gv, plural, new, created=False)


def _defaults(obj: dict[str, Any]) -> None:
    if obj["kind"] == "Deployment":
        obj.setdefault("status", {})
    if obj["kind"] == "Service":
        obj["spec"].setdefault("clusterIP", "10.0.123.45")


# -- controllers and kubelet ------------------------------------------------------------------------------------


def _template_hash(template: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(template, sort_keys=True).encode()).hexdigest()[:10]


def _owner(obj: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": obj["apiVersion"],
        "kind": obj["kind"],
        "name": obj["metadata"]["name"],
        "uid": obj["metadata"]["uid"],
        "controller": True,
    }


def _owned_by(owner: dict[str, Any], gv: str, plural: str) -> list[dict[str, Any]]:
    uid = owner["metadata"]["uid"]
    return [
        o
        for k, o in S.objects.items()
        if k[0] == gv and k[1] == plural and any(r.get("uid") == uid for r in o["metadata"].get("ownerReferences", []))
    ]


def _update(gv: str, plural: str, obj: dict[str, Any]) -> None:
    key = _key(gv, plural, obj["metadata"].get("namespace", ""), obj["metadata"]["name"])
    if key in S.objects:
        _store(gv, plural, obj, created=False)


def _pod_image(pod: dict[str, Any]) -> str:
    return str(pod["spec"]["containers"][0]["image"])


def _event(namespace: str, involved: dict[str, Any], reason: str, message: str) -> None:
    name = f"{involved['metadata']['name']}.{uuid.uuid4().hex[:8]}"
    ev = {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": name, "namespace": namespace, "uid": str(uuid.uuid4())},
        "involvedObject": {"kind": involved["kind"], "name": involved["metadata"]["name"], "namespace": namespace},
        "reason": reason,
        "message": message,
        "type": "Warning",
        "lastTimestamp": _now(),
        "count": 1,
    }
    _store("v1", "events", ev, created=True)


def _kubelet(pod: dict[str, Any]) -> None:
    status = pod.setdefault("status", {"phase": "Pending"})
    if status.get("phase") in ("Succeeded", "Failed"):
        return
    uid = pod["metadata"]["uid"]
    started = S.pod_started.setdefault(uid, time.monotonic())
    age = time.monotonic() - started
    image = _pod_image(pod)
    failure = S.failures.get(image)
    name = pod["spec"]["containers"][0]["name"]
    job_pod = "job-name" in pod["metadata"].get("labels", {})
    if age < TIMING["pod_start"]:
        return
    before = json.dumps(status, sort_keys=True)
    if failure in ("ErrImagePull", "CreateContainerConfigError"):
        reason = "ImagePullBackOff" if failure == "ErrImagePull" and age > 3 * TIMING["pod_start"] else failure
        message = f'Back-off pulling image "{image}"' if "Pull" in reason else 'secret "missing" not found'
        status.update(
            phase="Pending",
            containerStatuses=[
                {
                    "name": name,
                    "image": image,
                    "ready": False,
                    "restartCount": 0,
                    "state": {"waiting": {"reason": reason, "message": message}},
                }
            ],
        )
        if before != json.dumps(status, sort_keys=True):
            _event(pod["metadata"]["namespace"], pod, "Failed", message)
    elif failure == "CrashLoopBackOff" and not job_pod:
        status.update(
            phase="Running",
            containerStatuses=[
                {
                    "name": name,
                    "image": image,
                    "ready": False,
                    "restartCount": 3,
                    "state": {
                        "waiting": {"reason": "CrashLoopBackOff", "message": "back-off 40s restarting failed container"}
                    },
                    "lastState": {"terminated": {"exitCode": 1, "reason": "Error"}},
                }
            ],
        )
    elif job_pod:
        failed = failure == "JobFails"
        if age < TIMING["pod_start"] + TIMING["job_run"]:
            status.update(
                phase="Running",
                containerStatuses=[
                    {"name": name, "image": image, "ready": True, "restartCount": 0, "state": {"running": {}}}
                ],
            )
        else:
            code = 1 if failed else 0
            status.update(
                phase="Failed" if failed else "Succeeded",
                containerStatuses=[
                    {
                        "name": name,
                        "image": image,
                        "ready": False,
                        "restartCount": 0,
                        "state": {"terminated": {"exitCode": code, "reason": "Error" if failed else "Completed"}},
                    }
                ],
            )
    else:
        ready = age >= TIMING["pod_start"] + TIMING["pod_ready"]
        status.update(
            phase="Running",
            podIP="10.224.0.50",
            containerStatuses=[
                {
                    "name": name,
                    "image": image,
                    "imageID": image,
                    "ready": ready,
                    "restartCount": 0,
                    "state": {"running": {"startedAt": pod["metadata"].get("creationTimestamp", "")}},
                }
            ],
            conditions=[{"type": "Ready", "status": "True" if ready else "False"}],
        )
    if before != json.dumps(status, sort_keys=True):
        if _pod_ready(pod):
            S.last_ready = time.time()
        _update("v1", "pods", pod)


def _pod_ready(pod: dict[str, Any]) -> bool:
    return any(
        c.get("type") == "Ready" and c.get("status") == "True" for c in pod.get("status", {}).get("conditions", [])
    )


def _replicaset(rs: dict[str, Any]) -> None:
    pods = [p for p in _owned_by(rs, "v1", "pods")]
    want = rs["spec"].get("replicas", 1)
    ns = rs["metadata"]["namespace"]
    while len(pods) < want:
        template = copy.deepcopy(rs["spec"]["template"])
        name = f"{rs['metadata']['name']}-{uuid.uuid4().hex[:5]}"
        pod = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                **template.get("metadata", {}),
                "name": name,
                "namespace": ns,
                "uid": str(uuid.uuid4()),
                "ownerReferences": [_owner(rs)],
                "creationTimestamp": _now(),
            },
            "spec": template["spec"],
            "status": {"phase": "Pending"},
        }
        pods.append(_store("v1", "pods", pod, created=True))
    for pod in sorted(pods, key=lambda p: _pod_ready(p))[: max(len(pods) - want, 0)]:
        _delete("v1", "pods", ns, pod["metadata"]["name"])
    pods = _owned_by(rs, "v1", "pods")
    ready = sum(1 for p in pods if _pod_ready(p))
    status = {
        "replicas": len(pods),
        "readyReplicas": ready,
        "availableReplicas": ready,
        "observedGeneration": rs["metadata"].get("generation", 1),
    }
    if rs.get("status") != status:
        rs["status"] = status
        _update("apps/v1", "replicasets", rs)


def _deployment(dep: dict[str, Any]) -> None:
    ns, spec = dep["metadata"]["namespace"], dep["spec"]
    template = spec["template"]
    wanted = spec.get("replicas", 1)
    rss = _owned_by(dep, "apps/v1", "replicasets")
    template_hash = _template_hash(template)
    current = next((r for r in rss if r["metadata"]["labels"].get("pod-template-hash") == template_hash), None)
    top = max(
        (int(r["metadata"].get("annotations", {}).get("deployment.kubernetes.io/revision", "0")) for r in rss),
        default=0,
    )
    if current is None:
        labels = {**template.get("metadata", {}).get("labels", {}), "pod-template-hash": template_hash}
        tmpl = copy.deepcopy(template)
        tmpl.setdefault("metadata", {})["labels"] = labels
        current = _store(
            "apps/v1",
            "replicasets",
            {
                "apiVersion": "apps/v1",
                "kind": "ReplicaSet",
                "metadata": {
                    "name": f"{dep['metadata']['name']}-{template_hash}",
                    "namespace": ns,
                    "labels": labels,
                    "uid": str(uuid.uuid4()),
                    "ownerReferences": [_owner(dep)],
                    "generation": 1,
                    "annotations": {"deployment.kubernetes.io/revision": str(top + 1)},
                    "creationTimestamp": _now(),
                },
                "spec": {"replicas": 0, "selector": {"matchLabels": labels}, "template": tmpl},
            },
            created=True,
        )
        dep["_progress_since"] = time.monotonic()
    elif int(current["metadata"]["annotations"]["deployment.kubernetes.io/revision"]) != top:
        current["metadata"]["annotations"]["deployment.kubernetes.io/revision"] = str(top + 1)  # a rollback
        dep["_progress_since"] = time.monotonic()
        _update("apps/v1", "replicasets", current)
    new_pods = _owned_by(current, "v1", "pods")
    new_ready = sum(1 for p in new_pods if _pod_ready(p))
    if current["spec"]["replicas"] != wanted:
        current["spec"]["replicas"] = wanted
        _update("apps/v1", "replicasets", current)
    old = [r for r in rss if r is not current and r["spec"].get("replicas", 0) > 0]
    for rs in old:  # maxUnavailable 0: old pods go only as new ones are ready
        keep = max(wanted - new_ready, 0)
        if rs["spec"]["replicas"] > keep:
            rs["spec"]["replicas"] = keep
            _update("apps/v1", "replicasets", rs)
    sets = {r["metadata"]["uid"]: r for r in [*rss, current]}
    all_pods = [p for r in sets.values() for p in _owned_by(r, "v1", "pods")]
    available = sum(1 for p in all_pods if _pod_ready(p))
    complete = new_ready >= wanted and not any(r["spec"].get("replicas", 0) for r in old)
    deadline = spec.get("progressDeadlineSeconds", 600)
    since = dep.get("_progress_since", time.monotonic())
    if complete:
        progressing = {
            "type": "Progressing",
            "status": "True",
            "reason": "NewReplicaSetAvailable",
            "message": f'ReplicaSet "{current["metadata"]["name"]}" has successfully progressed.',
        }
    elif time.monotonic() - since > deadline:
        progressing = {
            "type": "Progressing",
            "status": "False",
            "reason": "ProgressDeadlineExceeded",
            "message": f'ReplicaSet "{current["metadata"]["name"]}" has timed out progressing.',
        }
    else:
        progressing = {
            "type": "Progressing",
            "status": "True",
            "reason": "ReplicaSetUpdated",
            "message": f'ReplicaSet "{current["metadata"]["name"]}" is progressing.',
        }
    status = {
        "observedGeneration": dep["metadata"].get("generation", 1),
        "replicas": len(all_pods),
        "updatedReplicas": len(new_pods),
        "readyReplicas": available,
        "availableReplicas": available,
        "conditions": [{"type": "Available", "status": "True" if available >= wanted else "False"}, progressing],
    }
    revision = current["metadata"]["annotations"]["deployment.kubernetes.io/revision"]
    annotations = dep["metadata"].setdefault("annotations", {})
    if dep.get("status") != status or annotations.get("deployment.kubernetes.io/revision") != revision:
        dep["status"] = status
        annotations["deployment.kubernetes.io/revision"] = revision
        _store("apps/v1", "deployments", dep, created=False)


def _job(job: dict[str, Any]) -> None:
    if job.get("status", {}).get("conditions"):
        return
    pods = _owned_by(job, "v1", "pods")
    ns = job["metadata"]["namespace"]
    if not pods:
        template = copy.deepcopy(job["spec"]["template"])
        labels = {**template.get("metadata", {}).get("labels", {}), "job-name": job["metadata"]["name"]}
        _store(
            "v1",
            "pods",
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {
                    "name": f"{job['metadata']['name']}-{uuid.uuid4().hex[:5]}",
                    "namespace": ns,
                    "labels": labels,
                    "uid": str(uuid.uuid4()),
                    "ownerReferences": [_owner(job)],
                },
                "spec": template["spec"],
                "status": {"phase": "Pending"},
            },
            created=True,
        )
        job["status"] = {"active": 1, "startTime": _now()}
        _update("batch/v1", "jobs", job)
        return
    phase = pods[0].get("status", {}).get("phase")
    if phase == "Succeeded":
        job["status"] = {
            "succeeded": 1,
            "completionTime": _now(),
            "conditions": [{"type": "Complete", "status": "True"}],
        }
        _update("batch/v1", "jobs", job)
    elif phase == "Failed":
        job["status"] = {
            "failed": 1,
            "conditions": [
                {
                    "type": "Failed",
                    "status": "True",
                    "reason": "BackoffLimitExceeded",
                    "message": "Job has reached the specified backoff limit",
                }
            ],
        }
        _update("batch/v1", "jobs", job)


def _hpa(hpa: dict[str, Any]) -> None:
    target = hpa["spec"]["scaleTargetRef"]["name"]
    dep = S.objects.get(("apps/v1", "deployments", hpa["metadata"]["namespace"], target))
    if dep is None:
        return
    current = dep["spec"].get("replicas", 1)
    wanted = min(max(current, hpa["spec"].get("minReplicas", 1)), hpa["spec"]["maxReplicas"])
    if wanted != current:
        _scale(dep, wanted, "kube-controller-manager")
    status = {
        "currentReplicas": dep["spec"].get("replicas", 1),
        "desiredReplicas": wanted,
        "currentMetrics": [{"type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": 12}}}],
    }
    if hpa.get("status") != status:
        hpa["status"] = status
        _update("autoscaling/v2", "horizontalpodautoscalers", hpa)


def _scale(dep: dict[str, Any], replicas: int, manager: str) -> None:
    """Set spec.replicas as a controller's Update would, owning the field under MANAGER."""
    dep["spec"]["replicas"] = replicas
    owned = _owned(dep)
    for paths in owned.values():
        paths.discard(("spec", "replicas"))
    owned.setdefault(manager, set()).add(("spec", "replicas"))
    operations = _operations(dep)
    operations[manager] = "Update"
    _write_owned(dep, owned, operations)
    dep["metadata"]["generation"] = dep["metadata"].get("generation", 1) + 1
    _store("apps/v1", "deployments", dep, created=False)


def controller_loop() -> None:
    while True:
        time.sleep(0.03)
        with LOCK:
            for key, obj in list(S.objects.items()):
                if key not in S.objects:
                    continue
                kind = obj["kind"]
                if kind == "Pod":
                    _kubelet(obj)
                elif kind == "ReplicaSet":
                    _replicaset(obj)
                elif kind == "Deployment":
                    _deployment(obj)
                elif kind == "Job":
                    _job(obj)
                elif kind == "HorizontalPodAutoscaler":
                    _hpa(obj)


# -- HTTP -------------------------------------------------------------------------------------------------------


def _public(obj: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in obj.items() if not k.startswith("_")}
    meta = dict(out["metadata"])
    meta["managedFields"] = [{**e, "fieldsV1": _fields_v1(e["fieldsV1"])} for e in meta.get("managedFields", [])]
    out["metadata"] = meta
    return out


def _fields_v1(paths: list[str]) -> dict[str, Any]:
    tree: dict[str, Any] = {}
    for path in paths:
        node = tree
        for part in path.split("\x1f"):
            node = node.setdefault(f"f:{part}", {})
    return tree


def _matches(obj: dict[str, Any], selector: str) -> bool:
    labels = obj["metadata"].get("labels", {})
    for term in filter(None, selector.split(",")):
        if "!=" in term:
            k, v = term.split("!=", 1)
            if labels.get(k) == v:
                return False
        elif "=" in term:
            k, v = term.split("=", 1)
            if labels.get(k) != v.lstrip("="):
                return False
        elif labels.get(term) is None:
            return False
    return True


def _parse(path: str) -> tuple[str, str, str, str, str]:
    """(group/version, plural, namespace, name, subresource) of an API path."""
    parts = path.strip("/").split("/")
    if parts[0] == "api":
        gv, rest = parts[1], parts[2:]
    else:
        gv, rest = f"{parts[1]}/{parts[2]}", parts[3:]
    namespace = ""
    if rest[:1] == ["namespaces"] and len(rest) >= 3:
        namespace, rest = rest[1], rest[2:]
    elif rest[:1] == ["namespaces"] and len(rest) == 2:
        return gv, "namespaces", "", rest[1], ""
    plural = rest[0]
    name = rest[1] if len(rest) > 1 else ""
    sub = rest[2] if len(rest) > 2 else ""
    if (gv, plural) not in KINDS:
        raise ApiError(404, "NotFound", f"the server could not find the requested resource ({gv} {plural})")
    return gv, plural, namespace, name, sub


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(self, code: int, body: Any, content_type: str = "application/json") -> None:
        data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_PATCH(self) -> None:
        self._dispatch("PATCH")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def _dispatch(self, method: str) -> None:
        url = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if url.path.startswith("/_emulator/"):
            self._control(method, url.path, raw)
            return
        auth = self.headers.get("Authorization", "")
        if not auth.startswith("Bearer emu-") or _expired(auth[7:]):
            self._send(401, ApiError(401, "Unauthorized", "Unauthorized").status())
            return
        with LOCK:
            S.requests.append(
                {
                    "method": method,
                    "path": url.path,
                    "query": url.query,
                    "content_type": self.headers.get("Content-Type", ""),
                    "time": time.time(),
                }
            )
        try:
            if url.path in ("/api", "/apis") or (
                url.path.count("/") <= 3 and method == "GET" and self._discovery(url.path)
            ):
                return
            gv, plural, namespace, name, sub = _parse(url.path)
            if method == "GET" and query.get("watch") in ("1", "true"):
                self._watch(gv, plural, namespace, query)
                return
            with LOCK:
                self._resource(method, gv, plural, namespace, name, sub, query, raw)
        except ApiError as err:
            self._send(err.code, err.status())

    def _discovery(self, path: str) -> bool:
        if path == "/api":
            self._send(200, {"kind": "APIVersions", "versions": ["v1"]})
            return True
        groups: dict[str, list[str]] = {}
        for gv, _plural in KINDS:
            if "/" in gv:
                group, version = gv.split("/")
                groups.setdefault(group, []).append(version)
        if path == "/apis":
            self._send(
                200,
                {
                    "kind": "APIGroupList",
                    "apiVersion": "v1",
                    "groups": [
                        {
                            "name": g,
                            "versions": [{"groupVersion": f"{g}/{v}", "version": v} for v in sorted(set(vs))],
                            "preferredVersion": {"groupVersion": f"{g}/{vs[0]}", "version": vs[0]},
                        }
                        for g, vs in groups.items()
                    ],
                },
            )
            return True
        gv = path.strip("/").split("/", 1)[1] if path.startswith("/api/") else "/".join(path.strip("/").split("/")[1:3])
        resources = [
            {"name": p, "kind": k, "namespaced": nsd, "verbs": ["get", "list", "watch", "patch", "delete"]}
            for (g, p), (k, _, nsd) in KINDS.items()
            if g == gv
        ]
        if not resources:
            return False
        self._send(200, {"kind": "APIResourceList", "groupVersion": gv, "resources": resources})
        return True

    def _resource(
        self, method: str, gv: str, plural: str, namespace: str, name: str, sub: str, query: dict[str, str], raw: bytes
    ) -> None:
        kind = KINDS[(gv, plural)][0]
        if method == "GET" and sub == "log":
            pod = S.objects.get(("v1", "pods", namespace, name))
            if pod is None:
                raise ApiError(404, "NotFound", f'pods "{name}" not found')
            self._send(200, _logs(pod, query), "text/plain")
            return
        if method == "GET" and not name:
            selector = query.get("labelSelector", "")
            items = [
                _public(o)
                for k, o in S.objects.items()
                if k[0] == gv and k[1] == plural and (not namespace or k[2] == namespace) and _matches(o, selector)
            ]
            self._send(
                200,
                {
                    "kind": f"{kind}List",
                    "apiVersion": gv,
                    "metadata": {"resourceVersion": str(S.revision)},
                    "items": items,
                },
            )
            return
        if method == "GET":
            obj = S.objects.get(_key(gv, plural, namespace, name))
            if obj is None:
                raise ApiError(404, "NotFound", f'{plural}.{KINDS[(gv, plural)][1] or "core"} "{name}" not found')
            self._send(200, _public(obj))
            return
        if method == "PATCH":
            if self.headers.get("Content-Type", "").split(";")[0] != "application/apply-patch+yaml":
                raise ApiError(415, "UnsupportedMediaType", "this server accepts only server-side apply patches")
            manager = query.get("fieldManager")
            if not manager:
                raise ApiError(422, "Invalid", "fieldManager is required for apply requests")
            body = yaml.safe_load(raw)
            obj = apply(gv, plural, namespace, name, body, manager, query.get("force") == "true")
            self._send(200, _public(obj))
            return
        if method == "DELETE":
            obj = _delete(gv, plural, namespace, name)
            if obj is None:
                raise ApiError(404, "NotFound", f'{plural} "{name}" not found')
            self._send(200, {"kind": "Status", "apiVersion": "v1", "status": "Success", "details": {"name": name}})
            return
        raise ApiError(405, "MethodNotAllowed", f"{method} is not supported by this test server")

    def _watch(self, gv: str, plural: str, namespace: str, query: dict[str, str]) -> None:
        since = int(query.get("resourceVersion") or 0)
        selector = query.get("labelSelector", "")
        name = query.get("fieldSelector", "").removeprefix("metadata.name=")
        timeout = min(float(query.get("timeoutSeconds", 60)), 300)
        inbox: queue.Queue[tuple[int, str, str, dict[str, Any]]] = queue.Queue()
        with LOCK:
            if since and S.events and since < S.events[0][0] - 1:
                self._send(410, ApiError(410, "Expired", f"too old resource version: {since}").status())
                return
            backlog = [e for e in S.events if e[0] > since] if since else []
            S.watchers.append(inbox)
            limit = S.drop_watch_after
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        sent = 0
        deadline = time.monotonic() + timeout
        try:
            pending = list(backlog)
            while time.monotonic() < deadline:
                if not pending:
                    try:
                        pending.append(inbox.get(timeout=min(0.2, max(deadline - time.monotonic(), 0.01))))
                    except queue.Empty:
                        continue
                rv, event_type, gv_plural, obj = pending.pop(0)
                if rv <= since or gv_plural != f"{gv}/{plural}":
                    continue
                if namespace and obj["metadata"].get("namespace") != namespace:
                    continue
                if (name and obj["metadata"]["name"] != name) or not _matches(obj, selector):
                    continue
                line = json.dumps({"type": event_type, "object": _public(obj)}).encode() + b"\n"
                self.wfile.write(f"{len(line):x}\r\n".encode() + line + b"\r\n")
                self.wfile.flush()
                since = rv
                sent += 1
                if limit and sent >= limit:
                    break  # scripted: the server drops the watch
            self.wfile.write(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass
        finally:
            with LOCK:
                S.watchers.remove(inbox)

    def _control(self, method: str, path: str, raw: bytes) -> None:
        body = json.loads(raw or b"{}")
        with LOCK:
            if path == "/_emulator/failures":
                S.failures.update(body)
                self._send(200, S.failures)
            elif path == "/_emulator/scale":
                dep = S.objects[("apps/v1", "deployments", body["namespace"], body["name"])]
                _scale(dep, int(body["replicas"]), body.get("manager", "kube-controller-manager"))
                self._send(200, {})
            elif path == "/_emulator/timeline":
                self._send(200, {"last_ready": S.last_ready})
            elif path == "/_emulator/objects":
                self._send(200, [_public(o) for o in S.objects.values()])
            elif path == "/_emulator/requests":
                if method == "DELETE":
                    S.requests.clear()
                self._send(200, S.requests)
            elif path == "/_emulator/config":
                S.drop_watch_after = int(body.get("drop_watch_after", S.drop_watch_after))
                TIMING.update({k: float(v) for k, v in body.get("timing", {}).items()})
                self._send(200, {})
            elif path == "/_emulator/reset":
                S.objects.clear()
                S.failures.clear()
                S.requests.clear()
                S.pod_started.clear()
                S.drop_watch_after = 0
                TIMING.update(pod_start=0.15, pod_ready=0.15, job_run=0.2)
                self._send(200, {})
            else:
                self._send(404, {"error": path})


def _expired(token: str) -> bool:
    """Tokens from the ARM emulator carry their expiry (``emu-<epoch>-…``); static test tokens do not expire."""
    parts = token.split("-")
    if len(parts) < 3 or not parts[1].isdigit():
        return False
    return int(parts[1]) + 1.0 < time.time()


def _logs(pod: dict[str, Any], query: dict[str, str]) -> str:
    image = _pod_image(pod)
    failure = S.failures.get(image)
    lines = [f"starting {pod['spec']['containers'][0].get('command', ['server'])[0]} from {image}"]
    if "job-name" in pod["metadata"].get("labels", {}):
        lines += ["Operations to perform:", "  Apply all migrations: polls"]
        lines += (
            ['django.db.utils.OperationalError: relation "polls_question" does not exist']
            if failure == "JobFails"
            else ["  Applying polls.0001_initial... OK"]
        )
    elif failure == "CrashLoopBackOff":
        lines += [
            "Traceback (most recent call last):",
            "django.core.exceptions.ImproperlyConfigured: DJANGO_SECRET_KEY is missing",
        ]
    else:
        lines += ["[INFO] Listening at: http://0.0.0.0:8000", "[INFO] Booting worker with pid: 8"]
    tail = int(query.get("tailLines") or len(lines))
    return "\n".join(lines[-tail:]) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--certs", type=Path, required=True)
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(args.certs / "server.pem", args.certs / "server.key")
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=controller_loop, daemon=True).start()
    print(f"READY https://127.0.0.1:{server.server_address[1]}", flush=True)
    sys.stdout.flush()
    server.serve_forever()


if __name__ == "__main__":
    main()
