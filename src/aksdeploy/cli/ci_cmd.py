"""``aksdeploy ci setup``: zero-secret continuous deployment from GitHub Actions."""

from __future__ import annotations

from typing import Annotated

import typer

from aksdeploy.cli.options import ConfigOption, EnvOption, OutputOption
from aksdeploy.cli.output import OutputFormat, print_json, stdout

app = typer.Typer(help="Set up continuous deployment from GitHub Actions.", no_args_is_help=True, rich_markup_mode=None)


@app.command("setup")
def setup(
    repo: Annotated[str, typer.Option("--repo", help="The GitHub repository, OWNER/NAME.")],
    config: ConfigOption = None,
    env: EnvOption = None,
    output: OutputOption = OutputFormat.TEXT,
    with_provision: Annotated[
        bool,
        typer.Option(
            "--with-provision",
            help="Also let CI run `aksdeploy provision`: Contributor and a constrained RBAC Administrator "
            "on the environment's resource group.",
        ),
    ] = False,
) -> None:
    """A managed identity with GitHub OIDC federated credentials and least-privilege roles; no client secret."""
    from aksdeploy.cli.progress import ConsoleProgress
    from aksdeploy.core.config import GithubRepo
    from aksdeploy.core.errors import ConfigError
    from aksdeploy.services.project import load_project
    from aksdeploy.services.provisioning import ci_setup, with_ci
    from aksdeploy.wiring import arm_gateway

    try:
        from pydantic import TypeAdapter, ValidationError

        TypeAdapter(GithubRepo).validate_python(repo)
    except ValidationError:
        raise ConfigError(f"--repo {repo!r}: expected OWNER/NAME") from None
    project = with_ci(load_project(config, env), repo, with_provision)
    with ConsoleProgress() as progress:
        identity = ci_setup(project, arm_gateway(project), progress)
    variables = {
        "AZURE_CLIENT_ID": identity.client_id,
        "AZURE_TENANT_ID": identity.tenant_id,
        "AZURE_SUBSCRIPTION_ID": identity.subscription_id,
    }
    if output is OutputFormat.JSON:
        print_json({"variables": variables, "roles": list(identity.roles), "subjects": list(identity.subjects)})
        return
    out = stdout()
    out.print(
        f"Set these as repository variables of {repo} (Settings → Secrets and variables → Variables):", markup=False
    )
    for name, value in variables.items():
        out.print(f"  {name}={value}", markup=False)
    out.print("Federated credentials (no client secret): " + "; ".join(identity.subjects), markup=False)
    out.print("Roles: " + "; ".join(identity.roles), markup=False)
    if not with_provision:
        out.print(
            "CI can release but not provision; rerun with --with-provision to let it provision too.", markup=False
        )
