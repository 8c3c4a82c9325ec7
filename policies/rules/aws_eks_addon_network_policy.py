import json

from policies.framework import Ctx, Findings, NotApplicable, Props, resource_rule


@resource_rule(
    name="aws-eks-addon-network-policy",
    control="EKS-12",
    types=["aws:eks/addon:Addon"],
    description="The VPC CNI add-on enforces Kubernetes NetworkPolicies.",
    severity="high",
    remediation='Set configuration_values=\'{"enableNetworkPolicy": "true"}\' on vpc-cni.',
)
def check(props: Props, ctx: Ctx) -> Findings:
    if props.get("addonName") != "vpc-cni":
        raise NotApplicable("only the VPC CNI enforces network policy")
    raw = props.get("configurationValues")
    try:
        values = json.loads(raw) if raw else {}
    except ValueError:
        values = {}
    if str(values.get("enableNetworkPolicy")).lower() != "true":
        yield "vpc-cni runs without enableNetworkPolicy: NetworkPolicies are not enforced"


RULE = check
