"""Image build and push, measured side by side in one run against the real engine and a fresh registry.

Prints: a no-change rebuild (cache hits) ÷ a cold build; bytes uploaded by an unchanged re-push (must be 0);
the push of a one-layer change ÷ the first, full push. Needs the engine from ``scripts/services start``.
Run: ``source .cache/services.env && .venv/bin/python bench/images.py``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.arm import ArmEmulator, cli_env  # noqa: E402
from tests.support.registry import Registry  # noqa: E402
from tests.support.tls import make_certificates  # noqa: E402

BASE = os.environ.get("AKSDEPLOY_TEST_BASE_IMAGE", "aksdeploy-test/python-base:bookworm")


def timed(command: list[str], env: dict[str, str], cwd: Path) -> tuple[float, str]:
    start = time.perf_counter()
    result = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, check=True)
    return time.perf_counter() - start, result.stderr


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        app = work / "hello"
        shutil.copytree(ROOT / "tests" / "fixtures" / "hello", app)
        for args in (
            ["init", "-q"],
            ["add", "-A"],
            ["-c", "user.email=b@e", "-c", "user.name=b", "commit", "-qm", "v1"],
        ):
            subprocess.run(["git", *args], cwd=app, check=True)
        arm = ArmEmulator(make_certificates(work / "certs"))
        registry = Registry(work, arm.certs, arm.url)
        try:
            arm.reset()
            arm.configure(login_server=registry.host)
            env = cli_env({**arm.env(), "DOCKER_HOST": os.environ["DOCKER_HOST"]})
            cli = [sys.executable, "-m", "aksdeploy"]
            config = ["-c", str(app / "aksdeploy.toml")]
            build = [*cli, "build", *config, "--network", "none", "--build-arg", f"BASE_IMAGE={BASE}"]
            push = [*cli, "push", *config]
            subprocess.run([*cli, "provision", "--yes", *config], env=env, cwd=app, check=True, capture_output=True)
            cold, _ = timed([*build, "--no-cache"], env, app)
            warm, _ = timed(build, env, app)
            full, _ = timed(push, env, app)
            mark = registry.log_mark()
            unchanged, _ = timed(push, env, app)
            uploads = registry.blob_uploads_since(mark)
            (app / "app.py").write_text((app / "app.py").read_text().replace('"1"', '"2"'))
            subprocess.run(
                ["git", "commit", "-qam", "v2"],
                cwd=app,
                check=True,
                env={
                    **env,
                    "GIT_AUTHOR_NAME": "b",
                    "GIT_AUTHOR_EMAIL": "b@e",
                    "GIT_COMMITTER_NAME": "b",
                    "GIT_COMMITTER_EMAIL": "b@e",
                },
            )
            timed(build, env, app)
            mark = registry.log_mark()
            small, _ = timed(push, env, app)
            small_uploads = registry.blob_uploads_since(mark)
        finally:
            registry.stop()
            arm.stop()
    print(f"cold build {cold:6.2f} s   no-change rebuild {warm:6.2f} s   rebuild ÷ cold {warm / cold:5.2f}")
    print(f"full push  {full:6.2f} s   unchanged re-push {unchanged:6.2f} s   blob uploads on re-push: {len(uploads)}")
    print(
        f"one-layer change push {small:6.2f} s ({len(small_uploads)} upload requests)   ÷ full push {small / full:5.2f}"
    )


if __name__ == "__main__":
    main()
