"""``aksdeploy init``: find the Django project in a repository and write what aksdeploy needs next to it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from aksdeploy.core.errors import ConfigError
from aksdeploy.core.scaffold import DjangoProject, app_name_from, scaffold

_SETTINGS = re.compile(r"""DJANGO_SETTINGS_MODULE["']\s*,\s*["']([\w.]+)["']""")
_WSGI = re.compile(r"""^WSGI_APPLICATION\s*=\s*["']([\w.]+)["']""", re.MULTILINE)


@dataclass(slots=True)
class InitResult:
    project: DjangoProject
    written: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)


def detect(root: Path) -> DjangoProject:
    """The Django project under ROOT (manage.py at the top or one directory down)."""
    candidates = [root / "manage.py", *sorted(root.glob("*/manage.py"))]
    manage = next((c for c in candidates if c.is_file()), None)
    if manage is None:
        raise ConfigError(f"no Django project under {root}: no manage.py found", "run init in your repository's root")
    found = _SETTINGS.search(manage.read_text(encoding="utf-8", errors="replace"))
    if found is None:
        raise ConfigError(f"{manage}: cannot find DJANGO_SETTINGS_MODULE", "set it with os.environ.setdefault(...)")
    settings_module = found.group(1)
    base = manage.parent
    settings_file = base / (settings_module.replace(".", "/") + ".py")
    settings_text = settings_file.read_text(encoding="utf-8", errors="replace") if settings_file.is_file() else ""
    wsgi = _WSGI.search(settings_text)
    wsgi_module = wsgi.group(1).rsplit(".", 1)[0] if wsgi else settings_module.rsplit(".", 1)[0] + ".wsgi"
    requirements = next(
        (
            n
            for n in ("requirements.txt", "requirements/production.txt", "requirements/base.txt")
            if (base / n).is_file()
        ),
        None,
    )
    if requirements is None:
        raise ConfigError(f"no requirements.txt next to {manage}", "list your dependencies in requirements.txt")
    directory = "" if base == root else str(base.relative_to(root))
    name = app_name_from(base.name if directory else root.resolve().name)
    return DjangoProject(name, directory, settings_module, wsgi_module, requirements, "STATIC_ROOT" in settings_text)


def init(root: Path, repo: str, force: bool = False) -> InitResult:
    """Write the scaffold under ROOT; existing files are kept unless FORCE."""
    project = detect(root)
    result = InitResult(project)
    for relative, content in scaffold(project, repo).items():
        path = root / relative
        if path.exists() and not force:
            result.kept.append(relative)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
        result.written.append(relative)
    return result
