"""build and push against the real Docker engine and a real registry with ACR-style token auth."""

from __future__ import annotations

import base64
import json
import os
import shutil
import ssl
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.emulators.arm import ACR_USER
from tests.support.arm import ArmEmulator, cli_env
from tests.support.registry import Registry

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "fixtures" / "hello"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def docker_env() -> dict[str, str]:
    host = os.environ.get("DOCKER_HOST")
    base = os.environ.get("AKSDEPLOY_TEST_BASE_IMAGE")
    if not host or not base:
        pytest.fail("DOCKER_HOST and AKSDEPLOY_TEST_BASE_IMAGE are unset: run the suite with scripts/test")
    return {"DOCKER_HOST": host, "BASE": base}


@pytest.fixture(scope="module")
def registry(arm_process: ArmEmulator, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    reg = Registry(tmp_path_factory.mktemp("registry"), arm_process.certs, arm_process.url)
    yield reg
    reg.stop()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """The fixture app in a fresh git repository, with a file .dockerignore must keep out."""
    app = tmp_path / "hello"
    shutil.copytree(FIXTURE, app)
    (app / "local-secret.txt").write_text("do-not-ship")
    for args in (["init", "-q"], ["add", "-A"], ["-c", "user.email=t@e", "-c", "user.name=t", "commit", "-qm", "v1"]):
        subprocess.run(["git", *args], cwd=app, check=True)
    return app


@pytest.fixture
def provisioned(arm: ArmEmulator, registry: Registry, project: Path) -> ArmEmulator:
    arm.configure(login_server=registry.host)
    result = run(arm, project, {}, "provision", "--yes")
    assert result.returncode == 0, result.stderr
    return arm


def run(arm: ArmEmulator, project: Path, docker: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    env = cli_env({**arm.env(), **({"DOCKER_HOST": docker["DOCKER_HOST"]} if docker else {})})
    return subprocess.run(
        [sys.executable, "-m", "aksdeploy", *args, "-c", str(project / "aksdeploy.toml")],
        capture_output=True,
        text=True,
        env=env,
        cwd=project,
        timeout=600,
        stdin=subprocess.DEVNULL,
    )


def build(arm: ArmEmulator, project: Path, docker: dict[str, str], *extra: str) -> subprocess.CompletedProcess[str]:
    return run(
        arm, project, docker, "build", "--network", "none", "--build-arg", f"BASE_IMAGE={docker['BASE']}", *extra
    )


def commit(project: Path) -> str:
    return subprocess.run(
        ["git", "rev-parse", "--short=12", "HEAD"], cwd=project, capture_output=True, text=True, check=True
    ).stdout.strip()


def registry_get(arm: ArmEmulator, registry: Registry, path: str, accept: str = "") -> tuple[dict[str, str], Any]:
    """GET on the registry API with a token obtained the ACR way, as any registry client would."""
    context = ssl.create_default_context(cafile=str(arm.certs.ca))

    def call(url: str, headers: dict[str, str], data: bytes | None = None) -> Any:
        request = urllib.request.Request(url, data=data, headers=headers)
        return urllib.request.urlopen(request, context=context, timeout=30)

    access = json.loads(
        call(f"{arm.url}/msi/token?resource=x", {"X-IDENTITY-HEADER": arm.env()["IDENTITY_HEADER"]}).read()
    )["access_token"]
    form = f"grant_type=access_token&service={registry.host}&access_token={access}".encode()
    refresh = json.loads(call(f"{arm.url}/oauth2/exchange", {}, form).read())["refresh_token"]
    basic = base64.b64encode(f"{ACR_USER}:{refresh}".encode()).decode()
    scope = "repository:hello:pull"
    token = json.loads(
        call(
            f"{arm.url}/oauth2/token?service={registry.host}&scope={scope}", {"Authorization": f"Basic {basic}"}
        ).read()
    )["token"]
    headers = {"Authorization": f"Bearer {token}"} | ({"Accept": accept} if accept else {})
    response = call(f"https://{registry.host}{path}", headers)
    return dict(response.headers), json.loads(response.read())


MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"


def test_build_push_digest_matches_the_registry_and_reruns_upload_nothing(
    provisioned: ArmEmulator, registry: Registry, project: Path, docker_env: dict[str, str]
) -> None:
    arm = provisioned
    built = build(arm, project, docker_env, "--tag", "release-1")
    assert built.returncode == 0, built.stderr
    sha = commit(project)
    assert built.stdout.split() == [f"aksdeploy/hello:{sha}", "aksdeploy/hello:release-1"]
    assert "Step 1/" in built.stderr and "built 1" in built.stderr  # streamed build output

    pushed = run(arm, project, docker_env, "push", "--tag", "release-1", "--output", "json")
    assert pushed.returncode == 0, pushed.stderr
    result = json.loads(pushed.stdout)
    assert result["image"] == f"{registry.host}/hello@{result['digest']}"
    _, tags = registry_get(arm, registry, "/v2/hello/tags/list")
    assert sorted(tags["tags"]) == sorted([sha, "release-1"])
    headers, _ = registry_get(arm, registry, f"/v2/hello/manifests/{sha}", MANIFEST)
    assert headers["Docker-Content-Digest"] == result["digest"]

    mark = registry.log_mark()
    again = run(arm, project, docker_env, "push", "--output", "json")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["digest"] == result["digest"]
    assert registry.blob_uploads_since(mark) == []  # every layer already there: no bytes uploaded

    rebuilt = build(arm, project, docker_env)
    assert rebuilt.returncode == 0 and "Using cache" in rebuilt.stderr

    (project / "app.py").write_text((project / "app.py").read_text().replace('VERSION = "1"', 'VERSION = "2"'))
    dirty = build(arm, project, docker_env)
    assert dirty.returncode == 0, dirty.stderr
    assert dirty.stdout.strip() == f"aksdeploy/hello:{sha}-dirty"
    changed = run(arm, project, docker_env, "push", "--output", "json")
    assert changed.returncode == 0, changed.stderr
    assert json.loads(changed.stdout)["digest"] != result["digest"]
    assert "acr-refresh-" not in pushed.stdout + pushed.stderr + changed.stderr  # credentials never printed


def test_registry_refusing_the_token_is_a_clear_error_without_secrets(
    provisioned: ArmEmulator, registry: Registry, project: Path, docker_env: dict[str, str]
) -> None:
    arm = provisioned
    assert build(arm, project, docker_env).returncode == 0
    arm.configure(registry_auth="deny")
    result = run(arm, project, docker_env, "push")
    assert result.returncode == 1
    assert "refused the push" in result.stderr and "AcrPush" in result.stderr
    assert "Traceback" not in result.stderr
    assert "acr-refresh-" not in result.stdout + result.stderr and "emu-" not in result.stdout + result.stderr


def test_a_failing_run_step_shows_the_step_and_its_output(
    arm: ArmEmulator, project: Path, docker_env: dict[str, str]
) -> None:
    dockerfile = project / "Dockerfile"
    dockerfile.write_text(
        dockerfile.read_text().replace(
            "USER 10001", 'RUN echo "compiling assets" && echo boom >&2 && exit 3\nUSER 10001'
        )
    )
    result = build(arm, project, docker_env)
    assert result.returncode == 1
    assert "failed at Step 7/9 : RUN echo" in result.stderr
    assert "compiling assets" in result.stderr and "returned a non-zero code: 3" in result.stderr
    assert "Traceback" not in result.stderr


def test_no_engine_and_missing_image_are_clear(arm: ArmEmulator, project: Path, docker_env: dict[str, str]) -> None:
    result = build(arm, project, {"DOCKER_HOST": "unix:///nonexistent/docker.sock", "BASE": docker_env["BASE"]})
    assert result.returncode == 1
    assert "cannot reach the Docker engine" in result.stderr and "DOCKER_HOST" in result.stderr
    assert "Traceback" not in result.stderr
    missing = run(arm, project, docker_env, "push", "--tag", "never-built")
    assert missing.returncode == 1 and "Traceback" not in missing.stderr
    assert "run `aksdeploy build` first" in missing.stderr or "no registry" in missing.stderr


def test_release_builds_pushes_and_deploys_by_digest(
    provisioned: ArmEmulator, registry: Registry, project: Path, docker_env: dict[str, str], kube: Any, tmp_path: Path
) -> None:
    arm = provisioned
    config = project / "aksdeploy.toml"
    config.write_text(
        config.read_text().replace(
            "migrate = []", 'migrate = ["python", "-c", "print(\'migrated\')"]\nsecrets = ["APP_TOKEN"]'
        )
    )
    subprocess.run(
        ["git", "-c", "user.email=t@e", "-c", "user.name=t", "commit", "-qam", "migrations"], cwd=project, check=True
    )
    summary = tmp_path / "summary.md"
    env = cli_env(
        {
            **arm.env(),
            "DOCKER_HOST": docker_env["DOCKER_HOST"],
            "APP_TOKEN": "tok-n0t-for-logs",
            "GITHUB_STEP_SUMMARY": str(summary),
        }
    )
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "aksdeploy",
            "release",
            "--yes",
            "-c",
            str(config),
            "--network",
            "none",
            "--build-arg",
            f"BASE_IMAGE={docker_env['BASE']}",
            "--output",
            "json",
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=project,
        timeout=600,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, result.stderr
    released = json.loads(result.stdout)
    image = released["image"]
    assert image.startswith(f"{registry.host}/hello@sha256:")
    assert set(released["timings"]) == {"build", "push", "deploy"}
    patches = [r["path"] for r in kube.requests() if r["method"] == "PATCH"]
    assert next(i for i, p in enumerate(patches) if "/jobs/" in p) < next(
        i for i, p in enumerate(patches) if "/deployments/" in p
    )
    pods = [p for p in kube.objects("Pod") if "job-name" not in p["metadata"]["labels"]]
    assert pods and {p["spec"]["containers"][0]["image"] for p in pods} == {image}
    status = subprocess.run(
        [sys.executable, "-m", "aksdeploy", "status", "-c", str(config), "--output", "json"],
        capture_output=True,
        text=True,
        env=env,
        cwd=project,
        timeout=120,
    )
    assert json.loads(status.stdout)["image"] == image
    text = summary.read_text()
    assert "aksdeploy release (test)" in text and image in text
    assert "tok-n0t-for-logs" not in result.stdout + result.stderr + text


def test_registry_errors_mid_push_are_retried_and_the_push_resumes(
    provisioned: ArmEmulator, registry: Registry, project: Path, docker_env: dict[str, str]
) -> None:
    from tests.support.flaky_proxy import FlakyProxy

    arm = provisioned
    proxy = FlakyProxy(registry, arm.certs)
    try:
        acr = next(rid for rid, r in arm.resources().items() if r["type"] == "Microsoft.ContainerRegistry/registries")
        arm.control("POST", "mutate", {"id": acr, "properties": {"loginServer": proxy.host}})
        assert build(arm, project, docker_env).returncode == 0
        proxy.fail("PUT", r"/blobs/uploads/", 2)  # the first two layer commits fail with 503
        pushed = run(arm, project, docker_env, "push", "--output", "json")
        assert pushed.returncode == 0, pushed.stderr
        digest = json.loads(pushed.stdout)["digest"]
        injected = [entry for entry in proxy.log if entry[2] == 503]
        assert len(injected) == 2
        headers, _ = registry_get(arm, registry, f"/v2/hello/manifests/{commit(project)}", MANIFEST)
        assert headers["Docker-Content-Digest"] == digest
    finally:
        proxy.stop()
