"""Where a refactor moved resources to another component, each names the URN it had, so
`pulumi up` on a deployed stack moves it (an alias) instead of deleting and recreating it.
Protected resources (the alarm topic in staging and prod) could not even be replaced.

Offline synthesis resolves aliases as the engine does, children of an aliased parent (a
WorkloadRole's role and policy) inheriting theirs. What the Helm provider renders under a moved
chart inherits the chart's alias in the engine; that only a real `pulumi up` shows."""

from __future__ import annotations

import pytest

from mlplat.synth import synthesize

# 0.17.0: the component that holds them now -> the one that held them.
MOVES = {
    "mlplat:notifications:Notifications": "mlplat:audit:Audit",
    "mlplat:observability:ContainerLogs": "mlplat:observability:Observability",
}
# What moved, by type, in every environment (one e-mail address each).
MOVED = {
    "aws:sns/topic:Topic": 1,
    "aws:sns/topicPolicy:TopicPolicy": 1,
    "aws:sns/topicSubscription:TopicSubscription": 1,
    "aws:cloudwatch/logGroup:LogGroup": 1,
    "mlplat:iam:WorkloadRole": 1,
    "aws:iam/role:Role": 1,
    "aws:iam/rolePolicy:RolePolicy": 1,
    "aws:eks/podIdentityAssociation:PodIdentityAssociation": 1,
    "kubernetes:helm.sh/v4:Chart": 1,
}


@pytest.mark.parametrize("environment", ["dev", "staging", "prod"])
def test_every_moved_resource_names_its_old_urn(environment):
    synthesis = synthesize(environment)
    moved: dict[str, int] = {}
    for resource in synthesis.state["deployment"]["resources"]:
        new = next((n for n in MOVES if f"::{n}$" in resource["urn"]), None)
        if new is None:
            continue
        moved[resource["type"]] = moved.get(resource["type"], 0) + 1
        old = resource["urn"].replace(f"::{new}$", f"::{MOVES[new]}$")
        assert synthesis.aliases.get(resource["urn"]) == [old], resource["urn"]
        if new == "mlplat:notifications:Notifications":
            assert resource.get("protect", False) == (environment != "dev"), resource["urn"]
    assert moved == MOVED
