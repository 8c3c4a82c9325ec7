from collections.abc import Sequence

from policies import facts
from policies.framework import Config, Findings, Resource, StackFindings, each, of_types, stack_rule


@stack_rule(
    name="aws-iam-permissions-boundary",
    types=["aws:iam/role:Role", "aws:iam/policy:Policy", *facts.ATTACHMENTS],
    control="IAM-04",
    description="Every role carries the environment's permission boundary; a boundary is never "
    "attached as a grant and forbids its own removal.",
    severity="critical",
    remediation="Create roles with permissions_boundary=<the IamBaseline boundary>; never attach "
    "the boundary policy; keep its Deny of iam:DeleteRolePermissionsBoundary.",
)
def check(resources: Sequence[Resource], config: Config) -> StackFindings:
    boundaries = [
        p
        for p in of_types(resources, "aws:iam/policy:Policy")
        if facts.is_permissions_boundary(p.props)
    ]
    yield from each(boundaries, _boundary)
    for boundary in boundaries:
        for attachment in of_types(resources, *facts.ATTACHMENTS):
            if attachment.refers_to("policyArn", boundary):
                yield attachment.urn, "attaches the permission boundary as a grant"
    yield from each(of_types(resources, "aws:iam/role:Role"), lambda r: _role(boundaries, r))


def _boundary(boundary: Resource) -> Findings:
    denied = {
        action
        for statement in facts.statements(boundary.props.get("policy"))
        if statement.get("Effect") == "Deny"
        for action in facts.actions(statement)
    }
    if "iam:DeleteRolePermissionsBoundary" not in denied:
        yield "the boundary does not deny iam:DeleteRolePermissionsBoundary"


def _role(boundaries: Sequence[Resource], role: Resource) -> Findings:
    if not role.props.get("permissionsBoundary"):
        yield "role has no permission boundary"
    elif boundaries and not any(role.refers_to("permissionsBoundary", b) for b in boundaries):
        yield "role's permission boundary is not the environment's"


RULE = check
