"""Build the app's image and push it to the environment's registry, by digest."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from aksdeploy.core.errors import ConfigError
from aksdeploy.core.images import BuildSpec, LayerProgress, by_digest, local_repository, version_tag
from aksdeploy.ports import ImageBuilder, RegistryLogin
from aksdeploy.services.project import Project


@dataclass(frozen=True, slots=True)
class BuiltImage:
    image_id: str
    repository: str
    tags: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PushedImage:
    reference: str
    digest: str
    tags: tuple[str, ...]


def build_spec(
    project: Project,
    source: tuple[str | None, bool],
    extra_tag: str | None = None,
    build_args: Mapping[str, str] | None = None,
    platform: str | None = "linux/amd64",
    network: str | None = None,
    no_cache: bool = False,
) -> BuildSpec:
    """What to build for PROJECT at SOURCE (commit, dirty), checked against the files on disk."""
    app = project.config.settings.app
    context = (project.root / app.context).resolve()
    dockerfile = (context / app.dockerfile).resolve()
    where = project.config.where
    if not context.is_dir():
        raise ConfigError(f"{where(('app', 'context'))}: no directory {context}")
    try:
        relative = dockerfile.relative_to(context)
    except ValueError:
        raise ConfigError(f"{where(('app', 'dockerfile'))}: {dockerfile} is outside app.context {context}") from None
    if not dockerfile.is_file():
        raise ConfigError(f"{where(('app', 'dockerfile'))}: no file {dockerfile}")
    repository = local_repository(app.name)
    tags = [f"{repository}:{version_tag(*source)}"]
    if extra_tag:
        tags.append(f"{repository}:{extra_tag}")
    return BuildSpec(
        context=str(context),
        dockerfile=str(relative),
        tags=tuple(tags),
        build_args={**app.build_args, **(build_args or {})},
        target=app.target,
        platform=platform,
        network=network,
        no_cache=no_cache,
    )


def build(spec: BuildSpec, builder: ImageBuilder, on_output: Callable[[str], None]) -> BuiltImage:
    """Build SPEC, streaming the engine's output."""
    image_id = builder.build(spec, on_output)
    return BuiltImage(image_id, spec.tags[0].rpartition(":")[0], tuple(t.rpartition(":")[2] for t in spec.tags))


def push(
    project: Project,
    tags: tuple[str, ...],
    builder: ImageBuilder,
    login: RegistryLogin,
    on_layer: Callable[[LayerProgress], None],
) -> PushedImage:
    """Push the locally built TAGS of the app to its registry; the result is the digest deploy uses."""
    app = project.config.settings.app.name
    server = login.login_server()
    credentials = login.credentials(server)
    remote = f"{server}/{app}"
    digest = ""
    for tag in tags:
        builder.tag(f"{local_repository(app)}:{tag}", remote, tag)
        digest = builder.push(remote, tag, credentials, on_layer)
    return PushedImage(by_digest(server, app, digest), digest, tags)


def source_dir(project: Project) -> Path:
    """The directory whose git commit names the image."""
    return (project.root / project.config.settings.app.context).resolve()
