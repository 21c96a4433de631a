"""Builds the real adapters from settings and the process environment; the only place that does."""

from __future__ import annotations

import os
from collections.abc import Mapping

from aksdeploy.core.clouds import ENDPOINTS
from aksdeploy.core.errors import ConfigError
from aksdeploy.core.naming import PLACEHOLDER_SUBSCRIPTION
from aksdeploy.ports import InfraGateway
from aksdeploy.services.project import Project

ENDPOINT_VARIABLE = "AZURE_RESOURCE_MANAGER_ENDPOINT"


def arm_gateway(project: Project, environ: Mapping[str, str] | None = None) -> InfraGateway:
    """Resource Manager for PROJECT's cloud, signed in with DefaultAzureCredential.

    ``AZURE_RESOURCE_MANAGER_ENDPOINT`` (and optionally ``AZURE_RESOURCE_MANAGER_SCOPE``) point at a private or
    sovereign Resource Manager; ``AKSDEPLOY_ARM_POLL_INTERVAL`` sets the default seconds between operation polls
    when Azure does not send ``Retry-After``.
    """
    from aksdeploy.adapters.azure.arm import ArmClient, ArmSettings
    from aksdeploy.adapters.azure.identity import default_credential

    env = os.environ if environ is None else environ
    if project.names.subscription == PLACEHOLDER_SUBSCRIPTION:
        raise ConfigError(
            "no Azure subscription: set azure.subscription in the config or AZURE_SUBSCRIPTION_ID",
            "`az account show --query id -o tsv` prints the current one",
        )
    cloud = ENDPOINTS[project.config.settings.azure.cloud]
    endpoint = env.get(ENDPOINT_VARIABLE) or cloud.resource_manager
    scope = env.get("AZURE_RESOURCE_MANAGER_SCOPE") or (endpoint.rstrip("/") + "/.default")
    try:
        poll = float(env.get("AKSDEPLOY_ARM_POLL_INTERVAL", "5"))
    except ValueError:
        raise ConfigError("AKSDEPLOY_ARM_POLL_INTERVAL: expected a number of seconds") from None
    credential = default_credential(cloud.authority_host)
    settings = ArmSettings(endpoint=endpoint, scope=scope, subscription=project.names.subscription, poll_interval=poll)
    return ArmClient(settings, credential)
