"""``aksdeploy build`` and ``aksdeploy push``: the app's image, from Dockerfile to registry digest."""

from __future__ import annotations

from typing import Annotated

import typer

from aksdeploy.cli.options import ConfigOption, EnvOption, OutputOption
from aksdeploy.cli.output import OutputFormat, print_json, stdout

TagOption = Annotated[str | None, typer.Option("--tag", "-t", help="An extra, human tag (the commit is always a tag).")]


def _build_args(values: list[str]) -> dict[str, str]:
    from aksdeploy.core.errors import ConfigError

    out = {}
    for value in values:
        key, sep, val = value.partition("=")
        if not sep or not key:
            raise ConfigError(f"--build-arg {value!r}: expected KEY=VALUE")
        out[key] = val
    return out


def build(
    config: ConfigOption = None,
    env: EnvOption = None,
    output: OutputOption = OutputFormat.TEXT,
    tag: TagOption = None,
    build_arg: Annotated[list[str] | None, typer.Option("--build-arg", help="KEY=VALUE, repeatable.")] = None,
    platform: Annotated[str, typer.Option(help="Target platform.")] = "linux/amd64",
    network: Annotated[
        str | None, typer.Option(help="Network for RUN steps (e.g. none, host); the engine's default otherwise.")
    ] = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Rebuild every step.")] = False,
) -> None:
    """Build the app's image with the Docker engine, tagged with the git commit."""
    from aksdeploy.cli.progress import BuildDisplay
    from aksdeploy.services import images
    from aksdeploy.services.project import load_project
    from aksdeploy.wiring import image_builder, source_version

    project = load_project(config, env)
    spec = images.build_spec(
        project,
        source_version(images.source_dir(project)),
        tag,
        _build_args(build_arg or []),
        platform,
        network,
        no_cache,
    )
    with BuildDisplay() as display:
        built = images.build(spec, image_builder(), display.line)
    if output is OutputFormat.JSON:
        print_json({"image": built.image_id, "repository": built.repository, "tags": list(built.tags)})
    else:
        for name in spec.tags:
            stdout().print(name, markup=False)


def push(
    config: ConfigOption = None,
    env: EnvOption = None,
    output: OutputOption = OutputFormat.TEXT,
    tag: TagOption = None,
) -> None:
    """Push the image built from this commit to the environment's registry; prints the digest reference."""
    from aksdeploy.cli.progress import PushDisplay
    from aksdeploy.core.images import version_tag
    from aksdeploy.services import images
    from aksdeploy.services.project import load_project
    from aksdeploy.wiring import image_builder, registry_login, source_version

    project = load_project(config, env)
    tags = (version_tag(*source_version(images.source_dir(project))), *((tag,) if tag else ()))
    with PushDisplay() as display:
        pushed = images.push(project, tags, image_builder(), registry_login(project), display.layer)
    if output is OutputFormat.JSON:
        print_json({"image": pushed.reference, "digest": pushed.digest, "tags": list(pushed.tags)})
    else:
        stdout().print(pushed.reference, markup=False)
