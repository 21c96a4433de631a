"""``deploy``, ``release``, ``status``, ``logs`` and ``rollback``: the app on its cluster."""

from __future__ import annotations

import os
import time
from typing import Annotated

import typer

from aksdeploy.cli.options import ConfigOption, EnvOption, OutputOption
from aksdeploy.cli.output import OutputFormat, in_github_actions, print_json, stderr, stdout

KubeContextOption = Annotated[
    str | None, typer.Option("--kube-context", help="Use this kubeconfig context instead of the environment's AKS.")
]
KubeconfigOption = Annotated[str | None, typer.Option("--kubeconfig", help="Path to a kubeconfig file.")]
ForceOption = Annotated[bool, typer.Option("--force-conflicts", help="Take over fields another field manager owns.")]
NoRollbackOption = Annotated[
    bool, typer.Option("--no-rollback", help="Leave a failed rollout as it is instead of rolling back.")
]
TimeoutOption = Annotated[float, typer.Option("--timeout", help="Seconds to wait for migrations and the rollout.")]


def _report(message: str) -> None:
    stderr().print(f"  {message}", markup=False, highlight=False)


def _summary(rows: list[tuple[str, str]], title: str) -> None:
    path = os.environ.get("GITHUB_STEP_SUMMARY")
    if not path:
        return
    table = "\n".join(f"| {k} | {v} |" for k, v in rows)
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(f"### {title}\n\n| | |\n|---|---|\n{table}\n\n")


def deploy(
    image: Annotated[str, typer.Option("--image", help="The image to deploy, by digest (registry/app@sha256:…).")],
    config: ConfigOption = None,
    env: EnvOption = None,
    output: OutputOption = OutputFormat.TEXT,
    kube_context: KubeContextOption = None,
    kubeconfig: KubeconfigOption = None,
    force_conflicts: ForceOption = False,
    no_rollback: NoRollbackOption = False,
    timeout: TimeoutOption = 900.0,
) -> None:
    """Run migrations, apply the manifests, watch the rollout, roll back on failure, prune what is gone."""
    from aksdeploy.services import releases
    from aksdeploy.services.project import load_project
    from aksdeploy.wiring import cluster

    project = load_project(config, env)
    options = releases.DeployOptions(force_conflicts, not no_rollback, timeout)
    started = time.monotonic()
    result = releases.deploy(project, cluster(project, kube_context, kubeconfig), image, os.environ, _report, options)
    elapsed = time.monotonic() - started
    rows = [
        ("image", result.image),
        ("revision", str(result.revision)),
        ("changed", str(len(result.changed))),
        ("pruned", ", ".join(result.pruned) or "none"),
        ("deploy", f"{elapsed:.1f}s"),
    ]
    _summary(rows, f"aksdeploy deploy ({project.config.environment})")
    if output is OutputFormat.JSON:
        print_json(
            {
                "image": result.image,
                "revision": result.revision,
                "changed": result.changed,
                "pruned": result.pruned,
                "migrated": result.migrated,
                "seconds": round(elapsed, 3),
            }
        )
    else:
        stdout().print(
            f"Deployed {result.image} (revision {result.revision}, {len(result.changed)} objects changed).",
            markup=False,
        )


def release(
    config: ConfigOption = None,
    env: EnvOption = None,
    output: OutputOption = OutputFormat.TEXT,
    tag: Annotated[str | None, typer.Option("--tag", "-t", help="An extra, human tag.")] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Non-interactive (CI).")] = False,
    network: Annotated[str | None, typer.Option(help="Network for RUN steps of the build.")] = None,
    build_arg: Annotated[list[str] | None, typer.Option("--build-arg", help="KEY=VALUE, repeatable.")] = None,
    kube_context: KubeContextOption = None,
    kubeconfig: KubeconfigOption = None,
    force_conflicts: ForceOption = False,
    no_rollback: NoRollbackOption = False,
    timeout: TimeoutOption = 900.0,
) -> None:
    """build → push → deploy, as one pipeline, with the time each stage took."""
    from aksdeploy.cli.images import _build_args
    from aksdeploy.cli.progress import BuildDisplay, PushDisplay
    from aksdeploy.services import images, releases
    from aksdeploy.services.project import load_project
    from aksdeploy.wiring import cluster, image_builder, registry_login, source_version

    del yes  # release never prompts; accepted so CI invocations read the same as provision's
    project = load_project(config, env)
    timings: list[tuple[str, float]] = []
    builder = image_builder()
    start = time.monotonic()
    spec = images.build_spec(
        project, source_version(images.source_dir(project)), tag, _build_args(build_arg or []), network=network
    )
    with BuildDisplay() as display:
        images.build(spec, builder, display.line)
    timings.append(("build", time.monotonic() - start))
    start = time.monotonic()
    tags = tuple(t.rpartition(":")[2] for t in spec.tags)
    with PushDisplay() as display:
        pushed = images.push(project, tags, builder, registry_login(project), display.layer)
    timings.append(("push", time.monotonic() - start))
    start = time.monotonic()
    options = releases.DeployOptions(force_conflicts, not no_rollback, timeout)
    result = releases.deploy(
        project, cluster(project, kube_context, kubeconfig), pushed.reference, os.environ, _report, options
    )
    timings.append(("deploy", time.monotonic() - start))
    rows = [("image", pushed.reference), ("revision", str(result.revision))] + [(k, f"{v:.1f}s") for k, v in timings]
    _summary(rows, f"aksdeploy release ({project.config.environment})")
    if output is OutputFormat.JSON:
        print_json(
            {
                "image": pushed.reference,
                "revision": result.revision,
                "changed": result.changed,
                "pruned": result.pruned,
                "timings": {k: round(v, 3) for k, v in timings},
            }
        )
    else:
        stages = ", ".join(f"{k} {v:.1f}s" for k, v in timings)
        stdout().print(f"Released {pushed.reference} (revision {result.revision}; {stages}).", markup=False)
    if in_github_actions():
        stdout().print(f"::notice::released {pushed.reference}", markup=False)


def status(
    config: ConfigOption = None,
    env: EnvOption = None,
    output: OutputOption = OutputFormat.TEXT,
    kube_context: KubeContextOption = None,
    kubeconfig: KubeconfigOption = None,
) -> None:
    """Revision, image digest, replicas, HPA, ingress address and recent warning events."""
    from dataclasses import asdict

    from aksdeploy.services import operations
    from aksdeploy.services.project import load_project
    from aksdeploy.wiring import cluster

    project = load_project(config, env)
    result = operations.status(project, cluster(project, kube_context, kubeconfig))
    if output is OutputFormat.JSON:
        print_json(asdict(result))
        return
    out = stdout()
    if not result.exists:
        out.print(f"{result.namespace}/{result.deployment}: not deployed", markup=False)
        return
    lines = [
        f"deployment  {result.namespace}/{result.deployment}  revision {result.revision}",
        f"image       {result.image}",
        f"replicas    {result.ready} ready / {result.desired} desired ({result.available} available)",
        f"rollout     {result.rollout}",
        f"autoscaler  {result.hpa or 'none'}",
        f"ingress     {result.ingress or 'none'}",
        "revisions   " + ", ".join(f"{r}: {img.rsplit('@', 1)[-1][:19]}" for r, img in result.revisions),
    ]
    lines += [f"warning     {w}" for w in result.warnings]
    for line in lines:
        out.print(line, markup=False, highlight=False)


def logs(
    config: ConfigOption = None,
    env: EnvOption = None,
    follow: Annotated[bool, typer.Option("--follow", "-f", help="Keep streaming new lines.")] = False,
    since: Annotated[int | None, typer.Option("--since", help="Only lines from the last N seconds.")] = None,
    tail: Annotated[int | None, typer.Option("--tail", help="Only the last N lines of each pod.")] = None,
    previous: Annotated[
        bool, typer.Option("--previous", help="The previous container's logs (after a crash).")
    ] = False,
    kube_context: KubeContextOption = None,
    kubeconfig: KubeconfigOption = None,
) -> None:
    """The logs of every pod of the app, each line prefixed with its pod."""
    from aksdeploy.services import operations
    from aksdeploy.services.project import load_project
    from aksdeploy.wiring import cluster

    project = load_project(config, env)
    out = stdout()
    for pod, line in operations.logs(
        project, cluster(project, kube_context, kubeconfig), tail, since, previous, follow
    ):
        out.print(f"[{pod}] {line}", markup=False, highlight=False)


def rollback(
    config: ConfigOption = None,
    env: EnvOption = None,
    to_revision: Annotated[int | None, typer.Option("--to-revision", help="The revision to restore.")] = None,
    kube_context: KubeContextOption = None,
    kubeconfig: KubeconfigOption = None,
    timeout: TimeoutOption = 900.0,
) -> None:
    """Restore the previous (or a given) revision's pod template and wait for it."""
    from aksdeploy.services import releases
    from aksdeploy.services.planning import release_for
    from aksdeploy.services.project import load_project
    from aksdeploy.wiring import cluster

    project = load_project(config, env)
    deployment = next(o for o in release_for(project, None).objects if o["kind"] == "Deployment")
    deployer = releases.Deployer(
        cluster(project, kube_context, kubeconfig), _report, releases.DeployOptions(timeout=timeout)
    )
    revision = deployer.rollback(deployment, to_revision)
    stdout().print(f"Rolled back {deployment['metadata']['name']} to revision {revision}.", markup=False)
