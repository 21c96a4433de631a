"""Start the ARM emulator as its own process and talk to its control API."""

from __future__ import annotations

import json
import os
import ssl
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

from tests.emulators.arm import IDENTITY_HEADER
from tests.support.tls import Certificates, make_token_signer

ROOT = Path(__file__).resolve().parents[2]
SUBSCRIPTION = "11111111-2222-3333-4444-555555555555"


class ArmEmulator:
    def __init__(self, certs: Certificates) -> None:
        self.certs = certs
        make_token_signer(certs.ca.parent)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.emulators.arm", "--certs", str(certs.ca.parent)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline().strip()
        if not line.startswith("READY "):
            self.process.kill()
            raise RuntimeError(
                f"ARM emulator did not start: {line} {self.process.stderr.read() if self.process.stderr else ''}"
            )
        self.url = line.split(" ", 1)[1]
        self._context = ssl.create_default_context(cafile=str(certs.ca))

    def stop(self) -> None:
        self.process.kill()
        self.process.wait(timeout=10)

    def control(self, method: str, path: str, body: Any = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"{self.url}/_emulator/{path}", data=data, method=method)
        request.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(request, context=self._context, timeout=30) as response:
            return json.loads(response.read() or b"{}")

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
