"""Rules that need more than one value: address plan, sizes, min ≤ max, TLS completeness.

Each rule returns ``Finding``s keyed by the config path they concern, so the loader can point at the line that
set the value. Errors stop the command; warnings are shown and the command goes on.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from enum import StrEnum
from ipaddress import IPv4Network, IPv6Network

from aksdeploy.core.config import Settings

# Ranges AKS reserves for itself; a service CIDR inside them is rejected at cluster creation.
AKS_RESERVED = tuple(
    ipaddress.ip_network(c) for c in ("169.254.0.0/16", "172.30.0.0/16", "172.31.0.0/16", "192.0.2.0/24")
)
# Azure keeps five addresses of every subnet.
AZURE_RESERVED_PER_SUBNET = 5


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Finding:
    path: tuple[str, ...]
    message: str
    severity: Severity = Severity.ERROR


def _net(value: str) -> IPv4Network | IPv6Network:
    return ipaddress.ip_network(value)


def _overlaps(a: IPv4Network | IPv6Network, b: IPv4Network | IPv6Network) -> bool:
    return a.version == b.version and a.overlaps(b)


def _inside(a: IPv4Network | IPv6Network, b: IPv4Network | IPv6Network) -> bool:
    return a.version == b.version and a.subnet_of(b)  # type: ignore[arg-type]


def check_network(s: Settings) -> list[Finding]:
    """The VNet address plan: subnets inside the VNet, no overlaps, room for every pod."""
    n = s.network
    found: list[Finding] = []
    vnet, aks, appgw = _net(n.vnet_cidr), _net(n.aks_subnet_cidr), _net(n.appgw_subnet_cidr)
    service = _net(n.service_cidr)
    for key, subnet in (("aks_subnet_cidr", aks), ("appgw_subnet_cidr", appgw)):
        if not _inside(subnet, vnet):
            found.append(Finding(("network", key), f"{subnet} is outside the VNet {vnet} (network.vnet_cidr)"))
    if _overlaps(aks, appgw):
        found.append(
            Finding(
                ("network", "appgw_subnet_cidr"),
                f"{appgw} overlaps the AKS subnet {aks}; the Application Gateway needs a dedicated subnet",
            )
        )
    if appgw.prefixlen > 24:
        found.append(
            Finding(
                ("network", "appgw_subnet_cidr"),
                f"{appgw} is smaller than /24; Application Gateway v2 needs room to scale (use /24)",
                Severity.WARNING,
            )
        )
    if _overlaps(service, vnet):
        found.append(
            Finding(("network", "service_cidr"), f"{service} overlaps the VNet {vnet}; pick a range outside it")
        )
    for reserved in AKS_RESERVED:
        if _overlaps(service, reserved):
            found.append(Finding(("network", "service_cidr"), f"{service} overlaps {reserved}, which AKS reserves"))
    dns_ip = ipaddress.ip_address(n.dns_service_ip)
    if dns_ip not in service:
        found.append(Finding(("network", "dns_service_ip"), f"{dns_ip} is outside network.service_cidr {service}"))
    elif dns_ip in (service.network_address, service.network_address + 1, service.broadcast_address):
        found.append(
            Finding(("network", "dns_service_ip"), f"{dns_ip} is reserved in {service}; use e.g. the .10 address")
        )
    if s.cluster.network_plugin_mode == "overlay":
        pods = _net(n.pod_cidr)
        for key, other in (("vnet_cidr", vnet), ("service_cidr", service)):
            if _overlaps(pods, other):
                found.append(Finding(("network", "pod_cidr"), f"{pods} overlaps network.{key} {other}"))
    else:
        # Flat Azure CNI gives every pod a VNet address: nodes x (max pods + 1) at full scale, plus a surge node.
        needed = (s.cluster.max_nodes + 1) * (s.cluster.max_pods + 1) + AZURE_RESERVED_PER_SUBNET
        if aks.num_addresses < needed:
            found.append(
                Finding(
                    ("network", "aks_subnet_cidr"),
                    f"{aks} has {aks.num_addresses} addresses but flat Azure CNI needs {needed} for "
                    f"{s.cluster.max_nodes} nodes x {s.cluster.max_pods} pods; use a larger subnet, fewer "
                    'cluster.max_pods, or cluster.network_plugin_mode = "overlay"',
                )
            )
    for i, cidr in enumerate(n.allowed_inbound):
        if cidr not in ("Internet", "*"):
            try:
                ipaddress.ip_network(cidr)
            except ValueError:
                found.append(
                    Finding(("network", "allowed_inbound", str(i)), f'expected a CIDR or "Internet", got {cidr!r}')
                )
    return found


def check_ranges(s: Settings) -> list[Finding]:
    """Every min is at most its max."""
    pairs = (
        ("app", "min_replicas", "max_replicas", s.app.min_replicas, s.app.max_replicas),
        ("cluster", "min_nodes", "max_nodes", s.cluster.min_nodes, s.cluster.max_nodes),
        ("gateway", "min_capacity", "max_capacity", s.gateway.min_capacity, s.gateway.max_capacity),
    )
    return [
        Finding((section, high), f"{section}.{high} ({hi}) is less than {section}.{low} ({lo})")
        for section, low, high, lo, hi in pairs
        if lo > hi
    ]


def check_cluster(s: Settings) -> list[Finding]:
    """Combinations AKS rejects."""
    found = []
    if s.cluster.network_policy == "cilium" and s.cluster.network_plugin_mode != "overlay":
        found.append(
            Finding(
                ("cluster", "network_policy"),
                'cilium network policy needs cluster.network_plugin_mode = "overlay" (Azure CNI powered by Cilium)',
            )
        )
    if s.cluster.network_plugin_mode == "overlay" and s.azure.cloud == "AzureUSGovernment":
        found.append(
            Finding(
                ("cluster", "network_plugin_mode"),
                'the AGIC add-on does not support Azure CNI overlay in Azure Government; use "flat"',
            )
        )
    return found


def check_tls(s: Settings, environment: str) -> list[Finding]:
    """HTTPS needs a host and a certificate source; HTTP-only is allowed only when asked for."""
    tls = s.gateway.tls
    found = []
    if tls.certificate != "none" and tls.host is None:
        found.append(
            Finding(
                ("gateway", "tls", "host"),
                "HTTPS needs a host name for the certificate; set gateway.tls.host, or set "
                'gateway.tls.certificate = "none" for an HTTP-only environment',
            )
        )
    if tls.certificate == "keyvault":
        for key in ("keyvault_secret_id", "keyvault_id"):
            if getattr(tls, key) is None:
                found.append(Finding(("gateway", "tls", key), f'certificate = "keyvault" needs gateway.tls.{key}'))
    if (tls.cert_file is None) != (tls.key_file is None):
        missing = "key_file" if tls.key_file is None else "cert_file"
        found.append(Finding(("gateway", "tls", missing), "cert_file and key_file go together"))
    if tls.certificate == "none":
        found.append(
            Finding(
                ("gateway", "tls", "certificate"),
                f'environment {environment!r} serves plain HTTP (gateway.tls.certificate = "none")',
                Severity.WARNING,
            )
        )
    return found


def check_app(s: Settings) -> list[Finding]:
    """Names the app defines twice."""
    clash = sorted(set(s.app.env) & set(s.app.secrets))
    if clash:
        return [Finding(("app", "secrets"), f"{', '.join(clash)} is both in app.env and app.secrets")]
    return []


def check(s: Settings, environment: str) -> list[Finding]:
    """All cross-field rules for one environment."""
    return [*check_network(s), *check_ranges(s), *check_cluster(s), *check_tls(s, environment), *check_app(s)]
