"""The installed ``aksdeploy`` command, run as a user would run it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from tests.conftest import EXAMPLE_CONFIG
from tests.support.configs import MINIMAL

HEAVY = ("azure", "docker", "kubernetes")


def run(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("AKSDEPLOY_", "AZURE_", "GITHUB_"))}
    full_env |= {"NO_COLOR": "1", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "aksdeploy", *args], capture_output=True, text=True, cwd=cwd, env=full_env, timeout=60
    )


def test_version_and_help() -> None:
    from aksdeploy import __version__

    assert run("--version").stdout.strip() == f"aksdeploy {__version__}"
    result = run("--help")
    assert result.returncode == 0
    for command in ("plan", "render", "config"):
        assert command in result.stdout


def test_offline_plan_text() -> None:
    result = run("plan", "--offline", "--env", "prod", "-c", str(EXAMPLE_CONFIG))
    assert result.returncode == 0, result.stderr
    assert "Plan for environment prod" in result.stdout
    assert "+ aks.agic" in result.stdout and "AppGwSslPolicy20220101S" in result.stdout
    assert "Plan: 15 to create, 0 to update, 0 to delete, 0 unchanged." in result.stdout
    assert "placeholder subscription" in result.stderr  # notes go to stderr, data to stdout


def test_offline_plan_json_contract(golden: Callable[[str, str], None]) -> None:
    result = run("plan", "--offline", "-e", "prod", "-c", str(EXAMPLE_CONFIG), "--output", "json")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert set(doc) >= {"azure", "kubernetes"}
    ids = {entry["id"] for entry in doc["azure"]}
    for entry in doc["azure"]:
        assert set(entry) >= {"id", "type", "apiVersion", "action", "dependsOn", "body"}
        assert entry["action"] == "create"
        assert set(entry["dependsOn"]) <= ids
    kinds = [o["kind"] for o in doc["kubernetes"]]
    assert {"Namespace", "Deployment", "Ingress", "NetworkPolicy", "Job", "HorizontalPodAutoscaler"} <= set(kinds)
    golden("plan-prod.json", result.stdout)


def test_detailed_exitcode_reports_pending_changes() -> None:
    result = run("plan", "--offline", "-e", "dev", "-c", str(EXAMPLE_CONFIG), "--detailed-exitcode", "-o", "json")
    assert result.returncode == 3


def test_subscription_from_the_environment() -> None:
    sub = "12345678-1234-1234-1234-123456789abc"
    result = run(
        "plan", "--offline", "-e", "dev", "-c", str(EXAMPLE_CONFIG), "-o", "json", env={"AZURE_SUBSCRIPTION_ID": sub}
    )
    assert all(e["id"].startswith(f"/subscriptions/{sub}/") for e in json.loads(result.stdout)["azure"])
    assert "placeholder subscription" not in result.stderr


def test_render_to_stdout_and_to_a_directory(tmp_path: Path) -> None:
    image = "crpolls.azurecr.io/polls@sha256:" + "c" * 64
    result = run("render", "-e", "prod", "-c", str(EXAMPLE_CONFIG), "--image", image)
    assert result.returncode == 0, result.stderr
    documents = [d for d in yaml.safe_load_all(result.stdout) if d]
    assert documents[0]["kind"] == "Namespace"
    assert all(o["kind"] != "Secret" for o in documents)
    assert image in result.stdout
    out = tmp_path / "manifests"
    result = run("render", "-e", "prod", "-c", str(EXAMPLE_CONFIG), "--out", str(out))
    assert result.returncode == 0, result.stderr
    files = sorted(p.name for p in out.iterdir())
    assert files[0] == "01-namespace-polls.yaml" and len(files) == len(documents)


def test_config_schema_and_show() -> None:
    schema = json.loads(run("config", "schema").stdout)
    assert schema["title"] == "aksdeploy.toml"
    assert {"app", "azure", "network", "cluster", "gateway", "registry", "environments"} <= set(schema["properties"])
    shown = json.loads(run("config", "show", "-e", "dev", "-c", str(EXAMPLE_CONFIG)).stdout)
    assert shown["environment"] == "dev" and shown["cluster"]["max_nodes"] == 2


@pytest.mark.parametrize(
    ("text", "args", "expected"),
    [
        (MINIMAL.replace('name = "shop"', "name = 5"), (), "aksdeploy.toml:2: app.name"),
        (MINIMAL.replace("[app]", "[app"), (), "aksdeploy.toml:1: invalid TOML"),
        (MINIMAL, ("--env", "staging"), "no environment 'staging'"),
        (MINIMAL.replace("[gateway.tls]", "[gateway.tlss]"), (), "did you mean 'tls'"),
    ],
)
def test_bad_config_exits_2_with_a_message_and_no_traceback(
    tmp_path: Path, text: str, args: tuple[str, ...], expected: str
) -> None:
    (tmp_path / "aksdeploy.toml").write_text(text)
    for command in (("plan", "--offline"), ("render",), ("config", "show")):
        result = run(*command, *args, cwd=tmp_path)
        assert result.returncode == 2, (command, result.stderr)
        assert expected in result.stderr
        assert "Traceback" not in result.stderr + result.stdout
        assert result.stdout == ""


def test_missing_file_and_bad_option() -> None:
    result = run("plan", "--offline", "-c", "/nonexistent/aksdeploy.toml")
    assert result.returncode == 2 and "no such file" in result.stderr
    result = run("plan", "--offline", "--output", "xml", "-c", str(EXAMPLE_CONFIG))
    assert result.returncode == 2 and "Traceback" not in result.stderr


def test_github_actions_gets_error_annotations(tmp_path: Path) -> None:
    (tmp_path / "aksdeploy.toml").write_text(MINIMAL.replace('name = "shop"', "name = 5"))
    result = run("plan", "--offline", cwd=tmp_path, env={"GITHUB_ACTIONS": "true"})
    assert result.stdout.startswith("::error::aksdeploy.toml:2: app.name")


@pytest.mark.parametrize(
    "args",
    [
        ("--help",),
        ("plan", "--offline", "-e", "prod", "-c", str(EXAMPLE_CONFIG)),
        ("render", "-e", "prod", "-c", str(EXAMPLE_CONFIG)),
    ],
)
def test_fast_paths_do_not_import_sdks(args: tuple[str, ...]) -> None:
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "aksdeploy", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "NO_COLOR": "1"},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    imported = [line.split("|")[-1].strip() for line in result.stderr.splitlines() if line.startswith("import time:")]
    assert "aksdeploy.cli.app" in imported  # the measurement saw our own imports
    heavy = sorted({m for m in imported if m.split(".")[0] in HEAVY})
    assert heavy == [], heavy
