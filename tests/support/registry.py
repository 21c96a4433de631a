"""A real registry (Debian's docker-registry, CNCF Distribution) on 127.0.0.1, with token auth like ACR's:
its realm is the ARM emulator's ``/oauth2/token``, and it trusts the emulator's token-signing certificate."""

from __future__ import annotations

import re
import shutil
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

from tests.support.tls import Certificates

TOKEN_ISSUER = "aksdeploy-arm-emulator"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Registry:
    def __init__(self, workdir: Path, certs: Certificates, realm: str) -> None:
        binary = shutil.which("docker-registry")
        if binary is None:
            raise RuntimeError("docker-registry is not installed; run scripts/test, which installs it")
        self.port = free_port()
        self.host = f"127.0.0.1:{self.port}"
        self.log_path = workdir / "registry.log"
        config = workdir / "registry.yml"
        config.write_text(
            f"""version: 0.1
log:
  level: info
  accesslog:
    disabled: false
storage:
  filesystem:
    rootdirectory: {workdir / "storage"}
  delete:
    enabled: true
http:
  addr: {self.host}
  relativeurls: true
  tls:
    certificate: {certs.cert}
    key: {certs.key}
auth:
  token:
    realm: {realm}/oauth2/token
    service: {self.host}
    issuer: {TOKEN_ISSUER}
    rootcertbundle: {certs.ca.parent / "token.pem"}
"""
        )
        self._log = self.log_path.open("w")
        self.process = subprocess.Popen([binary, "serve", str(config)], stdout=self._log, stderr=subprocess.STDOUT)
        self._context = ssl.create_default_context(cafile=str(certs.ca))
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"https://{self.host}/v2/", context=self._context, timeout=2)
            except urllib.error.HTTPError as exc:
                if exc.code == 401:
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"registry did not start: {self.log_path.read_text()[-2000:]}")

    def stop(self) -> None:
        self.process.kill()
        self.process.wait(timeout=10)
        self._log.close()

    def log_mark(self) -> int:
        return self.log_path.stat().st_size

    def blob_uploads_since(self, mark: int) -> list[str]:
        """Blob upload requests (POST/PATCH/PUT under /blobs/uploads/) logged after MARK."""
        with self.log_path.open() as fh:
            fh.seek(mark)
            text = fh.read()
        return re.findall(r'"(?:POST|PATCH|PUT) (/v2/[^ ]+/blobs/uploads/[^ ]*)', text)
