"""Secrets stay secret: every command, with --debug, on planted values; nothing leaks to any output."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.support.arm import ArmEmulator, cli_env
from tests.support.registry import Registry

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "fixtures" / "hello"
pytestmark = pytest.mark.slow

PLANTED = {
    "APP_TOKEN": "planted-app-token-7d1f",
    "DB_PASSWORD": "planted-db-password-93ac",
    "AKSDEPLOY_TLS_CERT": "-----BEGIN CERTIFICATE-----\nplanted-certificate-c4e2\n-----END CERTIFICATE-----\n",
    "AKSDEPLOY_TLS_KEY": "-----BEGIN PRIVATE KEY-----\nplanted-private-key-5b80\n-----END PRIVATE KEY-----\n",
}
# Entra tokens the emulator issues start with "emu-", ACR refresh tokens with "acr-refresh-".
TOKEN_MARKERS = (
    "emu-",
    "acr-refresh-",
    "planted-private-key-5b80",
    "planted-app-token-7d1f",
    "planted-db-password-93ac",
)


@pytest.fixture(scope="module")
def registry(arm_process: ArmEmulator, tmp_path_factory: pytest.TempPathFactory) -> Any:
    reg = Registry(tmp_path_factory.mktemp("registry"), arm_process.certs, arm_process.url)
    yield reg
    reg.stop()


def test_no_secret_in_any_output(arm: ArmEmulator, kube: Any, registry: Registry, tmp_path: Path) -> None:
    docker_host, base = (
        __import__("os").environ.get("DOCKER_HOST"),
        __import__("os").environ.get("AKSDEPLOY_TEST_BASE_IMAGE"),
    )
    if not docker_host or not base:
        pytest.fail("run the suite with scripts/test (Docker engine and base image)")
    arm.configure(login_server=registry.host)
    app = tmp_path / "hello"
    shutil.copytree(FIXTURE, app)
    (app / "aksdeploy.toml").write_text(
        '[app]\nname = "hello"\nmigrate = ["python", "-c", "print(1)"]\nsecrets = ["APP_TOKEN", "DB_PASSWORD"]\n'
        '[gateway.tls]\nhost = "hello.example.com"\n[environments.test]\n'
    )
    for args in (["init", "-q"], ["add", "-A"], ["-c", "user.email=t@e", "-c", "user.name=t", "commit", "-qm", "v1"]):
        subprocess.run(["git", *args], cwd=app, check=True)
    summary = tmp_path / "summary.md"
    env = cli_env(
        {
            **arm.env(),
            **PLANTED,
            "DOCKER_HOST": docker_host,
            "GITHUB_STEP_SUMMARY": str(summary),
            "GITHUB_ACTIONS": "true",
        }
    )
    build_args = ["--network", "none", "--build-arg", f"BASE_IMAGE={base}"]
    commands = [
        ["plan", "--offline", "-o", "json"],
        ["render"],
        ["config", "show"],
        ["provision", "--yes"],
        ["plan"],
        ["build", *build_args],
        ["push", "-o", "json"],
        ["release", "--yes", *build_args],
        ["status", "-o", "json"],
        ["logs"],
        ["ci", "setup", "--repo", "acme/hello"],
        ["rollback"],
        ["destroy", "--yes"],
    ]
    outputs: list[str] = []
    for command in commands:
        for debug in ([], ["--debug"]):
            result = subprocess.run(
                [sys.executable, "-m", "aksdeploy", *debug, *command, "-c", str(app / "aksdeploy.toml")],
                capture_output=True,
                text=True,
                env=env,
                cwd=app,
                timeout=600,
                stdin=subprocess.DEVNULL,
            )
            outputs.append(f"$ {' '.join(debug + command)} -> {result.returncode}\n{result.stdout}\n{result.stderr}")
            if command[0] not in ("rollback",):  # rollback has no earlier revision here: a clean, expected error
                assert result.returncode == 0, outputs[-1][-3000:]
            if command[0] == "destroy":
                break
            if debug and command[0] in ("provision", "push", "release"):
                assert "DEBUG" in result.stderr, outputs[-1][-2000:]  # --debug really logged
    text = "\n".join(outputs) + summary.read_text()
    secret = kube.get("Secret", "hello-secrets")
    assert secret is not None and secret["stringData"]["APP_TOKEN"] == PLANTED["APP_TOKEN"]  # used, not printed
    for marker in TOKEN_MARKERS + tuple(PLANTED.values()):
        assert marker not in text, f"{marker!r} leaked:\n" + next(o for o in outputs if marker in o)[-3000:]
