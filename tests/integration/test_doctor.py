"""`aksdeploy doctor` on a healthy environment, then on one broken in each of the ways it checks."""

from __future__ import annotations

import json
import ssl
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

from tests.conftest import EXAMPLE_CONFIG
from tests.support.arm import ArmEmulator, cli_env

ROOT = Path(__file__).resolve().parents[2]
SECRETS = {"DJANGO_SECRET_KEY": "k", "DATABASE_URL": "postgres://u@db/p"}
IMAGE = "crpolls.azurecr.io/polls@sha256:" + "d" * 64


def cli(arm: ArmEmulator, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "aksdeploy", *args, "-e", "prod", "-c", str(EXAMPLE_CONFIG)],
        capture_output=True,
        text=True,
        env=cli_env({**arm.env(), **SECRETS}),
        cwd=ROOT,
        timeout=300,
    )


def resource(arm: ArmEmulator, kind: str) -> tuple[str, dict[str, Any]]:
    return next((rid, r) for rid, r in arm.resources().items() if r["type"] == kind)


def test_doctor_is_quiet_on_a_healthy_environment_and_names_each_problem(arm: ArmEmulator, kube: Any) -> None:
    assert cli(arm, "provision", "--yes").returncode == 0
    assert cli(arm, "deploy", "--image", IMAGE, "--timeout", "60").returncode == 0
    healthy = cli(arm, "doctor")
    assert healthy.returncode == 0, healthy.stdout + healthy.stderr
    assert "No findings" in healthy.stdout

    waf_id, _ = resource(arm, "Microsoft.Network/ApplicationGatewayWebApplicationFirewallPolicies")
    arm.control(
        "POST", "mutate", {"id": waf_id, "properties": {"policySettings": {"state": "Enabled", "mode": "Detection"}}}
    )
    acr_id, _ = resource(arm, "Microsoft.ContainerRegistry/registries")
    arm.control("POST", "mutate", {"id": acr_id, "properties": {"adminUserEnabled": True}})
    nsg_id = next(rid for rid, r in arm.resources().items() if rid.endswith("nsg-polls-prod-appgw"))
    arm.control("POST", "mutate", {"id": nsg_id, "properties": {"securityRules": []}})
    cluster_id, cluster = resource(arm, "Microsoft.ContainerService/managedClusters")
    agic = cluster["properties"]["addonProfiles"]["ingressApplicationGateway"]["identity"]["objectId"]
    reader = next(
        rid
        for rid, r in arm.resources().items()
        if r["type"] == "Microsoft.Authorization/roleAssignments"
        and r["properties"]["principalId"] == agic
        and r["properties"]["scope"].lower().endswith("/rg-polls-prod")
    )
    arm.control("POST", "mutate", {"id": cluster_id, "properties": {"disableLocalAccounts": False}})
    # Someone deletes AGIC's Reader assignment through Resource Manager.
    token = json.loads(
        urllib.request.urlopen(
            urllib.request.Request(
                f"{arm.url}/msi/token?resource=x", headers={"X-IDENTITY-HEADER": arm.env()["IDENTITY_HEADER"]}
            ),
            context=ssl.create_default_context(cafile=str(arm.certs.ca)),
        ).read()
    )["access_token"]
    urllib.request.urlopen(
        urllib.request.Request(
            f"{arm.url}{reader}?api-version=2022-04-01", method="DELETE", headers={"Authorization": f"Bearer {token}"}
        ),
        context=ssl.create_default_context(cafile=str(arm.certs.ca)),
    ).read()

    sick = cli(arm, "doctor", "--output", "json")
    assert sick.returncode == 1, sick.stderr
    findings = json.loads(sick.stdout)["findings"]
    checks = {(f["check"], f["severity"]) for f in findings}
    assert {
        ("waf", "error"),
        ("acr-admin", "error"),
        ("nsg-gateway-manager", "error"),
        ("role-assignment", "error"),
        ("aks-local-accounts", "error"),
        ("drift", "warning"),
    } <= checks
    missing = next(f for f in findings if f["check"] == "role-assignment")
    assert "AGIC identity: Reader @ resource group" in missing["message"] and "provision" in missing["fix"]
    assert all(f["fix"] for f in findings)

    assert cli(arm, "provision", "--yes").returncode == 0  # provision repairs every Azure finding
    again = cli(arm, "doctor")
    assert again.returncode == 0, again.stdout
