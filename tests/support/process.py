"""An emulator run as its own process: started, awaited until it prints ``READY <url>``, and driven over HTTPS."""

from __future__ import annotations

import json
import ssl
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

from tests.support.tls import Certificates

ROOT = Path(__file__).resolve().parents[2]


class ServerProcess:
    module = ""

    def __init__(self, certs: Certificates) -> None:
        self.certs = certs
        self.process = subprocess.Popen(
            [sys.executable, "-m", self.module, "--certs", str(certs.ca.parent)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline().strip()
        if not line.startswith("READY "):
            self.process.kill()
            detail = self.process.stderr.read() if self.process.stderr else ""
            raise RuntimeError(f"{self.module} did not start: {line} {detail}")
        self.url = line.split(" ", 1)[1]
        self._context = ssl.create_default_context(cafile=str(certs.ca))

    def stop(self) -> None:
        self.process.kill()
        self.process.wait(timeout=10)

    def control(self, method: str, path: str, body: Any = None) -> Any:
        """Call the emulator's control API under ``/_emulator/``."""
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"{self.url}/_emulator/{path}", data=data, method=method)
        request.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(request, context=self._context, timeout=30) as response:
            return json.loads(response.read() or b"{}")
