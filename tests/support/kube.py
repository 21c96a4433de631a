"""Start the Kubernetes API emulator as its own process and talk to its control API."""

from __future__ import annotations

import base64
import json
import urllib.request
from pathlib import Path
from typing import Any

from tests.support.process import ServerProcess


class KubeEmulator(ServerProcess):
    module = "tests.emulators.kube"

    def objects(self, kind: str | None = None) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self.control("GET", "objects")
        return [o for o in found if kind is None or o["kind"] == kind]

    def get(self, kind: str, name: str) -> dict[str, Any] | None:
        return next((o for o in self.objects(kind) if o["metadata"]["name"] == name), None)

    def requests(self, clear: bool = False) -> list[dict[str, Any]]:
        return list(self.control("DELETE" if clear else "GET", "requests"))

    def apply_as(self, manager: str, path: str, obj: dict[str, Any]) -> None:
        """A server-side apply by another field manager (a person with kubectl, say)."""
        request = urllib.request.Request(
            f"{self.url}{path}?fieldManager={manager}&force=true",
            data=json.dumps(obj).encode(),
            method="PATCH",
            headers={"Content-Type": "application/apply-patch+yaml", "Authorization": "Bearer emu-kubectl"},
        )
        urllib.request.urlopen(request, context=self._context, timeout=30).read()

    def aks_kubeconfig(self) -> str:
        """What listClusterUserCredential returns for an Entra ID cluster (its user needs kubelogin)."""
        ca = base64.b64encode(self.certs.ca.read_bytes()).decode()
        return f"""apiVersion: v1
kind: Config
clusters:
- name: aks-cluster
  cluster:
    server: {self.url}
    certificate-authority-data: {ca}
contexts:
- name: aks-cluster
  context: {{cluster: aks-cluster, user: clusterUser}}
current-context: aks-cluster
users:
- name: clusterUser
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: kubelogin
      args: [get-token, --server-id, 6dae42f8-4368-4678-94ff-3960e28e3630]
"""

    def kubeconfig_with_token(self, path: Path) -> Path:
        """A plain kubeconfig for --kubeconfig/--kube-context (any cluster, no Azure)."""
        ca = base64.b64encode(self.certs.ca.read_bytes()).decode()
        path.write_text(f"""apiVersion: v1
kind: Config
clusters:
- name: local
  cluster: {{server: "{self.url}", certificate-authority-data: {ca}}}
contexts:
- name: local
  context: {{cluster: local, user: local}}
current-context: local
users:
- name: local
  user: {{token: emu-static-token}}
""")
        return path
