from collections.abc import Mapping

from policies import facts
from policies.framework import Ctx, Findings, Props, resource_rule


def _provider_host(federated: str) -> str:
    """`arn:aws:iam::1:oidc-provider/token.actions.githubusercontent.com` -> the host part."""
    return federated.split("oidc-provider/", 1)[-1]


@resource_rule(
    name="aws-iam-oidc-trust-pinned",
    control="IAM-09",
    types=["aws:iam/role:Role"],
    description="OIDC trust (GitHub Actions, EKS IRSA) pins both audience and subject exactly.",
    severity="critical",
    remediation="Add StringEquals on `<provider>:aud` and `<provider>:sub` (e.g. "
    "repo:<org>/<repo>:environment:<env>), with no wildcard.",
)
def check(props: Props, ctx: Ctx) -> Findings:
    for statement in facts.statements(props.get("assumeRolePolicy")):
        principal = statement.get("Principal")
        if not facts.allows(statement) or not isinstance(principal, Mapping):
            continue
        for federated in facts.as_list(principal.get("Federated")):
            if "oidc-provider/" not in str(federated):
                continue
            host = _provider_host(str(federated))
            condition = statement.get("Condition") or {}
            exact = condition.get("StringEquals") or {}
            like = condition.get("StringLike") or {}
            for claim in ("sub", "aud"):
                value = exact.get(f"{host}:{claim}")
                if value is None and claim == "sub":
                    # StringLike pins a subject only where its one wildcard is a pull request's
                    # number (the read-only preview role's trust).
                    value = like.get(f"{host}:{claim}")
                    if value is not None and all(
                        facts.pinned_subject(str(v)) for v in facts.as_list(value)
                    ):
                        continue
                if value is None:
                    yield f"trust of {host} does not pin `{claim}` with StringEquals"
                elif any("*" in str(v) or "?" in str(v) for v in facts.as_list(value)):
                    yield f"trust of {host} pins `{claim}` with a wildcard: {value}"


RULE = check
