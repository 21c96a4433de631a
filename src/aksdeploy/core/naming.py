"""Deterministic Azure resource names from app and environment.

Names follow the Cloud Adoption Framework abbreviations (``rg-``, ``vnet-``, ``aks-`` …) and each type's naming
rules. Where a name must be unique across Azure (registry, public DNS label, AKS DNS prefix), a short hash of
subscription, app and environment is appended: stable across runs, different between subscriptions.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from aksdeploy.core.clouds import ENDPOINTS
from aksdeploy.core.config import Settings

# Used for ids when no subscription is configured (offline plans); the user is told.
PLACEHOLDER_SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"


def stable_suffix(*parts: str, length: int = 6) -> str:
    """A short lowercase hex digest of PARTS, the same on every run."""
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:length]


@dataclass(frozen=True, slots=True)
class Names:
    subscription: str
    resource_group: str
    node_resource_group: str
    vnet: str
    aks_subnet: str
    appgw_subnet: str
    nsg_aks: str
    nsg_appgw: str
    public_ip: str
    dns_label: str
    waf_policy: str
    app_gateway: str
    registry: str
    login_server: str
    cluster: str
    dns_prefix: str
    appgw_identity: str
    ci_identity: str
    namespace: str


def names_for(settings: Settings, environment: str) -> Names:
    """Every Azure and Kubernetes name for SETTINGS in ENVIRONMENT."""
    app = settings.app.name
    base = f"{app}-{environment}"
    subscription = settings.azure.subscription or PLACEHOLDER_SUBSCRIPTION
    suffix = stable_suffix(subscription.lower(), app, environment)
    rg = settings.azure.resource_group or f"rg-{base}"
    registry = settings.registry.name or ("cr" + (app + environment).replace("-", ""))[:44] + suffix
    return Names(
        subscription=subscription,
        resource_group=rg,
        node_resource_group=f"{rg}-nodes"[:80],
        vnet=f"vnet-{base}",
        aks_subnet="snet-aks",
        appgw_subnet="snet-appgw",
        nsg_aks=f"nsg-{base}-aks",
        nsg_appgw=f"nsg-{base}-appgw",
        public_ip=f"pip-{base}-appgw",
        dns_label=f"{base}-{suffix}",
        waf_policy=f"waf-{base}",
        app_gateway=f"agw-{base}",
        registry=registry,
        login_server=f"{registry.lower()}.{ENDPOINTS[settings.azure.cloud].registry_suffix}",
        cluster=f"aks-{base}",
        dns_prefix=f"{base}-{suffix}",
        appgw_identity=f"id-{base}-appgw",
        ci_identity=f"id-{base}-github",
        namespace=app,
    )
