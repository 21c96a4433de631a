"""Reading the project's configuration from disk and the process environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from aksdeploy.core.errors import ConfigError
from aksdeploy.core.loading import LoadedConfig, load_config
from aksdeploy.core.naming import Names, names_for

DEFAULT_CONFIG = "aksdeploy.toml"


@dataclass(frozen=True, slots=True)
class Project:
    """A loaded configuration, the names derived from it, and where it lives."""

    config: LoadedConfig
    names: Names
    root: Path


def load_project(path: Path | None, environment: str | None, environ: Mapping[str, str] | None = None) -> Project:
    """Load PATH (default ``./aksdeploy.toml``) for ENVIRONMENT, with ``AKSDEPLOY_*`` overrides from ENVIRON."""
    env = os.environ if environ is None else environ
    path = path or Path(env.get("AKSDEPLOY_CONFIG", DEFAULT_CONFIG))
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: no such file", "run `aksdeploy init` to create one, or pass --config PATH"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the file ({exc})") from None
    loaded = load_config(text, str(path), env, environment or env.get("AKSDEPLOY_ENV") or None)
    if loaded.settings.azure.subscription is None and env.get("AZURE_SUBSCRIPTION_ID"):
        azure = loaded.settings.azure.model_copy(update={"subscription": env["AZURE_SUBSCRIPTION_ID"]})
        settings = loaded.settings.model_copy(update={"azure": azure})
        loaded = replace(loaded, settings=settings)
    return Project(loaded, names_for(loaded.settings, loaded.environment), path.resolve().parent)
