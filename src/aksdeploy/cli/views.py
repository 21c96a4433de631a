"""How plans and resources look to people: plain, aligned text that reads the same in a terminal and in CI logs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Group
from rich.text import Text

from aksdeploy.core.plan import Action, Plan

if TYPE_CHECKING:  # keeps pydantic out of `--help`
    from aksdeploy.core.naming import Names
    from aksdeploy.services.infra import ProvisionResult

_SYMBOL = {
    Action.CREATE: ("+", "green"),
    Action.UPDATE: ("~", "yellow"),
    Action.DELETE: ("-", "red"),
    Action.NOOP: ("=", "dim"),
}

_TYPE_LABEL = {
    "Microsoft.Resources/resourceGroups": "resource group",
    "Microsoft.Network/networkSecurityGroups": "network security group",
    "Microsoft.Network/virtualNetworks": "virtual network",
    "Microsoft.Network/publicIPAddresses": "public IP",
    "Microsoft.Network/ApplicationGatewayWebApplicationFirewallPolicies": "WAF policy",
    "Microsoft.Network/applicationGateways": "application gateway",
    "Microsoft.ContainerRegistry/registries": "container registry",
    "Microsoft.ContainerService/managedClusters": "AKS cluster",
    "Microsoft.Authorization/roleAssignments": "role assignment",
    "Microsoft.ManagedIdentity/userAssignedIdentities": "managed identity",
    "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials": "federated credential",
}


def type_label(resource_type: str) -> str:
    return _TYPE_LABEL.get(resource_type, resource_type)


def plan_view(plan: Plan, names: Names, kubernetes: bool = True) -> Group:
    """The plan as text: each resource with its action, settings and dependencies, then the Kubernetes objects."""
    lines: list[Text] = [
        Text.assemble(
            ("Plan for environment ", "bold"),
            (plan.environment, "bold cyan"),
            f"  (subscription {names.subscription}, resource group {names.resource_group})",
        ),
        Text(""),
        Text("Azure resources", style="bold"),
    ]
    width = max((len(c.resource.key) for c in plan.changes), default=0)
    for change in plan.changes:
        r = change.resource
        symbol, style = _SYMBOL[change.action]
        line = Text.assemble(
            (f"  {symbol} ", style),
            (r.key.ljust(width), "bold"),
            "  ",
            (type_label(r.type), "cyan"),
            " ",
            r.display_name,
        )
        if r.depends_on:
            line.append(f"  ← {', '.join(r.depends_on)}", style="dim")
        lines.append(line)
        for label, value in r.summary:
            lines.append(Text(f"      {label}: {value}", style="dim"))
        for diff in change.diff:
            lines.append(Text(f"      {diff.path}: {diff.before!r} → {diff.after!r}", style="yellow"))
    if plan.kubernetes and kubernetes:
        lines += [Text(""), Text("Kubernetes objects", style="bold")]
        for obj in plan.kubernetes:
            meta = obj.get("metadata", {})
            where = f"{meta['namespace']}/" if meta.get("namespace") else ""
            line = Text.assemble(("  + ", "green"), (obj["kind"], "cyan"), f" {where}{meta.get('name', '')}")
            lines.append(line)
    counts = ", ".join(f"{plan.count(a)} to {a.value}" for a in (Action.CREATE, Action.UPDATE, Action.DELETE))
    unchanged = plan.count(Action.NOOP)
    lines += [Text(""), Text(f"Plan: {counts}, {unchanged} unchanged.", style="bold")]
    return Group(*lines)


def provision_view(result: ProvisionResult) -> Text:
    """One line summing up a provisioning run."""
    counts: dict[str, int] = {}
    for r in result.results:
        state = "failed" if r.error else {"create": "created", "update": "updated", "noop": "unchanged"}[r.action.value]
        counts[state] = counts.get(state, 0) + 1
    order = ("created", "updated", "unchanged", "failed")
    return Text("Provisioned: " + ", ".join(f"{counts[s]} {s}" for s in order if s in counts) + ".", style="bold")
