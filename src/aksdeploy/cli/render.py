"""``aksdeploy render``: the app's Kubernetes manifests as YAML, for kubectl and GitOps users."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from aksdeploy.cli.options import ConfigOption, EnvOption, ImageOption
from aksdeploy.cli.output import stderr, warn


def render(
    config: ConfigOption = None,
    env: EnvOption = None,
    image: ImageOption = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write one file per object into this directory instead of stdout.")
    ] = None,
) -> None:
    """Print the Kubernetes manifests of the app as multi-document YAML (Secrets are created at deploy time)."""
    import sys

    from aksdeploy.services.planning import release_for
    from aksdeploy.services.project import load_project
    from aksdeploy.services.rendering import write_manifests, yaml_documents

    project = load_project(config, env)
    for warning in project.config.warnings:
        warn(warning)
    if image is None:
        warn("no --image given: the manifests use a placeholder digest")
    release = release_for(project, image)
    if out is None:
        sys.stdout.write(yaml_documents(release.all))
        return
    for path in write_manifests(release.all, out):
        stderr().print(f"wrote {path}", markup=False)
