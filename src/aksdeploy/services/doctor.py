"""``aksdeploy doctor``: check a live environment against the secure defaults and the known AGIC/ACR pitfalls.

Every finding says what is wrong, how bad (error or warning) and how to fix it. Drift in any property
aksdeploy owns comes from the same observation ``plan`` makes, so doctor and plan never disagree.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any

from aksdeploy.core.errors import AksDeployError
from aksdeploy.core.plan import Action
from aksdeploy.core.resources import lookup
from aksdeploy.ports import Cluster, InfraGateway, Progress
from aksdeploy.services.infra import Provisioner
from aksdeploy.services.project import Project
from aksdeploy.services.provisioning import resources_of
from aksdeploy.services.releases import instance_selector

# Predefined policies with TLS 1.2 as the minimum (the 2017 policies allow TLS 1.0/1.1).
TLS12_POLICIES = frozenset({"AppGwSslPolicy20220101", "AppGwSslPolicy20220101S", "AppGwSslPolicy20170401S"})
ROLE_LABELS = {
    "role.kubelet-acrpull": ("kubelet identity: AcrPull @ registry", "image pulls fail with 401 (ImagePullBackOff)"),
    "role.cluster-network": ("cluster identity: Network Contributor @ AKS subnet", "load balancers and IPs fail"),
    "role.agic-contributor": ("AGIC identity: Contributor @ gateway", "AGIC cannot program the gateway"),
    "role.agic-reader": ("AGIC identity: Reader @ resource group", "AGIC cannot read the gateway's resource group"),
    "role.agic-network": ("AGIC identity: Network Contributor @ gateway subnet", "AGIC updates fail on the subnet"),
}


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Finding:
    check: str
    severity: Severity
    message: str
    fix: str
    resource: str = ""

    def as_dict(self) -> dict[str, str]:
        return {k: str(v) for k, v in asdict(self).items()}


class Doctor:
    def __init__(self, project: Project, gateway: InfraGateway, progress: Progress) -> None:
        self._project = project
        self._gateway = gateway
        self._progress = progress
        self._resources = resources_of(project)

    def _get(self, key: str) -> tuple[str, dict[str, Any] | None]:
        resource = next(r for r in self._resources if r.key == key)
        return resource.id, self._gateway.get(resource.id, resource.api_version)

    def azure(self) -> list[Finding]:
        found: list[Finding] = []
        plan = Provisioner(self._gateway, self._progress).plan(self._project.config.environment, self._resources)
        for change in plan.changes:
            key, rid = change.resource.key, change.resource.id
            if key in ROLE_LABELS and change.action is Action.CREATE:
                label, impact = ROLE_LABELS[key]
                found.append(
                    Finding(
                        "role-assignment",
                        Severity.ERROR,
                        f"missing {label}: {impact}",
                        "run `aksdeploy provision` (it grants it under a deterministic name)",
                        rid,
                    )
                )
            elif change.action is Action.CREATE and not key.startswith("role."):
                found.append(
                    Finding(
                        "exists",
                        Severity.ERROR,
                        f"{change.resource.display_name} does not exist",
                        "run `aksdeploy provision`",
                        rid,
                    )
                )
            elif change.action is Action.UPDATE:
                paths = ", ".join(d.path for d in change.diff[:4])
                found.append(
                    Finding(
                        "drift",
                        Severity.WARNING,
                        f"{change.resource.display_name} drifted: {paths}",
                        "run `aksdeploy plan` to see the values, `aksdeploy provision` to restore",
                        rid,
                    )
                )
        found += self._waf() + self._gateway_tls() + self._registry() + self._cluster() + self._nsg()
        return found

    def _waf(self) -> list[Finding]:
        rid, waf = self._get("waf")
        if waf is None:
            return []
        settings = lookup(waf, ("properties", "policySettings")) or {}
        out = []
        if str(settings.get("state", "")).lower() != "enabled":
            out.append(
                Finding("waf", Severity.ERROR, "the WAF policy is disabled", "set it Enabled (provision does)", rid)
            )
        if str(settings.get("mode", "")).lower() != "prevention":
            out.append(
                Finding(
                    "waf",
                    Severity.ERROR,
                    f"the WAF is in {settings.get('mode')} mode: attacks are only logged",
                    'set gateway.waf_mode = "Prevention" and provision',
                    rid,
                )
            )
        return out

    def _gateway_tls(self) -> list[Finding]:
        rid, gw = self._get("appgw")
        if gw is None:
            return []
        policy = lookup(gw, ("properties", "sslPolicy")) or {}
        out = []
        name, minimum = policy.get("policyName"), str(policy.get("minProtocolVersion", ""))
        if name not in TLS12_POLICIES and minimum.lower() not in ("tlsv1_2", "tlsv1_3"):
            out.append(
                Finding(
                    "tls",
                    Severity.ERROR,
                    f"the gateway's TLS policy ({name or minimum or 'default'}) allows TLS below 1.2",
                    "provision sets AppGwSslPolicy20220101S",
                    rid,
                )
            )
        if not lookup(gw, ("properties", "firewallPolicy", "id")):
            out.append(
                Finding("waf", Severity.ERROR, "no WAF policy is linked to the gateway", "provision links it", rid)
            )
        return out

    def _registry(self) -> list[Finding]:
        rid, acr = self._get("acr")
        if acr is not None and lookup(acr, ("properties", "adminUserEnabled")):
            return [
                Finding(
                    "acr-admin",
                    Severity.ERROR,
                    "the registry's admin user is enabled (a shared password)",
                    "disable it: pushes use Entra tokens and pulls the kubelet's AcrPull role",
                    rid,
                )
            ]
        return []

    def _cluster(self) -> list[Finding]:
        rid, aks = self._get("aks")
        if aks is None:
            return []
        out = []
        if not lookup(aks, ("properties", "disableLocalAccounts")):
            out.append(
                Finding(
                    "aks-local-accounts",
                    Severity.ERROR,
                    "AKS local accounts are enabled (a static admin kubeconfig bypasses Entra ID)",
                    "provision disables them",
                    rid,
                )
            )
        if not lookup(aks, ("properties", "aadProfile", "enableAzureRBAC")):
            out.append(
                Finding("aks-rbac", Severity.WARNING, "Azure RBAC for Kubernetes is off", "provision enables it", rid)
            )
        addon = lookup(aks, ("properties", "addonProfiles", "ingressApplicationGateway", "enabled"))
        if not addon:
            out.append(
                Finding(
                    "agic",
                    Severity.ERROR,
                    "the AGIC add-on is not enabled: the gateway gets no routes",
                    "run `aksdeploy provision`",
                    rid,
                )
            )
        return out

    def _nsg(self) -> list[Finding]:
        rid, nsg = self._get("nsg.appgw")
        if nsg is None:
            return []
        rules = lookup(nsg, ("properties", "securityRules")) or []
        for rule in rules:
            p = rule.get("properties", {})
            ports = [p.get("destinationPortRange"), *(p.get("destinationPortRanges") or [])]
            if (
                str(p.get("access", "")).lower() == "allow"
                and str(p.get("direction", "")).lower() == "inbound"
                and str(p.get("sourceAddressPrefix", "")).lower() == "gatewaymanager"
                and "65200-65535" in ports
            ):
                return []
        return [
            Finding(
                "nsg-gateway-manager",
                Severity.ERROR,
                "the gateway subnet's NSG does not allow GatewayManager on 65200-65535: v2 gateways fail",
                "provision adds the rule (AllowGatewayManager, priority 100)",
                rid,
            )
        ]

    def pods(self, cluster: Cluster) -> list[Finding]:
        namespace = self._project.names.namespace
        pods, _ = cluster.list("Pod", namespace, instance_selector(self._project))
        out = []
        for pod in pods:
            name = pod["metadata"]["name"]
            spec = pod.get("spec", {})
            pod_ctx = spec.get("securityContext") or {}
            for c in spec.get("containers", []):
                ctx = c.get("securityContext") or {}
                if not (ctx.get("runAsNonRoot") or pod_ctx.get("runAsNonRoot")):
                    out.append(
                        Finding(
                            "pod-non-root",
                            Severity.ERROR,
                            f"pod {name} ({c['name']}) may run as root",
                            "set runAsNonRoot (aksdeploy's manifests do); redeploy",
                            f"{namespace}/{name}",
                        )
                    )
                if not ctx.get("readOnlyRootFilesystem"):
                    out.append(
                        Finding(
                            "pod-read-only",
                            Severity.ERROR,
                            f"pod {name} ({c['name']}) has a writable root filesystem",
                            "set readOnlyRootFilesystem; redeploy",
                            f"{namespace}/{name}",
                        )
                    )
                limits = (c.get("resources") or {}).get("limits") or {}
                if not {"cpu", "memory"} <= set(limits):
                    out.append(
                        Finding(
                            "pod-limits",
                            Severity.WARNING,
                            f"pod {name} ({c['name']}) has no CPU/memory limits",
                            "set app.resources; redeploy",
                            f"{namespace}/{name}",
                        )
                    )
        return out


def diagnose(project: Project, gateway: InfraGateway, cluster: Cluster | None, progress: Progress) -> list[Finding]:
    """Every finding for PROJECT's live environment; the cluster part is skipped when CLUSTER is None."""
    doctor = Doctor(project, gateway, progress)
    findings = doctor.azure()
    if cluster is not None:
        try:
            findings += doctor.pods(cluster)
        except AksDeployError as exc:
            findings.append(
                Finding(
                    "cluster",
                    Severity.WARNING,
                    f"could not read the app's pods: {exc.message}",
                    "check cluster access (aksdeploy status)",
                )
            )
    return findings
