"""``aksdeploy doctor``: findings about a live environment, each with a fix; exit 1 when any is an error."""

from __future__ import annotations

from typing import Annotated

import typer

from aksdeploy.cli.options import ConfigOption, EnvOption, OutputOption
from aksdeploy.cli.output import OutputFormat, print_json, stdout


def doctor(
    config: ConfigOption = None,
    env: EnvOption = None,
    output: OutputOption = OutputFormat.TEXT,
    kube_context: Annotated[str | None, typer.Option("--kube-context", help="A kubeconfig context to use.")] = None,
    kubeconfig: Annotated[str | None, typer.Option("--kubeconfig", help="A kubeconfig file to use.")] = None,
    skip_cluster: Annotated[bool, typer.Option("--skip-cluster", help="Check Azure only, not the app's pods.")] = False,
) -> None:
    """Check roles, WAF, TLS, ACR, AKS, the gateway NSG, drift and the app's pods against the secure defaults."""
    from aksdeploy.cli.progress import ConsoleProgress
    from aksdeploy.services.doctor import Severity, diagnose
    from aksdeploy.services.project import load_project
    from aksdeploy.wiring import arm_gateway, cluster

    project = load_project(config, env)
    target = None if skip_cluster else cluster(project, kube_context, kubeconfig)
    with ConsoleProgress(live=False) as quiet:
        findings = diagnose(project, arm_gateway(project), target, quiet)
    errors = [f for f in findings if f.severity is Severity.ERROR]
    if output is OutputFormat.JSON:
        print_json({"environment": project.config.environment, "findings": [f.as_dict() for f in findings]})
    else:
        out = stdout()
        if not findings:
            out.print(f"No findings: {project.config.environment} matches the secure defaults.", markup=False)
        for f in findings:
            out.print(f"{f.severity.value:<7} {f.check}: {f.message}", markup=False)
            out.print(f"        fix: {f.fix}" + (f"  [{f.resource}]" if f.resource else ""), markup=False)
        if findings:
            out.print(f"{len(errors)} error(s), {len(findings) - len(errors)} warning(s).", markup=False)
    if errors:
        raise typer.Exit(1)
