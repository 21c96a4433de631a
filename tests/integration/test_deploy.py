"""deploy, release, status, logs and rollback against the Kubernetes emulator (through AKS credentials)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import EXAMPLE_CONFIG
from tests.support.arm import ArmEmulator, cli_env
from tests.support.kube import KubeEmulator

ROOT = Path(__file__).resolve().parents[2]
SECRETS = {"DJANGO_SECRET_KEY": "k3y-n0t-for-logs-4242", "DATABASE_URL": "postgres://app:pw-n0t-for-logs@db/polls"}
GOOD = "crpolls.azurecr.io/polls@sha256:" + "a" * 64
NEXT = "crpolls.azurecr.io/polls@sha256:" + "b" * 64
BROKEN = "crpolls.azurecr.io/polls@sha256:" + "c" * 64


def cli(
    arm: ArmEmulator,
    *args: str,
    config: Path = EXAMPLE_CONFIG,
    extra_env: dict[str, str] | None = None,
    env: str = "prod",
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "aksdeploy", *args, "-e", env, "-c", str(config)],
        capture_output=True,
        text=True,
        env=cli_env({**arm.env(), **SECRETS, **(extra_env or {})}),
        cwd=ROOT,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )


@pytest.fixture
def cluster(arm: ArmEmulator, kube: KubeEmulator) -> KubeEmulator:
    provisioned = cli(arm, "provision", "--yes")
    assert provisioned.returncode == 0, provisioned.stderr
    return kube


def deploy(
    arm: ArmEmulator, image: str, *extra: str, config: Path = EXAMPLE_CONFIG
) -> subprocess.CompletedProcess[str]:
    return cli(arm, "deploy", "--image", image, "--timeout", "60", *extra, config=config)


def versions(kube: KubeEmulator) -> dict[tuple[str, str], str]:
    return {
        (o["kind"], o["metadata"]["name"]): o["metadata"]["resourceVersion"]
        for o in kube.objects()
        if o["kind"] not in ("Event",)
    }


def web_pods(kube: KubeEmulator) -> list[dict[str, Any]]:
    return [p for p in kube.objects("Pod") if "job-name" not in p["metadata"]["labels"]]


def test_deploy_then_rerun_changes_nothing(arm: ArmEmulator, cluster: KubeEmulator) -> None:
    first = deploy(arm, GOOD, "--output", "json")
    assert first.returncode == 0, first.stderr
    result = json.loads(first.stdout)
    assert result["migrated"] is True and result["revision"] == 1
    deployment = cluster.get("Deployment", "polls")
    assert deployment is not None and "replicas" in deployment["spec"]
    assert deployment["spec"]["replicas"] == 2  # set by the HPA (its minimum), not by aksdeploy
    managers = {e["manager"]: e["operation"] for e in deployment["metadata"]["managedFields"]}
    assert managers == {"aksdeploy": "Apply", "kube-controller-manager": "Update"}
    assert {p["spec"]["containers"][0]["image"] for p in web_pods(cluster)} == {GOOD}
    secret = cluster.get("Secret", "polls-secrets")
    assert secret is not None and secret["stringData"]["DJANGO_SECRET_KEY"] == SECRETS["DJANGO_SECRET_KEY"]
    for value in SECRETS.values():
        assert value not in first.stdout + first.stderr

    order = [r["path"] for r in cluster.requests() if r["method"] == "PATCH"]
    job = next(i for i, p in enumerate(order) if "/jobs/" in p)
    assert job < next(i for i, p in enumerate(order) if "/deployments/" in p)  # migrations gate the rollout

    before, pods = versions(cluster), {p["metadata"]["name"] for p in web_pods(cluster)}
    cluster.requests(clear=True)
    again = deploy(arm, GOOD, "--output", "json")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["changed"] == []
    assert versions(cluster) == before
    assert {p["metadata"]["name"] for p in web_pods(cluster)} == pods  # no pod restarted
    assert not [r for r in cluster.requests() if r["method"] in ("POST", "PUT", "DELETE")]

    status = cli(arm, "status", "--output", "json")
    assert status.returncode == 0, status.stderr
    shown = json.loads(status.stdout)
    assert (shown["image"], shown["revision"], shown["ready"], shown["desired"]) == (GOOD, 1, 2, 2)
    logs = cli(arm, "logs", "--tail", "5")
    assert logs.returncode == 0 and "Listening at" in logs.stdout


def test_broken_image_stops_at_the_migration_job(arm: ArmEmulator, cluster: KubeEmulator) -> None:
    assert deploy(arm, GOOD).returncode == 0
    before = cluster.get("Deployment", "polls")
    cluster.control("POST", "failures", {BROKEN: "ErrImagePull"})
    failed = deploy(arm, BROKEN)
    assert failed.returncode == 1
    assert "migration job polls-migrate-cccccccccccc cannot run" in failed.stderr
    assert "ErrImagePull" in failed.stderr or "ImagePullBackOff" in failed.stderr
    after = cluster.get("Deployment", "polls")
    assert before is not None and after is not None
    assert after["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"]


def test_broken_image_rolls_back_by_itself(arm: ArmEmulator, cluster: KubeEmulator, tmp_path: Path) -> None:
    config = tmp_path / "aksdeploy.toml"  # an app without migrations: the broken image reaches the Deployment
    config.write_text(
        EXAMPLE_CONFIG.read_text().replace('migrate = ["python", "manage.py", "migrate", "--noinput"]', "migrate = []")
    )
    assert deploy(arm, GOOD, config=config).returncode == 0
    cluster.control("POST", "failures", {BROKEN: "ErrImagePull"})
    failed = deploy(arm, BROKEN, config=config)
    assert failed.returncode == 1
    assert "ErrImagePull" in failed.stderr or "ImagePullBackOff" in failed.stderr
    assert "rolled back automatically to revision 3" in failed.stderr
    assert "Traceback" not in failed.stderr
    deployment = cluster.get("Deployment", "polls")
    assert deployment is not None
    assert deployment["spec"]["template"]["spec"]["containers"][0]["image"] == GOOD
    assert {p["spec"]["containers"][0]["image"] for p in web_pods(cluster)} == {GOOD}
    assert deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0  # the rest of the spec kept


def test_crash_loop_shows_the_last_log_lines_and_no_rollback_keeps_it(arm: ArmEmulator, cluster: KubeEmulator) -> None:
    assert deploy(arm, GOOD).returncode == 0
    cluster.control("POST", "failures", {BROKEN: "CrashLoopBackOff"})
    failed = deploy(arm, BROKEN, "--no-rollback")
    assert failed.returncode == 1
    assert "CrashLoopBackOff" in failed.stderr and "DJANGO_SECRET_KEY is missing" in failed.stderr
    assert "rolled back" not in failed.stderr
    rolled = cli(arm, "rollback")
    assert rolled.returncode == 0, rolled.stderr
    deployment = cluster.get("Deployment", "polls")
    assert deployment is not None and deployment["spec"]["template"]["spec"]["containers"][0]["image"] == GOOD


def test_failed_migration_leaves_the_deployment_untouched(arm: ArmEmulator, cluster: KubeEmulator) -> None:
    assert deploy(arm, GOOD).returncode == 0
    before = cluster.get("Deployment", "polls")
    cluster.control("POST", "failures", {BROKEN: "JobFails"})
    failed = deploy(arm, BROKEN)
    assert failed.returncode == 1
    assert "migration job polls-migrate-cccccccccccc failed; nothing else was changed" in failed.stderr
    assert "OperationalError" in failed.stderr  # the job's output
    after = cluster.get("Deployment", "polls")
    assert before is not None and after is not None
    assert after["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"]


def test_hpa_replicas_survive_and_removed_objects_are_pruned(
    arm: ArmEmulator, cluster: KubeEmulator, tmp_path: Path
) -> None:
    assert deploy(arm, GOOD).returncode == 0
    cluster.control("POST", "scale", {"namespace": "polls", "name": "polls", "replicas": 5})
    assert deploy(arm, NEXT).returncode == 0
    deployment = cluster.get("Deployment", "polls")
    assert deployment is not None and deployment["spec"]["replicas"] == 5
    assert len(web_pods(cluster)) == 5

    fixed = tmp_path / "aksdeploy.toml"
    fixed.write_text(EXAMPLE_CONFIG.read_text().replace("max_replicas = 10", "max_replicas = 2"))
    result = deploy(arm, NEXT, "--output", "json", config=fixed)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["pruned"] == ["HorizontalPodAutoscaler/polls"]
    assert cluster.get("HorizontalPodAutoscaler", "polls") is None
    deployment = cluster.get("Deployment", "polls")
    assert deployment is not None and deployment["spec"]["replicas"] == 2  # fixed count now owned by aksdeploy


def test_conflicts_are_reported_and_can_be_forced(arm: ArmEmulator, cluster: KubeEmulator) -> None:
    assert deploy(arm, GOOD).returncode == 0
    cluster.apply_as(
        "kubectl",
        "/api/v1/namespaces/polls/configmaps/polls-config",
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "polls-config", "namespace": "polls"},
            "data": {"DJANGO_ALLOWED_HOSTS": "hand-edited.example.com"},
        },
    )
    # kubectl now co-owns the key with a different value than aksdeploy last applied? Its value wins until forced.
    conflicted = deploy(arm, GOOD)
    assert conflicted.returncode == 1
    assert "conflict" in conflicted.stderr.lower() and "--force-conflicts" in conflicted.stderr
    forced = deploy(arm, GOOD, "--force-conflicts")
    assert forced.returncode == 0, forced.stderr
    config = cluster.get("ConfigMap", "polls-config")
    assert config is not None and config["data"]["DJANGO_ALLOWED_HOSTS"] == "polls.example.com"


def test_dropped_watches_are_resumed(arm: ArmEmulator, cluster: KubeEmulator) -> None:
    cluster.control("POST", "config", {"drop_watch_after": 1})
    result = deploy(arm, GOOD)
    assert result.returncode == 0, result.stderr
    watches = [r["query"] for r in cluster.requests() if "watch=true" in r["query"]]
    assert len(watches) >= 2  # the server closed the first watch after one event; the tool watched again
    resumed = [int(q.split("resourceVersion=")[1].split("&")[0]) for q in watches]
    assert resumed == sorted(resumed) and resumed[0] < resumed[-1]  # each from the last version it saw


def test_any_cluster_through_a_kubeconfig(arm: ArmEmulator, kube: KubeEmulator, tmp_path: Path) -> None:
    kubeconfig = kube.kubeconfig_with_token(tmp_path / "kubeconfig")
    result = cli(
        arm,
        "deploy",
        "--image",
        GOOD,
        "--kubeconfig",
        str(kubeconfig),
        "--kube-context",
        "local",
        extra_env={"AZURE_RESOURCE_MANAGER_ENDPOINT": "https://127.0.0.1:9"},
    )  # Azure is not needed
    assert result.returncode == 0, result.stderr
    status = cli(arm, "status", "--kubeconfig", str(kubeconfig))
    assert status.returncode == 0 and GOOD in status.stdout


def test_missing_secret_values_are_named_not_shown(arm: ArmEmulator, cluster: KubeEmulator) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "aksdeploy", "deploy", "--image", GOOD, "-e", "prod", "-c", str(EXAMPLE_CONFIG)],
        capture_output=True,
        text=True,
        env=cli_env({**arm.env(), "DJANGO_SECRET_KEY": "x"}),
        cwd=ROOT,
        timeout=120,
    )
    assert result.returncode == 2
    assert "missing environment variables for app.secrets: DATABASE_URL" in result.stderr


def test_tokens_that_expire_mid_run_are_refreshed(arm: ArmEmulator, cluster: KubeEmulator) -> None:
    arm.configure(token_lifetime=3)  # Entra tokens live 3 s; the rollout takes longer
    cluster.control("POST", "config", {"timing": {"pod_start": 1.5, "pod_ready": 2.0, "job_run": 2.0}})
    result = deploy(arm, GOOD)
    assert result.returncode == 0, result.stderr
    issued = [t for t in arm.control("GET", "issued")["issued"] if "6dae42f8" in t["resource"]]
    assert len(issued) >= 2  # the cluster token was renewed during the run


def test_ctrl_c_during_a_release_stops_cleanly_and_a_rerun_completes(arm: ArmEmulator, cluster: KubeEmulator) -> None:
    import signal
    import time

    cluster.control("POST", "config", {"timing": {"pod_start": 1.0, "pod_ready": 3.0, "job_run": 0.5}})
    process = subprocess.Popen(
        [sys.executable, "-m", "aksdeploy", "deploy", "--image", GOOD, "-e", "prod", "-c", str(EXAMPLE_CONFIG)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=cli_env({**arm.env(), **SECRETS}),
        cwd=ROOT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and cluster.get("Deployment", "polls") is None:
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)  # mid-rollout
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 130
    assert "interrupted" in stderr and "rerun" in stderr and "Traceback" not in stderr
    cluster.control("POST", "config", {"timing": {"pod_start": 0.15, "pod_ready": 0.15, "job_run": 0.2}})
    rerun = deploy(arm, GOOD, "--output", "json")
    assert rerun.returncode == 0, rerun.stderr
    assert {p["spec"]["containers"][0]["image"] for p in web_pods(cluster)} == {GOOD}
