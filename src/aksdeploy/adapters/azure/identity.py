"""Entra ID credentials: ``DefaultAzureCredential``, so az login, service principals, GitHub OIDC federated
tokens and managed identities all work without aksdeploy knowing which one is in use."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from azure.core.credentials import TokenCredential


def default_credential(authority_host: str) -> TokenCredential:
    """The credential chain for the cloud whose sign-in endpoint is AUTHORITY_HOST; never opens a browser."""
    from azure.identity import DefaultAzureCredential

    return DefaultAzureCredential(authority=authority_host, exclude_interactive_browser_credential=True)
