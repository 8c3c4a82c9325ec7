from policies import facts
from policies.framework import Ctx, Findings, Props, resource_rule


@resource_rule(
    name="pulumi-stack-reference-same-environment",
    control="ENV-07",
    types=["pulumi:pulumi:StackReference"],
    description="A stack reads outputs only of stacks of its own environment.",
    severity="high",
    remediation="Reference `<org>/<project>/<this environment>` stacks only.",
    config_schema={"environment": facts.ENVIRONMENT, "otherEnvironments": facts.OTHER_ENVIRONMENTS},
)
def check(props: Props, ctx: Ctx) -> Findings:
    name = str(props.get("name") or "")
    stack = name.rsplit("/", 1)[-1]
    if stack in ctx.config["otherEnvironments"]:
        yield f"reads outputs of {name}, a {stack} stack"
    elif ctx.config.get("environment") is None:
        yield "policy config has no environment: the reference cannot be checked"


RULE = check
