"""The one exception tree the CLI maps to messages and exit codes.

Adapters translate library errors into these (``raise … from exc``) so that no azure, docker or kubernetes
exception type reaches the CLI, and so that those libraries can change without the CLI noticing.

    AksDeployError                 exit 1 unless stated
    ├── ConfigError                exit 2: bad file, key, value or command-line input
    ├── AzureError                 an Azure Resource Manager call failed (innermost ARM code and message)
    ├── BuildError                 the image did not build
    ├── PushError                  the image did not reach the registry
    ├── DeployError                the release did not roll out (after any automatic rollback)
    └── Interrupted                exit 130: the user pressed Ctrl-C (every step is safe to rerun)

Every error says what happened and why (``message``) and, where there is one, what to do next (``suggestion``).
"""

from __future__ import annotations


class AksDeployError(Exception):
    """Base of every error aksdeploy reports to a user."""

    exit_code: int = 1

    def __init__(self, message: str, suggestion: str | None = None, *, exit_code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.suggestion = suggestion
        if exit_code is not None:
            self.exit_code = exit_code


class ConfigError(AksDeployError):
    """The configuration or the command line asks for something invalid."""

    exit_code = 2


class AzureError(AksDeployError):
    """An Azure Resource Manager request failed."""

    def __init__(
        self,
        message: str,
        suggestion: str | None = None,
        *,
        code: str | None = None,
        resource_id: str | None = None,
    ) -> None:
        super().__init__(message, suggestion)
        self.code = code
        self.resource_id = resource_id


class BuildError(AksDeployError):
    """The container image did not build."""


class PushError(AksDeployError):
    """The container image could not be pushed."""


class DeployError(AksDeployError):
    """The release did not roll out, or the cluster refused a request (``status`` is its HTTP status)."""

    def __init__(self, message: str, suggestion: str | None = None, *, code: int | None = None) -> None:
        super().__init__(message, suggestion)
        self.status = code


class Interrupted(AksDeployError):
    """The user stopped the command (Ctrl-C / SIGINT)."""

    exit_code = 130
