from __future__ import annotations

import uuid

import pytest

from aksdeploy.core.desired import AGIC_PRINCIPAL, ROLES, desired_resources
from aksdeploy.core.graph import critical_path, sequential_time, topological_order
from aksdeploy.core.resources import Guid, Ref, Resource, resolve, to_json
from tests.support.configs import KEYVAULT_AND_CI, MINIMAL, OVERLAY_CILIUM, with_names

SUB = "/subscriptions/11111111-2222-3333-4444-555555555555"
RG = f"{SUB}/resourceGroups/rg-shop-prod"


def resources(text: str = MINIMAL) -> dict[str, Resource]:
    loaded, names = with_names(text)
    return {r.key: r for r in desired_resources(loaded.settings, loaded.environment, names)}


def role_of(r: Resource) -> str:
    definition = r.body["properties"]["roleDefinitionId"]
    return next(name for name, guid in ROLES.items() if definition.endswith(guid))


def test_dag_is_acyclic_and_listed_in_dependency_order() -> None:
    listed = list(resources().values())
    assert topological_order(listed)[0].key == "rg"
    seen: set[str] = set()
    for r in listed:
        assert set(r.depends_on) <= seen, r.key
        seen.add(r.key)


def test_cluster_and_gateway_are_built_in_parallel_then_the_add_on() -> None:
    rs = resources()
    assert "appgw" not in rs["aks"].depends_on and "aks" not in rs["appgw"].depends_on
    assert set(rs["aks.agic"].depends_on) == {"aks", "appgw"}
    minutes = {"aks": 6.0, "appgw": 6.0, "aks.agic": 3.0}
    duration = lambda r: minutes.get(r.key, 0.1)  # noqa: E731
    total, path = critical_path(list(rs.values()), duration)
    assert path[:3] == ["rg", "nsg.aks", "vnet"] and path[3:5] == ["aks", "aks.agic"]
    assert total == pytest.approx(9.0 + 0.1 * (len(path) - 2))
    assert sequential_time(list(rs.values()), duration) > 15


def test_agic_kubelet_and_cluster_identities_get_their_roles() -> None:
    rs = resources()
    vnet = f"{RG}/providers/Microsoft.Network/virtualNetworks/vnet-shop-prod"
    gateway = f"{RG}/providers/Microsoft.Network/applicationGateways/agw-shop-prod"
    expected = {
        ("AcrPull", "aks", "kubeletidentity"): f"{RG}/providers/Microsoft.ContainerRegistry/registries/",
        ("Network Contributor", "aks", "principalId"): f"{vnet}/subnets/snet-aks",
        ("Contributor", "aks.agic", "ingressApplicationGateway"): gateway,
        ("Reader", "aks.agic", "ingressApplicationGateway"): RG,
        ("Network Contributor", "aks.agic", "ingressApplicationGateway"): f"{vnet}/subnets/snet-appgw",
    }
    roles = [r for r in rs.values() if r.type == "Microsoft.Authorization/roleAssignments"]
    found = set()
    for r in roles:
        principal = r.body["properties"]["principalId"]
        assert isinstance(principal, Ref)
        for (role, node, marker), scope in expected.items():
            if role_of(r) == role and principal.node == node and marker in ".".join(principal.path):
                assert r.parent.startswith(scope), (r.key, r.parent)
                assert principal.node in r.depends_on
                found.add((role, node, marker))
    assert found == set(expected)
    assert rs["role.agic-reader"].body["properties"]["principalId"] == Ref("aks.agic", AGIC_PRINCIPAL)


def test_role_assignment_names_are_deterministic_guids() -> None:
    rs = resources()
    observed = {
        "aks": {
            "identity": {"principalId": "p-cluster"},
            "properties": {"identityProfile": {"kubeletidentity": {"objectId": "p-kubelet"}}},
        },
        "aks.agic": {
            "properties": {"addonProfiles": {"ingressApplicationGateway": {"identity": {"objectId": "p-agic"}}}}
        },
    }
    first = resolve(rs["role.agic-contributor"], observed)
    second = resolve(resources()["role.agic-contributor"], observed)
    assert first.id == second.id
    name = first.id.rsplit("/", 1)[1]
    assert uuid.UUID(name).version == 5
    assert first.body["properties"]["principalId"] == "p-agic"
    other = resolve(
        rs["role.agic-contributor"],
        {
            **observed,
            "aks.agic": {
                "properties": {"addonProfiles": {"ingressApplicationGateway": {"identity": {"objectId": "p-new"}}}}
            },
        },
    )
    assert other.id != first.id
    names = {resolve(r, observed).id for r in rs.values() if r.type.endswith("roleAssignments")}
    assert len(names) == 5
    with pytest.raises(LookupError, match=r"aks\.agic has no value"):
        resolve(rs["role.agic-reader"], {})


def test_unresolved_names_print_as_arm_expressions() -> None:
    guid = Guid(("/a/b/scope", Ref("aks", ("x", "y")), "role"))
    assert str(guid) == "[guid('scope', reference('aks').x.y, 'role')]"
    assert to_json({"p": [Ref("n", ("a",))]}) == {"p": ["[reference('n').a]"]}


def test_security_defaults_in_bodies() -> None:
    rs = resources()
    acr = rs["acr"].body["properties"]
    assert acr["adminUserEnabled"] is False and acr["anonymousPullEnabled"] is False
    aks = rs["aks"].body["properties"]
    assert aks["disableLocalAccounts"] is True and aks["aadProfile"]["enableAzureRBAC"] is True
    assert aks["oidcIssuerProfile"]["enabled"] and aks["securityProfile"]["workloadIdentity"]["enabled"]
    pool = aks["agentPoolProfiles"][0]
    assert pool["enableAutoScaling"] and pool["minCount"] == 2 and pool["maxCount"] == 5
    assert "addonProfiles" not in aks
    assert (
        rs["aks.agic"]
        .body["properties"]["addonProfiles"]["ingressApplicationGateway"]["config"]["applicationGatewayId"]
        .endswith("/agw-shop-prod")
    )
    waf = rs["waf"].body["properties"]["policySettings"]
    assert waf["state"] == "Enabled" and waf["mode"] == "Prevention" and waf["requestBodyCheck"] is True
    gw = rs["appgw"].body["properties"]
    assert gw["sku"] == {"name": "WAF_v2", "tier": "WAF_v2"}
    assert gw["sslPolicy"]["policyName"] == "AppGwSslPolicy20220101S"
    assert gw["requestRoutingRules"][0]["properties"]["priority"] >= 1
    rules = {r["name"]: r["properties"] for r in rs["nsg.appgw"].body["properties"]["securityRules"]}
    assert rules["AllowGatewayManager"]["sourceAddressPrefix"] == "GatewayManager"
    assert rules["AllowGatewayManager"]["destinationPortRange"] == "65200-65535"
    assert rs["rg"].body["tags"] == {"managed-by": "aksdeploy", "app": "shop", "env": "prod"}


def test_keyvault_certificate_and_github_identity() -> None:
    rs = resources(KEYVAULT_AND_CI)
    gw = rs["appgw"]
    assert {"identity.appgw", "role.appgw-keyvault"} <= set(gw.depends_on)
    assert gw.body["identity"]["type"] == "UserAssigned"
    assert gw.body["properties"]["sslCertificates"][0]["properties"]["keyVaultSecretId"].startswith("https://kv-shop")
    assert role_of(rs["role.appgw-keyvault"]) == "Key Vault Secrets User"
    assert role_of(rs["role.agic-identity"]) == "Managed Identity Operator"
    fics = [r for r in rs.values() if r.key.startswith("fic.")]
    assert [f.body["properties"]["subject"] for f in fics] == [
        "repo:acme/shop:ref:refs/heads/main",
        "repo:acme/shop:environment:prod",
    ]
    assert fics[1].depends_on == (fics[0].key,)  # one write at a time per identity
    assert all(f.body["properties"]["audiences"] == ["api://AzureADTokenExchange"] for f in fics)
    assert {role_of(rs[k]) for k in ("role.ci-acrpush", "role.ci-aks-writer", "role.ci-aks-user")} == {
        "AcrPush",
        "Azure Kubernetes Service RBAC Writer",
        "Azure Kubernetes Service Cluster User Role",
    }


def test_overlay_with_cilium() -> None:
    network = resources(OVERLAY_CILIUM)["aks"].body["properties"]["networkProfile"]
    assert network["networkPluginMode"] == "overlay" and network["networkDataplane"] == "cilium"
    assert network["podCidr"] == "192.168.0.0/16"
