"""Where the platform's own pods run: on the system node group, next to the add-ons and
Karpenter, never on the nodes Karpenter makes for teams.

The system nodes carry the `CriticalAddonsOnly` taint, so no team pod lands there: a notebook or
pipeline step never shares a node (and its kernel) with the Karpenter controller. A team that
writes the toleration itself is refused at admission (`TEAM_POD_TOLERATIONS_CEL`).
The platform's services (Kubeflow, the login proxy, MLflow, monitoring) tolerate that taint and
prefer those nodes; the scheduler's preference, not a requirement, so a service that does not
fit overflows to the general pool instead of waiting. With the platform on nodes that always run,
Karpenter's pools carry team work only and scale to zero when nobody works.

Our own pods say so in their specs (`platform_tolerations`, `platform_affinity`) and chart values
(`platform_placement`); upstream Kubeflow's Deployments and StatefulSets, which no value reaches,
get the same placement from a Pulumi transform (`on_platform_nodes`), which the engine applies to
the children of each kustomize Directory.
"""

from __future__ import annotations

import copy
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

NODE_CLASS_LABEL = "mlplat.io/node-class"
SYSTEM_NODE_CLASS = "system"
# The system node group's taint, as the Kubernetes API spells it (the EKS API: `NO_SCHEDULE`).
SYSTEM_TAINT_KEY = "CriticalAddonsOnly"
SYSTEM_TOLERATION: dict[str, str] = {
    "key": SYSTEM_TAINT_KEY,
    "operator": "Exists",
    "effect": "NoSchedule",
}
PLATFORM_AFFINITY: dict[str, Any] = {
    "nodeAffinity": {
        "preferredDuringSchedulingIgnoredDuringExecution": [
            {
                "weight": 100,
                "preference": {
                    "matchExpressions": [
                        {
                            "key": NODE_CLASS_LABEL,
                            "operator": "In",
                            "values": [SYSTEM_NODE_CLASS],
                        }
                    ]
                },
            }
        ]
    }
}
# The workload kinds upstream manifests run the platform's services as.
PLATFORM_WORKLOADS = frozenset({"kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet"})


# What keeps team pods off the system nodes when a team writes its own tolerations: an admission
# policy (components/teams.py) refusing, in team namespaces, a pod that tolerates the system
# taint by key or tolerates every taint (an empty key with `Exists`), in the API server's CEL.
TEAM_POD_TOLERATIONS_CEL = (
    "!has(object.spec.tolerations) || object.spec.tolerations.all(t, "
    f"!((has(t.key) && t.key == '{SYSTEM_TAINT_KEY}') || "
    "((!has(t.key) || t.key == '') && has(t.operator) && t.operator == 'Exists')))"
)
TEAM_POD_TOLERATIONS_MESSAGE = (
    f"team pods may not tolerate {SYSTEM_TAINT_KEY} or every taint: the system nodes run "
    "Karpenter and the platform's services"
)


def platform_placement() -> dict[str, Any]:
    """Tolerations and affinity of a platform pod, in a chart's values or a manifest's spec."""
    return {"tolerations": [dict(SYSTEM_TOLERATION)], "affinity": copy.deepcopy(PLATFORM_AFFINITY)}


def platform_tolerations() -> list[k8s.core.v1.TolerationArgs]:
    toleration = SYSTEM_TOLERATION
    return [
        k8s.core.v1.TolerationArgs(
            key=toleration["key"], operator=toleration["operator"], effect=toleration["effect"]
        )
    ]


def platform_affinity() -> k8s.core.v1.AffinityArgs:
    (term,) = PLATFORM_AFFINITY["nodeAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"]
    (match,) = term["preference"]["matchExpressions"]
    return k8s.core.v1.AffinityArgs(
        node_affinity=k8s.core.v1.NodeAffinityArgs(
            preferred_during_scheduling_ignored_during_execution=[
                k8s.core.v1.PreferredSchedulingTermArgs(
                    weight=term["weight"],
                    preference=k8s.core.v1.NodeSelectorTermArgs(
                        match_expressions=[k8s.core.v1.NodeSelectorRequirementArgs(**match)]
                    ),
                )
            ]
        )
    )


def place_on_platform_nodes(manifest: dict[str, Any]) -> dict[str, Any]:
    """A Deployment or StatefulSet manifest whose pods tolerate and prefer the system nodes.

    Tolerations the manifest already has are kept; a node affinity it already has wins (upstream
    chose it for a reason), so only a pod without one gets ours.
    """
    placed = copy.deepcopy(manifest)
    template = placed.setdefault("spec", {}).setdefault("template", {})
    pod = template.setdefault("spec", {})
    tolerations = list(pod.get("tolerations") or [])
    if SYSTEM_TOLERATION not in tolerations:
        tolerations.append(dict(SYSTEM_TOLERATION))
    pod["tolerations"] = tolerations
    affinity = dict(pod.get("affinity") or {})
    affinity.setdefault("nodeAffinity", copy.deepcopy(PLATFORM_AFFINITY["nodeAffinity"]))
    pod["affinity"] = affinity
    return placed


def on_platform_nodes(
    args: pulumi.ResourceTransformArgs,
) -> pulumi.ResourceTransformResult | None:
    """A Pulumi transform: upstream platform workloads onto the system nodes (module doc)."""
    if args.type_ not in PLATFORM_WORKLOADS:
        return None
    return pulumi.ResourceTransformResult(
        props=place_on_platform_nodes(dict(args.props)), opts=args.opts
    )
