"""A local Azure Resource Manager that behaves the way ARM documents it, for tests and benchmarks.

Run as its own process (``python -m tests.emulators.arm --certs DIR``); it prints ``READY <url>`` once listening
on 127.0.0.1 over HTTPS. Generic over resource types:

- PUT/GET/DELETE by resource id, nested and extension resources (role assignments at any scope), 404 semantics,
  resource-group deletion cascading to what it contains;
- every PUT body validated against the official specs (``tests/support/azure_specs``): a wrong body is a 400;
- long-running operations: 201/200 with ``Azure-AsyncOperation`` to poll, 202 + ``Location`` for deletes, and
  ``provisioningState`` moving from Creating/Updating to Succeeded after a per-type duration;
- read-only fields filled in (ids, identities and their principals, login server, IP address, OIDC issuer);
- role-assignment rules (deterministic names; ``RoleAssignmentExists``; ``PrincipalNotFound`` until a new
  principal has replicated) and AKS rules (immutable fields; node count owned by the autoscaler);
- a bearer token required on every request, issued by an App Service-style managed identity endpoint;
- scripted faults (status + Retry-After, dropped connections, failed operations), latency, and a request log.

Control endpoints live under ``/_emulator/`` (faults, requests, resources, autoscale, reset).
"""

from __future__ import annotations

import argparse
import base64
import copy
import json
import re
import secrets
import ssl
import sys
import threading
import time
import traceback
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.support.azure_specs import SpecNotFound, validate_body

LONG_RUNNING_DEFAULTS = {
    "microsoft.containerservice/managedclusters": 1.0,
    "microsoft.network/applicationgateways": 1.0,
}
IDENTITY_HEADER = "emulator-identity-header"
IMMUTABLE_AKS = (
    ("properties", "dnsPrefix"),
    ("properties", "nodeResourceGroup"),
    ("properties", "networkProfile", "networkPlugin"),
    ("properties", "networkProfile", "networkPluginMode"),
    ("properties", "networkProfile", "serviceCidr"),
    ("properties", "networkProfile", "dnsServiceIP"),
    ("properties", "networkProfile", "podCidr"),
)


class ArmFailure(Exception):
    def __init__(self, status: int, code: str, message: str, details: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details or []

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details:
            error["details"] = self.details
        return {"error": error}


@dataclass
class Fault:
    method: str
    path: re.Pattern[str]
    status: int = 500
    retry_after: int | None = None
    drop: bool = False
    fail_operation: bool = False
    times: int = 1
    code: str = "InternalServerError"


@dataclass
class Operation:
    resource_id: str
    done_at: float
    fail: bool = False
    deleting: bool = False


@dataclass
class State:
    resources: dict[str, dict[str, Any]] = field(default_factory=dict)
    operations: dict[str, Operation] = field(default_factory=dict)
    principals: dict[str, float] = field(default_factory=dict)
    faults: list[Fault] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    tokens: set[str] = field(default_factory=set)
    durations: dict[str, float] = field(default_factory=lambda: dict(LONG_RUNNING_DEFAULTS))
    principal_delay: float = 0.0
    latency: float = 0.0
    kubeconfig: str | None = None
    login_server: str | None = None
    refresh_tokens: set[str] = field(default_factory=set)
    registry_auth: str = "allow"
    token_lifetime: int = 3600
    # Types whose long-running PUTs send no Azure-AsyncOperation: clients poll the resource's provisioningState.
    poll_by_state: set[str] = field(default_factory=set)
    issued: list[dict[str, Any]] = field(default_factory=list)


STATE = State()
TOKEN_ISSUER = "aksdeploy-arm-emulator"
ACR_USER = "00000000-0000-0000-0000-000000000000"
SIGNER: dict[str, Any] = {}
LOCK = threading.RLock()


def _lower(resource_id: str) -> str:
    return resource_id.rstrip("/").lower()


def _type_of(resource_id: str) -> str:
    """The resource type of an id, e.g. microsoft.network/virtualnetworks/subnets."""
    parts = resource_id.strip("/").split("/")
    if len(parts) == 4 and parts[2].lower() == "resourcegroups":
        return "microsoft.resources/resourcegroups"
    idx = max(i for i, p in enumerate(parts) if p.lower() == "providers")
    rest = parts[idx + 1 :]
    namespace, segments = rest[0], rest[1:]
    types = [segments[i] for i in range(0, len(segments), 2)]
    return "/".join([namespace, *types]).lower()


def _resource_group(resource_id: str) -> str | None:
    match = re.match(r"^(/subscriptions/[^/]+/resourcegroups/[^/]+)", resource_id, re.IGNORECASE)
    return match.group(1) if match else None


def _parent(resource_id: str) -> str | None:
    """The parent resource of a nested resource (not of an extension resource or top-level resource)."""
    parts = resource_id.strip("/").split("/")
    providers = [i for i, p in enumerate(parts) if p.lower() == "providers"]
    if not providers:
        return None
    idx = max(providers)
    if len(parts) - idx - 2 > 2:
        return "/" + "/".join(parts[:-2])
    return None


def _now() -> float:
    return time.monotonic()


def _guid() -> str:
    return str(uuid.uuid4())


def _new_principal() -> str:
    principal = _guid()
    STATE.principals[principal] = _now() + STATE.principal_delay
    return principal


def _get_path(doc: Any, path: tuple[str, ...]) -> Any:
    for part in path:
        if not isinstance(doc, dict):
            return None
        doc = doc.get(part)
    return doc


def _fill_subresources(resource_id: str, value: Any, type_prefix: str, collection: str | None = None) -> None:
    """Give named sub-resources an id, etag, type and provisioningState, as the network provider does."""
    if isinstance(value, list) and collection:
        for item in value:
            if isinstance(item, dict) and "name" in item:
                item["id"] = f"{resource_id}/{collection}/{item['name']}"
                item["etag"] = f'W/"{_guid()}"'
                item["type"] = f"{type_prefix}/{collection}"
                item.setdefault("properties", {})["provisioningState"] = "Succeeded"


def _fill_read_only(resource_id: str, rtype: str, body: dict[str, Any], previous: dict[str, Any] | None) -> None:
    parts = resource_id.strip("/").split("/")
    body["id"] = resource_id
    body["name"] = parts[-1]
    body["type"] = _display_type(resource_id)
    props = body.setdefault("properties", {})
    old = previous or {}
    if rtype == "microsoft.containerservice/managedclusters":
        identity = body.setdefault("identity", {"type": "SystemAssigned"})
        identity["principalId"] = _get_path(old, ("identity", "principalId")) or _new_principal()
        identity["tenantId"] = "72f988bf-0000-0000-0000-000000000000"
        kubelet = _get_path(old, ("properties", "identityProfile", "kubeletidentity")) or {
            "resourceId": f"/subscriptions/x/resourceGroups/{props.get('nodeResourceGroup', 'MC')}/providers/"
            f"Microsoft.ManagedIdentity/userAssignedIdentities/{parts[-1]}-agentpool",
            "clientId": _guid(),
            "objectId": _new_principal(),
        }
        props["identityProfile"] = {"kubeletidentity": kubelet}
        props["fqdn"] = f"{props.get('dnsPrefix', 'aks')}.hcp.westeurope.azmk8s.io"
        props["currentKubernetesVersion"] = props.setdefault("kubernetesVersion", "1.33.5")
        props["powerState"] = {"code": "Running"}
        if _get_path(props, ("oidcIssuerProfile", "enabled")):
            props["oidcIssuerProfile"]["issuerURL"] = f"https://oidc.example.test/{_guid()}/"
        for pool in props.get("agentPoolProfiles", []):
            pool["provisioningState"] = "Succeeded"
            pool["currentOrchestratorVersion"] = props["currentKubernetesVersion"]
            old_pools = {p["name"]: p for p in _get_path(old, ("properties", "agentPoolProfiles")) or []}
            if pool["name"] in old_pools and "count" not in pool:
                pool["count"] = old_pools[pool["name"]].get("count")
        addon = _get_path(props, ("addonProfiles", "ingressApplicationGateway"))
        if isinstance(addon, dict) and addon.get("enabled"):
            old_addon = _get_path(old, ("properties", "addonProfiles", "ingressApplicationGateway", "identity"))
            addon["identity"] = old_addon or {
                "resourceId": f"/subscriptions/x/resourceGroups/MC/providers/Microsoft.ManagedIdentity/"
                f"userAssignedIdentities/ingressapplicationgateway-{parts[-1]}",
                "clientId": _guid(),
                "objectId": _new_principal(),
            }
    elif rtype == "microsoft.containerregistry/registries":
        props["loginServer"] = STATE.login_server or f"{parts[-1].lower()}.azurecr.io"
        props["creationDate"] = "2026-01-01T00:00:00Z"
    elif rtype == "microsoft.network/publicipaddresses":
        props["ipAddress"] = _get_path(old, ("properties", "ipAddress")) or f"20.1.{len(STATE.resources) % 250}.7"
        props["resourceGuid"] = _get_path(old, ("properties", "resourceGuid")) or _guid()
        if "dnsSettings" in props:
            props["dnsSettings"]["fqdn"] = f"{props['dnsSettings']['domainNameLabel']}.westeurope.cloudapp.azure.com"
    elif rtype == "microsoft.managedidentity/userassignedidentities":
        props["principalId"] = _get_path(old, ("properties", "principalId")) or _new_principal()
        props["clientId"] = _get_path(old, ("properties", "clientId")) or _guid()
        props["tenantId"] = "72f988bf-0000-0000-0000-000000000000"
    elif rtype == "microsoft.network/applicationgateways":
        props["operationalState"] = "Running"
        props["resourceGuid"] = _get_path(old, ("properties", "resourceGuid")) or _guid()
        for collection in (
            "gatewayIPConfigurations",
            "frontendIPConfigurations",
            "frontendPorts",
            "backendAddressPools",
            "backendHttpSettingsCollection",
            "httpListeners",
            "requestRoutingRules",
            "probes",
            "sslCertificates",
        ):
            _fill_subresources(resource_id, props.get(collection), "Microsoft.Network/applicationGateways", collection)
    elif rtype == "microsoft.network/networksecuritygroups":
        _fill_subresources(
            resource_id, props.get("securityRules"), "Microsoft.Network/networkSecurityGroups", "securityRules"
        )
    elif rtype == "microsoft.network/virtualnetworks":
        _fill_subresources(resource_id, props.get("subnets"), "Microsoft.Network/virtualNetworks", "subnets")
    elif rtype == "microsoft.authorization/roleassignments":
        props["scope"] = resource_id.split("/providers/Microsoft.Authorization/", maxsplit=1)[0]


def _display_type(resource_id: str) -> str:
    parts = resource_id.strip("/").split("/")
    if len(parts) == 4:
        return "Microsoft.Resources/resourceGroups"
    idx = max(i for i, p in enumerate(parts) if p.lower() == "providers")
    rest = parts[idx + 1 :]
    return "/".join([rest[0], *[rest[i] for i in range(1, len(rest), 2)]])


def _check_role_assignment(resource_id: str, body: dict[str, Any]) -> None:
    props = body.get("properties", {})
    principal = props.get("principalId", "")
    visible_at = STATE.principals.get(principal)
    if visible_at is None or visible_at > _now():
        raise ArmFailure(
            400,
            "PrincipalNotFound",
            f"Principal {principal} does not exist in the directory 72f988bf-0000-0000-0000-000000000000. "
            "Check that you have the correct principal ID. If you are creating this principal and then "
            "immediately assigning a role, this error might be related to a replication delay.",
        )
    scope = resource_id.split("/providers/Microsoft.Authorization/", maxsplit=1)[0].lower()
    existing = STATE.resources.get(_lower(resource_id))
    if existing is not None:
        old = existing["properties"]
        if old["principalId"] != principal or old["roleDefinitionId"].lower() != props["roleDefinitionId"].lower():
            raise ArmFailure(
                409,
                "RoleAssignmentUpdateNotPermitted",
                "Tenant ID, application ID, principal ID, and scope are not allowed to be updated.",
            )
        return
    for rid, other in STATE.resources.items():
        if _type_of(rid) != "microsoft.authorization/roleassignments":
            continue
        o = other["properties"]
        if (
            o["scope"].lower() == scope
            and o["principalId"] == principal
            and o["roleDefinitionId"].lower() == props["roleDefinitionId"].lower()
        ):
            raise ArmFailure(409, "RoleAssignmentExists", "The role assignment already exists.")


def _check_cluster(resource_id: str, body: dict[str, Any]) -> None:
    existing = STATE.resources.get(_lower(resource_id))
    if existing is None:
        return
    for path in IMMUTABLE_AKS:
        before, after = _get_path(existing, path), _get_path(body, path)
        if after is not None and before is not None and str(before).lower() != str(after).lower():
            raise ArmFailure(
                400, "PropertyChangeNotAllowed", f"Changing property '{'.'.join(path[1:])}' is not allowed."
            )
    live = {p["name"]: p for p in existing["properties"].get("agentPoolProfiles", [])}
    for pool in body.get("properties", {}).get("agentPoolProfiles", []):
        old = live.get(pool.get("name"))
        if old and pool.get("enableAutoScaling") and "count" in pool and pool["count"] != old.get("count"):
            raise ArmFailure(
                400,
                "InvalidParameter",
                "Node count cannot be changed when the cluster autoscaler is enabled "
                f"(sent {pool['count']}, the autoscaler has {old.get('count')}).",
            )


def _parse_body(raw: bytes) -> Any:
    try:
        return json.loads(raw or b"{}")
    except json.JSONDecodeError as exc:
        raise ArmFailure(400, "InvalidRequestContent", f"The request content was invalid: {exc}") from None


def put_resource(
    resource_id: str, api_version: str, body: dict[str, Any], host: str
) -> tuple[int, dict[str, Any], dict[str, str]]:
    rtype = _type_of(resource_id)
    try:
        problems = validate_body(resource_id, api_version, body)
    except SpecNotFound:
        raise ArmFailure(
            400,
            "NoRegisteredProviderFound",
            f"No registered resource provider found for api version '{api_version}' and type "
            f"'{_display_type(resource_id)}'.",
        ) from None
    if problems:
        raise ArmFailure(
            400,
            "InvalidRequestContent",
            "The request content was invalid and could not be deserialized.",
            [{"code": "InvalidRequestFormat", "target": p.path, "message": str(p)} for p in problems],
        )
    rg = _resource_group(resource_id)
    if rtype != "microsoft.resources/resourcegroups" and rg and _lower(rg) not in STATE.resources:
        raise ArmFailure(404, "ResourceGroupNotFound", f"Resource group '{rg.split('/')[-1]}' could not be found.")
    parent = _parent(resource_id)
    if (
        parent
        and "/providers/microsoft.authorization/" not in resource_id.lower()
        and _lower(parent) not in STATE.resources
    ):
        raise ArmFailure(
            404,
            "ParentResourceNotFound",
            f"Can not perform requested operation on nested resource. Parent resource '{parent}' not found.",
        )
    if rtype == "microsoft.authorization/roleassignments":
        _check_role_assignment(resource_id, body)
    if rtype == "microsoft.containerservice/managedclusters":
        _check_cluster(resource_id, body)
    previous = STATE.resources.get(_lower(resource_id))
    stored = copy.deepcopy(body)
    _fill_read_only(resource_id, rtype, stored, previous)
    creating = previous is None
    # "<type>:update" sets a separate duration for updates (enabling the AGIC add-on, say).
    duration = STATE.durations.get(rtype if creating else f"{rtype}:update", STATE.durations.get(rtype, 0.0))
    status = 201 if creating else 200
    headers: dict[str, str] = {}
    fail = _take_fault("PUT", resource_id, operation=True) is not None
    if duration > 0 or fail:
        op_id = _guid()
        STATE.operations[op_id] = Operation(resource_id, _now() + duration, fail=fail)
        stored["properties"]["provisioningState"] = "Creating" if creating else "Updating"
        stored["_operation"] = op_id
        if rtype not in STATE.poll_by_state:
            headers["Azure-AsyncOperation"] = (
                f"https://{host}/providers/emulator/operations/{op_id}?api-version={api_version}"
            )
    else:
        stored["properties"]["provisioningState"] = "Succeeded"
    STATE.resources[_lower(resource_id)] = stored
    return status, _public(stored), headers


def _public(resource: dict[str, Any]) -> dict[str, Any]:
    """The resource as GET shows it, with its long-running operation applied."""
    op_id = resource.get("_operation")
    if op_id:
        op = STATE.operations[op_id]
        if op.done_at <= _now():
            resource["properties"]["provisioningState"] = "Failed" if op.fail else "Succeeded"
            del resource["_operation"]
    return {k: v for k, v in copy.deepcopy(resource).items() if not k.startswith("_")}


def _delete(resource_id: str) -> bool:
    key = _lower(resource_id)
    doomed = [rid for rid in STATE.resources if rid == key or rid.startswith(key + "/")]
    for rid in doomed:
        del STATE.resources[rid]
    return bool(doomed)


def _take_fault(method: str, path: str, operation: bool = False) -> Fault | None:
    """The next scripted fault for this request (or, with OPERATION, for the operation it starts)."""
    for fault in STATE.faults:
        if fault.fail_operation != operation or fault.times <= 0:
            continue
        if fault.method in (method, "*") and fault.path.search(path):
            fault.times -= 1
            return fault
    return None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "arm-emulator"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(self, status: int, body: Any = None, headers: dict[str, str] | None = None) -> None:
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-ms-request-id", _guid())
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if data:
            self.wfile.write(data)

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PATCH(self) -> None:
        self._dispatch("PATCH")

    def _dispatch(self, method: str) -> None:
        url = urlsplit(self.path)
        raw = self._body()
        if url.path.startswith("/_emulator/"):
            with LOCK:
                self._control(method, url.path, raw)
            return
        if url.path == "/msi/token":
            self._token(url.query)
            return
        if url.path in ("/oauth2/exchange", "/oauth2/token"):
            with LOCK:
                STATE.requests.append(
                    {"method": method, "path": url.path, "query": "", "time": time.time(), "status": None}
                )
            self._registry_auth(method, url.path, url.query, raw)
            return
        if STATE.latency:
            time.sleep(STATE.latency)
        with LOCK:
            entry = {"method": method, "path": url.path, "query": url.query, "time": time.time(), "status": None}
            STATE.requests.append(entry)
            fault = _take_fault(method, url.path)
        if fault is not None:
            entry["status"] = "dropped" if fault.drop else fault.status
            if fault.drop:
                self.close_connection = True
                self.connection.shutdown(2)
                return
            headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
            self._send(fault.status, ArmFailure(fault.status, fault.code, "Injected fault.").body(), headers)
            return
        try:
            with LOCK:
                self._authorize()
                status, body, headers = self._arm(method, url.path, parse_qs(url.query), raw)
        except ArmFailure as failure:
            status, body, headers = failure.status, failure.body(), {}
        except Exception as exc:  # an emulator bug: answer like ARM's 500, and say why on stderr
            traceback.print_exc()
            status, body, headers = 500, ArmFailure(500, "InternalServerError", repr(exc)).body(), {}
        entry["status"] = status
        self._send(status, body, headers)

    def _authorize(self) -> None:
        auth = self.headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or auth[7:] not in STATE.tokens:
            raise ArmFailure(
                401, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing or invalid."
            )
        if token_expired(auth[7:]):
            raise ArmFailure(
                401, "ExpiredAuthenticationToken", "The access token expiry UTC time is earlier than current UTC time."
            )

    def _token(self, query: str) -> None:
        if self.headers.get("X-IDENTITY-HEADER") != IDENTITY_HEADER:
            self._send(401, {"error": "invalid identity header"})
            return
        params = parse_qs(query)
        expires = int(time.time()) + STATE.token_lifetime
        # Self-describing, so the Kubernetes emulator can tell an expired token too.
        token = f"emu-{expires}-" + secrets.token_urlsafe(24)
        with LOCK:
            STATE.tokens.add(token)
            STATE.issued.append({"resource": params.get("resource", [""])[0], "expires_on": expires})
        self._send(
            200,
            {
                "access_token": token,
                "expires_on": str(expires),
                "resource": params.get("resource", [""])[0],
                "token_type": "Bearer",
            },
        )

    def _registry_auth(self, method: str, path: str, query: str, raw: bytes) -> None:
        """ACR's token endpoints: Entra access token → ACR refresh token → registry access token."""
        form = {k: v[0] for k, v in parse_qs(raw.decode()).items()} if method == "POST" else {}
        params = {k: v for k, v in parse_qs(query).items()}
        if path == "/oauth2/exchange":
            if form.get("grant_type") != "access_token" or form.get("access_token") not in STATE.tokens:
                self._send(401, {"errors": [{"code": "UNAUTHORIZED", "message": "invalid access token"}]})
                return
            refresh = "acr-refresh-" + secrets.token_urlsafe(24)
            with LOCK:
                STATE.refresh_tokens.add(refresh)
            self._send(200, {"refresh_token": refresh})
            return
        if method == "POST":
            secret = form.get("refresh_token") if form.get("grant_type") == "refresh_token" else form.get("password")
            scopes = form.get("scope", "").split()
            service = form.get("service", "")
        else:
            secret = None
            auth = self.headers.get("Authorization", "")
            if auth.startswith("Basic "):
                user, _, password = base64.b64decode(auth[6:]).decode().partition(":")
                secret = password if user == ACR_USER else None
            scopes = params.get("scope", [])
            service = (params.get("service") or [""])[0]
        if secret not in STATE.refresh_tokens or STATE.registry_auth == "deny":
            self._send(401, {"errors": [{"code": "UNAUTHORIZED", "message": "authentication required"}]})
            return
        token = _registry_token(service, scopes)
        self._send(200, {"access_token": token, "token": token, "expires_in": 300})

    def _arm(self, method: str, path: str, query: dict[str, list[str]], raw: bytes) -> tuple[int, Any, dict[str, str]]:
        api_version = (query.get("api-version") or [""])[0]
        op = re.match(r"^/providers/emulator/operations/([^/]+)$", path)
        if op:
            return self._operation(op.group(1))
        if not api_version:
            raise ArmFailure(
                400,
                "MissingApiVersionParameter",
                "The api-version query parameter (?api-version=) is required for all requests.",
            )
        if method == "POST" and path.lower().endswith("/listclusterusercredential"):
            return self._credentials(path.rsplit("/", 1)[0])
        if method == "PUT":
            body = _parse_body(raw)
            if not isinstance(body, dict):
                raise ArmFailure(400, "InvalidRequestContent", "The request content must be a JSON object.")
            return put_resource(path, api_version, body, self.headers.get("Host", "127.0.0.1"))
        if method == "GET":
            resource = STATE.resources.get(_lower(path))
            if resource is None:
                rg = _resource_group(path)
                if rg and _lower(rg) not in STATE.resources and _lower(rg) != _lower(path):
                    raise ArmFailure(
                        404, "ResourceGroupNotFound", f"Resource group '{rg.split('/')[-1]}' could not be found."
                    )
                raise ArmFailure(
                    404,
                    "ResourceNotFound",
                    f"The Resource '{_display_type(path)}/{path.rsplit('/', 1)[-1]}' was not found.",
                )
            return 200, _public(resource), {}
        if method == "DELETE":
            if _lower(path) not in STATE.resources:
                return 204, None, {}
            duration = STATE.durations.get("delete", 0.0)
            if _type_of(path) == "microsoft.resources/resourcegroups" or duration > 0:
                op_id = _guid()
                STATE.operations[op_id] = Operation(path, _now() + duration, deleting=True)
                host = self.headers.get("Host", "127.0.0.1")
                return (
                    202,
                    None,
                    {
                        "Location": f"https://{host}/providers/emulator/operations/{op_id}?api-version=x",
                        "Retry-After": "0",
                    },
                )
            _delete(path)
            return 200, None, {}
        raise ArmFailure(405, "MethodNotAllowed", f"{method} is not supported here.")

    def _operation(self, op_id: str) -> tuple[int, Any, dict[str, str]]:
        op = STATE.operations.get(op_id)
        if op is None:
            raise ArmFailure(404, "OperationNotFound", "No such operation.")
        done = op.done_at <= _now()
        if op.deleting:
            if not done:
                return 202, None, {"Retry-After": "0"}
            _delete(op.resource_id)
            return 200, None, {}
        if not done:
            return 200, {"status": "InProgress"}, {}
        if op.fail:
            return (
                200,
                {
                    "status": "Failed",
                    "error": {
                        "code": "ResourceDeploymentFailure",
                        "message": "The resource operation completed with terminal provisioning state 'Failed'.",
                        "details": [{"code": "InternalOperationError", "message": "Injected operation failure."}],
                    },
                },
                {},
            )
        return 200, {"status": "Succeeded"}, {}

    def _credentials(self, cluster_id: str) -> tuple[int, Any, dict[str, str]]:
        if _lower(cluster_id) not in STATE.resources:
            raise ArmFailure(404, "ResourceNotFound", "The cluster was not found.")
        kubeconfig = STATE.kubeconfig or ""
        return (
            200,
            {"kubeconfigs": [{"name": "clusterUser", "value": base64.b64encode(kubeconfig.encode()).decode()}]},
            {},
        )

    def _control(self, method: str, path: str, raw: bytes) -> None:
        body = _parse_body(raw) if raw else {}
        if path == "/_emulator/faults" and method == "POST":
            for rule in body.get("faults", []):
                STATE.faults.append(
                    Fault(
                        method=rule.get("method", "*"),
                        path=re.compile(rule.get("path", ".*"), re.IGNORECASE),
                        status=rule.get("status", 500),
                        retry_after=rule.get("retry_after"),
                        drop=rule.get("drop", False),
                        fail_operation=rule.get("fail_operation", False),
                        times=rule.get("times", 1),
                        code=rule.get("code", "InternalServerError"),
                    )
                )
            self._send(200, {"faults": len(STATE.faults)})
        elif path == "/_emulator/requests":
            if method == "DELETE":
                STATE.requests.clear()
            self._send(200, {"requests": STATE.requests})
        elif path == "/_emulator/issued":
            self._send(200, {"issued": STATE.issued})
        elif path == "/_emulator/resources":
            self._send(200, {rid: _public(r) for rid, r in STATE.resources.items()})
        elif path == "/_emulator/config" and method == "POST":
            STATE.durations.update({k.lower(): float(v) for k, v in body.get("durations", {}).items()})
            STATE.principal_delay = float(body.get("principal_delay", STATE.principal_delay))
            STATE.latency = float(body.get("latency", STATE.latency))
            if "kubeconfig" in body:
                STATE.kubeconfig = body["kubeconfig"]
            if "poll_by_state" in body:
                STATE.poll_by_state = {t.lower() for t in body["poll_by_state"]}
            if "token_lifetime" in body:
                STATE.token_lifetime = int(body["token_lifetime"])
            if "registry_auth" in body:
                STATE.registry_auth = body["registry_auth"]
            if "login_server" in body:
                STATE.login_server = body["login_server"]
            self._send(200, {"durations": STATE.durations})
        elif path == "/_emulator/autoscale" and method == "POST":
            cluster = STATE.resources[_lower(body["cluster"])]
            for pool in cluster["properties"]["agentPoolProfiles"]:
                pool["count"] = body["count"]
            self._send(200, {})
        elif path == "/_emulator/mutate" and method == "POST":
            resource = STATE.resources[_lower(body["id"])]
            resource["properties"].update(body["properties"])
            self._send(200, _public(resource))
        elif path == "/_emulator/reset" and method == "POST":
            tokens, refresh, login = STATE.tokens, STATE.refresh_tokens, STATE.login_server
            STATE.__init__()  # type: ignore[misc]
            STATE.tokens, STATE.refresh_tokens, STATE.login_server = tokens, refresh, login
            self._send(200, {})
        else:
            self._send(404, {"error": f"no control endpoint {method} {path}"})


def token_expired(token: str, skew: float = 1.0) -> bool:
    """Whether an emulator-issued token (``emu-<expiry>-…``) has expired (with a little clock skew allowed)."""
    try:
        return int(token.split("-")[1]) + skew < time.time()
    except (IndexError, ValueError):
        return True


def _registry_token(service: str, scopes: list[str]) -> str:
    import jwt

    access = []
    for scope in scopes:
        kind, _, rest = scope.partition(":")
        name, _, actions = rest.rpartition(":")
        access.append({"type": kind, "name": name, "actions": [a for a in actions.split(",") if a]})
    now = int(time.time())
    claims = {
        "iss": TOKEN_ISSUER,
        "sub": ACR_USER,
        "aud": service,
        "exp": now + 300,
        "nbf": now - 10,
        "iat": now,
        "jti": _guid(),
        "access": access,
    }
    return jwt.encode(claims, SIGNER["key"], algorithm="ES256", headers={"x5c": [SIGNER["x5c"]]})


def _load_signer(directory: Path) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    cert = x509.load_pem_x509_certificate((directory / "token.pem").read_bytes())
    SIGNER["x5c"] = base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()
    SIGNER["key"] = serialization.load_pem_private_key((directory / "token.key").read_bytes(), password=None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--certs", type=Path, required=True, help="directory with server.pem and server.key")
    args = parser.parse_args()
    if (args.certs / "token.pem").exists():
        _load_signer(args.certs)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(args.certs / "server.pem", args.certs / "server.key")
    server.socket = context.wrap_socket(server.socket, server_side=True)
    print(f"READY https://127.0.0.1:{server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
