"""The Docker engine through docker-py's low-level API, which streams every build step and push event.

docker-py reports a failed build step or push *inside* the stream (``{"error": …}``), not as an exception, so
every chunk is inspected. Credentials go per call in ``auth_config``: nothing is written to the user's docker
config, and nothing here prints them.
"""

from __future__ import annotations

import os
import re
from collections import deque
from collections.abc import Callable, Iterator
from typing import Any

from aksdeploy.core.errors import BuildError, PushError
from aksdeploy.core.images import BuildSpec, LayerProgress, RegistryCredentials

_STEP = re.compile(r"^Step \d+/\d+ : ")
# The engine colours a RUN step's stderr; keep plain text for logs and messages.
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_UNREACHABLE = ("connection refused", "no such host", "i/o timeout", "dial tcp", "tls: ", "x509")


def _engine_hint() -> str:
    where = os.environ.get("DOCKER_HOST") or "the default socket (/var/run/docker.sock)"
    return f"start the Docker engine (e.g. `sudo systemctl start docker`) or point DOCKER_HOST at one; tried {where}"


class DockerEngine:
    """``ImageBuilder`` on a local or remote Docker engine."""

    def __init__(self, timeout: int = 600) -> None:
        import docker
        from docker.errors import DockerException

        try:
            self._api = docker.APIClient(base_url=os.environ.get("DOCKER_HOST"), version="auto", timeout=timeout)
        except DockerException as exc:
            raise BuildError(f"cannot reach the Docker engine: {_short(exc)}", _engine_hint()) from None

    def build(self, spec: BuildSpec, on_output: Callable[[str], None]) -> str:
        from docker.errors import APIError, DockerException

        recent: deque[str] = deque(maxlen=15)
        step = ""
        image_id: str | None = None
        try:
            stream: Iterator[dict[str, Any]] = self._api.build(
                path=spec.context,
                dockerfile=spec.dockerfile,
                tag=spec.tags[0],
                buildargs=dict(spec.build_args),
                target=spec.target,
                platform=spec.platform,
                network_mode=spec.network,
                nocache=spec.no_cache,
                rm=True,
                forcerm=True,
                decode=True,
            )
            for chunk in stream:
                for raw_line in str(chunk.get("stream", "")).splitlines():
                    line = _ANSI.sub("", raw_line).rstrip()
                    if not line:
                        continue
                    if _STEP.match(line):
                        step = line
                        recent.clear()
                    recent.append(line)
                    on_output(line)
                if "error" in chunk:
                    detail = "\n    ".join(recent) if recent else "(no output)"
                    raise BuildError(
                        f"the image build failed at {step or 'the first step'}\n  {chunk['error'].strip()}\n"
                        f"  last output:\n    {detail}",
                        "fix that step of the Dockerfile (or the files it uses) and build again",
                    )
                aux = chunk.get("aux")
                if isinstance(aux, dict) and "ID" in aux:
                    image_id = str(aux["ID"])
        except (APIError, DockerException) as exc:
            raise BuildError(f"the Docker engine refused the build: {_short(exc)}", _engine_hint()) from None
        if image_id is None:
            found = self._api.inspect_image(spec.tags[0])
            image_id = str(found["Id"])
        for extra in spec.tags[1:]:
            repository, _, tag = extra.rpartition(":")
            self._api.tag(image_id, repository, tag)
        return image_id

    def tag(self, image: str, repository: str, tag: str) -> None:
        from docker.errors import ImageNotFound

        try:
            self._api.tag(image, repository, tag)
        except ImageNotFound:
            raise PushError(f"no local image {image}", "run `aksdeploy build` first") from None

    def push(
        self, repository: str, tag: str, credentials: RegistryCredentials, on_layer: Callable[[LayerProgress], None]
    ) -> str:
        from docker.errors import APIError, DockerException, ImageNotFound

        try:
            self._api.inspect_image(f"{repository}:{tag}")
        except ImageNotFound:
            raise PushError(f"no local image {repository}:{tag}", "run `aksdeploy build` first") from None
        digest: str | None = None
        auth = {"username": credentials.username, "password": credentials.password}
        try:
            for chunk in self._api.push(repository, tag=tag, stream=True, decode=True, auth_config=auth):
                if "error" in chunk:
                    raise _push_error(str(chunk["error"]), repository)
                aux = chunk.get("aux")
                if isinstance(aux, dict) and "Digest" in aux:
                    digest = str(aux["Digest"])
                if "id" in chunk and "status" in chunk:
                    detail = chunk.get("progressDetail") or {}
                    on_layer(
                        LayerProgress(
                            str(chunk["id"]),
                            str(chunk["status"]),
                            int(detail.get("current", 0)),
                            int(detail.get("total", 0)),
                        )
                    )
        except (APIError, DockerException) as exc:
            raise _push_error(_short(exc), repository) from None
        if digest is None:
            raise PushError(f"the push of {repository}:{tag} reported no digest", "push again")
        return digest


def _push_error(message: str, repository: str) -> PushError:
    lowered = message.lower()
    if "unauthorized" in lowered or "authentication required" in lowered or "denied" in lowered:
        return PushError(
            f"the registry refused the push to {repository}: {message.strip()}",
            "check that your identity has AcrPush on the registry (`aksdeploy ci setup` grants it to CI)",
        )
    if any(marker in lowered for marker in _UNREACHABLE):
        return PushError(
            f"cannot reach the registry for {repository}: {message.strip()}",
            "check the network path to the registry (firewall, private endpoint, DNS)",
        )
    return PushError(f"the push of {repository} failed: {message.strip()}", "push again; layers already sent are kept")


def _short(exc: Exception) -> str:
    text = str(exc)
    return text if len(text) < 400 else text[:400] + "…"
