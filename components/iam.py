"""The environment's IAM baseline: the permission boundary every created role carries, and the
read-only audit role InfoSec assumes.

The boundary caps rather than grants: within this account and region anything a role's own
policies allow, except what would let a role escape the environment's controls (remove or replace
its boundary, create roles without it, mint IAM users, stop the audit trail, delete keys, reach
keys or secrets of another account).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pulumi
import pulumi_aws as aws

from components import policy_documents as docs
from components.args import arg, component_args
from components.arns import aws_managed_policy, partition

BOUNDARY_TAG = {"mlplat.io/policy-kind": "permissions-boundary"}
# Read-only, AWS-maintained: configuration and metadata, never data (no s3:GetObject).
AUDIT_POLICIES = {"SecurityAudit": "SecurityAudit", "ViewOnlyAccess": "job-function/ViewOnlyAccess"}
# IAM and other global services answer from us-east-1.
GLOBAL_REGION = "us-east-1"


@component_args
class IamBaselineArgs:
    name_prefix: str = arg("prefix of the environment's IAM names (`mlplat-<env>`)")
    account_id: str = arg("the environment's account")
    region: str = arg("the environment's region; the boundary confines roles to it")
    audit_principal_arns: Sequence[str] = arg("InfoSec principals allowed to assume the audit role")
    organization_id: str = arg("AWS Organization id that audit principals must belong to")
    foreign_key_user_arns: Sequence[str] = arg(
        "roles of this account that may use another environment's keys (the promotion role, "
        "through the source's key policy)",
        default=(),
    )


def boundary_document(
    *,
    account_id: str,
    region: str,
    boundary_arn: str,
    foreign_key_user_arns: Sequence[str] = (),
) -> dict:
    foreign_keys: dict[str, dict[str, Any]] = {
        "StringNotEquals": {"aws:ResourceAccount": account_id}
    }
    if foreign_key_user_arns:
        foreign_keys["ArnNotEquals"] = {"aws:PrincipalArn": sorted(foreign_key_user_arns)}
    return docs.document(
        docs.allow(
            ["*"],
            ["*"],
            sid="CapWithinThisEnvironment",
            conditions={"StringEquals": {"aws:RequestedRegion": [region, GLOBAL_REGION]}},
        ),
        docs.deny(
            [
                "iam:DeleteRolePermissionsBoundary",
                "iam:DeleteUserPermissionsBoundary",
                "iam:CreatePolicyVersion",
                "iam:DeletePolicy",
                "iam:DeletePolicyVersion",
                "iam:SetDefaultPolicyVersion",
            ],
            [boundary_arn],
            sid="KeepTheBoundary",
        ),
        docs.deny(
            ["iam:DeleteRolePermissionsBoundary", "iam:DeleteUserPermissionsBoundary"],
            ["*"],
            sid="NeverRemoveABoundary",
        ),
        docs.deny(
            ["iam:CreateRole", "iam:PutRolePermissionsBoundary"],
            ["*"],
            sid="RolesOnlyWithThisBoundary",
            conditions={"ArnNotEquals": {"iam:PermissionsBoundary": boundary_arn}},
        ),
        docs.deny(
            ["iam:CreateAccessKey", "iam:CreateLoginProfile", "iam:CreateUser"],
            ["*"],
            sid="NoIamUsers",
        ),
        docs.deny(
            [
                "cloudtrail:DeleteTrail",
                "cloudtrail:PutEventSelectors",
                "cloudtrail:StopLogging",
                "cloudtrail:UpdateTrail",
                "config:DeleteConfigurationRecorder",
                "config:StopConfigurationRecorder",
                "guardduty:DeleteDetector",
                "guardduty:DisassociateFromMasterAccount",
                "kms:DisableKey",
                "kms:ScheduleKeyDeletion",
                "organizations:LeaveOrganization",
            ],
            ["*"],
            sid="KeepTheAuditTrailAndKeys",
        ),
        docs.deny(
            ["kms:*", "secretsmanager:*"],
            ["*"],
            sid="KeysAndSecretsOfThisAccountOnly",
            conditions=foreign_keys,
        ),
    )


class IamBaseline(pulumi.ComponentResource):
    """The permission boundary and the InfoSec audit role."""

    def __init__(
        self, name: str, args: IamBaselineArgs, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__("mlplat:iam:IamBaseline", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        boundary_name = f"{args.name_prefix}-permissions-boundary"
        # The name is fixed so the boundary can name itself in its own Deny statements.
        self.boundary_arn = (
            f"arn:{partition(args.region)}:iam::{args.account_id}:policy/{boundary_name}"
        )
        self.boundary = aws.iam.Policy(
            f"{name}-boundary",
            name=boundary_name,
            description=f"{args.name_prefix}: permission boundary of every platform role",
            policy=docs.to_json(
                boundary_document(
                    account_id=args.account_id,
                    region=args.region,
                    boundary_arn=self.boundary_arn,
                    foreign_key_user_arns=args.foreign_key_user_arns,
                )
            ),
            tags=BOUNDARY_TAG,
            opts=child,
        )
        self.audit_role = aws.iam.Role(
            f"{name}-audit",
            name=f"{args.name_prefix}-infosec-audit",
            description="InfoSec: read-only configuration audit (no data access)",
            assume_role_policy=docs.to_json(
                docs.document(
                    {
                        "Sid": "InfoSecOfThisOrganization",
                        "Effect": "Allow",
                        "Principal": {"AWS": sorted(args.audit_principal_arns)},
                        "Action": "sts:AssumeRole",
                        "Condition": {"StringEquals": {"aws:PrincipalOrgID": args.organization_id}},
                    }
                )
            ),
            permissions_boundary=self.boundary.arn,
            max_session_duration=3600,
            opts=child,
        )
        for policy, path in AUDIT_POLICIES.items():
            aws.iam.RolePolicyAttachment(
                f"{name}-audit-{policy}",
                role=self.audit_role.name,
                policy_arn=aws_managed_policy(args.region, path),
                opts=child,
            )
        self.register_outputs(
            {"boundary_arn": self.boundary.arn, "audit_role_arn": self.audit_role.arn}
        )
