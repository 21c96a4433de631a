"""Every request body aksdeploy would send validates against the official Azure REST API specs."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from aksdeploy.core.desired import API_VERSIONS
from aksdeploy.core.plan import plan_to_json
from aksdeploy.services.planning import plan_offline
from aksdeploy.services.project import load_project
from tests.conftest import EXAMPLE_CONFIG
from tests.support.azure_specs import find_put_operation, validate_body
from tests.support.configs import CI_PROVISIONS, KEYVAULT_AND_CI, MINIMAL, OVERLAY_CILIUM


def plan_entries(tmp_path: Any, text: str | None, environment: str) -> list[dict[str, Any]]:
    path = EXAMPLE_CONFIG
    if text is not None:
        path = tmp_path / "aksdeploy.toml"
        path.write_text(text)
    doc = plan_to_json(plan_offline(load_project(path, environment, {})))
    entries: list[dict[str, Any]] = doc["azure"]
    return entries


VARIANTS = [
    (None, "dev"),
    (None, "prod"),
    (MINIMAL, "prod"),
    (KEYVAULT_AND_CI, "prod"),
    (CI_PROVISIONS, "prod"),
    (OVERLAY_CILIUM, "prod"),
]


@pytest.mark.parametrize(("text", "environment"), VARIANTS)
def test_every_body_validates(tmp_path: Any, text: str | None, environment: str) -> None:
    entries = plan_entries(tmp_path, text, environment)
    assert len(entries) >= 15
    for entry in entries:
        op = find_put_operation(entry["id"], entry["apiVersion"])
        assert op.schema, f"no body schema found for {entry['type']}"
        problems = validate_body(entry["id"], entry["apiVersion"], entry["body"])
        assert not problems, f"{entry['node']}: " + "; ".join(map(str, problems))


BREAKAGES = [
    ("aks", lambda b: b["properties"]["agentPoolProfiles"][0].pop("name"), "agentPoolProfiles[0].name: is required"),
    ("aks", lambda b: b["properties"].update(fqdn="x.example"), "properties.fqdn: is read-only"),
    ("aks", lambda b: b["properties"]["agentPoolProfiles"][0].update(maxPods="50"), "expected integer"),
    ("appgw", lambda b: b["properties"].update(provisioningState="Succeeded"), "is read-only"),
    ("appgw", lambda b: b["properties"].update(listenerz=[]), "properties.listenerz: is not a known property"),
    ("acr", lambda b: b.pop("sku"), "sku: is required"),
    ("appgw", lambda b: b.update(identity={"type": "Robot"}), "identity.type: 'Robot' is not one of"),
    ("acr", lambda b: b["properties"].update(loginServer="x.azurecr.io"), "is read-only"),
    ("waf", lambda b: b["properties"].pop("managedRules"), "managedRules: is required"),
    ("role.agic-reader", lambda b: b["properties"].pop("principalId"), "principalId: is required"),
    ("pip", lambda b: b["properties"].update(publicIPAllocationMethod=True), "expected string"),
]


@pytest.mark.parametrize(("node", "breaker", "expected"), BREAKAGES)
def test_the_validator_rejects_a_broken_body(tmp_path: Any, node: str, breaker: Any, expected: str) -> None:
    entry = next(e for e in plan_entries(tmp_path, MINIMAL, "prod") if e["node"] == node)
    body = copy.deepcopy(entry["body"])
    breaker(body)
    problems = " | ".join(map(str, validate_body(entry["id"], entry["apiVersion"], body)))
    assert expected in problems


def test_api_versions_are_the_installed_sdks_defaults() -> None:
    from azure.mgmt.authorization import AuthorizationManagementClient
    from azure.mgmt.containerregistry import ContainerRegistryManagementClient
    from azure.mgmt.containerservice import ContainerServiceClient
    from azure.mgmt.msi import ManagedServiceIdentityClient
    from azure.mgmt.network.operations import _operations as network_ops
    from azure.mgmt.resource.resources import ResourceManagementClient

    class Credential:
        def get_token(self, *scopes: str, **kwargs: Any) -> Any:
            raise AssertionError("no request is sent")

    sub = "11111111-2222-3333-4444-555555555555"
    assert ResourceManagementClient(Credential(), sub)._config.api_version == API_VERSIONS["Microsoft.Resources"]
    assert ContainerServiceClient(Credential(), sub)._config.api_version == API_VERSIONS["Microsoft.ContainerService"]
    assert (
        ContainerRegistryManagementClient(Credential(), sub)._config.api_version
        == API_VERSIONS["Microsoft.ContainerRegistry"]
    )
    assert API_VERSIONS["Microsoft.ManagedIdentity"] == ManagedServiceIdentityClient.DEFAULT_API_VERSION
    assert API_VERSIONS["Microsoft.Authorization"] == AuthorizationManagementClient.DEFAULT_API_VERSION
    request = network_ops.build_application_gateways_create_or_update_request("rg", "gw", sub)
    assert f"api-version={API_VERSIONS['Microsoft.Network']}" in request.url
