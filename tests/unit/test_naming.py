from __future__ import annotations

import re

import pytest

from aksdeploy.core.config import Settings
from aksdeploy.core.naming import names_for

ACR = re.compile(r"^[a-zA-Z0-9]{5,50}$")
DNS_LABEL = re.compile(r"^[a-z][a-z0-9-]{1,61}[a-z0-9]$")
AKS_DNS_PREFIX = re.compile(r"^[a-zA-Z0-9][-a-zA-Z0-9]{0,52}[a-zA-Z0-9]$")
AKS_NAME = re.compile(r"^[a-zA-Z0-9][-_a-zA-Z0-9]{0,61}[a-zA-Z0-9]$")
GENERIC = re.compile(r"^[a-zA-Z0-9][-_.a-zA-Z0-9]{0,78}[_a-zA-Z0-9]$")


def settings(app: str, subscription: str | None = None) -> Settings:
    return Settings.model_validate({"app": {"name": app}, "azure": {"subscription": subscription}})


@pytest.mark.parametrize("app", ["ab", "polls", "a-very-long-app-nam1", "x1-2-3"])
@pytest.mark.parametrize("env", ["a", "dev", "production"])
def test_names_follow_azure_rules(app: str, env: str) -> None:
    n = names_for(settings(app), env)
    assert ACR.match(n.registry), n.registry
    assert DNS_LABEL.match(n.dns_label), n.dns_label
    assert AKS_DNS_PREFIX.match(n.dns_prefix), n.dns_prefix
    assert AKS_NAME.match(n.cluster), n.cluster
    for name in (n.vnet, n.nsg_aks, n.nsg_appgw, n.public_ip, n.waf_policy, n.app_gateway, n.ci_identity):
        assert GENERIC.match(name), name
    assert len(n.resource_group) <= 90 and len(n.node_resource_group) <= 80
    assert n.login_server == f"{n.registry}.azurecr.io"


def test_names_are_stable_and_globally_unique_names_depend_on_subscription() -> None:
    a = names_for(settings("polls", "11111111-2222-3333-4444-555555555555"), "prod")
    again = names_for(settings("polls", "11111111-2222-3333-4444-555555555555"), "prod")
    other = names_for(settings("polls", "99999999-2222-3333-4444-555555555555"), "prod")
    assert a == again
    assert a.registry != other.registry and a.dns_label != other.dns_label
    assert a.cluster == other.cluster == "aks-polls-prod"
    assert names_for(settings("polls"), "dev").registry != names_for(settings("polls"), "prod").registry


def test_sovereign_cloud_registry_suffix() -> None:
    s = Settings.model_validate({"app": {"name": "polls"}, "azure": {"cloud": "AzureUSGovernment"}})
    assert names_for(s, "prod").login_server.endswith(".azurecr.us")


def test_configured_names_win() -> None:
    s = Settings.model_validate(
        {"app": {"name": "polls"}, "registry": {"name": "MyRegistry01"}, "azure": {"resource_group": "platform-rg"}}
    )
    n = names_for(s, "prod")
    assert (n.registry, n.login_server, n.resource_group) == ("MyRegistry01", "myregistry01.azurecr.io", "platform-rg")
