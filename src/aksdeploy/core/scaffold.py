"""The files ``aksdeploy init`` writes into a Django repository, rendered from what it detected there."""

from __future__ import annotations

import re
from dataclasses import dataclass
from string import Template


@dataclass(frozen=True, slots=True)
class DjangoProject:
    """What init found: where manage.py is (relative to the repository), the settings and WSGI modules."""

    app_name: str
    directory: str
    settings_module: str
    wsgi_module: str
    requirements: str
    static_root: bool


def app_name_from(directory_name: str) -> str:
    """A valid ``app.name`` (2-20 lowercase letters, digits, '-'; starts with a letter) from a directory name."""
    name = re.sub(r"[^a-z0-9-]+", "-", directory_name.lower()).strip("-")
    name = re.sub(r"^[^a-z]+", "", name)[:20].rstrip("-")
    return name if len(name) >= 2 else "app"


_CONFIG = Template("""\
# aksdeploy configuration — `aksdeploy config schema` prints every key, `aksdeploy plan --offline` shows the result.

[app]
name = "$app"
context = "$context"
dockerfile = "Dockerfile"
port = 8000
health = { liveness = "/healthz", readiness = "/readyz" }
migrate = ["python", "manage.py", "migrate", "--noinput"]
secrets = ["DJANGO_SECRET_KEY", "DATABASE_URL"]
min_replicas = 2
max_replicas = 10

[app.env]
DJANGO_SETTINGS_MODULE = "$settings"
DJANGO_ALLOWED_HOSTS = "$app.example.com"
DJANGO_CSRF_TRUSTED_ORIGINS = "https://$app.example.com"

[azure]
location = "westeurope"   # the subscription comes from AZURE_SUBSCRIPTION_ID, or set subscription = "…"

[gateway.tls]
host = "$app.example.com"
certificate = "secret"     # AKSDEPLOY_TLS_CERT / AKSDEPLOY_TLS_KEY at deploy time, or cert_file / key_file

[ci]
github_repo = "$repo"

[environments.dev]
app = { min_replicas = 1, max_replicas = 2 }
cluster = { min_nodes = 1, max_nodes = 2, vm_size = "Standard_D2ds_v5" }
gateway = { min_capacity = 0, max_capacity = 2, tls = { certificate = "none" } }

[environments.prod]
cluster = { min_nodes = 3, max_nodes = 10, zones = ["1", "2", "3"] }
gateway = { min_capacity = 2, max_capacity = 20, zones = ["1", "2", "3"] }
""")

_DOCKERFILE = Template("""\
# Built by `aksdeploy build`; runs non-root with a read-only root filesystem (writable /tmp only).
ARG BASE_IMAGE=python:3.12-slim

FROM $${BASE_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1
COPY $requirements /tmp/requirements.txt
ARG PIP_INSTALL_ARGS=""
RUN python -m venv /opt/venv \\
 && /opt/venv/bin/pip install --no-cache-dir $$PIP_INSTALL_ARGS -r /tmp/requirements.txt \\
 && /opt/venv/bin/pip install --no-cache-dir $$PIP_INSTALL_ARGS "gunicorn>=23"

FROM $${BASE_IMAGE}
ENV PATH=/opt/venv/bin:$$PATH PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DJANGO_SETTINGS_MODULE=$settings
RUN useradd --uid 10001 --user-group --no-create-home --shell /usr/sbin/nologin app
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY . /app
$collectstatic
USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"]
CMD ["gunicorn", "$wsgi:application", "--bind=0.0.0.0:8000", "--workers=2", "--worker-tmp-dir=/tmp", \
     "--access-logfile=-"]
""")

_COLLECTSTATIC = (
    "# Static files are collected into the image (STATIC_ROOT); serve them with whitenoise or a CDN.\n"
    "RUN DJANGO_SECRET_KEY=collectstatic-only-not-a-secret-value-0123456789abcdef python manage.py collectstatic "
    "--noinput"
)

_DOCKERIGNORE = """\
.git
.github
**/__pycache__
*.pyc
*.sqlite3
.env
.env.*
*.pem
*.key
.venv
venv
node_modules
staticfiles/
"""

_CI = Template("""\
name: CI

on:
  push:
    branches: [main]
  pull_request:

permissions:
  contents: read

jobs:
  test:
    runs-on: ubuntu-24.04
    services:
      postgres:
        image: postgres:16
        env:
          POSTGRES_PASSWORD: postgres
        ports: ["5432:5432"]
        options: --health-cmd pg_isready --health-interval 5s --health-timeout 5s --health-retries 10
    env:
      DATABASE_URL: postgres://postgres:postgres@localhost:5432/postgres
      DJANGO_SETTINGS_MODULE: $settings
    defaults:
      run:
        working-directory: $context
    steps:
      - uses: actions/checkout@v5
      - uses: actions/setup-python@v6
        with:
          python-version: "3.12"
      - run: pip install -r $requirements_from_context
      - name: Django tests
        run: DJANGO_SECRET_KEY="$$(openssl rand -hex 32)" python manage.py test
      - name: aksdeploy plan (offline)
        run: pip install aksdeploy && aksdeploy plan --offline --env prod

  image:
    runs-on: ubuntu-24.04
    steps:
      - uses: actions/checkout@v5
      - run: docker build --tag $app:ci $context
""")

_DEPLOY = Template("""\
name: Deploy

on:
  push:
    branches: [main]
  workflow_dispatch:

permissions:
  contents: read
  id-token: write # GitHub OIDC: no client secret; `aksdeploy ci setup` creates the identity it signs in as

concurrency:
  group: deploy-prod
  cancel-in-progress: false

jobs:
  release:
    runs-on: ubuntu-24.04
    environment: prod
    defaults:
      run:
        working-directory: $context
    steps:
      - uses: actions/checkout@v5
      - uses: actions/setup-python@v6
        with:
          python-version: "3.12"
      - run: pip install aksdeploy
      - uses: azure/login@v3
        with:
          client-id: $${{ vars.AZURE_CLIENT_ID }}
          tenant-id: $${{ vars.AZURE_TENANT_ID }}
          subscription-id: $${{ vars.AZURE_SUBSCRIPTION_ID }}
      - name: Release
        run: aksdeploy release --env prod --yes
        env:
          AZURE_SUBSCRIPTION_ID: $${{ vars.AZURE_SUBSCRIPTION_ID }}
          DJANGO_SECRET_KEY: $${{ secrets.DJANGO_SECRET_KEY }}
          DATABASE_URL: $${{ secrets.DATABASE_URL }}
          AKSDEPLOY_TLS_CERT: $${{ secrets.TLS_CERT }}
          AKSDEPLOY_TLS_KEY: $${{ secrets.TLS_KEY }}
""")


def scaffold(project: DjangoProject, repo: str) -> dict[str, str]:
    """Path (relative to the repository) → content of every file init writes."""
    prefix = "" if project.directory in ("", ".") else project.directory.rstrip("/") + "/"
    context = project.directory or "."
    values = {
        "app": project.app_name,
        "context": context,
        "settings": project.settings_module,
        "wsgi": project.wsgi_module,
        "requirements": project.requirements,
        "requirements_from_context": project.requirements,
        "repo": repo,
        "collectstatic": _COLLECTSTATIC if project.static_root else "# Set STATIC_ROOT to collect static files here.",
    }
    return {
        f"{prefix}aksdeploy.toml": _CONFIG.substitute(values, context="."),
        f"{prefix}Dockerfile": _DOCKERFILE.substitute(values),
        f"{prefix}.dockerignore": _DOCKERIGNORE,
        ".github/workflows/ci.yml": _CI.substitute(values),
        ".github/workflows/deploy.yml": _DEPLOY.substitute(values),
    }
