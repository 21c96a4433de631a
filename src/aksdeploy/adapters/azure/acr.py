"""Signing in to Azure Container Registry with an Entra token, never with the admin user.

The documented flow: ``GET https://<login server>/v2/`` answers 401 with
``WWW-Authenticate: Bearer realm=…,service=…``; the Entra access token is POSTed to ``/oauth2/exchange`` on the
realm's host and comes back as an ACR refresh token, which the Docker engine uses as the password of the user
``00000000-0000-0000-0000-000000000000``. Tokens live only in memory and in the request that needs them.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from aksdeploy.core.errors import PushError
from aksdeploy.core.images import ACR_TOKEN_USER, RegistryCredentials

if TYPE_CHECKING:
    from azure.core.credentials import TokenCredential

    from aksdeploy.adapters.azure.arm import ArmClient

_PARAM = re.compile(r'(\w+)="([^"]*)"')


def parse_challenge(header: str) -> dict[str, str]:
    """The parameters of a ``Bearer`` WWW-Authenticate challenge."""
    scheme, _, rest = header.partition(" ")
    if scheme.lower() != "bearer":
        return {}
    return {k.lower(): v for k, v in _PARAM.findall(rest)}


class AcrLogin:
    """``RegistryLogin`` for the environment's ACR."""

    def __init__(
        self, arm: ArmClient, credential: TokenCredential, scope: str, registry_id: str, api_version: str
    ) -> None:
        self._arm = arm
        self._credential = credential
        self._scope = scope
        self._registry_id = registry_id
        self._api_version = api_version

    def login_server(self) -> str:
        live = self._arm.get(self._registry_id, self._api_version)
        if live is None:
            raise PushError(f"no registry {self._registry_id}", "run `aksdeploy provision` first")
        return str(live["properties"]["loginServer"])

    def credentials(self, login_server: str) -> RegistryCredentials:
        import requests

        try:
            challenge = requests.get(f"https://{login_server}/v2/", timeout=30)
            params = parse_challenge(challenge.headers.get("WWW-Authenticate", ""))
            if challenge.status_code != 401 or "realm" not in params:
                raise PushError(
                    f"{login_server} did not ask for a bearer token (HTTP {challenge.status_code})",
                    "check that registry.name points at an Azure Container Registry",
                )
            realm = urlsplit(params["realm"])
            token = self._credential.get_token(self._scope).token
            exchange = requests.post(
                f"{realm.scheme}://{realm.netloc}/oauth2/exchange",
                data={
                    "grant_type": "access_token",
                    "service": params.get("service", login_server),
                    "access_token": token,
                },
                timeout=30,
            )
        except requests.RequestException as exc:
            raise PushError(
                f"cannot reach the registry {login_server}: {type(exc).__name__}",
                "check the network path to the registry (firewall, private endpoint, DNS)",
            ) from None
        if exchange.status_code != 200:
            raise PushError(
                f"{login_server} refused the Entra token (HTTP {exchange.status_code})",
                "check that your identity has AcrPush on the registry",
            )
        refresh = exchange.json().get("refresh_token")
        if not refresh:
            raise PushError(f"{login_server} returned no refresh token", "try again")
        return RegistryCredentials(ACR_TOKEN_USER, str(refresh))
