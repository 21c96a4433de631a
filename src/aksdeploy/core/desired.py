"""The Azure architecture for one environment, as a DAG of ``Resource`` nodes (DESIGN.md §3).

Bodies are exactly what is sent to Resource Manager and validate against the official specs at the API versions
the installed SDKs use. The cluster and the gateway do not depend on each other, so they are created in parallel;
the AGIC add-on is enabled afterwards by its own node (``aks.agic``): max(AKS, gateway) + add-on on the critical
path, instead of their sum.
"""

from __future__ import annotations

from collections.abc import Mapping

from aksdeploy.core.config import Settings
from aksdeploy.core.naming import Names
from aksdeploy.core.resources import Guid, Json, Ref, Resource

API_VERSIONS = {
    "Microsoft.Resources": "2025-04-01",
    "Microsoft.Network": "2026-03-01",
    "Microsoft.ContainerService": "2026-08-01",
    "Microsoft.ContainerRegistry": "2025-11-01",
    "Microsoft.Authorization": "2022-04-01",
    "Microsoft.ManagedIdentity": "2024-11-30",
}

ROLES = {
    "AcrPull": "7f951dda-4ed3-4680-a7ca-43fe172d538d",
    "AcrPush": "8311e382-0749-4cb8-b61a-304f252e45ec",
    "Contributor": "b24988ac-6180-42a0-ab88-20f7382dd24c",
    "Reader": "acdd72a7-3385-48ef-bd42-f606fba81ae7",
    "Network Contributor": "4d97b98b-1d4f-4787-a291-c67834d212e7",
    "Managed Identity Operator": "f1a07417-d97a-45cb-824c-7a7467783830",
    "Key Vault Secrets User": "4633458b-17de-408a-b874-0445c86b69e6",
    "Azure Kubernetes Service RBAC Writer": "a7ffa36f-339b-4b5c-8bdf-e2c188b2c0eb",
    "Azure Kubernetes Service Cluster User Role": "4abbcc35-e782-43d8-92c5-2d3f1bd2253f",
    "Role Based Access Control Administrator": "f58310d9-a9f6-439a-9e8d-f62e7b41a168",
}
# Roles aksdeploy itself assigns: a CI identity that provisions may assign these and no others.
ASSIGNABLE_BY_CI = (
    "AcrPull",
    "AcrPush",
    "Contributor",
    "Reader",
    "Network Contributor",
    "Managed Identity Operator",
    "Key Vault Secrets User",
    "Azure Kubernetes Service RBAC Writer",
    "Azure Kubernetes Service Cluster User Role",
)

GITHUB_ISSUER = "https://token.actions.githubusercontent.com"
GITHUB_AUDIENCE = "api://AzureADTokenExchange"
# Rule priority is required on v2 gateways; AGIC replaces this placeholder rule with its own.
PLACEHOLDER_RULE_PRIORITY = 19500
KUBELET_PRINCIPAL = ("properties", "identityProfile", "kubeletidentity", "objectId")
AGIC_PRINCIPAL = ("properties", "addonProfiles", "ingressApplicationGateway", "identity", "objectId")


def _type_of(resource_type: str) -> str:
    return API_VERSIONS[resource_type.split("/", maxsplit=1)[0]]


class _Builder:
    def __init__(self, settings: Settings, environment: str, names: Names) -> None:
        self.s = settings
        self.n = names
        self.env = environment
        self.sub = f"/subscriptions/{names.subscription}"
        self.rg_id = f"{self.sub}/resourceGroups/{names.resource_group}"
        self.tags = {"managed-by": "aksdeploy", "app": settings.app.name, "env": environment}
        self.nodes: list[Resource] = []

    def provider(self, resource_type: str) -> str:
        return f"{self.rg_id}/providers/{resource_type}"

    def add(
        self,
        key: str,
        resource_type: str,
        name: str,
        body: Mapping[str, Json],
        depends_on: tuple[str, ...],
        summary: tuple[tuple[str, str], ...] = (),
        parent: str | None = None,
    ) -> str:
        resource = Resource(
            key=key,
            type=resource_type,
            api_version=_type_of(resource_type),
            parent=parent or self.provider(resource_type),
            name=name,
            body=body,
            depends_on=depends_on,
            summary=summary,
        )
        self.nodes.append(resource)
        return resource.id

    def tracked(self, properties: Mapping[str, Json], **extra: Json) -> dict[str, Json]:
        return {"location": self.s.azure.location, "tags": self.tags, **extra, "properties": properties}

    def role(
        self, key: str, role: str, scope: str, principal: Ref | str, depends_on: tuple[str, ...], condition: str = ""
    ) -> None:
        definition = f"{self.sub}/providers/Microsoft.Authorization/roleDefinitions/{ROLES[role]}"
        properties: dict[str, Json] = {
            "roleDefinitionId": definition,
            "principalId": principal,
            "principalType": "ServicePrincipal",
        }
        if condition:
            properties |= {"condition": condition, "conditionVersion": "2.0"}
        self.nodes.append(
            Resource(
                key=key,
                type="Microsoft.Authorization/roleAssignments",
                api_version=API_VERSIONS["Microsoft.Authorization"],
                parent=f"{scope}/providers/Microsoft.Authorization/roleAssignments",
                name=Guid((scope, principal, ROLES[role])),
                body={"properties": properties},
                depends_on=depends_on,
                summary=(("role", role), ("scope", scope.rsplit("/", 1)[-1])),
            )
        )


def _rule(
    name: str,
    priority: int,
    source: str | list[str],
    ports: str | list[str],
    access: str = "Allow",
    protocol: str = "Tcp",
    destination: str = "*",
) -> dict[str, Json]:
    properties: dict[str, Json] = {
        "priority": priority,
        "direction": "Inbound",
        "access": access,
        "protocol": protocol,
        "sourcePortRange": "*",
        "destinationAddressPrefix": destination,
    }
    if isinstance(source, list):
        properties["sourceAddressPrefixes"] = source
    else:
        properties["sourceAddressPrefix"] = source
    if isinstance(ports, list):
        properties["destinationPortRanges"] = ports
    else:
        properties["destinationPortRange"] = ports
    return {"name": name, "properties": properties}


def _network(b: _Builder) -> None:
    s, n = b.s, b.n
    net = s.network
    inbound = ["Internet" if c == "*" else c for c in net.allowed_inbound]
    source: str | list[str] = inbound[0] if len(inbound) == 1 else inbound
    appgw_rules = [
        # Application Gateway v2 does not deploy without inbound 65200-65535 from GatewayManager.
        _rule("AllowGatewayManager", 100, "GatewayManager", "65200-65535"),
        _rule("AllowAzureLoadBalancer", 110, "AzureLoadBalancer", "*", protocol="*"),
        _rule("AllowWebInbound", 120, source, ["80", "443"]),
        _rule("DenyAllInbound", 4096, "*", "*", access="Deny", protocol="*"),
    ]
    nsg_appgw = b.add(
        "nsg.appgw",
        "Microsoft.Network/networkSecurityGroups",
        n.nsg_appgw,
        b.tracked({"securityRules": appgw_rules}),
        ("rg",),
        (("inbound", f"80,443 from {', '.join(inbound)}; GatewayManager 65200-65535; deny rest"),),
    )
    aks_rules = [
        _rule("AllowAppGatewayToPods", 100, net.appgw_subnet_cidr, str(s.app.port), destination=net.aks_subnet_cidr),
        _rule("DenyInternetInbound", 4000, "Internet", "*", access="Deny", protocol="*"),
    ]
    nsg_aks = b.add(
        "nsg.aks",
        "Microsoft.Network/networkSecurityGroups",
        n.nsg_aks,
        b.tracked({"securityRules": aks_rules}),
        ("rg",),
        (("inbound", f"{net.appgw_subnet_cidr} → pods:{s.app.port}; deny Internet"),),
    )
    b.add(
        "vnet",
        "Microsoft.Network/virtualNetworks",
        n.vnet,
        b.tracked(
            {
                "addressSpace": {"addressPrefixes": [net.vnet_cidr]},
                "subnets": [
                    {
                        "name": n.aks_subnet,
                        "properties": {"addressPrefix": net.aks_subnet_cidr, "networkSecurityGroup": {"id": nsg_aks}},
                    },
                    {
                        "name": n.appgw_subnet,
                        "properties": {
                            "addressPrefix": net.appgw_subnet_cidr,
                            "networkSecurityGroup": {"id": nsg_appgw},
                        },
                    },
                ],
            }
        ),
        ("nsg.aks", "nsg.appgw"),
        (
            ("address space", net.vnet_cidr),
            ("subnets", f"{n.aks_subnet} {net.aks_subnet_cidr}, {n.appgw_subnet} {net.appgw_subnet_cidr}"),
        ),
    )


def _gateway(b: _Builder) -> None:
    s, n = b.s, b.n
    gw = s.gateway
    zones = {"zones": list(gw.zones)} if gw.zones else {}
    pip = b.add(
        "pip",
        "Microsoft.Network/publicIPAddresses",
        n.public_ip,
        b.tracked(
            {
                "publicIPAllocationMethod": "Static",
                "publicIPAddressVersion": "IPv4",
                "dnsSettings": {"domainNameLabel": n.dns_label},
            },
            sku={"name": "Standard", "tier": "Regional"},
            **zones,
        ),
        ("rg",),
        (("sku", "Standard, Static"), ("dns label", n.dns_label)),
    )
    waf = b.add(
        "waf",
        "Microsoft.Network/ApplicationGatewayWebApplicationFirewallPolicies",
        n.waf_policy,
        b.tracked(
            {
                "policySettings": {
                    "state": "Enabled",
                    "mode": gw.waf_mode,
                    "requestBodyCheck": True,
                    "requestBodyEnforcement": True,
                    "requestBodyInspectLimitInKB": 128,
                    "maxRequestBodySizeInKb": 128,
                    "fileUploadEnforcement": True,
                    "fileUploadLimitInMb": 100,
                },
                "managedRules": {
                    "managedRuleSets": [{"ruleSetType": r.type, "ruleSetVersion": r.version} for r in gw.rule_sets]
                },
            }
        ),
        ("rg",),
        (("mode", gw.waf_mode), ("rule sets", ", ".join(f"{r.type} {r.version}" for r in gw.rule_sets))),
    )
    gw_id = b.provider("Microsoft.Network/applicationGateways") + "/" + n.app_gateway
    subnet = f"{b.provider('Microsoft.Network/virtualNetworks')}/{n.vnet}/subnets/{n.appgw_subnet}"
    depends = ["vnet", "pip", "waf"]
    extra: dict[str, Json] = dict(zones)
    properties: dict[str, Json] = {
        "sku": {"name": "WAF_v2", "tier": "WAF_v2"},
        "autoscaleConfiguration": {"minCapacity": gw.min_capacity, "maxCapacity": gw.max_capacity},
        "sslPolicy": {"policyType": "Predefined", "policyName": "AppGwSslPolicy20220101S"},
        "firewallPolicy": {"id": waf},
        "enableHttp2": True,
        "gatewayIPConfigurations": [{"name": "appGatewayIpConfig", "properties": {"subnet": {"id": subnet}}}],
        "frontendIPConfigurations": [{"name": "appGatewayFrontendIP", "properties": {"publicIPAddress": {"id": pip}}}],
        "frontendPorts": [{"name": "port_80", "properties": {"port": 80}}],
        # AGIC owns these four once it runs; they exist because a v2 gateway cannot be created without them.
        "backendAddressPools": [{"name": "defaultaddresspool"}],
        "backendHttpSettingsCollection": [
            {
                "name": "defaulthttpsetting",
                "properties": {"port": 80, "protocol": "Http", "cookieBasedAffinity": "Disabled", "requestTimeout": 30},
            }
        ],
        "httpListeners": [
            {
                "name": "defaulthttplistener",
                "properties": {
                    "frontendIPConfiguration": {"id": f"{gw_id}/frontendIPConfigurations/appGatewayFrontendIP"},
                    "frontendPort": {"id": f"{gw_id}/frontendPorts/port_80"},
                    "protocol": "Http",
                },
            }
        ],
        "requestRoutingRules": [
            {
                "name": "defaultroutingrule",
                "properties": {
                    "ruleType": "Basic",
                    "priority": PLACEHOLDER_RULE_PRIORITY,
                    "httpListener": {"id": f"{gw_id}/httpListeners/defaulthttplistener"},
                    "backendAddressPool": {"id": f"{gw_id}/backendAddressPools/defaultaddresspool"},
                    "backendHttpSettings": {"id": f"{gw_id}/backendHttpSettingsCollection/defaulthttpsetting"},
                },
            }
        ],
    }
    tls = gw.tls
    if tls.certificate == "keyvault":
        assert tls.keyvault_id is not None and tls.keyvault_secret_id is not None
        identity = b.add(
            "identity.appgw",
            "Microsoft.ManagedIdentity/userAssignedIdentities",
            n.appgw_identity,
            {"location": s.azure.location, "tags": b.tags},
            ("rg",),
            (("purpose", "gateway reads the TLS certificate from Key Vault"),),
        )
        b.role(
            "role.appgw-keyvault",
            "Key Vault Secrets User",
            tls.keyvault_id,
            Ref("identity.appgw", ("properties", "principalId")),
            ("identity.appgw",),
        )
        extra["identity"] = {"type": "UserAssigned", "userAssignedIdentities": {identity: {}}}
        properties["sslCertificates"] = [
            {"name": certificate_name(s.app.name), "properties": {"keyVaultSecretId": tls.keyvault_secret_id}}
        ]
        depends += ["identity.appgw", "role.appgw-keyvault"]
    b.add(
        "appgw",
        "Microsoft.Network/applicationGateways",
        n.app_gateway,
        b.tracked(properties, **extra),
        tuple(depends),
        (
            ("sku", "WAF_v2"),
            ("autoscale", f"{gw.min_capacity}-{gw.max_capacity}"),
            ("TLS policy", "AppGwSslPolicy20220101S (TLS 1.2+)"),
            ("WAF policy", n.waf_policy),
        ),
    )


def certificate_name(app: str) -> str:
    """The gateway certificate the Ingress names with ``appgw-ssl-certificate`` (Key Vault source)."""
    return f"{app}-tls"


def _cluster_body(b: _Builder, agic: bool) -> dict[str, Json]:
    s, n = b.s, b.n
    c = s.cluster
    subnet = f"{b.provider('Microsoft.Network/virtualNetworks')}/{n.vnet}/subnets/{n.aks_subnet}"
    pool: dict[str, Json] = {
        "name": "system",
        "mode": "System",
        "type": "VirtualMachineScaleSets",
        "osType": "Linux",
        "osSKU": "AzureLinux",
        "vmSize": c.vm_size,
        "count": c.min_nodes,
        "enableAutoScaling": True,
        "minCount": c.min_nodes,
        "maxCount": c.max_nodes,
        "maxPods": c.max_pods,
        "vnetSubnetID": subnet,
        "upgradeSettings": {"maxSurge": "33%"},
    }
    if c.zones:
        pool["availabilityZones"] = list(c.zones)
    network: dict[str, Json] = {
        "networkPlugin": "azure",
        "networkPolicy": c.network_policy,
        "serviceCidr": s.network.service_cidr,
        "dnsServiceIP": s.network.dns_service_ip,
        "loadBalancerSku": "standard",
        "outboundType": "loadBalancer",
    }
    if c.network_plugin_mode == "overlay":
        network |= {"networkPluginMode": "overlay", "podCidr": s.network.pod_cidr}
    if c.network_policy == "cilium":
        network["networkDataplane"] = "cilium"
    aad: dict[str, Json] = {"managed": True, "enableAzureRBAC": True}
    if c.admin_group_ids:
        aad["adminGroupObjectIDs"] = list(c.admin_group_ids)
    if s.azure.tenant:
        aad["tenantID"] = s.azure.tenant
    properties: dict[str, Json] = {
        "dnsPrefix": n.dns_prefix,
        "nodeResourceGroup": n.node_resource_group,
        "enableRBAC": True,
        "disableLocalAccounts": True,
        "aadProfile": aad,
        "agentPoolProfiles": [pool],
        "networkProfile": network,
        "oidcIssuerProfile": {"enabled": True},
        "securityProfile": {"workloadIdentity": {"enabled": True}},
        "autoUpgradeProfile": {"upgradeChannel": c.auto_upgrade, "nodeOSUpgradeChannel": "NodeImage"},
    }
    if c.kubernetes_version:
        properties["kubernetesVersion"] = c.kubernetes_version
    if agic:
        gw_id = f"{b.provider('Microsoft.Network/applicationGateways')}/{n.app_gateway}"
        properties["addonProfiles"] = {
            "ingressApplicationGateway": {"enabled": True, "config": {"applicationGatewayId": gw_id}}
        }
    return b.tracked(properties, sku={"name": "Base", "tier": c.sku_tier}, identity={"type": "SystemAssigned"})


def _cluster(b: _Builder) -> None:
    s, n = b.s, b.n
    c = s.cluster
    acr = b.add(
        "acr",
        "Microsoft.ContainerRegistry/registries",
        n.registry,
        b.tracked(
            {"adminUserEnabled": False, "anonymousPullEnabled": False, "publicNetworkAccess": "Enabled"},
            sku={"name": s.registry.sku},
        ),
        ("rg",),
        (("sku", s.registry.sku), ("admin user", "disabled"), ("login server", n.login_server)),
    )
    summary = (
        ("version", c.kubernetes_version or "AKS default"),
        ("nodes", f"{c.vm_size} x {c.min_nodes}-{c.max_nodes} (autoscaler)"),
        ("network", f"Azure CNI {c.network_plugin_mode}, policy {c.network_policy}"),
        ("access", "Entra ID + Azure RBAC, local accounts disabled"),
    )
    aks = b.add(
        "aks", "Microsoft.ContainerService/managedClusters", n.cluster, _cluster_body(b, agic=False), ("vnet",), summary
    )
    b.add(
        "aks.agic",
        "Microsoft.ContainerService/managedClusters",
        n.cluster,
        _cluster_body(b, agic=True),
        ("aks", "appgw"),
        (("add-on", "ingressApplicationGateway"), ("gateway", n.app_gateway)),
    )
    vnet = f"{b.provider('Microsoft.Network/virtualNetworks')}/{n.vnet}"
    gw = f"{b.provider('Microsoft.Network/applicationGateways')}/{n.app_gateway}"
    kubelet, agic = Ref("aks", KUBELET_PRINCIPAL), Ref("aks.agic", AGIC_PRINCIPAL)
    b.role("role.kubelet-acrpull", "AcrPull", acr, kubelet, ("aks", "acr"))
    b.role(
        "role.cluster-network",
        "Network Contributor",
        f"{vnet}/subnets/{n.aks_subnet}",
        Ref("aks", ("identity", "principalId")),
        ("aks",),
    )
    b.role("role.agic-contributor", "Contributor", gw, agic, ("aks.agic",))
    b.role("role.agic-reader", "Reader", b.rg_id, agic, ("aks.agic",))
    b.role("role.agic-network", "Network Contributor", f"{vnet}/subnets/{n.appgw_subnet}", agic, ("aks.agic",))
    if s.gateway.tls.certificate == "keyvault":
        identity = f"{b.provider('Microsoft.ManagedIdentity/userAssignedIdentities')}/{n.appgw_identity}"
        # AGIC assigns the gateway's identity when it updates the gateway.
        b.role("role.agic-identity", "Managed Identity Operator", identity, agic, ("aks.agic", "identity.appgw"))
    if s.ci.github_repo:
        _ci(b, acr, aks)


def _ci(b: _Builder, acr: str, aks: str) -> None:
    s, n = b.s, b.n
    repo = s.ci.github_repo
    identity_type = "Microsoft.ManagedIdentity/userAssignedIdentities"
    identity = b.add(
        "identity.ci",
        identity_type,
        n.ci_identity,
        {"location": s.azure.location, "tags": b.tags},
        ("rg",),
        (("purpose", f"GitHub Actions OIDC for {repo}"),),
    )
    subjects = [(f"github-branch-{br}", f"repo:{repo}:ref:refs/heads/{br}") for br in s.ci.branches]
    subjects += [(f"github-env-{e}", f"repo:{repo}:environment:{e}") for e in (s.ci.environments or [b.env])]
    previous = "identity.ci"
    for name, subject in subjects:
        key = f"fic.{name}"
        b.add(
            key,
            f"{identity_type}/federatedIdentityCredentials",
            _credential_name(name),
            {"properties": {"issuer": GITHUB_ISSUER, "subject": subject, "audiences": [GITHUB_AUDIENCE]}},
            # Azure rejects concurrent federated-credential writes on one identity: chain them.
            (previous,),
            (("subject", subject),),
            parent=f"{identity}/federatedIdentityCredentials",
        )
        previous = key
    principal = Ref("identity.ci", ("properties", "principalId"))
    b.role("role.ci-acrpush", "AcrPush", acr, principal, ("identity.ci", "acr"))
    b.role("role.ci-aks-writer", "Azure Kubernetes Service RBAC Writer", aks, principal, ("identity.ci", "aks"))
    b.role("role.ci-aks-user", "Azure Kubernetes Service Cluster User Role", aks, principal, ("identity.ci", "aks"))
    if s.ci.provision:
        # Provisioning from CI writes resources (Contributor) and role assignments; RBAC Administrator is limited by
        # a condition to exactly the roles aksdeploy assigns, so the identity cannot make anyone Owner.
        b.role("role.ci-contributor", "Contributor", b.rg_id, principal, ("identity.ci",))
        b.role(
            "role.ci-rbac",
            "Role Based Access Control Administrator",
            b.rg_id,
            principal,
            ("identity.ci",),
            condition=delegation_condition(ASSIGNABLE_BY_CI),
        )


def delegation_condition(roles: tuple[str, ...]) -> str:
    """An ABAC condition letting a role-assignment writer create and delete assignments of ROLES only."""
    guids = "{" + ", ".join(ROLES[r] for r in roles) + "}"
    attribute = "Microsoft.Authorization/roleAssignments:RoleDefinitionId"
    return (
        "((!(ActionMatches{'Microsoft.Authorization/roleAssignments/write'})) OR "
        f"(@Request[{attribute}] ForAnyOfAnyValues:GuidEquals {guids}))"
        " AND ((!(ActionMatches{'Microsoft.Authorization/roleAssignments/delete'})) OR "
        f"(@Resource[{attribute}] ForAnyOfAnyValues:GuidEquals {guids}))"
    )


def _credential_name(name: str) -> str:
    cleaned = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in name)
    return cleaned[:120]


def desired_resources(settings: Settings, environment: str, names: Names) -> tuple[Resource, ...]:
    """The DAG of every Azure resource for ENVIRONMENT, in a stable topological order."""
    b = _Builder(settings, environment, names)
    b.nodes.append(
        Resource(
            key="rg",
            type="Microsoft.Resources/resourceGroups",
            api_version=API_VERSIONS["Microsoft.Resources"],
            parent=f"{b.sub}/resourceGroups",
            name=names.resource_group,
            body={"location": settings.azure.location, "tags": b.tags},
            summary=(("location", settings.azure.location),),
        )
    )
    _network(b)
    _gateway(b)
    _cluster(b)
    return tuple(b.nodes)
