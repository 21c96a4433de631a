"""The provisioning use cases as the CLI calls them: online plan, provision, destroy."""

from __future__ import annotations

from dataclasses import dataclass, replace

from aksdeploy.core.desired import desired_resources
from aksdeploy.core.errors import AzureError
from aksdeploy.core.plan import Plan
from aksdeploy.core.resources import Resource
from aksdeploy.ports import InfraGateway, Progress
from aksdeploy.services.infra import Provisioner, ProvisionResult
from aksdeploy.services.planning import release_for
from aksdeploy.services.project import Project


def resources_of(project: Project) -> tuple[Resource, ...]:
    """PROJECT's desired Azure resources."""
    loaded = project.config
    return desired_resources(loaded.settings, loaded.environment, project.names)


def plan_online(project: Project, gateway: InfraGateway, progress: Progress, image: str | None = None) -> Plan:
    """What provisioning would change, observed from Azure."""
    return Provisioner(gateway, progress).plan(
        project.config.environment, resources_of(project), release_for(project, image).all
    )


def provision(project: Project, gateway: InfraGateway, progress: Progress) -> ProvisionResult:
    """Create or update everything that differs from the config."""
    return Provisioner(gateway, progress).apply(resources_of(project))


def destroy(project: Project, gateway: InfraGateway, progress: Progress) -> bool:
    """Delete the environment (its resource group, which holds everything aksdeploy created)."""
    resource_group = next(r for r in resources_of(project) if r.key == "rg")
    return Provisioner(gateway, progress).destroy(resource_group)


@dataclass(frozen=True, slots=True)
class CiIdentity:
    client_id: str
    tenant_id: str
    subscription_id: str
    roles: tuple[str, ...]
    subjects: tuple[str, ...]


def with_ci(project: Project, repo: str, provision: bool) -> Project:
    """PROJECT with ``[ci]`` set for REPO."""
    settings = project.config.settings
    ci = settings.ci.model_copy(update={"github_repo": repo, "provision": provision or settings.ci.provision})
    config = replace(project.config, settings=settings.model_copy(update={"ci": ci}))
    return replace(project, config=config)


def ci_setup(project: Project, gateway: InfraGateway, progress: Progress) -> CiIdentity:
    """Create the CI identity, its federated credentials and role assignments; everything else must exist."""
    resources = resources_of(project)
    ci_nodes = frozenset(r.key for r in resources if r.key.startswith(("identity.ci", "fic.", "role.ci-")))
    result = Provisioner(gateway, progress).apply(resources, only=ci_nodes)
    if result.failed:
        first = result.failed[0]
        raise AzureError(f"CI setup did not finish: {first.key}: {first.error}", "fix the cause and run it again")
    identity = result.observed["identity.ci"]["properties"]
    by_key = {r.key: r for r in resources}
    roles = tuple(
        f"{summary['role']} @ {summary['scope']}"
        for key in sorted(ci_nodes)
        if key.startswith("role.ci-")
        for summary in [dict(by_key[key].summary)]
    )
    subjects = tuple(str(dict(by_key[k].summary)["subject"]) for k in sorted(ci_nodes) if k.startswith("fic."))
    return CiIdentity(identity["clientId"], identity["tenantId"], project.names.subscription, roles, subjects)
