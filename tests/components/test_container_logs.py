"""ContainerLogs: every container's logs into one encrypted, retained group, shipped by
AWS for Fluent Bit through a Pod Identity role that may write that group only."""

from __future__ import annotations

from collections import Counter

import pytest

from components.container_logs import ContainerLogs, ContainerLogsArgs
from tests.components.builders import BOUNDARY, LOGS_KEY, kubernetes, pod_identity
from tests.recording import ACCOUNT, REGION, policy, record

OBSERVABILITY = "urn:pulumi:test::mlplat::mlplat:observability:Observability::prod"


def args(**overrides) -> ContainerLogsArgs:
    values = {
        "chart_version": "0.2.0",
        "key_arn": LOGS_KEY,
        "retention_days": 365,
        "role_name": "mlplat-prod-fluent-bit",
        "pod_identity": pod_identity(),
        "region": REGION,
        "kubernetes_provider": kubernetes(),
    }
    values.update(overrides)
    return ContainerLogsArgs(**values)


@pytest.fixture(scope="module")
def logs():
    return record(lambda: ContainerLogs("prod", args(), moved_from=[OBSERVABILITY]))


def test_children(logs):
    component = logs.one("mlplat:observability:ContainerLogs")
    assert logs.child_types(component.urn) == Counter(
        {
            "aws:cloudwatch/logGroup:LogGroup": 1,
            "mlplat:iam:WorkloadRole": 1,
            "kubernetes:helm.sh/v4:Chart": 1,
        }
    )


def test_container_logs_go_to_one_encrypted_group_through_a_scoped_role(logs):
    group = logs.one("aws:cloudwatch/logGroup:LogGroup").inputs
    assert group["name"] == "/aws/eks/mlplat-prod/containers"
    assert (group["kmsKeyId"], group["retentionInDays"]) == (LOGS_KEY, 365)
    fluent = logs.one("kubernetes:helm.sh/v4:Chart").inputs
    assert (fluent["chart"], fluent["name"]) == ("aws-for-fluent-bit", "aws-for-fluent-bit")
    assert (fluent["version"], fluent["namespace"]) == ("0.2.0", "kube-system")
    values = fluent["values"]
    shipping = values["cloudWatchLogs"]
    assert shipping["logGroupName"] == "/aws/eks/mlplat-prod/containers"
    assert shipping["autoCreateGroup"] is False and shipping["logGroupTemplate"] == ""
    assert values["tolerations"] == [{"operator": "Exists"}]
    (grant,) = policy(logs.one("aws:iam/rolePolicy:RolePolicy", "fluent-bit-policy"), "policy")[
        "Statement"
    ]
    assert grant["Action"] == [
        "logs:CreateLogStream",
        "logs:DescribeLogStreams",
        "logs:PutLogEvents",
    ]
    assert all("/aws/eks/mlplat-prod/containers" in r for r in grant["Resource"])
    role = logs.one("aws:iam/role:Role").inputs
    assert (role["name"], role["permissionsBoundary"]) == ("mlplat-prod-fluent-bit", BOUNDARY)
    (association,) = logs.of_type("aws:eks/podIdentityAssociation:PodIdentityAssociation")
    assert (association.inputs["namespace"], association.inputs["serviceAccount"]) == (
        "kube-system",
        "fluent-bit",
    )


def test_children_moved_from_observability_name_their_old_urns(logs):
    for child in logs.records:
        if "mlplat:observability:ContainerLogs$" not in child.urn:
            continue  # the component itself, and the test's provider
        old = child.urn.replace(
            "mlplat:observability:ContainerLogs$", "mlplat:observability:Observability$"
        )
        assert child.aliases == [old], child.urn


def test_an_existing_log_group_is_used_not_created(record):
    """Bring your own group: nothing is created, Fluent Bit writes that group, and its role may
    write that group only."""
    existing = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/platform/containers"
    byo = record(lambda: ContainerLogs("prod", args(key_arn=None, log_group_arn=existing)))
    component = byo.one("mlplat:observability:ContainerLogs")
    assert byo.child_types(component.urn) == Counter(
        {"mlplat:iam:WorkloadRole": 1, "kubernetes:helm.sh/v4:Chart": 1}
    )
    values = byo.one("kubernetes:helm.sh/v4:Chart").inputs["values"]
    assert values["cloudWatchLogs"]["logGroupName"] == "/platform/containers"
    (grant,) = policy(byo.one("aws:iam/rolePolicy:RolePolicy", "fluent-bit-policy"), "policy")[
        "Statement"
    ]
    assert grant["Resource"] == [existing, f"{existing}:log-stream:*"]


def test_a_log_group_of_another_account_is_refused_before_anything_is_declared(record):
    foreign = "arn:aws:logs:eu-west-1:999999999999:log-group:/platform/containers"
    with pytest.raises(ValueError, match=r"ContainerLogs prod: log_group_arn: got "):
        record(lambda: ContainerLogs("prod", args(key_arn=None, log_group_arn=foreign)))
