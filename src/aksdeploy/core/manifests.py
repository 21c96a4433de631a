"""The Kubernetes objects of one app release (DESIGN.md §5), as plain dicts ready for server-side apply.

Secure by default: a Pod Security ``restricted`` namespace, non-root read-only pods without capabilities or a
service-account token, default-deny network policy with an ipBlock allow from the gateway subnet (AGIC sends
traffic straight to pod IPs), and no ``replicas`` on the Deployment when the HPA owns scaling.
Secret values are never part of a render unless the caller passes them in (``deploy`` does, ``render`` does not).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aksdeploy.core.config import Settings
from aksdeploy.core.desired import certificate_name
from aksdeploy.core.naming import Names

Obj = dict[str, Any]

DEFAULT_KUBERNETES_VERSION = "1.33"
FIELD_MANAGER = "aksdeploy"
INGRESS_CLASS = "azure-application-gateway"
AGIC = "appgw.ingress.kubernetes.io"
PLACEHOLDER_DIGEST = "sha256:" + "0" * 64


@dataclass(frozen=True, slots=True)
class TlsPair:
    """A PEM certificate chain and key for the Ingress TLS secret."""

    certificate: str
    key: str


@dataclass(frozen=True, slots=True)
class Release:
    """What ``deploy`` applies (``objects``) and the Job it runs first (``migration``)."""

    objects: tuple[Obj, ...]
    migration: Obj | None

    @property
    def all(self) -> tuple[Obj, ...]:
        return self.objects + ((self.migration,) if self.migration else ())


def placeholder_image(names: Names, app: str) -> str:
    """The image reference shown before any image has been pushed."""
    return f"{names.login_server}/{app}@{PLACEHOLDER_DIGEST}"


def labels(settings: Settings, environment: str, component: str | None = None) -> dict[str, str]:
    out = {
        "app.kubernetes.io/name": settings.app.name,
        "app.kubernetes.io/instance": f"{settings.app.name}-{environment}",
        "app.kubernetes.io/managed-by": "aksdeploy",
    }
    if component:
        out["app.kubernetes.io/component"] = component
    return out


def selector(settings: Settings, environment: str, component: str) -> dict[str, str]:
    full = labels(settings, environment, component)
    return {k: v for k, v in full.items() if k != "app.kubernetes.io/managed-by"}


def _meta(name: str, namespace: str | None, lbls: Mapping[str, str], **extra: Any) -> Obj:
    meta: Obj = {"name": name, "labels": dict(lbls)}
    if namespace:
        meta["namespace"] = namespace
    meta.update(extra)
    return meta


def _image_tag(image: str) -> str:
    if "@sha256:" in image:
        return image.rsplit("@sha256:", 1)[1][:12]
    return hashlib.sha256(image.encode()).hexdigest()[:12]


class _Renderer:
    def __init__(self, settings: Settings, environment: str, names: Names, image: str) -> None:
        self.s = settings
        self.env = environment
        self.ns = names.namespace
        self.app = settings.app.name
        self.image = image
        self.labels = labels(settings, environment)

    def config_name(self) -> str:
        return f"{self.app}-config"

    def secret_name(self) -> str:
        return f"{self.app}-secrets"

    def container_env(self) -> list[Obj]:
        return [
            {"name": key, "valueFrom": {"secretKeyRef": {"name": self.secret_name(), "key": key}}}
            for key in self.s.app.secrets
        ]

    def security(self) -> tuple[Obj, Obj]:
        user = self.s.app.run_as_user
        pod = {
            "runAsNonRoot": True,
            "runAsUser": user,
            "runAsGroup": user,
            "fsGroup": user,
            "seccompProfile": {"type": "RuntimeDefault"},
        }
        container = {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "runAsNonRoot": True,
            "capabilities": {"drop": ["ALL"]},
            "seccompProfile": {"type": "RuntimeDefault"},
        }
        return pod, container

    def container(self, name: str, command: list[str] | None) -> Obj:
        a = self.s.app
        _, security = self.security()
        c: Obj = {
            "name": name,
            "image": self.image,
            "imagePullPolicy": "IfNotPresent",
            "envFrom": [{"configMapRef": {"name": self.config_name()}}],
            "resources": {
                "requests": {"cpu": a.resources.cpu_request, "memory": a.resources.memory_request},
                "limits": {"cpu": a.resources.cpu_limit, "memory": a.resources.memory_limit},
            },
            "securityContext": security,
            "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],  # noqa: S108 - the pod's only writable path
        }
        if command:
            c["command"] = list(command)
        env = self.container_env()
        if env:
            c["env"] = env
        return c

    def pod_spec(self, containers: list[Obj], **extra: Any) -> Obj:
        pod_security, _ = self.security()
        return {
            "serviceAccountName": self.app,
            "automountServiceAccountToken": False,
            "securityContext": pod_security,
            "containers": containers,
            "volumes": [{"name": "tmp", "emptyDir": {"sizeLimit": "256Mi"}}],
            **extra,
        }

    def namespace(self) -> Obj:
        pss = {f"pod-security.kubernetes.io/{mode}": "restricted" for mode in ("enforce", "audit", "warn")}
        return {"apiVersion": "v1", "kind": "Namespace", "metadata": _meta(self.ns, None, {**self.labels, **pss})}

    def service_account(self) -> Obj:
        return {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": _meta(self.app, self.ns, self.labels),
            "automountServiceAccountToken": False,
        }

    def config_map(self) -> Obj:
        return {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": _meta(self.config_name(), self.ns, self.labels),
            "data": dict(sorted(self.s.app.env.items())),
        }

    def secret(self, values: Mapping[str, str]) -> Obj:
        return {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": _meta(self.secret_name(), self.ns, self.labels),
            "type": "Opaque",
            "stringData": {k: values[k] for k in self.s.app.secrets},
        }

    def tls_secret(self, pair: TlsPair) -> Obj:
        return {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": _meta(f"{self.app}-tls", self.ns, self.labels),
            "type": "kubernetes.io/tls",
            "stringData": {"tls.crt": pair.certificate, "tls.key": pair.key},
        }

    def deployment(self) -> Obj:
        a = self.s.app
        web = self.container("web", a.command)
        web["ports"] = [{"name": "http", "containerPort": a.port, "protocol": "TCP"}]
        web["startupProbe"] = _probe(a.health.liveness, period=2, failures=60)
        web["livenessProbe"] = _probe(a.health.liveness, period=10, failures=3)
        web["readinessProbe"] = _probe(a.health.readiness, period=5, failures=3)
        # Keep serving while the gateway stops sending traffic to this pod, then stop.
        web["lifecycle"] = {"preStop": {"sleep": {"seconds": a.drain_seconds}}} if a.drain_seconds else {}
        if not web["lifecycle"]:
            del web["lifecycle"]
        config_hash = hashlib.sha256(json.dumps(self.config_map()["data"], sort_keys=True).encode()).hexdigest()[:16]
        match = selector(self.s, self.env, "web")
        spec: Obj = {
            "revisionHistoryLimit": 10,
            "progressDeadlineSeconds": a.progress_deadline_seconds,
            "selector": {"matchLabels": match},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": "25%"}},
            "template": {
                "metadata": {
                    "labels": {**self.labels, **match},
                    "annotations": {"aksdeploy.io/config-hash": config_hash},
                },
                "spec": self.pod_spec(
                    [web],
                    terminationGracePeriodSeconds=a.drain_seconds + 30,
                    topologySpreadConstraints=[
                        {
                            "maxSkew": 1,
                            "topologyKey": key,
                            "whenUnsatisfiable": "ScheduleAnyway",
                            "labelSelector": {"matchLabels": match},
                        }
                        for key in ("topology.kubernetes.io/zone", "kubernetes.io/hostname")
                    ],
                ),
            },
        }
        if not self.hpa_owns_scaling():
            spec["replicas"] = a.min_replicas
        return {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": _meta(self.app, self.ns, labels(self.s, self.env, "web")),
            "spec": spec,
        }

    def hpa_owns_scaling(self) -> bool:
        return self.s.app.max_replicas > self.s.app.min_replicas

    def service(self) -> Obj:
        return {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": _meta(self.app, self.ns, self.labels),
            "spec": {
                "type": "ClusterIP",
                "selector": selector(self.s, self.env, "web"),
                "ports": [{"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}],
            },
        }

    def hpa(self) -> Obj:
        a = self.s.app
        return {
            "apiVersion": "autoscaling/v2",
            "kind": "HorizontalPodAutoscaler",
            "metadata": _meta(self.app, self.ns, self.labels),
            "spec": {
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": self.app},
                "minReplicas": a.min_replicas,
                "maxReplicas": a.max_replicas,
                "metrics": [
                    {
                        "type": "Resource",
                        "resource": {
                            "name": "cpu",
                            "target": {"type": "Utilization", "averageUtilization": a.cpu_target},
                        },
                    }
                ],
                "behavior": {"scaleDown": {"stabilizationWindowSeconds": 300}},
            },
        }

    def pdb(self) -> Obj:
        return {
            "apiVersion": "policy/v1",
            "kind": "PodDisruptionBudget",
            "metadata": _meta(self.app, self.ns, self.labels),
            "spec": {"maxUnavailable": 1, "selector": {"matchLabels": selector(self.s, self.env, "web")}},
        }

    def ingress(self) -> Obj:
        a, tls = self.s.app, self.s.gateway.tls
        annotations = {
            f"{AGIC}/backend-protocol": "http",
            f"{AGIC}/health-probe-path": a.health.readiness,
            f"{AGIC}/health-probe-status-codes": "200-399",
            f"{AGIC}/connection-draining": "true",
            f"{AGIC}/connection-draining-timeout": str(max(a.drain_seconds, 1)),
            f"{AGIC}/request-timeout": "60",
        }
        spec: Obj = {"ingressClassName": INGRESS_CLASS}
        if tls.certificate != "none":
            annotations[f"{AGIC}/ssl-redirect"] = "true"
        if tls.certificate == "secret" and tls.host:
            spec["tls"] = [{"hosts": [tls.host], "secretName": f"{self.app}-tls"}]
        if tls.certificate == "keyvault":
            annotations[f"{AGIC}/appgw-ssl-certificate"] = certificate_name(self.app)
        rule: Obj = {
            "http": {
                "paths": [
                    {
                        "path": "/",
                        "pathType": "Prefix",
                        "backend": {"service": {"name": self.app, "port": {"name": "http"}}},
                    }
                ]
            }
        }
        if tls.host:
            rule["host"] = tls.host
        spec["rules"] = [rule]
        return {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "Ingress",
            "metadata": _meta(self.app, self.ns, self.labels, annotations=annotations),
            "spec": spec,
        }

    def network_policies(self) -> list[Obj]:
        a, net = self.s.app, self.s.network
        app_pods = {"matchLabels": {"app.kubernetes.io/name": self.app}}
        deny = {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": _meta("default-deny", self.ns, self.labels),
            "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
        }
        gateway = {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": _meta(f"{self.app}-allow-gateway", self.ns, self.labels),
            "spec": {
                "podSelector": {"matchLabels": selector(self.s, self.env, "web")},
                "policyTypes": ["Ingress"],
                "ingress": [
                    {
                        # AGIC programs pod IPs as backends: traffic comes from the gateway subnet, not a pod.
                        "from": [{"ipBlock": {"cidr": net.appgw_subnet_cidr}}],
                        "ports": [{"protocol": "TCP", "port": a.port}],
                    }
                ],
            },
        }
        egress_rules: list[Obj] = [
            {
                "to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}}}],
                "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
            }
        ]
        if a.egress_ports:
            egress_rules.append(
                {
                    "to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["169.254.169.254/32"]}}],
                    "ports": [{"protocol": "TCP", "port": p} for p in a.egress_ports],
                }
            )
        egress = {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": _meta(f"{self.app}-allow-egress", self.ns, self.labels),
            "spec": {"podSelector": app_pods, "policyTypes": ["Egress"], "egress": egress_rules},
        }
        return [deny, gateway, egress]

    def migration_job(self) -> Obj | None:
        command = self.s.app.migrate
        if not command:
            return None
        match = selector(self.s, self.env, "migrate")
        return {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": _meta(
                f"{self.app}-migrate-{_image_tag(self.image)}", self.ns, labels(self.s, self.env, "migrate")
            ),
            "spec": {
                "backoffLimit": 1,
                "activeDeadlineSeconds": 900,
                "ttlSecondsAfterFinished": 7 * 24 * 3600,
                "template": {
                    "metadata": {"labels": {**self.labels, **match}},
                    "spec": self.pod_spec([self.container("migrate", command)], restartPolicy="Never"),
                },
            },
        }


def _probe(path: str, period: int, failures: int) -> Obj:
    return {
        "httpGet": {"path": path, "port": "http"},
        "periodSeconds": period,
        "timeoutSeconds": 2,
        "failureThreshold": failures,
    }


def render_release(
    settings: Settings,
    environment: str,
    names: Names,
    image: str,
    secret_values: Mapping[str, str] | None = None,
    tls: TlsPair | None = None,
) -> Release:
    """Every object of the app's release for IMAGE; Secrets only when their values are given."""
    r = _Renderer(settings, environment, names, image)
    objects: list[Obj] = [r.namespace(), r.service_account(), r.config_map()]
    if secret_values is not None and settings.app.secrets:
        objects.append(r.secret(secret_values))
    if tls is not None and settings.gateway.tls.certificate == "secret":
        objects.append(r.tls_secret(tls))
    objects += [r.service(), r.deployment()]
    if r.hpa_owns_scaling():
        objects.append(r.hpa())
    objects += [r.pdb(), r.ingress(), *r.network_policies()]
    return Release(tuple(objects), r.migration_job())
