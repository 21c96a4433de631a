"""Options shared by the commands, so every command spells them the same way."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from aksdeploy.cli.output import OutputFormat

ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config", "-c", help="Path to aksdeploy.toml.", envvar="AKSDEPLOY_CONFIG", show_default="./aksdeploy.toml"
    ),
]
EnvOption = Annotated[
    str | None,
    typer.Option("--env", "-e", help="Environment to use (a table under [environments]).", envvar="AKSDEPLOY_ENV"),
]
OutputOption = Annotated[
    OutputFormat, typer.Option("--output", "-o", help="text for people, json for machines.", case_sensitive=False)
]
ImageOption = Annotated[
    str | None,
    typer.Option("--image", help="Image reference to deploy, preferably by digest (registry/name@sha256:…)."),
]
