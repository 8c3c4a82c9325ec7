from policies.framework import Ctx, Findings, Props, resource_rule

ENFORCE = "pod-security.kubernetes.io/enforce"


@resource_rule(
    name="k8s-namespace-pod-security",
    control="K8S-01",
    types=["kubernetes:core/v1:Namespace"],
    description="Every namespace enforces the `restricted` Pod Security Standard, except those "
    "the environment lists with a reason (GPU system components, Istio without CNI).",
    severity="high",
    remediation=f"Label the namespace {ENFORCE}=restricted.",
    config_schema={
        "namespaceLevels": {
            "type": "object",
            "description": "namespace -> the level it may enforce instead of restricted",
            # GPU system components need host paths (CONTROLS K8S-09); nothing else is exempt.
            "default": {"nvidia-device-plugin": "privileged", "gpu-operator": "privileged"},
        }
    },
)
def check(props: Props, ctx: Ctx) -> Findings:
    metadata = props.get("metadata") or {}
    name = metadata.get("name") or ctx.name
    level = (metadata.get("labels") or {}).get(ENFORCE)
    allowed = {"restricted", ctx.config["namespaceLevels"].get(name, "restricted")}
    if level not in allowed:
        yield f"namespace {name!r} enforces {level or 'nothing'}; expected {sorted(allowed)}"


RULE = check
