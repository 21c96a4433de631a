"""``aksdeploy config``: the config file's JSON Schema, and the settings an environment resolves to."""

from __future__ import annotations

import typer

from aksdeploy.cli.options import ConfigOption, EnvOption
from aksdeploy.cli.output import print_json, warn

app = typer.Typer(
    help="Inspect aksdeploy.toml: its JSON Schema and resolved settings.", no_args_is_help=True, rich_markup_mode=None
)


@app.command("schema")
def schema() -> None:
    """Print the JSON Schema of aksdeploy.toml (for editor completion and validation)."""
    from aksdeploy.core.config import ConfigFile

    document = ConfigFile.model_json_schema()
    document["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    document["title"] = "aksdeploy.toml"
    print_json(document)


@app.command("show")
def show(config: ConfigOption = None, env: EnvOption = None) -> None:
    """Print the fully resolved settings of one environment as JSON (defaults, overrides and variables applied)."""
    from aksdeploy.services.project import load_project

    project = load_project(config, env)
    for warning in project.config.warnings:
        warn(warning)
    print_json({"environment": project.config.environment, **project.config.settings.model_dump(mode="json")})
