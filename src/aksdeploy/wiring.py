"""Builds the real adapters from settings and the process environment; the only place that does."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from aksdeploy.core.clouds import ENDPOINTS
from aksdeploy.core.errors import ConfigError
from aksdeploy.core.naming import PLACEHOLDER_SUBSCRIPTION
from aksdeploy.ports import Cluster, ImageBuilder, InfraGateway, RegistryLogin
from aksdeploy.services.project import Project

if TYPE_CHECKING:
    from aksdeploy.adapters.azure.arm import ArmClient

ENDPOINT_VARIABLE = "AZURE_RESOURCE_MANAGER_ENDPOINT"


def arm_gateway(project: Project, environ: Mapping[str, str] | None = None) -> InfraGateway:
    """Resource Manager for PROJECT (see ``_arm_client``)."""
    return _arm_client(project, environ)


def registry_login(project: Project) -> RegistryLogin:
    """ACR sign-in with an Entra token for PROJECT's registry."""
    from aksdeploy.adapters.azure.acr import AcrLogin
    from aksdeploy.services.provisioning import resources_of

    client = _arm_client(project)
    registry = next(r for r in resources_of(project) if r.key == "acr")
    return AcrLogin(client, client.credential, client.scope, registry.id, registry.api_version)


def image_builder() -> ImageBuilder:
    """The Docker engine at DOCKER_HOST (or the default socket)."""
    from aksdeploy.adapters.docker_engine import DockerEngine

    return DockerEngine()


def source_version(path: Path) -> tuple[str | None, bool]:
    """(commit, dirty) of the git checkout holding PATH."""
    from aksdeploy.adapters.git import commit_of

    return commit_of(path)


def _arm_client(project: Project, environ: Mapping[str, str] | None = None) -> ArmClient:
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


def cluster(project: Project, kube_context: str | None = None, kubeconfig: str | None = None) -> Cluster:
    """The environment's cluster: a kubeconfig context when given, else its AKS cluster via Entra ID."""
    import base64

    from aksdeploy.adapters.kubernetes_api import KubeCluster
    from aksdeploy.core.clouds import AKS_SERVER_APP_ID
    from aksdeploy.services.provisioning import resources_of

    if kube_context or kubeconfig:
        return KubeCluster.from_kubeconfig(kube_context, kubeconfig)
    client = _arm_client(project)
    aks = next(r for r in resources_of(project) if r.key == "aks")
    credentials = client.post(f"{aks.id}/listClusterUserCredential", aks.api_version, {})
    kubeconfigs = credentials.get("kubeconfigs") or []
    if not kubeconfigs:
        raise ConfigError(f"{aks.id} returned no kubeconfig", "check that the cluster exists: aksdeploy provision")
    document = base64.b64decode(kubeconfigs[0]["value"]).decode()
    scope = f"{AKS_SERVER_APP_ID}/.default"

    def token() -> tuple[str, float]:
        access = client.credential.get_token(scope)
        return access.token, float(access.expires_on)

    return KubeCluster.from_aks(document, token)
