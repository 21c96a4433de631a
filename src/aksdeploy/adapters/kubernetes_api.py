"""A Kubernetes cluster through the official client: server-side apply, get/list/watch, delete, logs.

Two ways in: a kubeconfig context (kind, minikube, any cluster), or an AKS cluster with Entra ID, where
``listClusterUserCredential`` gives the API server and its CA and azure-identity gives the bearer token for the
AKS server application — no kubelogin binary needed, and the token is refreshed before it expires.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from aksdeploy.core.errors import ConfigError, DeployError
from aksdeploy.core.rollout import path_of

log = logging.getLogger(__name__)
APPLY = "application/apply-patch+yaml"


class KubeCluster:
    """``Cluster`` on a kubernetes ``ApiClient``."""

    def __init__(self, api: Any, field_manager: str = "aksdeploy") -> None:
        self._api = api
        self._manager = field_manager

    @classmethod
    def from_kubeconfig(cls, context: str | None, path: str | None) -> KubeCluster:
        import yaml
        from kubernetes import config
        from kubernetes.config.config_exception import ConfigException

        try:
            return cls(config.new_client_from_config(config_file=path, context=context))  # type: ignore[no-untyped-call]
        except (ConfigException, yaml.YAMLError, OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
            where = path or os.environ.get("KUBECONFIG") or "~/.kube/config"
            raise ConfigError(f"cannot use kubeconfig {where}: {exc}", "check the file and --kube-context") from None

    @classmethod
    def from_aks(cls, kubeconfig_yaml: str, token: Callable[[], tuple[str, float]]) -> KubeCluster:
        """From the kubeconfig AKS returns: its server and CA, with TOKEN() -> (bearer, expires_on)."""
        import yaml
        from kubernetes import client

        try:
            document = yaml.safe_load(kubeconfig_yaml)
            cluster = document["clusters"][0]["cluster"]
            server, ca = cluster["server"], base64.b64decode(cluster["certificate-authority-data"])
        except (yaml.YAMLError, KeyError, IndexError, TypeError, ValueError) as exc:
            raise DeployError(f"AKS returned a kubeconfig aksdeploy cannot read: {exc}") from None
        ca_file = tempfile.NamedTemporaryFile(prefix="aksdeploy-ca-", suffix=".pem", delete=False)  # noqa: SIM115
        ca_file.write(ca)
        ca_file.close()
        configuration = client.Configuration()
        configuration.host = server
        configuration.ssl_ca_cert = ca_file.name
        state = {"expires": 0.0}

        def refresh(cfg: Any) -> None:
            if state["expires"] - time.time() < 300:
                bearer, expires = token()
                state["expires"] = expires
                cfg.api_key = {"authorization": bearer}
                cfg.api_key_prefix = {"authorization": "Bearer"}

        configuration.refresh_api_key_hook = refresh  # type: ignore[assignment]
        refresh(configuration)
        return cls(client.ApiClient(configuration))

    def _call(
        self,
        method: str,
        path: str,
        query: Mapping[str, str] | None = None,
        body: Any = None,
        content_type: str | None = None,
        timeout: float | None = None,
    ) -> Any:
        """Send a request with the client's auth; returns its streaming response, raising DeployError on >= 400."""
        from kubernetes.client.exceptions import ApiException
        from urllib3.exceptions import HTTPError

        headers = {"Accept": "application/json"}
        if content_type:
            headers["Content-Type"] = content_type
        try:
            verb, url, sent_headers, data, post = self._api.param_serialize(
                method=method,
                resource_path=path,
                query_params=list((query or {}).items()),
                header_params=headers,
                body=body,
                auth_settings=["BearerToken"],
            )
            response = self._api.call_api(
                verb, url, header_params=sent_headers, body=data, post_params=post, _request_timeout=timeout
            )
        except (ApiException, HTTPError, OSError) as exc:
            raise DeployError(
                f"cannot reach the Kubernetes API server: {exc}", "check the cluster and your network"
            ) from None
        if response.status >= 400:
            raise _translate(response.status, response.read(), method, path)
        return response

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        return json.loads(self._call(method, path, **kwargs).read() or b"{}")

    def apply(self, obj: Mapping[str, Any], force: bool = False) -> dict[str, Any]:
        meta = obj["metadata"]
        path = path_of(obj["kind"], meta.get("namespace"), meta["name"])
        query = {"fieldManager": self._manager}
        if force:
            query["force"] = "true"
        result: dict[str, Any] = self._json("PATCH", path, query=query, body=dict(obj), content_type=APPLY)
        return result

    def get(self, kind: str, namespace: str | None, name: str) -> dict[str, Any] | None:
        try:
            found: dict[str, Any] = self._json("GET", path_of(kind, namespace, name))
        except DeployError as exc:
            if getattr(exc, "status", None) == 404:
                return None
            raise
        return found

    def list(self, kind: str, namespace: str | None, selector: str = "") -> tuple[list[dict[str, Any]], str]:
        query = {"labelSelector": selector} if selector else {}
        result = self._json("GET", path_of(kind, namespace), query=query)
        return list(result.get("items", [])), str(result.get("metadata", {}).get("resourceVersion", ""))

    def delete(self, kind: str, namespace: str | None, name: str) -> None:
        try:
            self._call("DELETE", path_of(kind, namespace, name), query={"propagationPolicy": "Background"})
        except DeployError as exc:
            if getattr(exc, "status", None) != 404:
                raise

    def watch(
        self,
        kind: str,
        namespace: str | None,
        resource_version: str,
        name: str | None = None,
        selector: str = "",
        timeout: int = 30,
    ) -> Iterator[tuple[str, dict[str, Any]]]:
        """Events after RESOURCE_VERSION until the server ends the watch (or TIMEOUT seconds)."""
        query = {
            "watch": "true",
            "resourceVersion": resource_version,
            "timeoutSeconds": str(timeout),
            "allowWatchBookmarks": "true",
        }
        if name:
            query["fieldSelector"] = f"metadata.name={name}"
        if selector:
            query["labelSelector"] = selector
        response = self._call("GET", path_of(kind, namespace), query=query, timeout=timeout + 10)
        try:
            for line in _lines(response.response):
                event = json.loads(line)
                if event.get("type") == "ERROR":
                    status = event.get("object", {})
                    raise DeployError(f"watch failed: {status.get('message', status)}", code=int(status.get("code", 0)))
                yield str(event["type"]), dict(event["object"])
        finally:
            response.response.release_conn()

    def logs(
        self,
        namespace: str,
        pod: str,
        tail: int | None = None,
        previous: bool = False,
        since_seconds: int | None = None,
        follow: bool = False,
    ) -> Iterator[str]:
        query: dict[str, str] = {}
        if tail is not None:
            query["tailLines"] = str(tail)
        if previous:
            query["previous"] = "true"
        if since_seconds:
            query["sinceSeconds"] = str(since_seconds)
        if follow:
            query["follow"] = "true"
        response = self._call("GET", f"/api/v1/namespaces/{namespace}/pods/{pod}/log", query=query)
        try:
            yield from _lines(response.response)
        finally:
            response.response.release_conn()


def _lines(raw: Any) -> Iterator[str]:
    """Complete lines of a streaming urllib3 response."""
    pending = b""
    for chunk in raw.stream(8192, decode_content=True):
        pending += chunk
        *complete, pending = pending.split(b"\n")
        for line in complete:
            if line.strip():
                yield line.decode(errors="replace")
    if pending.strip():
        yield pending.decode(errors="replace")


def _translate(status_code: int, body: bytes, method: str, path: str) -> DeployError:
    try:
        status = json.loads(body or b"{}")
    except (TypeError, ValueError):
        status = {}
    message = status.get("message") or f"HTTP {status_code}"
    suggestion = None
    if status_code == 409 and status.get("reason") == "Conflict":
        suggestion = "another field manager owns these fields; pass --force-conflicts to take them over"
    elif status_code in (401, 403):
        suggestion = "check your cluster role: CI needs Azure Kubernetes Service RBAC Writer on the cluster"
    return DeployError(f"{method} {path}: {message}", suggestion, code=status_code)
