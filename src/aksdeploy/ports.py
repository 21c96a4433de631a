"""The small protocols services depend on; adapters implement them, tests may fake them.

Everything crossing a port is plain data (dicts of ARM JSON, core dataclasses): SDK model objects never leave
``adapters/``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
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


class Cluster(Protocol):
    """A Kubernetes API server. Objects are plain dicts; writes are server-side apply with one field manager."""

    def apply(self, obj: Mapping[str, Any], force: bool = False) -> dict[str, Any]:
        """Server-side apply OBJ; return the live object."""
        ...

    def get(self, kind: str, namespace: str | None, name: str) -> dict[str, Any] | None:
        """The object, or None."""
        ...

    def list(self, kind: str, namespace: str | None, selector: str = "") -> tuple[list[dict[str, Any]], str]:
        """Matching objects and the list's resourceVersion."""
        ...

    def delete(self, kind: str, namespace: str | None, name: str) -> None:
        """Delete (in the background, with dependents); a missing object is not an error."""
        ...

    def watch(
        self,
        kind: str,
        namespace: str | None,
        resource_version: str,
        name: str | None = None,
        selector: str = "",
        timeout: int = 30,
    ) -> Iterator[tuple[str, dict[str, Any]]]:
        """Change events after RESOURCE_VERSION until the server closes the watch."""
        ...

    def logs(
        self,
        namespace: str,
        pod: str,
        tail: int | None = None,
        previous: bool = False,
        since_seconds: int | None = None,
        follow: bool = False,
    ) -> Iterator[str]:
        """A pod's log lines."""
        ...
