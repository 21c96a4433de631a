"""Which properties aksdeploy owns on each resource, how to compare them, and what to send on an update.

The rule that prevents the classic AGIC outage: once AGIC runs, it owns the gateway's listeners, pools, rules,
probes, settings, ports, redirects and certificates. aksdeploy compares only what it owns and, when it must
update the gateway, sends AGIC's live configuration back unchanged. Likewise the cluster autoscaler owns the node
``count`` and the add-on node owns ``addonProfiles``: the cluster node never reverts them.
Comparison is a subset test: a live resource is up to date when every value aksdeploy sets is there (strings
compared case-insensitively, as ARM does), whatever else Azure added.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from aksdeploy.core.plan import PropertyChange
from aksdeploy.core.resources import Json, Resource

APPGW = "Microsoft.Network/applicationGateways"
AKS = "Microsoft.ContainerService/managedClusters"

# Collections AGIC rewrites on the gateway; aksdeploy creates placeholders and never touches them afterwards.
AGIC_OWNED = (
    "backendAddressPools",
    "backendHttpSettingsCollection",
    "httpListeners",
    "requestRoutingRules",
    "probes",
    "frontendPorts",
    "redirectConfigurations",
    "urlPathMaps",
    "rewriteRuleSets",
    "sslCertificates",
    "trustedRootCertificates",
)
# Read-only keys Azure adds to sub-resources; stripped before live configuration is sent back.
READ_ONLY_KEYS = frozenset({"etag", "provisioningState", "resourceGuid"})


def _strip(value: Json) -> Json:
    if isinstance(value, Mapping):
        out = {}
        for k, v in value.items():
            if k in READ_ONLY_KEYS:
                continue
            if k == "type" and isinstance(v, str) and "/" in v:
                continue
            out[k] = _strip(v)
        return out
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


def comparable(resource: Resource, live: Mapping[str, Json] | None) -> dict[str, Json]:
    """The part of RESOURCE's desired body that must match the live resource."""
    body = copy.deepcopy(dict(resource.body))
    props = body.get("properties", {})
    if resource.type == APPGW and live is not None:
        for key in AGIC_OWNED:
            props.pop(key, None)
        certificates = resource.body.get("properties", {}).get("sslCertificates")
        if certificates:
            props["sslCertificates"] = certificates  # ours (Key Vault); AGIC's own stay out of the comparison
    if resource.type == AKS and live is not None:
        for pool in props.get("agentPoolProfiles", []):
            if pool.get("enableAutoScaling"):
                pool.pop("count", None)
    return body


def update_body(resource: Resource, live: Mapping[str, Json] | None) -> dict[str, Json]:
    """What to PUT: the desired body, with what others own on the live resource carried over unchanged."""
    body = copy.deepcopy(dict(resource.body))
    if live is None:
        return body
    props = body.setdefault("properties", {})
    live_props = live.get("properties", {}) or {}
    if resource.type == APPGW:
        for key in AGIC_OWNED:
            if key == "sslCertificates":
                ours = {c["name"]: c for c in props.get(key, [])}
                theirs = [_strip(c) for c in live_props.get(key, []) if c.get("name") not in ours]
                if ours or theirs:
                    props[key] = theirs + list(ours.values())
            elif key in live_props:
                props[key] = _strip(live_props[key])
    if resource.type == AKS:
        live_pools = {p.get("name"): p for p in live_props.get("agentPoolProfiles", [])}
        for pool in props.get("agentPoolProfiles", []):
            current = live_pools.get(pool.get("name"))
            if current is not None and pool.get("enableAutoScaling") and "count" in current:
                pool["count"] = current["count"]
        addons = {
            name: {k: v for k, v in profile.items() if k != "identity"}
            for name, profile in (live_props.get("addonProfiles") or {}).items()
        }
        addons.update(props.get("addonProfiles", {}))
        if addons:
            props["addonProfiles"] = addons
        if "kubernetesVersion" not in props and live_props.get("kubernetesVersion"):
            props["kubernetesVersion"] = live_props["kubernetesVersion"]
    return body


def drift(resource: Resource, live: Mapping[str, Json]) -> list[PropertyChange]:
    """Why LIVE needs a write: owned values that differ, or a failed provisioning that a new PUT repairs."""
    changes = differences(comparable(resource, live), live)
    state = (live.get("properties") or {}).get("provisioningState")
    if isinstance(state, str) and state.lower() == "failed":
        changes.append(PropertyChange("properties.provisioningState", state, "Succeeded"))
    return changes


def _same_scalar(a: Json, b: Json) -> bool:
    if isinstance(a, str) and isinstance(b, str):
        return a.lower() == b.lower()
    return bool(a == b)


def differences(desired: Json, live: Json, path: str = "") -> list[PropertyChange]:
    """Where LIVE lacks a value DESIRED sets (a subset test); empty when LIVE is up to date."""
    if isinstance(desired, Mapping):
        if not isinstance(live, Mapping):
            return [PropertyChange(path, live, desired)]
        out: list[PropertyChange] = []
        for key, value in desired.items():
            out += differences(value, live.get(key), f"{path}.{key}" if path else key)
        return out
    if isinstance(desired, list):
        if not isinstance(live, list) or len(live) != len(desired):
            return [PropertyChange(path, _summary(live), _summary(desired))]
        if all(isinstance(d, Mapping) and "name" in d for d in desired):
            by_name = {item.get("name"): item for item in live if isinstance(item, Mapping)}
            if set(by_name) != {d["name"] for d in desired}:
                return [PropertyChange(path, sorted(map(str, by_name)), sorted(d["name"] for d in desired))]
            return [c for d in desired for c in differences(d, by_name[d["name"]], f"{path}[{d['name']}]")]
        out = []
        for i, (d, item) in enumerate(zip(desired, live, strict=True)):
            out += differences(d, item, f"{path}[{i}]")
        return out
    if live is None or not _same_scalar(desired, live):
        return [PropertyChange(path, live, desired)]
    return []


def _summary(value: Any) -> Any:
    if isinstance(value, list) and all(isinstance(v, Mapping) and "name" in v for v in value):
        return [v["name"] for v in value]
    return value
