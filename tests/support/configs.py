"""Config texts for tests: a minimal valid file and helpers to vary it."""

from __future__ import annotations

from collections.abc import Mapping

from aksdeploy.core.loading import LoadedConfig, load_config
from aksdeploy.core.naming import Names, names_for

MINIMAL = """\
[app]
name = "shop"

[azure]
subscription = "11111111-2222-3333-4444-555555555555"

[gateway.tls]
host = "shop.example.com"

[environments.prod]
"""


def load(text: str = MINIMAL, env: Mapping[str, str] | None = None, environment: str | None = None) -> LoadedConfig:
    return load_config(text, "aksdeploy.toml", env or {}, environment)


def with_names(text: str = MINIMAL, environment: str | None = None) -> tuple[LoadedConfig, Names]:
    loaded = load(text, environment=environment)
    return loaded, names_for(loaded.settings, loaded.environment)


KEYVAULT_AND_CI = MINIMAL.replace(
    '[gateway.tls]\nhost = "shop.example.com"\n',
    '[gateway.tls]\nhost = "shop.example.com"\ncertificate = "keyvault"\n'
    'keyvault_secret_id = "https://kv-shop.vault.azure.net/secrets/shop-tls"\n'
    'keyvault_id = "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-shared/providers/'
    'Microsoft.KeyVault/vaults/kv-shop"\n\n[ci]\ngithub_repo = "acme/shop"\n',
)

CI_PROVISIONS = KEYVAULT_AND_CI.replace('github_repo = "acme/shop"', 'github_repo = "acme/shop"\nprovision = true')

OVERLAY_CILIUM = MINIMAL + '\n[environments.prod.cluster]\nnetwork_plugin_mode = "overlay"\nnetwork_policy = "cilium"\n'
