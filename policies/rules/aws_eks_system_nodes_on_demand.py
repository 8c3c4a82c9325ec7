from policies.framework import Ctx, Findings, Props, resource_rule


@resource_rule(
    name="aws-eks-system-nodes-on-demand",
    control="REL-01",
    types=["aws:eks/nodeGroup:NodeGroup"],
    description="The node group that runs the add-ons, Karpenter and the platform's services is "
    "on-demand.",
    severity="medium",
    remediation="Set system_nodes.capacity_type to on-demand, or waive this rule where an "
    "interrupted platform costs minutes, not data (dev).",
)
def check(props: Props, ctx: Ctx) -> Findings:
    if props.get("capacityType") == "SPOT":
        yield (
            "capacityType is SPOT: a reclaimed node takes Karpenter and the platform's services "
            "with it"
        )


RULE = check
