"""ARNs in the partition of the environment's region: the documents the components write for a
China or GovCloud region name `arn:aws-cn:` / `arn:aws-us-gov:`, never the commercial `arn:aws:`."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from components.arns import aws_managed_policy, partition
from components.deploy_role import DeployScope, deploy_policies
from components.iam import boundary_document
from components.karpenter import controller_statements
from components.kms import key_policy
from components.preview_role import preview_statements

COMPONENTS = Path(__file__).resolve().parents[2] / "components"
ACCOUNT = "111111111111"


@pytest.mark.parametrize(
    ("region", "expected"),
    [("eu-west-1", "aws"), ("cn-north-1", "aws-cn"), ("us-gov-west-1", "aws-us-gov")],
)
def test_the_partition_is_the_regions(region, expected):
    assert partition(region) == expected
    assert (
        aws_managed_policy(region, "SecurityAudit")
        == f"arn:{expected}:iam::aws:policy/SecurityAudit"
    )


def documents(region: str) -> str:
    arn = f"arn:{partition(region)}"
    scope = DeployScope(
        account_id=ACCOUNT, region=region, name_prefix="mlplat-dev", cluster_name="mlplat-dev",
        boundary_arn=f"{arn}:iam::{ACCOUNT}:policy/mlplat-dev-permissions-boundary",
        state_bucket=f"mlplat-dev-pulumi-state-{ACCOUNT}",
    )  # fmt: skip
    written = [
        deploy_policies(scope),
        preview_statements(scope),
        key_policy(
            "storage", account_id=ACCOUNT, region=region,
            s3_reader_arns=[f"{arn}:iam::222222222222:role/reader"],
        ),
        controller_statements(
            cluster_name="mlplat-dev", account_id=ACCOUNT, region=region,
            queue_arn=f"{arn}:sqs:{region}:{ACCOUNT}:q",
            node_role_arn=f"{arn}:iam::{ACCOUNT}:role/n",
            storage_key_arn=f"{arn}:kms:{region}:{ACCOUNT}:key/k",
        ),
        boundary_document(account_id=ACCOUNT, region=region, boundary_arn=scope.boundary_arn),
    ]  # fmt: skip
    return json.dumps(written)


@pytest.mark.parametrize("region", ["cn-north-1", "us-gov-west-1"])
def test_no_document_names_the_commercial_partition_outside_it(region):
    text = documents(region)
    assert "arn:aws:" not in text
    assert f"arn:{partition(region)}:" in text


def test_no_component_spells_an_arn_with_a_literal_partition():
    literal = re.compile(r"arn:aws(-[a-z-]+)?:")
    spelled = sorted(
        f"{path.name}:{number}"
        for path in COMPONENTS.glob("*.py")
        if path.name != "arns.py"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if literal.search(line)
    )
    assert spelled == []
