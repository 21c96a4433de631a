"""``aksdeploy provision`` and ``aksdeploy destroy``: bring Azure to the config, or take it all away."""

from __future__ import annotations

from typing import Annotated

import typer

from aksdeploy.cli.options import ConfigOption, EnvOption, OutputOption
from aksdeploy.cli.output import OutputFormat, print_json, stdout, warn

YesOption = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]


def provision(
    config: ConfigOption = None,
    env: EnvOption = None,
    output: OutputOption = OutputFormat.TEXT,
    yes: YesOption = False,
) -> None:
    """Create or update the environment's Azure resources; unchanged resources get no write."""
    from aksdeploy.cli.confirm import confirm
    from aksdeploy.cli.progress import ConsoleProgress
    from aksdeploy.cli.views import plan_view, provision_view
    from aksdeploy.core.errors import AzureError
    from aksdeploy.core.plan import Action
    from aksdeploy.services.project import load_project
    from aksdeploy.services.provisioning import plan_online
    from aksdeploy.services.provisioning import provision as run
    from aksdeploy.wiring import arm_gateway

    project = load_project(config, env)
    for warning in project.config.warnings:
        warn(warning)
    gateway = arm_gateway(project)
    if not yes:  # with --yes there is nothing to confirm, so no separate read-only pass
        with ConsoleProgress(live=False) as quiet:
            planned = plan_online(project, gateway, quiet)
        if not planned.pending:
            stdout().print("No changes: Azure matches the configuration.", markup=False)
            return
        stdout().print(plan_view(planned, project.names, kubernetes=False))
        if not confirm("Apply these changes?"):
            raise typer.Exit(1)
    with ConsoleProgress() as progress:
        result = run(project, gateway, progress)
    if output is OutputFormat.JSON:
        print_json(
            {
                "environment": project.config.environment,
                "resources": [
                    {"node": r.key, "id": r.resource_id, "action": r.action.value, "seconds": round(r.seconds, 3)}
                    | ({"error": r.error} if r.error else {})
                    for r in result.results
                ],
            }
        )
    elif all(r.action is Action.NOOP and not r.error for r in result.results):
        stdout().print("No changes: Azure matches the configuration.", markup=False)
    else:
        stdout().print(provision_view(result))
    if result.failed:
        first = result.failed[0]
        raise AzureError(
            f"{len(result.failed)} resource(s) did not provision; first: {first.key}: {first.error}",
            "fix the cause and rerun `aksdeploy provision`: finished resources are not touched again",
        )


def destroy(
    config: ConfigOption = None,
    env: EnvOption = None,
    yes: YesOption = False,
) -> None:
    """Delete everything aksdeploy created for the environment (its resource group)."""
    from aksdeploy.cli.confirm import confirm_typed
    from aksdeploy.cli.progress import ConsoleProgress
    from aksdeploy.services.project import load_project
    from aksdeploy.services.provisioning import destroy as run
    from aksdeploy.wiring import arm_gateway

    project = load_project(config, env)
    names = project.names
    if not yes:
        stdout().print(
            f"This deletes resource group {names.resource_group} and everything in it: cluster {names.cluster}, "
            f"gateway {names.app_gateway}, registry {names.registry} and its images, network {names.vnet}.",
            markup=False,
        )
        if not confirm_typed(names.resource_group, "Delete?"):
            raise typer.Exit(1)
    gateway = arm_gateway(project)
    with ConsoleProgress() as progress:
        deleted = run(project, gateway, progress)
    message = (
        f"Deleted {names.resource_group}." if deleted else f"Nothing to delete: {names.resource_group} does not exist."
    )
    stdout().print(message, markup=False)
