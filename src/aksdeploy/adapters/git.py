"""The commit an image is built from."""

from __future__ import annotations

import subprocess
from pathlib import Path


def commit_of(path: Path) -> tuple[str | None, bool]:
    """(short commit, has uncommitted changes) for the git checkout holding PATH; (None, False) outside one."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"], cwd=path, capture_output=True, text=True, check=True, timeout=30
        ).stdout.strip()
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no", "--", "."],
            cwd=path,
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None, False
    return commit or None, bool(status.strip())
