from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.arm import ArmEmulator
from tests.support.kube import KubeEmulator
from tests.support.tls import make_certificates


@pytest.fixture(scope="session")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_certificates(tmp_path_factory.mktemp("certs")).ca


@pytest.fixture(scope="session")
def arm_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ArmEmulator]:
    emulator = ArmEmulator(make_certificates(tmp_path_factory.mktemp("arm-certs")))
    yield emulator
    emulator.stop()


@pytest.fixture
def arm(arm_process: ArmEmulator) -> ArmEmulator:
    arm_process.reset(
        durations={"Microsoft.ContainerService/managedClusters": 0.3, "Microsoft.Network/applicationGateways": 0.3}
    )
    arm_process.requests(clear=True)
    return arm_process


@pytest.fixture(scope="session")
def kube_process(arm_process: ArmEmulator) -> Iterator[KubeEmulator]:
    emulator = KubeEmulator(arm_process.certs)
    yield emulator
    emulator.stop()


@pytest.fixture
def kube(kube_process: KubeEmulator, arm: ArmEmulator) -> KubeEmulator:
    kube_process.control("POST", "reset", {})
    arm.configure(kubeconfig=kube_process.aks_kubeconfig())
    return kube_process
