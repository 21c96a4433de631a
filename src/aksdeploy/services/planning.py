"""Plans and renders that need no Azure account: the desired state as data."""

from __future__ import annotations

from aksdeploy.core.desired import desired_resources
from aksdeploy.core.manifests import Release, placeholder_image, render_release
from aksdeploy.core.plan import Plan, offline_plan
from aksdeploy.services.project import Project


def release_for(project: Project, image: str | None) -> Release:
    """The app's Kubernetes objects for IMAGE (a placeholder digest when none is known yet)."""
    settings, names = project.config.settings, project.names
    image = image or placeholder_image(names, settings.app.name)
    return render_release(settings, project.config.environment, names, image)


def plan_offline(project: Project, image: str | None = None) -> Plan:
    """What provisioning and deploying would create if nothing existed yet."""
    loaded = project.config
    notes = list(loaded.warnings)
    if loaded.settings.azure.subscription is None:
        notes.append(
            "azure.subscription is not set (nor AZURE_SUBSCRIPTION_ID): ids use a placeholder subscription, "
            "and globally unique names (registry, DNS label) will differ once it is set"
        )
    if image is None:
        notes.append("no --image given: the Kubernetes objects use a placeholder digest")
    resources = desired_resources(loaded.settings, loaded.environment, project.names)
    return offline_plan(loaded.environment, resources, release_for(project, image).all, notes)
