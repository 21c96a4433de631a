"""Endpoints that differ between the public and sovereign Azure clouds."""

from __future__ import annotations

from dataclasses import dataclass

from aksdeploy.core.config import Cloud


@dataclass(frozen=True, slots=True)
class CloudEndpoints:
    resource_manager: str
    authority_host: str
    registry_suffix: str

    @property
    def arm_scope(self) -> str:
        """The token scope for Resource Manager requests."""
        return self.resource_manager.rstrip("/") + "/.default"


ENDPOINTS: dict[Cloud, CloudEndpoints] = {
    Cloud.AZURE: CloudEndpoints("https://management.azure.com/", "https://login.microsoftonline.com/", "azurecr.io"),
    Cloud.US_GOVERNMENT: CloudEndpoints(
        "https://management.usgovcloudapi.net/", "https://login.microsoftonline.us/", "azurecr.us"
    ),
    Cloud.CHINA: CloudEndpoints(
        "https://management.chinacloudapi.cn/", "https://login.chinacloudapi.cn/", "azurecr.cn"
    ),
}

# The Entra application behind every AKS cluster with Entra ID integration; tokens for it log in to the API server.
AKS_SERVER_APP_ID = "6dae42f8-4368-4678-94ff-3960e28e3630"
