"""The provisioning use cases as the CLI calls them: online plan, provision, destroy."""

from __future__ import annotations

from aksdeploy.core.desired import desired_resources
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
