"""`aksdeploy init` in a Django repository: what it detects, what it writes, and what it never overwrites."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

EXAMPLE = ROOT / "examples" / "django_app"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository with the example Django project in web/, without aksdeploy's files."""
    shutil.copytree(
        EXAMPLE,
        tmp_path / "web",
        ignore=shutil.ignore_patterns("aksdeploy.toml", "Dockerfile", ".dockerignore", "__pycache__"),
    )
    return tmp_path


def aksdeploy(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "aksdeploy", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "NO_COLOR": "1"},
    )


def test_init_writes_a_working_setup_and_never_overwrites(repo: Path) -> None:
    first = aksdeploy("init", "--repo", "acme/polls", cwd=repo)
    assert first.returncode == 0, first.stderr
    assert "settings polls_site.settings, WSGI polls_site.wsgi, app name web" in first.stdout
    expected = [
        "web/aksdeploy.toml",
        "web/Dockerfile",
        "web/.dockerignore",
        ".github/workflows/ci.yml",
        ".github/workflows/deploy.yml",
    ]
    assert all(f"wrote {name}" in first.stdout for name in expected)
    dockerfile = (repo / "web" / "Dockerfile").read_text()
    assert 'CMD ["gunicorn", "polls_site.wsgi:application"' in dockerfile and "USER 10001:10001" in dockerfile
    assert "collectstatic" in dockerfile  # the settings define STATIC_ROOT

    (repo / "web" / "Dockerfile").write_text("# my own\n")
    again = aksdeploy("init", "--repo", "acme/polls", cwd=repo)
    assert again.returncode == 0 and "wrote" not in again.stdout
    assert (repo / "web" / "Dockerfile").read_text() == "# my own\n"
    forced = aksdeploy("init", "--repo", "acme/polls", "--force", cwd=repo)
    assert "wrote web/Dockerfile" in forced.stdout and "gunicorn" in (repo / "web" / "Dockerfile").read_text()

    plan = aksdeploy("plan", "--offline", "-e", "prod", "-c", "web/aksdeploy.toml", "-o", "json", cwd=repo)
    assert plan.returncode == 0, plan.stderr
    assert "identity.ci" in plan.stdout and "repo:acme/polls:environment:prod" in plan.stdout

    lint = subprocess.run(
        [
            str(Path(sys.executable).parent / "actionlint"),
            *sorted(map(str, (repo / ".github" / "workflows").iterdir())),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert lint.returncode == 0, lint.stdout + lint.stderr


def test_init_without_a_django_project_is_a_clear_error(tmp_path: Path) -> None:
    result = aksdeploy("init", cwd=tmp_path)
    assert result.returncode == 2 and "no manage.py found" in result.stderr and "Traceback" not in result.stderr


def test_project_workflows_pass_actionlint() -> None:
    workflows = sorted(str(p) for p in (ROOT / ".github" / "workflows").glob("*.yml"))
    assert len(workflows) == 2
    lint = subprocess.run(
        [str(Path(sys.executable).parent / "actionlint"), *workflows], capture_output=True, text=True, timeout=60
    )
    assert lint.returncode == 0, lint.stdout + lint.stderr
    deploy = (ROOT / ".github" / "workflows" / "deploy.yml").read_text()
    assert "id-token: write" in deploy and "client-secret" not in deploy and "group: deploy-prod" in deploy
    assert "environment: prod" in deploy and "aksdeploy release --env prod --yes" in deploy


def test_actionlint_catches_a_broken_workflow(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "on: push\njobs:\n  x:\n    runs-on: ubuntu-24.04\n    steps:\n      - run: echo ${{ github.nope }}\n"
    )
    lint = subprocess.run(
        [str(Path(sys.executable).parent / "actionlint"), str(broken)], capture_output=True, text=True, timeout=60
    )
    assert lint.returncode != 0
