"""Deploy latency and cost, measured against the Kubernetes and ARM emulators in one run.

Prints the time from the last pod of a rollout becoming ready to ``aksdeploy deploy`` exiting with success
(goal < 1 s), and the API requests a no-change redeploy makes, by method.
Run: ``.venv/bin/python bench/release.py``.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.arm import ArmEmulator, cli_env  # noqa: E402
from tests.support.kube import KubeEmulator  # noqa: E402
from tests.support.tls import make_certificates  # noqa: E402

EXAMPLE = ROOT / "examples" / "django_app" / "aksdeploy.toml"
SECRETS = {"DJANGO_SECRET_KEY": "bench", "DATABASE_URL": "postgres://bench@db/bench"}
ROUNDS = 5


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        arm = ArmEmulator(make_certificates(Path(tmp)))
        kube = KubeEmulator(arm.certs)
        try:
            arm.reset()
            arm.configure(kubeconfig=kube.aks_kubeconfig())
            env = cli_env({**arm.env(), **SECRETS})
            base = [sys.executable, "-m", "aksdeploy"]
            config = ["-e", "prod", "-c", str(EXAMPLE)]
            subprocess.run([*base, "provision", "--yes", *config], env=env, check=True, capture_output=True)
            lags = []
            image = ""
            for round_ in range(ROUNDS):
                image = f"crpolls.azurecr.io/polls@sha256:{round_:064x}"
                subprocess.run([*base, "deploy", "--image", image, *config], env=env, check=True, capture_output=True)
                exited = time.time()
                lags.append(exited - kube.control("GET", "timeline")["last_ready"])
            kube.requests(clear=True)
            subprocess.run([*base, "deploy", "--image", image, *config], env=env, check=True, capture_output=True)
            rerun = Counter(r["method"] for r in kube.requests())
        finally:
            kube.stop()
            arm.stop()
    print(
        f"last pod ready → deploy exits: median {statistics.median(lags) * 1000:.0f} ms, "
        f"max {max(lags) * 1000:.0f} ms over {ROUNDS} rollouts"
    )
    print(f"no-change redeploy: {sum(rerun.values())} API requests {dict(rerun)}")


if __name__ == "__main__":
    main()
