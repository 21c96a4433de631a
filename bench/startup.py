"""CLI start-up, measured side by side in one run.

Prints the median wall time of each command over N runs and its ratio to a bare ``python -c pass``, next to what
importing the Azure SDKs, docker and kubernetes eagerly would cost. Run: ``.venv/bin/python bench/startup.py``.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "django_app" / "aksdeploy.toml"
RUNS = int(os.environ.get("BENCH_RUNS", "15"))

CASES = {
    "python -c pass (floor)": ["-c", "pass"],
    "aksdeploy --help": ["-m", "aksdeploy", "--help"],
    "aksdeploy plan --offline": ["-m", "aksdeploy", "plan", "--offline", "-e", "prod", "-c", str(EXAMPLE)],
    "aksdeploy render": ["-m", "aksdeploy", "render", "-e", "prod", "-c", str(EXAMPLE)],
    "import of the SDKs a lazy CLI avoids": [
        "-c",
        "import azure.identity, azure.mgmt.network, azure.mgmt.containerservice, "
        "azure.mgmt.containerregistry, azure.mgmt.authorization, docker, kubernetes.client",
    ],
}


def median_seconds(args: list[str]) -> float:
    samples = []
    for _ in range(RUNS):
        start = time.perf_counter()
        subprocess.run([sys.executable, *args], check=True, capture_output=True, env={**os.environ, "NO_COLOR": "1"})
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> None:
    results = {name: median_seconds(args) for name, args in CASES.items()}
    floor = results["python -c pass (floor)"]
    print(f"{'command':<40} {'median ms':>10} {'x floor':>8}")
    for name, seconds in results.items():
        print(f"{name:<40} {seconds * 1000:>10.0f} {seconds / floor:>8.1f}")
    sdk = results["import of the SDKs a lazy CLI avoids"]
    plan = results["aksdeploy plan --offline"]
    print(f"\nplan --offline ÷ eager SDK import alone: {plan / sdk:.2f}")


if __name__ == "__main__":
    main()
