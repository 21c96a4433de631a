"""``aksdeploy init``: set up a Django repository for aksdeploy."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from aksdeploy.cli.output import stdout


def init(
    repo: Annotated[str, typer.Option("--repo", help="The GitHub repository, OWNER/NAME (for the CD identity).")] = (
        "OWNER/NAME"
    ),
    path: Annotated[Path, typer.Option("--path", help="The repository root.")] = Path("."),
    force: Annotated[bool, typer.Option("--force", help="Overwrite files that already exist.")] = False,
) -> None:
    """Detect the Django project and write aksdeploy.toml, a Dockerfile, .dockerignore and two workflows."""
    from aksdeploy.services.init import init as run

    result = run(path, repo, force)
    out = stdout()
    p = result.project
    out.print(
        f"Django project: settings {p.settings_module}, WSGI {p.wsgi_module}, app name {p.app_name}", markup=False
    )
    for name in result.written:
        out.print(f"  wrote {name}", markup=False)
    for name in result.kept:
        out.print(f"  kept  {name} (exists; --force overwrites)", markup=False)
    config = f"{p.directory}/aksdeploy.toml" if p.directory else "aksdeploy.toml"
    out.print(
        "\nNext steps:\n"
        f"  1. Review {config}: host names, region, sizes. Serve /healthz (process up) and /readyz (database up),\n"
        "     as in aksdeploy's examples/django_app (polls/health.py): probes and the gateway use them.\n"
        f"  2. aksdeploy plan --offline -e prod -c {config}\n"
        f"  3. aksdeploy provision -e prod -c {config}          (signed in with az login)\n"
        f"  4. aksdeploy ci setup --repo {repo} -e prod -c {config}   (GitHub OIDC identity, no secrets)\n"
        "  5. Add the repository variables it prints, and secrets DJANGO_SECRET_KEY, DATABASE_URL, TLS_CERT, TLS_KEY.",
        markup=False,
    )
