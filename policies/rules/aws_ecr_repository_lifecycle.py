from collections.abc import Sequence

from policies import facts
from policies.framework import Config, Findings, Resource, StackFindings, each, of_types, stack_rule


@stack_rule(
    name="aws-ecr-repository-lifecycle",
    types=["aws:ecr/repository:Repository", "aws:ecr/lifecyclePolicy:LifecyclePolicy"],
    control="EKS-13",
    description="Every image repository has a lifecycle policy with at least one rule.",
    severity="low",
    remediation="Declare aws.ecr.LifecyclePolicy(repository=..., policy=...) expiring untagged "
    "images.",
)
def check(resources: Sequence[Resource], config: Config) -> StackFindings:
    policies = list(of_types(resources, "aws:ecr/lifecyclePolicy:LifecyclePolicy"))
    yield from each(
        of_types(resources, "aws:ecr/repository:Repository"),
        lambda repository: _repository(policies, repository),
    )


def _repository(policies: Sequence[Resource], repository: Resource) -> Findings:
    attached = [p for p in policies if p.refers_to("repository", repository)]
    rules = [
        rule
        for p in attached
        for rule in facts.as_list((facts.document(p.props.get("policy")) or {}).get("rules"))
    ]
    if not rules:
        yield "repository has no lifecycle rule: images accumulate forever"


RULE = check
