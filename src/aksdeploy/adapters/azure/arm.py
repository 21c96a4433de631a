"""Azure Resource Manager by resource id, on the azure-mgmt pipeline.

Requests go through the management SDK's own pipeline (``send_request``): bearer-token auth from azure-identity
with the selected cloud's scope, resource-provider auto-registration, and azure-core's retry policy, which retries
429 and 5xx and dropped connections with capped exponential backoff and honours ``Retry-After``. On top of that,
this module waits for long-running operations the way ARM documents them (``Azure-AsyncOperation``, then
``Location``, then ``provisioningState``) and turns ARM error bodies into ``AzureError`` with the innermost
code and message.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aksdeploy.adapters.azure.errors import describe
from aksdeploy.core.errors import AzureError

if TYPE_CHECKING:
    from azure.core.credentials import TokenCredential
    from azure.core.rest import HttpResponse

log = logging.getLogger(__name__)

TERMINAL = {"succeeded", "failed", "canceled", "cancelled"}


@dataclass(frozen=True, slots=True)
class ArmSettings:
    endpoint: str
    scope: str
    subscription: str
    poll_interval: float = 5.0
    operation_timeout: float = 3600.0
    retry_total: int = 8
    retry_backoff_max: float = 60.0


class ArmClient:
    """``InfraGateway`` over HTTPS to Resource Manager."""

    def __init__(
        self,
        settings: ArmSettings,
        credential: TokenCredential,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        from azure.mgmt.resource.resources import ResourceManagementClient

        self._settings = settings
        self._sleep = sleep
        self.credential = credential
        self.scope = settings.scope
        self._client = ResourceManagementClient(
            credential,
            settings.subscription,
            base_url=settings.endpoint,
            credential_scopes=[settings.scope],
            retry_total=settings.retry_total,
            retry_backoff_factor=0.8,
            retry_backoff_max=settings.retry_backoff_max,
            logging_enable=False,
        )

    def _url(self, path: str, api_version: str) -> str:
        if path.startswith("https://"):
            return path
        return f"{self._settings.endpoint.rstrip('/')}{path}?api-version={api_version}"

    def _send(self, method: str, url: str, body: Mapping[str, Any] | None = None) -> HttpResponse:
        from azure.core.exceptions import AzureError as SdkError
        from azure.core.exceptions import ClientAuthenticationError
        from azure.core.rest import HttpRequest

        request = HttpRequest(method, url, json=dict(body) if body is not None else None)
        log.debug("%s %s", method, url.split("?", maxsplit=1)[0])
        try:
            return self._client.send_request(request)
        except ClientAuthenticationError as exc:
            raise AzureError(
                f"could not get an Azure token: {exc.message}",
                "sign in with `az login`, set AZURE_CLIENT_ID/AZURE_TENANT_ID with a federated token in CI, "
                "or run where a managed identity is available",
                code="AuthenticationFailed",
            ) from None
        except SdkError as exc:
            raise AzureError(
                f"{method} {url.split('?', maxsplit=1)[0]} failed after retries: {exc.message}",
                "check the network path to Azure Resource Manager, then rerun: every step is safe to repeat",
            ) from None

    def _raise_for(self, response: HttpResponse, resource_id: str, action: str) -> None:
        try:
            body = response.json()
        except ValueError:
            body = None
        code, message, hint = describe(body, response.status_code)
        raise AzureError(f"{action} {resource_id}: {code}: {message}", hint, code=code, resource_id=resource_id)

    def get(self, resource_id: str, api_version: str) -> dict[str, Any] | None:
        response = self._send("GET", self._url(resource_id, api_version))
        if response.status_code == 404:
            return None
        if response.status_code >= 400:
            self._raise_for(response, resource_id, "reading")
        found: dict[str, Any] = response.json()
        return found

    def put(self, resource_id: str, api_version: str, body: Mapping[str, Any]) -> dict[str, Any]:
        response = self._send("PUT", self._url(resource_id, api_version), body)
        if response.status_code >= 400:
            self._raise_for(response, resource_id, "writing")
        asynchronous = "Azure-AsyncOperation" in response.headers or response.status_code == 202
        final: dict[str, Any] | None = _json_or_none(response)
        if asynchronous:
            self._wait(response, resource_id, api_version)
        if asynchronous or final is None:
            final = self.get(resource_id, api_version)
        # Without an operation to poll, ARM's pattern is to poll the resource until its state is terminal.
        deadline = time.monotonic() + self._settings.operation_timeout
        while final is not None and _state(final) not in TERMINAL and time.monotonic() < deadline:
            self._sleep(self._settings.poll_interval)
            final = self.get(resource_id, api_version)
        if final is None:
            raise AzureError(f"{resource_id} vanished right after it was written", "rerun the command")
        if _state(final) == "failed":
            raise AzureError(
                f"{resource_id} ended in provisioningState Failed", "check the resource's activity log, then rerun"
            )
        return final

    def delete(self, resource_id: str, api_version: str) -> None:
        response = self._send("DELETE", self._url(resource_id, api_version))
        if response.status_code == 404:
            return
        if response.status_code >= 400:
            self._raise_for(response, resource_id, "deleting")
        self._wait(response, resource_id, api_version)

    def post(self, path: str, api_version: str, body: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """A POST action such as ``listClusterUserCredential``; returns the response body."""
        response = self._send("POST", self._url(path, api_version), body or {})
        if response.status_code >= 400:
            self._raise_for(response, path, "calling")
        result: dict[str, Any] = response.json() if response.content else {}
        return result

    def _wait(self, response: HttpResponse, resource_id: str, api_version: str) -> None:
        """Wait for the operation RESPONSE started, as ARM's async patterns say."""
        async_url = response.headers.get("Azure-AsyncOperation")
        location = response.headers.get("Location") if response.status_code == 202 else None
        deadline = time.monotonic() + self._settings.operation_timeout
        last = response
        while time.monotonic() < deadline:
            if async_url:
                self._pause(last)
                last = self._send("GET", async_url)
                if last.status_code >= 400:
                    self._raise_for(last, resource_id, "waiting for")
                status = str(last.json().get("status", "")).lower()
                if status in TERMINAL:
                    if status != "succeeded":
                        error = last.json().get("error") or {}
                        code, message, hint = describe({"error": error}, last.status_code)
                        raise AzureError(
                            f"operation on {resource_id} {status}: {code}: {message}",
                            hint,
                            code=code,
                            resource_id=resource_id,
                        )
                    return
            elif location:
                self._pause(last)
                last = self._send("GET", location)
                if last.status_code == 202:
                    continue
                if last.status_code >= 400 and last.status_code != 404:
                    self._raise_for(last, resource_id, "waiting for")
                return
            else:
                return
        raise AzureError(f"timed out waiting for the operation on {resource_id}", "rerun to keep waiting")

    def _pause(self, response: HttpResponse) -> None:
        delay = self._settings.poll_interval
        retry_after = response.headers.get("Retry-After")
        # An HTTP-date or a malformed value keeps the default interval.
        if retry_after is not None:
            with contextlib.suppress(ValueError):
                delay = min(max(float(retry_after), 0.0), 60.0)
        self._sleep(delay)


def _state(resource: dict[str, Any]) -> str:
    """A resource's provisioningState, lower-cased; resources without one count as succeeded."""
    return str((resource.get("properties") or {}).get("provisioningState", "Succeeded")).lower()


def _json_or_none(response: HttpResponse) -> dict[str, Any] | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None
