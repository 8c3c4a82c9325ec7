"""Rules the API server enforces in the team namespaces: a ValidatingAdmissionPolicy (CEL, in
process, no webhook to keep running) and its binding to every namespace labelled with a team.
A policy fails closed: an expression that cannot be evaluated refuses the request."""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_kubernetes as k8s

from components.finops import TEAM_TAG

admission = k8s.admissionregistration.v1


def resource_rule(
    group: str, version: str, *resources: str
) -> admission.NamedRuleWithOperationsArgs:
    """Creates and updates of `resources` in `group/version` ("" is the core group)."""
    return admission.NamedRuleWithOperationsArgs(
        api_groups=[group],
        api_versions=[version],
        operations=["CREATE", "UPDATE"],
        resources=list(resources),
    )


def refuse_in_team_namespaces(
    name: str,
    *,
    policy_name: str,
    rules: Sequence[admission.NamedRuleWithOperationsArgs],
    validations: Sequence[tuple[str, str]],
    opts: pulumi.ResourceOptions,
) -> admission.ValidatingAdmissionPolicy:
    """A policy refusing what fails any of `validations` ((CEL expression, message) pairs),
    bound with `Deny` to the namespaces that carry a team label."""
    policy = admission.ValidatingAdmissionPolicy(
        name,
        metadata=k8s.meta.v1.ObjectMetaArgs(name=policy_name),
        spec=admission.ValidatingAdmissionPolicySpecArgs(
            failure_policy="Fail",
            match_constraints=admission.MatchResourcesArgs(resource_rules=list(rules)),
            validations=[
                admission.ValidationArgs(expression=expression, message=message, reason="Forbidden")
                for expression, message in validations
            ],
        ),
        opts=opts,
    )
    admission.ValidatingAdmissionPolicyBinding(
        f"{name}-binding",
        metadata=k8s.meta.v1.ObjectMetaArgs(name=policy_name),
        spec=admission.ValidatingAdmissionPolicyBindingSpecArgs(
            policy_name=policy_name,
            validation_actions=["Deny"],
            match_resources=admission.MatchResourcesArgs(
                namespace_selector=k8s.meta.v1.LabelSelectorArgs(
                    match_expressions=[
                        k8s.meta.v1.LabelSelectorRequirementArgs(key=TEAM_TAG, operator="Exists")
                    ]
                )
            ),
        ),
        opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[policy])),
    )
    return policy
