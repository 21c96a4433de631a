from __future__ import annotations

from collections.abc import Callable
from typing import Any

import kubernetes_validate
import pytest

from aksdeploy.core.manifests import DEFAULT_KUBERNETES_VERSION, TlsPair, render_release
from aksdeploy.services.rendering import yaml_documents
from tests.conftest import EXAMPLE_CONFIG
from tests.support.configs import KEYVAULT_AND_CI, MINIMAL, load, with_names

IMAGE = "crshopprod.azurecr.io/shop@sha256:" + "ab" * 32


def release(
    text: str = MINIMAL, environment: str | None = None, **kwargs: Any
) -> dict[tuple[str, str], dict[str, Any]]:
    loaded, names = with_names(text, environment)
    r = render_release(loaded.settings, loaded.environment, names, IMAGE, **kwargs)
    return {(o["kind"], o["metadata"]["name"]): o for o in r.all}


def full_release() -> list[dict[str, Any]]:
    text = MINIMAL.replace('name = "shop"', 'name = "shop"\nsecrets = ["DJANGO_SECRET_KEY"]')
    return list(release(text, secret_values={"DJANGO_SECRET_KEY": "s3cret"}, tls=TlsPair("CERT", "KEY")).values())


@pytest.mark.parametrize(
    "objects",
    [
        pytest.param(lambda: full_release(), id="https-secret"),
        pytest.param(lambda: list(release(KEYVAULT_AND_CI).values()), id="keyvault"),
        pytest.param(lambda: list(release(EXAMPLE_CONFIG.read_text(), "dev").values()), id="http-dev"),
        pytest.param(
            lambda: list(
                release(MINIMAL.replace('name = "shop"', 'name = "shop"\nmin_replicas = 3\nmax_replicas = 3')).values()
            ),
            id="fixed-replicas",
        ),
    ],
)
@pytest.mark.parametrize("version", [DEFAULT_KUBERNETES_VERSION, "1.37"])
def test_every_object_passes_strict_schema_validation(
    objects: Callable[[], list[dict[str, Any]]], version: str
) -> None:
    rendered = objects()
    assert len(rendered) >= 10
    for obj in rendered:
        kubernetes_validate.validate(obj, f"{version}.0", strict=True)


def test_strict_validation_catches_a_typo() -> None:
    deployment = release()[("Deployment", "shop")]
    deployment["spec"]["template"]["spec"]["containers"][0]["imagePullPolicyy"] = "Always"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, f"{DEFAULT_KUBERNETES_VERSION}.0", strict=True)


def test_deployment_is_locked_down_and_leaves_scaling_to_the_hpa() -> None:
    objects = release()
    deployment = objects[("Deployment", "shop")]
    spec = deployment["spec"]
    pod = spec["template"]["spec"]
    container = pod["containers"][0]
    assert "replicas" not in spec
    assert spec["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    assert pod["automountServiceAccountToken"] is False
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    assert {"name": "tmp", "mountPath": "/tmp"} in container["volumeMounts"]
    assert container["image"] == IMAGE
    assert container["resources"]["limits"] == {"cpu": "1", "memory": "512Mi"}
    assert {p for p in ("startupProbe", "livenessProbe", "readinessProbe") if p in container} == {
        "startupProbe",
        "livenessProbe",
        "readinessProbe",
    }
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["lifecycle"]["preStop"]["sleep"]["seconds"] == 15
    assert objects[("HorizontalPodAutoscaler", "shop")]["spec"]["minReplicas"] == 2
    namespace = objects[("Namespace", "shop")]
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"


def test_fixed_replica_count_has_no_hpa() -> None:
    objects = release(MINIMAL.replace('name = "shop"', 'name = "shop"\nmin_replicas = 3\nmax_replicas = 3'))
    assert objects[("Deployment", "shop")]["spec"]["replicas"] == 3
    assert ("HorizontalPodAutoscaler", "shop") not in objects


def test_network_policy_denies_by_default_and_allows_the_gateway_subnet() -> None:
    objects = release()
    deny = objects[("NetworkPolicy", "default-deny")]["spec"]
    assert deny == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    allow = objects[("NetworkPolicy", "shop-allow-gateway")]["spec"]["ingress"][0]
    assert allow["from"] == [{"ipBlock": {"cidr": "10.238.0.0/24"}}]
    assert allow["ports"] == [{"protocol": "TCP", "port": 8000}]


def test_ingress_for_agic_with_tls_and_redirect() -> None:
    ingress = release()[("Ingress", "shop")]
    assert ingress["spec"]["ingressClassName"] == "azure-application-gateway"
    assert ingress["spec"]["tls"] == [{"hosts": ["shop.example.com"], "secretName": "shop-tls"}]
    annotations = ingress["metadata"]["annotations"]
    assert annotations["appgw.ingress.kubernetes.io/ssl-redirect"] == "true"
    assert annotations["appgw.ingress.kubernetes.io/health-probe-path"] == "/readyz"
    keyvault = release(KEYVAULT_AND_CI)[("Ingress", "shop")]
    assert "tls" not in keyvault["spec"]
    assert keyvault["metadata"]["annotations"]["appgw.ingress.kubernetes.io/appgw-ssl-certificate"] == "shop-tls"
    dev = release(EXAMPLE_CONFIG.read_text(), "dev")[("Ingress", "polls")]
    assert "tls" not in dev["spec"] and "appgw.ingress.kubernetes.io/ssl-redirect" not in dev["metadata"]["annotations"]


def test_secrets_only_when_values_are_given_and_never_in_the_pod_spec() -> None:
    text = MINIMAL.replace('name = "shop"', 'name = "shop"\nsecrets = ["DJANGO_SECRET_KEY"]')
    assert ("Secret", "shop-secrets") not in release(text)
    objects = release(text, secret_values={"DJANGO_SECRET_KEY": "s3cret"})
    assert objects[("Secret", "shop-secrets")]["stringData"] == {"DJANGO_SECRET_KEY": "s3cret"}
    deployment = yaml_documents([objects[("Deployment", "shop")]])
    assert "s3cret" not in deployment and "secretKeyRef" in deployment


def test_migration_job_is_named_after_the_image() -> None:
    job = release()[("Job", "shop-migrate-abababababab")]
    container = job["spec"]["template"]["spec"]["containers"][0]
    assert container["command"] == ["python", "manage.py", "migrate", "--noinput"]
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"
    assert not [o for o in release(MINIMAL.replace('name = "shop"', 'name = "shop"\nmigrate = []')) if o[0] == "Job"]


def test_golden_manifests(golden: Callable[[str, str], None]) -> None:
    loaded = load(EXAMPLE_CONFIG.read_text(), environment="prod")
    _, names = with_names(EXAMPLE_CONFIG.read_text(), "prod")
    objects = render_release(loaded.settings, "prod", names, "crpollsprod.azurecr.io/polls@sha256:" + "12" * 32)
    golden("manifests-prod.yaml", yaml_documents(objects.all))
