"""`aksdeploy ci setup`: a GitHub OIDC identity with least-privilege roles, idempotent, against the ARM emulator."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from tests.conftest import EXAMPLE_CONFIG
from tests.support.arm import ArmEmulator, cli_env

ROOT = Path(__file__).resolve().parents[2]


def cli(arm: ArmEmulator, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "aksdeploy", *args, "-e", "prod", "-c", str(EXAMPLE_CONFIG)],
        capture_output=True,
        text=True,
        env=cli_env(arm.env()),
        cwd=ROOT,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )


def of_type(arm: ArmEmulator, kind: str) -> list[dict[str, Any]]:
    return [r for r in arm.resources().values() if r["type"] == kind]


def test_ci_setup_twice_gives_the_same_identity_and_no_duplicate(arm: ArmEmulator) -> None:
    before = cli(arm, "ci", "setup", "--repo", "acme/polls")
    assert before.returncode == 1 and "run `aksdeploy provision` first" in before.stderr
    assert cli(arm, "provision", "--yes").returncode == 0
    first = cli(arm, "ci", "setup", "--repo", "acme/polls", "--output", "json")
    assert first.returncode == 0, first.stderr
    second = cli(arm, "ci", "setup", "--repo", "acme/polls", "--output", "json")
    assert second.returncode == 0, second.stderr
    a, b = json.loads(first.stdout), json.loads(second.stdout)
    assert a["variables"] == b["variables"]
    assert set(a["variables"]) == {"AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_SUBSCRIPTION_ID"}
    [identity] = of_type(arm, "Microsoft.ManagedIdentity/userAssignedIdentities")
    assert identity["properties"]["clientId"] == a["variables"]["AZURE_CLIENT_ID"]
    credentials = of_type(arm, "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials")
    assert sorted(c["properties"]["subject"] for c in credentials) == [
        "repo:acme/polls:environment:prod",
        "repo:acme/polls:ref:refs/heads/main",
    ]
    assert all(c["properties"]["issuer"] == "https://token.actions.githubusercontent.com" for c in credentials)
    assert all(c["properties"]["audiences"] == ["api://AzureADTokenExchange"] for c in credentials)
    principal = identity["properties"]["principalId"]
    roles = [
        r
        for r in of_type(arm, "Microsoft.Authorization/roleAssignments")
        if r["properties"]["principalId"] == principal
    ]
    assert Counter(r["properties"]["roleDefinitionId"].rsplit("/", 1)[-1] for r in roles) == {
        "8311e382-0749-4cb8-b61a-304f252e45ec": 1,  # AcrPush @ registry
        "a7ffa36f-339b-4b5c-8bdf-e2c188b2c0eb": 1,  # AKS RBAC Writer @ cluster
        "4abbcc35-e782-43d8-92c5-2d3f1bd2253f": 1,  # AKS Cluster User @ cluster
    }
    writes = [r for r in arm.requests() if r["method"] == "PUT"]
    arm.requests(clear=True)
    assert cli(arm, "ci", "setup", "--repo", "acme/polls").returncode == 0
    assert not [r for r in arm.requests() if r["method"] == "PUT"] and writes


def test_ci_that_provisions_gets_a_constrained_rbac_administrator(arm: ArmEmulator) -> None:
    assert cli(arm, "provision", "--yes").returncode == 0
    result = cli(arm, "ci", "setup", "--repo", "acme/polls", "--with-provision")
    assert result.returncode == 0, result.stderr
    assert "Contributor @ rg-polls-prod" in result.stdout
    rbac = [
        r
        for r in of_type(arm, "Microsoft.Authorization/roleAssignments")
        if r["properties"]["roleDefinitionId"].endswith("f58310d9-a9f6-439a-9e8d-f62e7b41a168")
    ]
    assert len(rbac) == 1
    condition = rbac[0]["properties"]["condition"]
    assert rbac[0]["properties"]["conditionVersion"] == "2.0"
    assert "7f951dda-4ed3-4680-a7ca-43fe172d538d" in condition  # AcrPull may be assigned
    assert "8e3af657-a8ff-443c-a75c-2fe8c4bcb635" not in condition  # Owner may not
