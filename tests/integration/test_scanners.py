"""The artifacts aksdeploy produces pass the field's scanners: checkov, kubernetes-validate (strict), actionlint."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "django_app"
IMAGE = "crpolls.azurecr.io/polls@sha256:" + "e" * 64
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def checkov() -> str:
    path = os.environ.get("AKSDEPLOY_CHECKOV")
    if not path or not Path(path).exists():
        pytest.fail("AKSDEPLOY_CHECKOV is unset: run the suite with scripts/test, which installs checkov")
    return path


def scan(checkov: str, target: Path, *frameworks: str) -> list[dict[str, Any]]:
    """Failed checks of a checkov scan with the repository's skip list."""
    flag = "-d" if target.is_dir() else "-f"
    result = subprocess.run(
        [
            checkov,
            "--skip-download",
            "--quiet",
            "--config-file",
            str(ROOT / ".checkov.yaml"),
            flag,
            str(target),
            "--framework",
            *frameworks,
            "-o",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "BC_SKIP_MAPPING": "TRUE"},
    )
    assert result.stdout.strip(), result.stderr[-2000:]
    reports = json.loads(result.stdout)
    reports = reports if isinstance(reports, list) else [reports]
    failed: list[dict[str, Any]] = []
    passed = 0
    for report in reports:
        results = report.get("results", {})
        failed += results.get("failed_checks", [])
        passed += int(report.get("summary", {}).get("passed", 0))
    assert passed > 0, "checkov checked nothing"
    return failed


def render(environment: str, out: Path) -> list[Path]:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "aksdeploy",
            "render",
            "-e",
            environment,
            "-c",
            str(EXAMPLE / "aksdeploy.toml"),
            "--image",
            IMAGE,
            "--out",
            str(out),
        ],
        check=True,
        capture_output=True,
        env={**os.environ, "NO_COLOR": "1"},
    )
    return sorted(out.iterdir())


@pytest.mark.parametrize("environment", ["dev", "prod"])
def test_rendered_manifests_pass_checkov_and_strict_schemas(checkov: str, tmp_path: Path, environment: str) -> None:
    files = render(environment, tmp_path / "manifests")
    for path in files:
        kubernetes_validate.validate(yaml.safe_load(path.read_text()), "1.33.0", strict=True)
    failed = scan(checkov, tmp_path / "manifests", "kubernetes")
    assert failed == [], [(f["check_id"], f["resource"]) for f in failed]


def test_dockerfiles_and_workflows_pass_checkov(checkov: str, tmp_path: Path) -> None:
    assert scan(checkov, EXAMPLE / "Dockerfile", "dockerfile") == []
    assert scan(checkov, ROOT / ".github", "github_actions") == []
    repo = tmp_path / "repo"
    shutil.copytree(
        EXAMPLE, repo / "web", ignore=shutil.ignore_patterns("aksdeploy.toml", "Dockerfile", ".dockerignore")
    )
    subprocess.run(
        [sys.executable, "-m", "aksdeploy", "init", "--repo", "acme/web", "--path", str(repo)],
        check=True,
        capture_output=True,
    )
    failed = scan(checkov, repo, "dockerfile", "github_actions")
    assert failed == [], [(f["check_id"], f["file_path"]) for f in failed]


def test_checkov_would_catch_a_root_container(checkov: str, tmp_path: Path) -> None:
    files = render("prod", tmp_path / "manifests")
    deployment = next(p for p in files if "deployment" in p.name)
    doc = yaml.safe_load(deployment.read_text())
    doc["spec"]["template"]["spec"]["securityContext"] = {"runAsUser": 0}
    doc["spec"]["template"]["spec"]["containers"][0]["securityContext"]["readOnlyRootFilesystem"] = False
    deployment.write_text(yaml.safe_dump(doc))
    failed = {f["check_id"] for f in scan(checkov, tmp_path / "manifests", "kubernetes")}
    assert "CKV_K8S_22" in failed  # read-only root filesystem
