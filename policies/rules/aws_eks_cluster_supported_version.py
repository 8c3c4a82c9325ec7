from policies import facts
from policies.catalog import EKS_STANDARD_SUPPORT
from policies.framework import Ctx, Findings, Props, resource_rule


@resource_rule(
    name="aws-eks-cluster-supported-version",
    control="EKS-05",
    types=[facts.EKS_CLUSTER],
    description="Clusters run a Kubernetes version in EKS standard support and never slide "
    "silently into paid extended support.",
    severity="medium",
    remediation="Pin a supported version and set upgrade_policy.support_type='STANDARD' "
    "(AWS's default is EXTENDED).",
    config_schema={"supportedVersions": {"type": "array", "default": EKS_STANDARD_SUPPORT}},
)
def check(props: Props, ctx: Ctx) -> Findings:
    version = props.get("version")
    if version is None:
        yield "no version pinned: EKS picks its default and upgrades are unplanned"
    elif str(version) not in ctx.config["supportedVersions"]:
        yield f"version {version} is not in standard support {ctx.config['supportedVersions']}"
    support = (props.get("upgradePolicy") or {}).get("supportType")
    if support != "STANDARD":
        yield f"upgradePolicy.supportType is {support or 'unset (EXTENDED)'}, not STANDARD"


RULE = check
