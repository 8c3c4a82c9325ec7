"""IAM and KMS policy documents built from intent, so no component hand-writes policy JSON.

Documents are plain dicts; callers `json.dumps(..., sort_keys=True)` them so the same intent always
yields byte-identical policies (no spurious diffs in previews).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

Statement = dict[str, Any]
Conditions = Mapping[str, Mapping[str, Any]]


def document(*statements: Statement) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def to_json(doc: Mapping[str, Any]) -> str:
    return json.dumps(doc, sort_keys=True)


def allow(
    actions: Sequence[str],
    resources: Sequence[str],
    *,
    sid: str,
    principal: Mapping[str, Any] | None = None,
    conditions: Conditions | None = None,
) -> Statement:
    return _statement(
        "Allow", actions, resources, sid=sid, principal=principal, conditions=conditions
    )


def deny(
    actions: Sequence[str],
    resources: Sequence[str],
    *,
    sid: str,
    principal: Mapping[str, Any] | None = None,
    conditions: Conditions | None = None,
) -> Statement:
    return _statement(
        "Deny", actions, resources, sid=sid, principal=principal, conditions=conditions
    )


def _statement(
    effect: str,
    actions: Sequence[str],
    resources: Sequence[str],
    *,
    sid: str,
    principal: Mapping[str, Any] | None,
    conditions: Conditions | None,
) -> Statement:
    statement: Statement = {"Sid": sid, "Effect": effect}
    if principal is not None:
        statement["Principal"] = dict(principal)
    statement["Action"] = sorted(actions)
    statement["Resource"] = list(resources)
    if conditions:
        statement["Condition"] = {op: dict(kv) for op, kv in conditions.items()}
    return statement


def account_root(account_id: str, partition: str) -> dict[str, str]:
    return {"AWS": f"arn:{partition}:iam::{account_id}:root"}


def service_trust(service: str, *, account_id: str, source_arn: str) -> str:
    """Trust policy for an AWS service principal, pinned to this account and source ARN pattern
    (the confused-deputy guard AWS recommends for service roles)."""
    return to_json(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "TrustService",
                    "Effect": "Allow",
                    "Principal": {"Service": service},
                    "Action": "sts:AssumeRole",
                    "Condition": {
                        "StringEquals": {"aws:SourceAccount": account_id},
                        "ArnLike": {"aws:SourceArn": source_arn},
                    },
                }
            ],
        }
    )


def service_trust_of_account(service: str, account_id: str) -> str:
    """Trust for a service that assumes (and tags sessions of) a role of this account only."""
    return to_json(
        document(
            {
                "Sid": "TrustService",
                "Effect": "Allow",
                "Principal": {"Service": service},
                "Action": ["sts:AssumeRole", "sts:TagSession"],
                "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
            }
        )
    )


def ec2_instance_trust() -> str:
    """Trust policy of a node (instance) role: EC2 assumes it for the instance."""
    return to_json(
        document(
            {
                "Sid": "TrustEc2",
                "Effect": "Allow",
                "Principal": {"Service": "ec2.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        )
    )
