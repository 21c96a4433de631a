"""Images as data: what to build, how it is tagged, what a push reports, and credentials that never print."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

# The user name ACR expects with a refresh token obtained from an Entra access token.
ACR_TOKEN_USER = "00000000-0000-0000-0000-000000000000"  # noqa: S105 - a user name, not a secret
DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")


@dataclass(frozen=True, slots=True)
class BuildSpec:
    context: str
    dockerfile: str
    tags: tuple[str, ...]
    build_args: Mapping[str, str] = field(default_factory=dict)
    target: str | None = None
    platform: str | None = "linux/amd64"
    network: str | None = None
    no_cache: bool = False


@dataclass(frozen=True, slots=True)
class RegistryCredentials:
    username: str
    password: str = field(repr=False)

    def __str__(self) -> str:
        return f"{self.username}:***"


@dataclass(frozen=True, slots=True)
class LayerProgress:
    layer: str
    status: str
    current: int = 0
    total: int = 0


def local_repository(app: str) -> str:
    """The local name images are built under, before any registry is known."""
    return f"aksdeploy/{app}"


def version_tag(commit: str | None, dirty: bool) -> str:
    """The tag for an image built from COMMIT (``latest`` outside a git checkout)."""
    if commit is None:
        return "latest"
    return f"{commit}-dirty" if dirty else commit


def by_digest(login_server: str, app: str, digest: str) -> str:
    """The immutable reference deploy uses: ``registry/name@sha256:…``."""
    if not DIGEST.match(digest):
        raise ValueError(f"not a sha256 digest: {digest!r}")
    return f"{login_server}/{app}@{digest}"
