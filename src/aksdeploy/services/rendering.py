"""Manifests as YAML documents, on stdout or as one file per object."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml


class _PlainDumper(yaml.SafeDumper):
    """Never writes anchors and aliases: manifests are read by people and GitOps diffs."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def to_yaml(obj: Mapping[str, Any]) -> str:
    """One object as a YAML document body, keys in the order they were built."""
    return yaml.dump(dict(obj), Dumper=_PlainDumper, sort_keys=False)


def yaml_documents(objects: Iterable[Mapping[str, Any]]) -> str:
    """OBJECTS as one multi-document YAML stream."""
    return "".join("---\n" + to_yaml(obj) for obj in objects)


def write_manifests(objects: Iterable[Mapping[str, Any]], directory: Path) -> list[Path]:
    """Write each object to DIRECTORY as ``NN-kind-name.yaml``; returns the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for i, obj in enumerate(objects, start=1):
        path = directory / f"{i:02d}-{obj['kind'].lower()}-{obj['metadata']['name']}.yaml"
        path.write_text(to_yaml(obj), encoding="utf-8")
        written.append(path)
    return written
