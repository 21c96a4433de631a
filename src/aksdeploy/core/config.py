"""The schema of ``aksdeploy.toml``: one app, its Azure architecture, and named environments.

Each section has defaults that are the secure, production-shaped starting point; an ``[environments.NAME]`` table
overrides any of them for that environment, and ``AKSDEPLOY_SECTION__KEY`` environment variables override both.
Cross-field rules that need more than one value (CIDR overlap, sizes, min ≤ max) live in ``core.validation``.
"""

from __future__ import annotations

import ipaddress
import re
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field


class Cloud(StrEnum):
    AZURE = "AzureCloud"
    US_GOVERNMENT = "AzureUSGovernment"
    CHINA = "AzureChinaCloud"


def _cidr(value: str) -> str:
    try:
        return str(ipaddress.ip_network(value, strict=True))
    except ValueError as exc:
        raise ValueError(f"expected an IPv4 CIDR such as 10.224.0.0/16 ({exc})") from None


def _ip(value: str) -> str:
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        raise ValueError("expected an IP address such as 10.0.0.10") from None


def _pattern(regex: str, expected: str) -> AfterValidator:
    compiled = re.compile(regex)

    def check(value: str) -> str:
        if not compiled.fullmatch(value):
            raise ValueError(f"expected {expected}, got {value!r}")
        return value

    return AfterValidator(check)


Cidr = Annotated[str, AfterValidator(_cidr)]
IpAddress = Annotated[str, AfterValidator(_ip)]
AppName = Annotated[
    str, _pattern(r"[a-z][a-z0-9-]{0,18}[a-z0-9]", "2-20 lowercase letters, digits or '-', starting with a letter")
]
EnvName = Annotated[str, _pattern(r"[a-z][a-z0-9]{0,9}", "1-10 lowercase letters or digits, starting with a letter")]
EnvVarName = Annotated[str, _pattern(r"[A-Za-z_][A-Za-z0-9_]*", "an environment variable name")]
Uuid = Annotated[
    str,
    _pattern(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}", "a GUID"),
]
HttpPath = Annotated[str, _pattern(r"/[^\s]*", "a URL path starting with '/'")]
Quantity = Annotated[
    str, _pattern(r"[0-9]+(\.[0-9]+)?(m|Ki|Mi|Gi|Ti|k|M|G|T)?", "a Kubernetes quantity such as 250m or 512Mi")
]
Location = Annotated[str, _pattern(r"[a-z][a-z0-9]{2,39}", "an Azure region name such as westeurope")]
ResourceGroupName = Annotated[
    str, _pattern(r"[-\w._()]{0,89}[-\w_()]", "1-90 letters, digits, '-', '_', '.', '(' or ')', not ending in '.'")
]
RegistryName = Annotated[str, _pattern(r"[a-zA-Z0-9]{5,50}", "5-50 letters or digits (ACR names are global)")]
Hostname = Annotated[
    str,
    _pattern(
        r"(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}", "a lowercase DNS name such as app.example.com"
    ),
]
GithubRepo = Annotated[str, _pattern(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+", "OWNER/NAME")]
AzureResourceId = Annotated[
    str, _pattern(r"/subscriptions/[^/]+/resourceGroups/[^/]+/providers/.+", "an Azure resource id")
]
KeyVaultSecretId = Annotated[
    str,
    _pattern(r"https://[a-z0-9-]+\.vault\.[a-z0-9.]+/secrets/[A-Za-z0-9-]+(/[0-9a-f]{32})?", "a Key Vault secret URL"),
]
Port = Annotated[int, Field(ge=1, le=65535)]


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Health(Section):
    liveness: HttpPath = "/healthz"
    readiness: HttpPath = "/readyz"


class Resources(Section):
    cpu_request: Quantity = "250m"
    memory_request: Quantity = "256Mi"
    cpu_limit: Quantity = "1"
    memory_limit: Quantity = "512Mi"


class App(Section):
    name: AppName
    dockerfile: str = "Dockerfile"
    context: str = "."
    build_args: dict[str, str] = {}
    target: str | None = None
    port: Port = 8000
    command: list[str] | None = None
    health: Health = Health()
    env: dict[EnvVarName, str] = {}
    secrets: list[EnvVarName] = []
    resources: Resources = Resources()
    min_replicas: Annotated[int, Field(ge=1, le=1000)] = 2
    max_replicas: Annotated[int, Field(ge=1, le=1000)] = 10
    cpu_target: Annotated[int, Field(ge=1, le=100)] = 70
    migrate: list[str] | None = ["python", "manage.py", "migrate", "--noinput"]
    egress_ports: list[Port] = [443, 5432]
    run_as_user: Annotated[int, Field(ge=1, le=2147483647)] = 10001
    drain_seconds: Annotated[int, Field(ge=0, le=300)] = 15
    progress_deadline_seconds: Annotated[int, Field(ge=30, le=3600)] = 600


class Azure(Section):
    subscription: Uuid | None = None
    tenant: Uuid | None = None
    location: Location = "westeurope"
    resource_group: ResourceGroupName | None = None
    cloud: Cloud = Cloud.AZURE


class Network(Section):
    vnet_cidr: Cidr = "10.224.0.0/12"
    aks_subnet_cidr: Cidr = "10.224.0.0/16"
    appgw_subnet_cidr: Cidr = "10.238.0.0/24"
    service_cidr: Cidr = "10.0.0.0/16"
    dns_service_ip: IpAddress = "10.0.0.10"
    pod_cidr: Cidr = "192.168.0.0/16"
    allowed_inbound: list[str] = ["Internet"]


class Cluster(Section):
    kubernetes_version: Annotated[str, _pattern(r"1\.[0-9]{2}(\.[0-9]+)?", "a version such as 1.33")] | None = None
    vm_size: Annotated[str, _pattern(r"Standard_[A-Za-z0-9_]+", "an Azure VM size such as Standard_D4ds_v5")] = (
        "Standard_D4ds_v5"
    )
    min_nodes: Annotated[int, Field(ge=1, le=1000)] = 2
    max_nodes: Annotated[int, Field(ge=1, le=1000)] = 5
    max_pods: Annotated[int, Field(ge=10, le=250)] = 50
    zones: list[Literal["1", "2", "3"]] = []
    network_plugin_mode: Literal["flat", "overlay"] = "flat"
    network_policy: Literal["azure", "calico", "cilium"] = "azure"
    auto_upgrade: Literal["none", "patch", "stable", "rapid", "node-image"] = "patch"
    sku_tier: Literal["Free", "Standard", "Premium"] = "Standard"
    admin_group_ids: list[Uuid] = []


class RuleSet(Section):
    type: str
    version: str


class Tls(Section):
    host: Hostname | None = None
    certificate: Literal["secret", "keyvault", "none"] = "secret"
    cert_file: str | None = None
    key_file: str | None = None
    keyvault_secret_id: KeyVaultSecretId | None = None
    keyvault_id: AzureResourceId | None = None


class Gateway(Section):
    waf_mode: Literal["Prevention", "Detection"] = "Prevention"
    rule_sets: list[RuleSet] = [
        RuleSet(type="Microsoft_DefaultRuleSet", version="2.1"),
        RuleSet(type="Microsoft_BotManagerRuleSet", version="1.0"),
    ]
    min_capacity: Annotated[int, Field(ge=0, le=125)] = 1
    max_capacity: Annotated[int, Field(ge=2, le=125)] = 10
    zones: list[Literal["1", "2", "3"]] = []
    tls: Tls = Tls()


class Registry(Section):
    sku: Literal["Basic", "Standard", "Premium"] = "Standard"
    name: RegistryName | None = None


class Ci(Section):
    github_repo: GithubRepo | None = None
    branches: list[str] = ["main"]
    environments: list[str] = []
    provision: bool = False


class Settings(Section):
    """One environment's complete, validated configuration."""

    app: App
    azure: Azure = Azure()
    network: Network = Network()
    cluster: Cluster = Cluster()
    gateway: Gateway = Gateway()
    registry: Registry = Registry()
    ci: Ci = Ci()


class ConfigFile(Section):
    """The file as written: shared sections plus per-environment overrides (used for the JSON Schema)."""

    app: App
    azure: Azure = Azure()
    network: Network = Network()
    cluster: Cluster = Cluster()
    gateway: Gateway = Gateway()
    registry: Registry = Registry()
    ci: Ci = Ci()
    environments: dict[EnvName, dict[str, object]] = Field(
        description="Named environments; each overrides any section above, e.g. [environments.prod.cluster]."
    )
