"""``aksdeploy plan``: what provisioning and deploying would do."""

from __future__ import annotations

from typing import Annotated

import typer

from aksdeploy.cli.options import ConfigOption, EnvOption, ImageOption, OutputOption
from aksdeploy.cli.output import OutputFormat, print_json, stdout, warn
from aksdeploy.cli.views import plan_view


def plan(
    config: ConfigOption = None,
    env: EnvOption = None,
    output: OutputOption = OutputFormat.TEXT,
    image: ImageOption = None,
    offline: Annotated[
        bool, typer.Option("--offline", help="Assume nothing exists yet; needs no Azure credentials.")
    ] = False,
    detailed_exitcode: Annotated[
        bool, typer.Option("--detailed-exitcode", help="Exit 3 when the plan has changes, 0 when it has none.")
    ] = False,
) -> None:
    """Show the Azure resources and Kubernetes objects that would be created or changed (online unless --offline)."""
    from dataclasses import replace

    from aksdeploy.core.plan import plan_to_json
    from aksdeploy.services.planning import plan_offline
    from aksdeploy.services.project import load_project

    project = load_project(config, env)
    if offline:
        result = plan_offline(project, image)
    else:
        from aksdeploy.cli.progress import ConsoleProgress
        from aksdeploy.services.provisioning import plan_online
        from aksdeploy.wiring import arm_gateway

        with ConsoleProgress(live=False) as progress:
            result = plan_online(project, arm_gateway(project), progress, image)
        result = replace(result, notes=project.config.warnings)
    for note in result.notes:
        warn(note)
    if output is OutputFormat.JSON:
        print_json(plan_to_json(result))
    else:
        stdout().print(plan_view(result, project.names))
    if detailed_exitcode and result.pending:
        raise typer.Exit(3)
