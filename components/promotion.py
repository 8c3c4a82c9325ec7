"""The promotion role: CI's only way to move a model between environments. It reads the source
environment's `approved/` prefix (which that environment's bucket and key policies open to this
role alone) and writes this environment's `approved/`, and can do nothing else."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from components import policy_documents as docs
from components.args import arg, component_args
from components.arns import partition
from components.deploy_role import github_trust, promotion_subject
from components.registry import APPROVED_PREFIX, ModelRegistry, read_statements


@component_args
class PromotionRoleArgs:
    role_name: str = arg("`mlplat-<env>-promotion`: the source environment grants this name")
    oidc_provider_arn: pulumi.Input[str] = arg("GitHub's OIDC provider in this account")
    github_repository: str = arg("`owner/name` whose workflows promote")
    github_environment: str = arg("the GitHub environment (and its reviewers) gating promotion")
    source_bucket: str = arg("the source environment's registry bucket")
    source_account_id: str = arg("the source environment's account")
    source_region: str = arg("the source environment's region (KMS through its S3 only)")
    permissions_boundary_arn: pulumi.Input[str] = arg("this environment's permission boundary")


class PromotionRole(pulumi.ComponentResource):
    """Role, its read grant on the source, and its write grant on this registry."""

    def __init__(
        self,
        name: str,
        args: PromotionRoleArgs,
        registry: ModelRegistry,
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("mlplat:registry:PromotionRole", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.role = aws.iam.Role(
            f"{name}-role",
            name=args.role_name,
            description=f"CI: copies {args.source_bucket}/{APPROVED_PREFIX} into this registry",
            assume_role_policy=github_trust(
                args.oidc_provider_arn,
                subject=promotion_subject(args.github_repository, args.github_environment),
            ),
            permissions_boundary=args.permissions_boundary_arn,
            max_session_duration=3600,
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-read-source",
            role=self.role.id,
            policy=docs.to_json(
                docs.document(
                    *read_statements(
                        f"arn:{partition(args.source_region)}:s3:::{args.source_bucket}",
                        f"arn:{partition(args.source_region)}:kms:{args.source_region}:{args.source_account_id}:key/*",
                        APPROVED_PREFIX,
                        args.source_region,
                    )
                )
            ),
            opts=child,
        )
        registry.grant_write(self.role, APPROVED_PREFIX)
        self.role_arn = self.role.arn
        self.register_outputs({"role_arn": self.role.arn})
