from policies import facts
from policies.framework import Ctx, Findings, Props, resource_rule

ALLOWED = ["g5", "g6", "g6e"]


def _families(ctx: Ctx, props: Props) -> list[str]:
    if ctx.type == facts.NODE_GROUP:
        return [str(t).split(".", 1)[0] for t in facts.as_list(props.get("instanceTypes"))]
    if ctx.type == "aws:ec2/launchTemplate:LaunchTemplate":
        return [str(props.get("instanceType") or "").split(".", 1)[0]]
    template = ((props.get("spec") or {}).get("template") or {}).get("spec") or {}
    found = []
    for requirement in facts.as_list(template.get("requirements")):
        key = requirement.get("key")
        values = [str(v) for v in facts.as_list(requirement.get("values"))]
        if key == "karpenter.k8s.aws/instance-family":
            found += values
        elif key == "node.kubernetes.io/instance-type":
            found += [v.split(".", 1)[0] for v in values]
    return found


@resource_rule(
    name="gpu-instance-families-allowed",
    control="FIN-02",
    types=[facts.NODE_POOL, facts.NODE_GROUP, "aws:ec2/launchTemplate:LaunchTemplate"],
    description="GPU capacity comes only from the instance families the environment allows.",
    severity="medium",
    remediation="Request only allowed families; widen the list per environment with a reason.",
    config_schema={"allowedGpuFamilies": {"type": "array", "default": ALLOWED}},
)
def check(props: Props, ctx: Ctx) -> Findings:
    gpu = sorted({f for f in _families(ctx, props) if facts.GPU_FAMILY.match(f)})
    refused = [f for f in gpu if f not in ctx.config["allowedGpuFamilies"]]
    if refused:
        yield f"GPU families {refused} are not allowed here ({ctx.config['allowedGpuFamilies']})"


RULE = check
