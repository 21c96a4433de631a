"""Where output goes: data on stdout, people-facing messages on stderr, annotations in GitHub Actions."""

from __future__ import annotations

import json
import os
import sys
from enum import StrEnum
from typing import Any

from rich.console import Console


class OutputFormat(StrEnum):
    TEXT = "text"
    JSON = "json"


def stdout() -> Console:
    """The console for a command's result."""
    return Console(highlight=False, soft_wrap=True)


def stderr() -> Console:
    """The console for progress, warnings and errors."""
    return Console(stderr=True, highlight=False, soft_wrap=True)


def print_json(data: Any) -> None:
    """DATA as indented JSON on stdout."""
    sys.stdout.write(json.dumps(data, indent=2, sort_keys=False) + "\n")


def in_github_actions() -> bool:
    return os.environ.get("GITHUB_ACTIONS") == "true"


def _annotation(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def warn(message: str) -> None:
    """A warning on stderr (and as an annotation in GitHub Actions)."""
    console = stderr()
    console.print("[yellow]warning:[/] ", end="", markup=True)
    console.print(message, markup=False)
    if in_github_actions():
        sys.stdout.write(f"::warning::{_annotation(message)}\n")


def error(message: str, suggestion: str | None) -> None:
    """An error on stderr (and as an annotation in GitHub Actions)."""
    console = stderr()
    console.print("[bold red]error:[/] ", end="", markup=True)
    console.print(message, markup=False)
    if suggestion:
        console.print("[dim]hint:[/] ", end="", markup=True)
        console.print(suggestion, markup=False)
    if in_github_actions():
        sys.stdout.write(f"::error::{_annotation(message)}\n")
