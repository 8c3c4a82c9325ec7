from policies import facts
from policies.framework import Ctx, Findings, NotApplicable, Props, resource_rule


@resource_rule(
    name="aws-rds-parameter-group-force-ssl",
    control="RDS-06",
    types=[
        "aws:rds/parameterGroup:ParameterGroup",
        "aws:rds/clusterParameterGroup:ClusterParameterGroup",
    ],
    description="PostgreSQL parameter groups force TLS (rds.force_ssl=1).",
    severity="high",
    remediation="Add parameter rds.force_ssl=1 (apply_method 'pending-reboot').",
)
def check(props: Props, ctx: Ctx) -> Findings:
    family = str(props.get("family") or "")
    if "postgres" not in family:
        raise NotApplicable(f"{family or 'this family'} forces TLS by other means")
    values = {
        str(p.get("name")): str(p.get("value")) for p in facts.as_list(props.get("parameters"))
    }
    force_ssl = values.get("rds.force_ssl", "unset")
    if force_ssl != "1":
        yield f"rds.force_ssl is {force_ssl}: plaintext connections are accepted"


RULE = check
