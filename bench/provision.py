"""Provisioning wall time against the DAG's critical path and a sequential run, and a no-change rerun's requests.

The ARM emulator's operation durations are real Azure medians scaled down 100x (AKS ~6 min, Application Gateway
~6 min, enabling the AGIC add-on ~3 min, VNet/NSG/IP/role assignment seconds, ACR ~10 s). Everything is measured
in one run, side by side. Run: ``.venv/bin/python bench/provision.py``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.arm import ArmEmulator, cli_env  # noqa: E402
from tests.support.tls import make_certificates  # noqa: E402

from aksdeploy.core.graph import critical_path, sequential_time  # noqa: E402
from aksdeploy.core.resources import Resource  # noqa: E402
from aksdeploy.services.infra import Provisioner  # noqa: E402
from aksdeploy.services.project import load_project  # noqa: E402
from aksdeploy.services.provisioning import resources_of  # noqa: E402
from aksdeploy.wiring import arm_gateway  # noqa: E402

SCALE = 100.0
MEDIANS = {  # seconds on Azure
    "Microsoft.ContainerService/managedClusters": 360.0,
    "Microsoft.ContainerService/managedClusters:update": 180.0,
    "Microsoft.Network/applicationGateways": 360.0,
    "Microsoft.ContainerRegistry/registries": 10.0,
    "Microsoft.Network/virtualNetworks": 5.0,
    "Microsoft.Network/networkSecurityGroups": 3.0,
    "Microsoft.Network/publicIPAddresses": 3.0,
    "Microsoft.Network/ApplicationGatewayWebApplicationFirewallPolicies": 5.0,
    "Microsoft.Authorization/roleAssignments": 2.0,
    "Microsoft.Resources/resourceGroups": 1.0,
}
EXAMPLE = ROOT / "examples" / "django_app" / "aksdeploy.toml"


class _Quiet:
    def start(self, key: str, label: str, state: str) -> None:
        pass

    def finish(self, key: str, state: str, detail: str = "") -> None:
        pass

    def note(self, message: str) -> None:
        pass


def duration(resource: Resource) -> float:
    key = f"{resource.type}:update" if resource.key == "aks.agic" else resource.type
    return MEDIANS.get(key, 1.0) / SCALE


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        arm = ArmEmulator(make_certificates(Path(tmp)))
        try:
            arm.reset(durations={k: v / SCALE for k, v in MEDIANS.items()})
            env = cli_env(arm.env())
            os.environ.update(env)
            resources = resources_of(load_project(EXAMPLE, "prod", env))
            floor, path = critical_path(resources, duration)
            sequential = sequential_time(resources, duration)
            command = [sys.executable, "-m", "aksdeploy", "provision", "--yes", "-e", "prod", "-c", str(EXAMPLE)]
            start = time.perf_counter()
            subprocess.run(command, env=env, check=True, capture_output=True)
            wall = time.perf_counter() - start
            startup_start = time.perf_counter()
            subprocess.run([sys.executable, "-m", "aksdeploy", "--version"], env=env, check=True, capture_output=True)
            startup = time.perf_counter() - startup_start
            arm.requests(clear=True)
            subprocess.run(command, env=env, check=True, capture_output=True)
            rerun = Counter(r["method"] for r in arm.requests())
            # The engine alone, in this process: no interpreter start, imports, config load or first token.
            arm.reset(durations={k: v / SCALE for k, v in MEDIANS.items()})
            project = load_project(EXAMPLE, "prod", env)
            gateway = arm_gateway(project, env)
            gateway.get(resources[0].id, resources[0].api_version)  # sign in once, as a warm CLI would have
            start = time.perf_counter()
            Provisioner(gateway, _Quiet()).apply(resources)
            engine = time.perf_counter() - start
        finally:
            arm.stop()
    print(f"resources: {len(resources)} nodes; critical path: {' → '.join(path)}")
    print(f"critical path (scaled medians)       {floor:7.2f} s")
    print(f"sequential sum (one az call a time)  {sequential:7.2f} s")
    print(f"aksdeploy provision, wall            {wall:7.2f} s   (CLI start-up {startup:.2f} s)")
    print(f"wall ÷ critical path                 {wall / floor:7.2f}")
    print(f"(wall − start-up) ÷ critical path    {(wall - startup) / floor:7.2f}")
    print(f"wall ÷ sequential sum                {wall / sequential:7.2f}")
    print(f"engine only (in process)             {engine:7.2f} s   ÷ critical path {engine / floor:5.2f}")
    writes = sum(n for m, n in rerun.items() if m in {"PUT", "PATCH", "POST", "DELETE"})
    print(f"no-change rerun requests             {dict(rerun)}  writes: {writes}")


if __name__ == "__main__":
    main()
