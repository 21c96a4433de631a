"""Asking before destructive or costly steps; never asking where nobody can answer."""

from __future__ import annotations

import sys

import typer

from aksdeploy.core.errors import ConfigError


def require_terminal(flag: str = "--yes") -> None:
    """Fail clearly when a prompt would be needed but stdin is not a terminal (CI)."""
    if not sys.stdin.isatty():
        raise ConfigError("confirmation needed, but stdin is not a terminal", f"pass {flag} to proceed without asking")


def confirm(question: str) -> bool:
    """Ask a yes/no question on the terminal; default no."""
    require_terminal()
    return typer.confirm(question, default=False, err=True)


def confirm_typed(expected: str, question: str) -> bool:
    """Ask the user to type EXPECTED to go on."""
    require_terminal()
    answer: str = typer.prompt(f"{question} Type {expected!r} to confirm", err=True, default="", show_default=False)
    return answer.strip() == expected
