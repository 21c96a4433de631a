"""provision / plan / destroy against the ARM emulator process, as a user runs them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from aksdeploy.adapters.azure.errors import describe
from tests.conftest import EXAMPLE_CONFIG
from tests.support.arm import ArmEmulator, cli_env

ROOT = Path(__file__).resolve().parents[2]
WRITES = {"PUT", "PATCH", "POST", "DELETE"}


def aksdeploy(
    arm: ArmEmulator, *args: str, config: Path = EXAMPLE_CONFIG, env: str = "prod"
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "aksdeploy", *args, "-e", env, "-c", str(config)],
        capture_output=True,
        text=True,
        env=cli_env(arm.env()),
        cwd=ROOT,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )


def snapshot(arm: ArmEmulator) -> dict[str, Any]:
    """The emulator's resources without values that differ between identical runs."""
    out = {}
    for rid, resource in arm.resources().items():
        props = resource.get("properties", {})
        kind = resource["type"]
        key = rid
        if kind == "Microsoft.Authorization/roleAssignments":
            # Principals are new after an emulator reset, so the names (uuid5 of them) are too.
            key = f"{props['scope'].lower()} <- {props['roleDefinitionId'].rsplit('/', 1)[-1]}"
            assert key not in out, f"duplicate role assignment {key}"
        out[key] = {"type": kind, "state": props.get("provisioningState")}
    return out


def role_assignments(arm: ArmEmulator) -> list[dict[str, Any]]:
    return [r for r in arm.resources().values() if r["type"] == "Microsoft.Authorization/roleAssignments"]


def test_provision_from_empty_then_rerun_sends_no_write(arm: ArmEmulator) -> None:
    first = aksdeploy(arm, "provision", "--yes", "--output", "json")
    assert first.returncode == 0, first.stderr
    assert "Traceback" not in first.stderr
    log = arm.requests()
    first_put = {r["path"]: i for i, r in reversed(list(enumerate(log))) if r["method"] == "PUT"}
    rg = next(p for p in first_put if p.lower().endswith("/resourcegroups/rg-polls-prod"))
    # Nothing inside a resource group this run created can exist yet, so it is written without being read first.
    read_first = [
        p for p, i in first_put.items() if p != rg and any(r["path"] == p and r["method"] == "GET" for r in log[:i])
    ]
    assert read_first == [], read_first
    resources = arm.resources()
    assert len(resources) == 14  # 15 nodes; the add-on node updates the cluster
    assert all(r["properties"]["provisioningState"] == "Succeeded" for r in resources.values())

    cluster = next(r for r in resources.values() if r["type"] == "Microsoft.ContainerService/managedClusters")
    kubelet = cluster["properties"]["identityProfile"]["kubeletidentity"]["objectId"]
    agic = cluster["properties"]["addonProfiles"]["ingressApplicationGateway"]["identity"]["objectId"]
    by_principal = Counter(r["properties"]["principalId"] for r in role_assignments(arm))
    assert by_principal == {kubelet: 1, agic: 3, cluster["identity"]["principalId"]: 1}
    agic_scopes = sorted(
        r["properties"]["scope"].rsplit("/", 1)[-1]
        for r in role_assignments(arm)
        if r["properties"]["principalId"] == agic
    )
    assert agic_scopes == ["agw-polls-prod", "rg-polls-prod", "snet-appgw"]

    arm.requests(clear=True)
    second = aksdeploy(arm, "provision", "--yes")
    assert second.returncode == 0, second.stderr
    methods = Counter(r["method"] for r in arm.requests())
    assert not (set(methods) & WRITES), methods
    assert "No changes" in second.stdout

    plan = aksdeploy(arm, "plan", "--detailed-exitcode")
    assert plan.returncode == 0, plan.stdout + plan.stderr
    assert "0 to create, 0 to update, 0 to delete, 15 unchanged" in plan.stdout


def test_plan_shows_property_level_changes(arm: ArmEmulator, tmp_path: Path) -> None:
    assert aksdeploy(arm, "provision", "--yes").returncode == 0
    config = tmp_path / "aksdeploy.toml"
    config.write_text(EXAMPLE_CONFIG.read_text().replace("max_capacity = 20", "max_capacity = 30"))
    plan = aksdeploy(arm, "plan", "--detailed-exitcode", "--output", "json", config=config)
    assert plan.returncode == 3
    import json

    changed = [e for e in json.loads(plan.stdout)["azure"] if e["action"] != "noop"]
    assert [e["node"] for e in changed] == ["appgw"]
    assert changed[0]["changes"] == [
        {"path": "properties.autoscaleConfiguration.maxCapacity", "before": 20, "after": 30}
    ]


def test_gateway_changes_made_by_agic_survive_a_rerun_that_updates_the_gateway(
    arm: ArmEmulator, tmp_path: Path
) -> None:
    assert aksdeploy(arm, "provision", "--yes").returncode == 0
    gateway_id = next(rid for rid, r in arm.resources().items() if r["type"] == "Microsoft.Network/applicationGateways")
    live = arm.resources()[gateway_id]["properties"]
    gw = live["httpListeners"][0]["id"].rsplit("/httpListeners/", 1)[0]
    agic_config = {
        "backendAddressPools": [
            {"name": "pool-polls-http", "properties": {"backendAddresses": [{"ipAddress": "10.224.0.17"}]}}
        ],
        "httpListeners": [
            {
                "name": "fl-polls-443",
                "properties": {
                    "frontendIPConfiguration": {"id": f"{gw}/frontendIPConfigurations/appGatewayFrontendIP"},
                    "frontendPort": {"id": f"{gw}/frontendPorts/port_443"},
                    "protocol": "Https",
                    "hostName": "polls.example.com",
                },
            }
        ],
        "frontendPorts": [
            {"name": "port_80", "properties": {"port": 80}},
            {"name": "port_443", "properties": {"port": 443}},
        ],
        "requestRoutingRules": [
            {
                "name": "rr-polls-443",
                "properties": {
                    "ruleType": "Basic",
                    "priority": 19000,
                    "httpListener": {"id": f"{gw}/httpListeners/fl-polls-443"},
                    "backendAddressPool": {"id": f"{gw}/backendAddressPools/pool-polls-http"},
                    "backendHttpSettings": {"id": f"{gw}/backendHttpSettingsCollection/defaulthttpsetting"},
                },
            }
        ],
    }
    arm.control("POST", "mutate", {"id": gateway_id, "properties": agic_config})

    assert aksdeploy(arm, "provision", "--yes").returncode == 0  # AGIC's collections are not ours: no write
    config = tmp_path / "aksdeploy.toml"
    config.write_text(EXAMPLE_CONFIG.read_text().replace("max_capacity = 20", "max_capacity = 25"))
    arm.requests(clear=True)
    result = aksdeploy(arm, "provision", "--yes", config=config)
    assert result.returncode == 0, result.stderr
    puts = [r for r in arm.requests() if r["method"] == "PUT"]
    assert [p["path"].rsplit("/", 1)[-1] for p in puts] == ["agw-polls-prod"]
    after = arm.resources()[gateway_id]["properties"]
    assert after["autoscaleConfiguration"]["maxCapacity"] == 25
    for key, items in agic_config.items():
        assert [i["name"] for i in after[key]] == [i["name"] for i in items], key
    assert after["httpListeners"][0]["properties"]["hostName"] == "polls.example.com"


def test_autoscaled_node_count_is_kept_and_immutable_fields_are_not_resent(arm: ArmEmulator, tmp_path: Path) -> None:
    assert aksdeploy(arm, "provision", "--yes").returncode == 0
    cluster_id = next(
        rid for rid, r in arm.resources().items() if r["type"] == "Microsoft.ContainerService/managedClusters"
    )
    arm.control("POST", "autoscale", {"cluster": cluster_id, "count": 7})
    config = tmp_path / "aksdeploy.toml"
    config.write_text(EXAMPLE_CONFIG.read_text().replace("max_nodes = 10", "max_nodes = 12"))
    result = aksdeploy(arm, "provision", "--yes", config=config)
    assert result.returncode == 0, result.stderr  # the emulator rejects a count that fights the autoscaler
    pool = arm.resources()[cluster_id]["properties"]["agentPoolProfiles"][0]
    assert (pool["count"], pool["maxCount"]) == (7, 12)
    addon = arm.resources()[cluster_id]["properties"]["addonProfiles"]["ingressApplicationGateway"]
    assert addon["enabled"] is True  # the cluster node's update kept the add-on


def test_role_assignments_wait_for_new_principals_to_replicate(arm: ArmEmulator) -> None:
    arm.configure(principal_delay=1.5)
    result = aksdeploy(arm, "provision", "--yes")
    assert result.returncode == 0, result.stderr
    assert "principal not replicated yet" in result.stderr
    codes = [r["status"] for r in arm.requests() if r["method"] == "PUT" and "roleAssignments" in r["path"]]
    assert 400 in codes and codes.count(201) == 5


@pytest.mark.parametrize(
    ("fault", "converges_in_one_run"),
    [
        (
            {
                "method": "PUT",
                "path": "virtualNetworks",
                "status": 429,
                "retry_after": 1,
                "times": 1,
                "code": "TooManyRequests",
            },
            True,
        ),
        ({"method": "PUT", "path": "managedClusters", "status": 500, "times": 2}, True),
        ({"method": "GET", "path": "registries", "drop": True, "times": 1}, True),
        ({"method": "PUT", "path": "applicationGateways", "fail_operation": True, "times": 1}, False),
    ],
    ids=["429-retry-after", "500", "connection-reset", "failed-operation"],
)
def test_faults_end_in_the_same_state_as_a_clean_run(
    arm: ArmEmulator, fault: dict[str, Any], converges_in_one_run: bool
) -> None:
    assert aksdeploy(arm, "provision", "--yes").returncode == 0
    clean = snapshot(arm)
    arm.reset(
        durations={"Microsoft.ContainerService/managedClusters": 0.3, "Microsoft.Network/applicationGateways": 0.3}
    )
    arm.fault(**fault)
    started = time.monotonic()
    first = aksdeploy(arm, "provision", "--yes")
    if converges_in_one_run:
        assert first.returncode == 0, first.stderr
        if fault.get("retry_after"):
            retried = [r for r in arm.requests() if r["method"] == "PUT" and r["path"].endswith("/vnet-polls-prod")]
            assert [r["status"] for r in retried] == [429, 201]
            assert retried[1]["time"] - retried[0]["time"] >= 0.9  # Retry-After honoured
    else:
        assert first.returncode == 1
        assert "InternalOperationError" in first.stderr  # the innermost ARM error
        assert "Traceback" not in first.stderr
        second = aksdeploy(arm, "provision", "--yes")
        assert second.returncode == 0, second.stderr
    assert time.monotonic() - started < 120
    assert snapshot(arm) == clean


def test_killed_after_each_node_converges_on_rerun(arm: ArmEmulator) -> None:
    assert aksdeploy(arm, "provision", "--yes").returncode == 0
    clean = snapshot(arm)
    for writes_before_kill in range(1, 16):
        arm.reset(
            durations={"Microsoft.ContainerService/managedClusters": 0.3, "Microsoft.Network/applicationGateways": 0.3}
        )
        process = subprocess.Popen(
            [sys.executable, "-m", "aksdeploy", "provision", "--yes", "-e", "prod", "-c", str(EXAMPLE_CONFIG)],
            env=cli_env(arm.env()),
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            stdin=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.poll() is None:
            done = [r for r in arm.requests() if r["method"] == "PUT" and r["status"] in (200, 201)]
            if len(done) >= writes_before_kill:
                break
            time.sleep(0.02)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        rerun = aksdeploy(arm, "provision", "--yes")
        assert rerun.returncode == 0, (writes_before_kill, rerun.stderr)
        assert snapshot(arm) == clean, writes_before_kill
        assert len(role_assignments(arm)) == 5


def test_destroy_removes_everything_and_is_idempotent(arm: ArmEmulator) -> None:
    assert aksdeploy(arm, "provision", "--yes").returncode == 0
    result = aksdeploy(arm, "destroy", "--yes")
    assert result.returncode == 0, result.stderr
    assert "Deleted rg-polls-prod" in result.stdout
    assert not [r for r in arm.resources().values() if r.get("tags", {}).get("env") == "prod"]
    assert arm.resources() == {}
    again = aksdeploy(arm, "destroy", "--yes")
    assert again.returncode == 0 and "Nothing to delete" in again.stdout


def test_prompts_need_a_terminal(arm: ArmEmulator) -> None:
    result = aksdeploy(arm, "provision")
    assert result.returncode == 2
    assert "pass --yes" in result.stderr
    assert aksdeploy(arm, "destroy").returncode == 2


def test_innermost_error_and_hint() -> None:
    body = {
        "error": {
            "code": "DeploymentFailed",
            "message": "outer",
            "details": [
                {
                    "code": "Conflict",
                    "message": "middle",
                    "details": [{"code": "SkuNotAvailable", "message": "Standard_X is not available in westeurope"}],
                }
            ],
        }
    }
    code, message, hint = describe(body, 409)
    assert (code, message) == ("SkuNotAvailable", "Standard_X is not available in westeurope")
    assert hint is not None and "vm_size" in hint


def test_operations_without_an_async_header_are_polled_on_the_resource(arm: ArmEmulator) -> None:
    arm.configure(
        durations={"Microsoft.ContainerRegistry/registries": 0.5},
        poll_by_state=["Microsoft.ContainerRegistry/registries"],
    )
    result = aksdeploy(arm, "provision", "--yes")
    assert result.returncode == 0, result.stderr
    registry = [r for r in arm.requests() if "/registries/" in r["path"]]
    gets_after_put = [r for r in registry if r["method"] == "GET" and "roleAssignments" not in r["path"]]
    assert len(gets_after_put) >= 3  # the 404 before the PUT, then polls until Succeeded
    acr = next(r for r in arm.resources().values() if r["type"] == "Microsoft.ContainerRegistry/registries")
    assert acr["properties"]["provisioningState"] == "Succeeded"
    kubelet_role = [
        r
        for r in arm.requests()
        if r["method"] == "PUT" and "registries" in r["path"] and "roleAssignments" in r["path"]
    ]
    put_acr = max(r["time"] for r in registry if r["method"] == "PUT" and "roleAssignments" not in r["path"])
    assert all(r["time"] >= put_acr + 0.45 for r in kubelet_role)  # dependents waited for the registry to finish
