from __future__ import annotations

import re

import pytest

from aksdeploy.core.errors import ConfigError
from tests.conftest import EXAMPLE_CONFIG
from tests.support.configs import MINIMAL, load


def error_of(text: str, env: dict[str, str] | None = None, environment: str | None = None) -> str:
    with pytest.raises(ConfigError) as info:
        load(text, env, environment)
    assert info.value.exit_code == 2
    return info.value.message


def test_minimal_file_gets_secure_defaults() -> None:
    loaded = load()
    s = loaded.settings
    assert loaded.environment == "prod"
    assert s.gateway.waf_mode == "Prevention"
    assert [r.type for r in s.gateway.rule_sets] == ["Microsoft_DefaultRuleSet", "Microsoft_BotManagerRuleSet"]
    assert s.registry.sku == "Standard"
    assert s.cluster.network_plugin_mode == "flat"
    assert loaded.warnings == ()


def test_example_config_loads_for_every_environment() -> None:
    text = EXAMPLE_CONFIG.read_text()
    dev = load(text, environment="dev")
    prod = load(text, environment="prod")
    assert dev.settings.cluster.max_nodes == 2
    assert prod.settings.cluster.zones == ["1", "2", "3"]
    assert dev.settings.app.env["DJANGO_ALLOWED_HOSTS"] == "*"
    assert dev.settings.app.env["DJANGO_SETTINGS_MODULE"] == "polls_site.settings"  # deep-merged, not replaced
    assert any("plain HTTP" in w for w in dev.warnings)


def test_environment_table_overrides_and_variables_override_both() -> None:
    text = MINIMAL + "[environments.prod.cluster]\nmax_nodes = 8\n"
    assert load(text).settings.cluster.max_nodes == 8
    env = {"AKSDEPLOY_CLUSTER__MAX_NODES": "9", "AKSDEPLOY_APP__ENV__Feature_Flag": "on"}
    loaded = load(text, env)
    assert loaded.settings.cluster.max_nodes == 9
    assert loaded.settings.app.env == {"Feature_Flag": "on"}
    lists = load(text, {"AKSDEPLOY_NETWORK__ALLOWED_INBOUND": '["203.0.113.0/24"]'})
    assert lists.settings.network.allowed_inbound == ["203.0.113.0/24"]


def test_variable_error_names_the_variable() -> None:
    message = error_of(MINIMAL, {"AKSDEPLOY_CLUSTER__MAX_PODS": "500"})
    assert message.startswith("AKSDEPLOY_CLUSTER__MAX_PODS (environment variable): cluster.max_pods:")
    assert "less than or equal to 250" in message


@pytest.mark.parametrize(
    ("edit", "where", "expected"),
    [
        (('name = "shop"', 'name = "Shop_App"'), "aksdeploy.toml:2: app.name", "lowercase"),
        (('name = "shop"', 'name = "shop"\nport = "http"'), "aksdeploy.toml:3: app.port", "valid integer"),
        (
            ('name = "shop"', 'name = "shop"\nmin_replicas = 4\nmax_replicas = 2'),
            "aksdeploy.toml:4: app.max_replicas",
            "less than app.min_replicas",
        ),
        (('name = "shop"', 'name = "shop"\nenvv = {}'), "aksdeploy.toml:3: app.envv", "did you mean 'env'"),
        (("[azure]", '[registry]\nname = "cr-shop"\n\n[azure]'), "aksdeploy.toml:5: registry.name", "5-50 letters"),
        (("[azure]", '[registry]\nname = "abc"\n\n[azure]'), "aksdeploy.toml:5: registry.name", "5-50 letters"),
        (
            ("[azure]", '[network]\nservice_cidr = "10.224.0.0/16"\n\n[azure]'),
            "aksdeploy.toml:5: network.service_cidr",
            "overlaps the VNet",
        ),
        (
            ("[azure]", '[network]\nappgw_subnet_cidr = "10.240.0.0/24"\n\n[azure]'),
            "aksdeploy.toml:5: network.appgw_subnet_cidr",
            "outside the VNet",
        ),
        (
            ("[azure]", '[network]\nappgw_subnet_cidr = "10.224.1.0/24"\n\n[azure]'),
            "aksdeploy.toml:5: network.appgw_subnet_cidr",
            "overlaps the AKS subnet",
        ),
        (
            ("[azure]", '[network]\ndns_service_ip = "10.1.0.10"\n\n[azure]'),
            "aksdeploy.toml:5: network.dns_service_ip",
            "outside network.service_cidr",
        ),
        (
            ("[azure]", '[network]\nvnet_cidr = "10.224.0.0/33"\n\n[azure]'),
            "aksdeploy.toml:5: network.vnet_cidr",
            "IPv4 CIDR",
        ),
        (
            ("[azure]", "[cluster]\nmin_nodes = 3\nmax_nodes = 2\n\n[azure]"),
            "aksdeploy.toml:6: cluster.max_nodes",
            "less than cluster.min_nodes",
        ),
        (
            ("[azure]", "[cluster]\nmax_pods = 250\nmax_nodes = 400\n\n[azure]"),
            "aksdeploy.toml:",
            "flat Azure CNI needs",
        ),
        (
            ("[azure]", '[cluster]\nnetwork_policy = "cilium"\n\n[azure]'),
            "aksdeploy.toml:5: cluster.network_policy",
            "overlay",
        ),
        (('host = "shop.example.com"', 'host = "Shop Example"'), "aksdeploy.toml:8: gateway.tls.host", "DNS name"),
        (('host = "shop.example.com"', 'certificate = "keyvault"'), "gateway.tls.keyvault_secret_id", "needs"),
        (
            ('subscription = "11111111-2222-3333-4444-555555555555"', 'subscription = "prod"'),
            "aksdeploy.toml:5: azure.subscription",
            "GUID",
        ),
        (
            ("[environments.prod]", '[environments.prod]\ngateway = { waf_mode = "Off" }'),
            "aksdeploy.toml:11: environments.prod.gateway.waf_mode",
            "'Prevention' or 'Detection'",
        ),
    ],
)
def test_bad_values_name_file_line_and_key(edit: tuple[str, str], where: str, expected: str) -> None:
    message = error_of(MINIMAL.replace(*edit, 1))
    assert where in message
    assert expected in message


def test_missing_required_key() -> None:
    message = error_of(MINIMAL.replace('name = "shop"', "port = 8000"))
    assert "aksdeploy.toml:1: app.name: is required" in message


def test_toml_syntax_error_names_the_line() -> None:
    message = error_of(MINIMAL.replace('name = "shop"', 'name = "shop'))
    assert re.match(r"aksdeploy\.toml:2: invalid TOML: ", message)


def test_errors_in_other_environments_are_reported_too() -> None:
    text = MINIMAL + "\n[environments.dev]\ncluster = { max_nodes = 0 }\n"
    message = error_of(text, environment="prod")
    assert "aksdeploy.toml:13: environments.dev.cluster.max_nodes" in message


def test_environment_selection() -> None:
    text = MINIMAL + "\n[environments.dev]\n"
    assert "choose one" in error_of(text)
    with pytest.raises(ConfigError) as info:
        load(text, None, "prd")
    assert "did you mean 'prod'" in str(info.value.suggestion)
    assert "no environment is defined" in error_of(MINIMAL.replace("[environments.prod]\n", ""))


def test_small_gateway_subnet_is_a_warning_not_an_error() -> None:
    loaded = load(MINIMAL.replace("[azure]", '[network]\nappgw_subnet_cidr = "10.238.0.0/26"\n\n[azure]'))
    assert any("smaller than /24" in w and "aksdeploy.toml:5" in w for w in loaded.warnings)


def test_secret_and_env_may_not_share_a_name() -> None:
    text = MINIMAL.replace('name = "shop"', 'name = "shop"\nsecrets = ["TOKEN"]\nenv = { TOKEN = "x" }')
    assert "TOKEN is both in app.env and app.secrets" in error_of(text)
