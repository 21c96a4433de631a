"""Start the ARM emulator as its own process and talk to its control API."""

from __future__ import annotations

import os
from typing import Any

from tests.emulators.arm import IDENTITY_HEADER
from tests.support.process import ServerProcess
from tests.support.tls import Certificates, make_token_signer

SUBSCRIPTION = "11111111-2222-3333-4444-555555555555"


class ArmEmulator(ServerProcess):
    module = "tests.emulators.arm"

    def __init__(self, certs: Certificates) -> None:
        make_token_signer(certs.ca.parent)
        super().__init__(certs)

    def reset(self, **config: Any) -> None:
        self.control("POST", "reset", {})
        self.control("POST", "config", {"durations": {}, **config})

    def configure(self, **config: Any) -> None:
        self.control("POST", "config", config)

    def fault(self, **rule: Any) -> None:
        self.control("POST", "faults", {"faults": [rule]})

    def requests(self, clear: bool = False) -> list[dict[str, Any]]:
        return list(self.control("DELETE" if clear else "GET", "requests")["requests"])

    def resources(self) -> dict[str, dict[str, Any]]:
        return dict(self.control("GET", "resources"))

    def env(self) -> dict[str, str]:
        """What the CLI needs to reach the emulator as it would reach Azure."""
        return {
            "AZURE_RESOURCE_MANAGER_ENDPOINT": self.url,
            "IDENTITY_ENDPOINT": f"{self.url}/msi/token",
            "IDENTITY_HEADER": IDENTITY_HEADER,
            "REQUESTS_CA_BUNDLE": str(self.certs.ca),
            "AZURE_SUBSCRIPTION_ID": SUBSCRIPTION,
            "AKSDEPLOY_ARM_POLL_INTERVAL": "0.05",
        }


def cli_env(extra: dict[str, str]) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("AKSDEPLOY_", "AZURE_", "IDENTITY_", "MSI_"))}
    return {**base, "NO_COLOR": "1", **extra}
