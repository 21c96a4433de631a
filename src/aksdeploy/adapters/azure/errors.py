"""ARM error bodies nest; users need the innermost code and message, and what to do about it."""

from __future__ import annotations

from typing import Any

HINTS = {
    "AuthorizationFailed": "the signed-in identity lacks a role on this scope: grant it Contributor and "
    "User Access Administrator (or Owner) on the subscription or resource group, then rerun",
    "RoleAssignmentExists": "an assignment with the same role, principal and scope exists under another name; "
    "aksdeploy names assignments deterministically, so delete the old one or leave it and rerun",
    "PrincipalNotFound": "the identity was created moments ago and has not replicated yet; rerun in a minute",
    "QuotaExceeded": "request more vCPU quota for this VM family and region, or choose another cluster.vm_size",
    "OperationNotAllowed": "often a quota limit: check the message, then request quota or pick a smaller size",
    "SkuNotAvailable": "this VM size is not offered in this region or zone: choose another cluster.vm_size or zone",
    "InUseSubnetCannotBeDeleted": "something still uses the subnet (often the gateway or node NICs): delete the "
    "cluster and gateway first, or destroy the whole environment",
    "InvalidTemplate": "a request body was rejected: run `aksdeploy plan --output json` and check the body shown",
    "InvalidRequestContent": "a request body was rejected: run `aksdeploy plan --output json` and check the body",
    "PropertyChangeNotAllowed": "this property cannot change on an existing resource: revert it in the config, "
    "or destroy and recreate the resource",
    "MissingSubscriptionRegistration": "register the resource provider: az provider register --namespace <name>",
    "ResourceGroupNotFound": "the resource group does not exist yet: run `aksdeploy provision`",
    "AuthenticationFailed": "sign in again (az login, or check the workload identity federation in CI)",
}


def innermost(error: dict[str, Any]) -> dict[str, Any]:
    """Follow ``details`` (and ``innererror``) to the most specific error."""
    while True:
        details = error.get("details") or []
        nested = next((d for d in details if isinstance(d, dict) and d.get("code")), None)
        if nested is None:
            inner = error.get("innererror") if isinstance(error.get("innererror"), dict) else None
            if inner and inner.get("code"):
                nested = inner
        if nested is None:
            return error
        error = nested


def describe(body: Any, status: int) -> tuple[str, str, str | None]:
    """(code, message, hint) from an ARM error response body."""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return f"HTTP{status}", f"HTTP {status} without an ARM error body", None
    top_code = str(error.get("code", f"HTTP{status}"))
    inner = innermost(error)
    code = str(inner.get("code", top_code))
    message = str(inner.get("message") or error.get("message") or "")
    hint = HINTS.get(code) or HINTS.get(top_code)
    if code.endswith("QuotaExceeded") or "quota" in message.lower():
        hint = hint or HINTS["QuotaExceeded"]
    return code, message, hint
