from collections.abc import Mapping

from policies import facts
from policies.framework import Ctx, Findings, NotApplicable, Props, resource_rule

GPU_KEY = "nvidia.com/gpu"
UNTAINTED = "no nvidia.com/gpu NoSchedule taint: any pod can land on a GPU node and keep it awake"


def is_gpu_type(instance_type: str) -> bool:
    return bool(facts.GPU_FAMILY.match(instance_type.split(".", 1)[0]))


# Karpenter's well-known labels that select GPU instances whatever the family is called.
GPU_LABELS = (
    "karpenter.k8s.aws/instance-gpu-count",
    "karpenter.k8s.aws/instance-gpu-name",
    "karpenter.k8s.aws/instance-gpu-manufacturer",
    "karpenter.k8s.aws/instance-gpu-memory",
)
GPU_CATEGORIES = ("g", "p")  # karpenter.k8s.aws/instance-category


def tainted(taints: object) -> bool:
    """Whether the nvidia.com/gpu NoSchedule taint is among these (Karpenter or EKS spelling)."""
    return any(
        isinstance(t, Mapping)
        and t.get("key") == GPU_KEY
        and str(t.get("effect")) in ("NoSchedule", "NO_SCHEDULE")
        for t in facts.as_list(taints)
    )


def nodepool_is_gpu(spec: Props) -> bool:
    template = (spec.get("template") or {}).get("spec") or {}
    if any(t.get("key") == GPU_KEY for t in facts.as_list(template.get("taints"))):
        return True
    for requirement in facts.as_list(template.get("requirements")):
        key = requirement.get("key")
        values = [str(v) for v in facts.as_list(requirement.get("values"))]
        if key in GPU_LABELS:
            return True
        if key == "karpenter.k8s.aws/instance-category" and any(
            v in GPU_CATEGORIES for v in values
        ):
            return True
        if any(facts.GPU_FAMILY.match(v.split(".", 1)[0]) for v in values):
            return True
    return False


@resource_rule(
    name="karpenter-nodepool-gpu-limit",
    control="FIN-01",
    types=[facts.NODE_POOL, facts.NODE_GROUP],
    description="GPU capacity has a hard ceiling, is tainted for GPU work only and scales to "
    "zero when idle.",
    severity="high",
    remediation="Set NodePool spec.limits['nvidia.com/gpu'] within the environment's ceiling, "
    "a consolidation policy and the nvidia.com/gpu NoSchedule taint; GPU node groups keep "
    "minSize 0 and the taint.",
    config_schema={
        "maxGpusPerPool": {"type": "integer", "default": 8},
        "minGpuNodes": {"type": "integer", "default": 0},
    },
)
def check(props: Props, ctx: Ctx) -> Findings:
    if ctx.type == facts.NODE_GROUP:
        types = [str(t) for t in facts.as_list(props.get("instanceTypes"))]
        if not any(is_gpu_type(t) for t in types):
            raise NotApplicable("not a GPU node group")
        minimum, allowed = (
            (props.get("scalingConfig") or {}).get("minSize", 0),
            ctx.config["minGpuNodes"],
        )
        if facts.number(minimum) > allowed or facts.number(minimum) < 0:
            yield f"GPU node group keeps {minimum} nodes running; at most {allowed}"
        if not tainted(props.get("taints")):
            yield UNTAINTED
        return
    spec = props.get("spec") or {}
    if not nodepool_is_gpu(spec):
        raise NotApplicable("not a GPU NodePool")
    limit = (spec.get("limits") or {}).get(GPU_KEY)
    if limit is None:
        yield "no limits['nvidia.com/gpu']: the pool can grow without bound"
    elif not 0 <= facts.number(limit) <= ctx.config["maxGpusPerPool"]:
        yield f"GPU limit {limit} exceeds the environment's ceiling {ctx.config['maxGpusPerPool']}"
    if not (spec.get("disruption") or {}).get("consolidationPolicy"):
        yield "no disruption.consolidationPolicy: idle GPU nodes are never removed"
    if not tainted(((spec.get("template") or {}).get("spec") or {}).get("taints")):
        yield UNTAINTED


RULE = check
