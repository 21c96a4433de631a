"""Turn the text of ``aksdeploy.toml`` plus environment variables into one environment's ``Settings``.

Every value remembers where it came from (a line of the file, or an environment variable), so that a bad value is
reported where the user wrote it: ``aksdeploy.toml:14: cluster.max_nodes: …``. Pure: the caller reads the file
and passes the environment in.
"""

from __future__ import annotations

import difflib
import json
import re
import tomllib
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError

from aksdeploy.core.config import ConfigFile, Settings
from aksdeploy.core.errors import ConfigError
from aksdeploy.core.tomlpos import key_lines, line_of
from aksdeploy.core.validation import Severity, check

ENV_PREFIX = "AKSDEPLOY_"
# Under these keys, names are the user's (environment variable names, build args): keep their case.
_USER_KEYED = frozenset({"env", "build_args"})

Key = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a value was set: a key path in the file, or an environment variable."""

    file_path: Key | None = None
    env_var: str | None = None


@dataclass(frozen=True, slots=True)
class LoadedConfig:
    """One environment's settings, with what the user should hear about it."""

    settings: Settings
    environment: str
    environments: tuple[str, ...]
    source: str
    warnings: tuple[str, ...] = ()
    origins: Mapping[Key, Origin] = field(default_factory=dict, compare=False, repr=False)
    lines: Mapping[Key, int] = field(default_factory=dict, compare=False, repr=False)

    def where(self, path: Key) -> str:
        """``file:line: key`` (or the variable) for a config PATH, for errors found after loading."""
        prefix, key = _Located(self.source, self.lines).where(self.origins, path)
        return f"{prefix}: {key}"


class _Located:
    def __init__(self, source: str, lines: Mapping[Key, int]) -> None:
        self.source = source
        self.lines = lines

    def where(self, origins: Mapping[Key, Origin], path: Key) -> tuple[str, str]:
        """(location prefix, dotted key) for PATH, following it to the file line or variable that set it."""
        for end in range(len(path), 0, -1):
            origin = origins.get(path[:end])
            if origin is None:
                continue
            if origin.env_var is not None:
                return f"{origin.env_var} (environment variable)", _dotted(path)
            assert origin.file_path is not None
            written = (*origin.file_path, *path[end:])
            line = line_of(self.lines, origin.file_path)
            return (f"{self.source}:{line}" if line else self.source), _dotted(written)
        return self.source, _dotted(path)


def _dotted(path: Key) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def _record(value: Any, path: Key, origin: Origin, origins: dict[Key, Origin]) -> None:
    origins[path] = origin
    if isinstance(value, dict):
        for k, v in value.items():
            sub = (*origin.file_path, k) if origin.file_path is not None else None
            _record(v, (*path, k), Origin(sub, origin.env_var), origins)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            sub = (*origin.file_path, i) if origin.file_path is not None else None
            _record(v, (*path, i), Origin(sub, origin.env_var), origins)


def _merge(base: dict[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _overlay(
    data: dict[str, Any], origins: dict[Key, Origin], override: Mapping[str, Any], origin: Origin
) -> dict[str, Any]:
    """Merge OVERRIDE into DATA, remembering ORIGIN for every value it sets."""
    for key, value in override.items():
        sub = (*origin.file_path, key) if origin.file_path is not None else None
        _record(value, (key,), Origin(sub, origin.env_var), origins)
    return _merge(data, override)


def _env_overrides(env: Mapping[str, str]) -> list[tuple[str, Key, Any]]:
    """``AKSDEPLOY_SECTION__KEY[__SUBKEY]=value`` → (variable, path, value), in a stable order."""
    out: list[tuple[str, Key, Any]] = []
    for var in sorted(env):
        if not var.startswith(ENV_PREFIX) or "__" not in var:
            continue
        parts = var[len(ENV_PREFIX) :].split("__")
        path: list[str] = []
        for part in parts:
            path.append(part if path and path[-1] in _USER_KEYED else part.lower())
        raw = env[var]
        value: Any = raw
        if raw.strip().startswith(("[", "{")):
            try:
                value = json.loads(raw)
            except json.JSONDecodeError as exc:
                raise ConfigError(
                    f"{var} (environment variable): expected a JSON list or table ({exc.msg})",
                    'write lists as JSON, e.g. \'["a", "b"]\'',
                ) from None
        out.append((var, tuple(path), value))
    return out


def _nest(path: Key, value: Any) -> dict[str, Any]:
    tree: Any = value
    for part in reversed(path):
        tree = {part: tree}
    result: dict[str, Any] = tree
    return result


def _model_at(path: Key) -> type[BaseModel] | None:
    model: type[BaseModel] | None = ConfigFile
    for part in path:
        if model is None or isinstance(part, int):
            continue
        field = model.model_fields.get(part)
        if field is None:
            return None
        model = _find_model(field.annotation)
    return model


def _find_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if isinstance(annotation, (types.UnionType, typing._GenericAlias)) or typing.get_origin(annotation):  # type: ignore[attr-defined]
        for arg in typing.get_args(annotation):
            found = _find_model(arg)
            if found is not None:
                return found
    return None


def _message(error: Mapping[str, Any], loc: Key) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        model = _model_at(loc[:-1])
        known = sorted(model.model_fields) if model else []
        hint = difflib.get_close_matches(str(loc[-1]), known, n=1)
        suggestion = f"; did you mean {hint[0]!r}?" if hint else (f"; known keys: {', '.join(known)}" if known else "")
        return f"unknown key{suggestion}"
    if kind == "missing":
        return "is required"
    msg = str(error["msg"])
    msg = msg.removeprefix("Value error, ")
    if kind in ("literal_error", "enum"):
        return f"{msg}, got {error.get('input')!r}"
    return msg


def _validate(
    data: dict[str, Any], origins: Mapping[Key, Origin], located: _Located, environment: str
) -> tuple[Settings | None, list[str], list[str]]:
    errors: list[str] = []
    try:
        settings = Settings.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            loc: Key = tuple(error["loc"])
            where, key = located.where(origins, loc)
            errors.append(f"{where}: {key}: {_message(error, loc)}")
        return None, errors, []
    warnings: list[str] = []
    for finding in check(settings, environment):
        where, key = located.where(origins, finding.path)
        line = f"{where}: {key}: {finding.message}"
        (errors if finding.severity is Severity.ERROR else warnings).append(line)
    return settings, errors, warnings


def load_config(text: str, source: str, env: Mapping[str, str], environment: str | None = None) -> LoadedConfig:
    """Parse and validate SOURCE's TEXT for ENVIRONMENT, applying ``AKSDEPLOY_*`` overrides from ENV."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        where = f"{source}:{found.group(1)}" if found else source
        reason = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
        column = f" (column {found.group(2)})" if found else ""
        raise ConfigError(
            f"{where}: invalid TOML: {reason}{column}", "check the quoting and brackets on that line"
        ) from None
    located = _Located(source, key_lines(text))
    envs = raw.pop("environments", None)
    if not isinstance(envs, dict) or not envs:
        raise ConfigError(
            f"{source}: environments: no environment is defined",
            "add at least one table such as [environments.dev] (it may be empty)",
        )
    names = tuple(envs)
    chosen = environment or (names[0] if len(names) == 1 else None)
    if chosen is None:
        raise ConfigError(
            f"{source}: several environments are defined ({', '.join(names)}); choose one",
            "pass --env NAME or set AKSDEPLOY_ENV",
        )
    if chosen not in envs:
        hint = difflib.get_close_matches(chosen, names, n=1)
        raise ConfigError(
            f"{source}: no environment {chosen!r} (defined: {', '.join(names)})",
            f"did you mean {hint[0]!r}?" if hint else "add it as [environments." + chosen + "]",
        )
    errors: list[str] = []
    selected: tuple[Settings, list[str], dict[Key, Origin]] | None = None
    for name in names:
        line = located.lines.get(("environments", name))
        where = f"{source}:{line}" if line else source
        override = envs[name]
        if not isinstance(override, dict):
            errors.append(f"{where}: environments.{name}: expected a table")
            continue
        origins: dict[Key, Origin] = {}
        data = _overlay({}, origins, raw, Origin(file_path=()))
        data = _overlay(data, origins, override, Origin(file_path=("environments", name)))
        if name == chosen:
            for var, path, value in _env_overrides(env):
                data = _overlay(data, origins, _nest(path, value), Origin(env_var=var))
        settings, errs, warns = _validate(data, origins, located, name)
        errors.extend(e for e in errs if e not in errors)
        if name == chosen and settings is not None:
            selected = (settings, warns, origins)
    if errors or selected is None:
        message = (
            errors[0] if len(errors) == 1 else f"{len(errors)} problems in the configuration:\n  " + "\n  ".join(errors)
        )
        raise ConfigError(message, f"fix {source} and run again; `aksdeploy config schema` shows every key")
    return LoadedConfig(selected[0], chosen, names, source, tuple(selected[1]), selected[2], located.lines)
