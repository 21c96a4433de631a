"""The small protocols services depend on; adapters implement them, tests may fake them.

Everything crossing a port is plain data (dicts of ARM JSON, core dataclasses): SDK model objects never leave
``adapters/``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

from aksdeploy.core.images import BuildSpec, LayerProgress, RegistryCredentials


class InfraGateway(Protocol):
    """Azure Resource Manager, by resource id. Writes are idempotent PUTs that wait for their operation."""

    def get(self, resource_id: str, api_version: str) -> dict[str, Any] | None:
        """The resource, or None when it does not exist."""
        ...

    def put(self, resource_id: str, api_version: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """Create or update, wait for the long-running operation, and return the resource as it now is."""
        ...

    def delete(self, resource_id: str, api_version: str) -> None:
        """Delete and wait; deleting what does not exist is not an error."""
        ...


class Progress(Protocol):
    """Where services report long-running steps; the CLI renders it."""

    def start(self, key: str, label: str, state: str) -> None:
        """KEY has begun; STATE says how (creating, updating, checking …)."""
        ...

    def finish(self, key: str, state: str, detail: str = "") -> None:
        """KEY has ended in STATE (done, unchanged, failed, skipped …)."""
        ...

    def note(self, message: str) -> None:
        """A one-off message for the user."""
        ...


class ImageBuilder(Protocol):
    """A container engine that builds and pushes images."""

    def build(self, spec: BuildSpec, on_output: Callable[[str], None]) -> str:
        """Build SPEC, streaming output lines; return the image id."""
        ...

    def push(
        self, repository: str, tag: str, credentials: RegistryCredentials, on_layer: Callable[[LayerProgress], None]
    ) -> str:
        """Push REPOSITORY:TAG with CREDENTIALS, reporting each layer; return the pushed manifest digest."""
        ...

    def tag(self, image: str, repository: str, tag: str) -> None:
        """Give IMAGE the name REPOSITORY:TAG."""
        ...


class RegistryLogin(Protocol):
    """Credentials for a registry, obtained without the registry's admin user."""

    def login_server(self) -> str:
        """The registry's host name (from Azure, so sovereign clouds and private registries are right)."""
        ...

    def credentials(self, login_server: str) -> RegistryCredentials:
        """Short-lived credentials to push to LOGIN_SERVER."""
        ...
