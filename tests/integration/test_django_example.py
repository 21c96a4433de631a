"""The example Django app: its own tests on real PostgreSQL, deploy checks, and its image run as in production."""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "examples" / "django_app"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def postgres_url() -> str:
    url = os.environ.get("AKSDEPLOY_TEST_POSTGRES_URL")
    if not url:
        pytest.fail("AKSDEPLOY_TEST_POSTGRES_URL is unset: run the suite with scripts/test, which starts PostgreSQL")
    return url


def production_env(database_url: str) -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")},
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "polls.example.com,localhost,127.0.0.1",
        "DJANGO_CSRF_TRUSTED_ORIGINS": "https://polls.example.com",
        "DATABASE_URL": database_url,
    }


def test_django_tests_pass_on_postgresql(postgres_url: str) -> None:
    result = subprocess.run(
        [sys.executable, "manage.py", "test", "polls", "--noinput", "-v", "2"],
        cwd=APP,
        env=production_env(postgres_url),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "postgresql" in result.stderr.lower() or "test_postgres" in result.stderr  # ran on PostgreSQL
    assert "OK" in result.stderr


def test_check_deploy_is_clean_with_production_settings(postgres_url: str) -> None:
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=APP,
        env=production_env(postgres_url),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_settings_refuse_to_start_without_a_secret_key() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=APP, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0 and "DJANGO_SECRET_KEY must be set" in result.stderr


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def get(url: str, headers: dict[str, str]) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_image_runs_read_only_and_non_root_against_postgresql(postgres_url: str, tmp_path: Path) -> None:
    docker_host, base = os.environ.get("DOCKER_HOST"), os.environ.get("AKSDEPLOY_TEST_BASE_IMAGE")
    if not docker_host or not base:
        pytest.fail("DOCKER_HOST and AKSDEPLOY_TEST_BASE_IMAGE are unset: run the suite with scripts/test")
    context = tmp_path / "app"
    shutil.copytree(APP, context, ignore=shutil.ignore_patterns("__pycache__", "db.sqlite3", "staticfiles"))
    # Build containers have no network here: download the wheels on the host for the image's Python (3.11).
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "-q",
            "-r",
            "requirements.txt",
            "-d",
            "wheels",
            "--only-binary=:all:",
            "--python-version",
            "3.11",
            "--platform",
            "manylinux2014_x86_64",
            "--platform",
            "manylinux_2_28_x86_64",
            "--implementation",
            "cp",
        ],
        cwd=context,
        check=True,
        timeout=600,
    )
    tag = f"aksdeploy-test/polls:{uuid.uuid4().hex[:8]}"
    docker = ["docker", "-H", docker_host]
    build = subprocess.run(
        [
            *docker,
            "build",
            "--network",
            "none",
            "-t",
            tag,
            "--build-arg",
            f"BASE_IMAGE={base}",
            "--build-arg",
            "PIP_INSTALL_ARGS=--no-index --find-links=/src/wheels",
            ".",
        ],
        cwd=context,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    user = subprocess.run(
        [*docker, "image", "inspect", "-f", "{{.Config.User}}", tag], capture_output=True, text=True, check=True
    )
    assert user.stdout.strip() == "10001:10001"

    database = f"polls_{uuid.uuid4().hex[:8]}"
    subprocess.run(["psql", postgres_url, "-qc", f"CREATE DATABASE {database}"], check=True, capture_output=True)
    db_url = postgres_url.rsplit("/", 1)[0] + f"/{database}"
    port = free_port()
    env = production_env(db_url)
    run_env = [
        "-e",
        f"DATABASE_URL={db_url}",
        "-e",
        f"DJANGO_SECRET_KEY={env['DJANGO_SECRET_KEY']}",
        "-e",
        f"DJANGO_ALLOWED_HOSTS={env['DJANGO_ALLOWED_HOSTS']}",
        "-e",
        f"PORT={port}",
        "-e",
        "HOST=127.0.0.1",  # host networking: listen on loopback only
    ]
    production = [
        "--read-only",
        "--tmpfs",
        "/tmp",
        "--cap-drop",
        "ALL",
        "--security-opt",
        "no-new-privileges",
        "--network",
        "host",
    ]
    migrate = subprocess.run(
        [*docker, "run", "--rm", *production, *run_env, tag, "python", "manage.py", "migrate", "--noinput"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert migrate.returncode == 0, migrate.stdout + migrate.stderr
    assert "Applying polls.0001_initial... OK" in migrate.stdout
    name = f"polls-{uuid.uuid4().hex[:8]}"
    subprocess.run([*docker, "run", "-d", "--name", name, *production, *run_env, tag], check=True, capture_output=True)
    try:
        base_url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        status = 0
        while time.monotonic() < deadline and status != 200:
            try:
                status, _ = get(f"{base_url}/healthz", {})
            except OSError:
                time.sleep(0.3)
        assert status == 200
        assert get(f"{base_url}/readyz", {})[0] == 200
        # As the gateway sends it: the public host name and the original scheme.
        page_status, page = get(f"{base_url}/", {"Host": "polls.example.com", "X-Forwarded-Proto": "https"})
        assert page_status == 200 and b"Polls" in page
        assert get(f"{base_url}/api/questions/", {"Host": "polls.example.com", "X-Forwarded-Proto": "https"})[0] == 200
        css_status, _ = get(
            f"{base_url}/static/polls/style.css", {"Host": "polls.example.com", "X-Forwarded-Proto": "https"}
        )
        assert css_status == 200  # collected at build time, served by whitenoise from the read-only image
    finally:
        logs = subprocess.run([*docker, "logs", name], capture_output=True, text=True)
        subprocess.run([*docker, "rm", "-f", name], capture_output=True)
        subprocess.run([*docker, "rmi", "-f", tag], capture_output=True)
        print(logs.stdout[-2000:], logs.stderr[-2000:])
