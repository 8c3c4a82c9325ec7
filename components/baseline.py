"""Account- and region-wide secure defaults: each environment owns its account, so it owns these.

They close gaps that per-resource settings cannot: a bucket created outside the program, an
instance launched by hand, a VPC attached to an internet gateway by mistake.
"""

from __future__ import annotations

from typing import Literal

import pulumi
import pulumi_aws as aws

from components.args import arg, component_args

BlockMode = Literal["block-ingress", "block-bidirectional"]


@component_args
class AccountBaselineArgs:
    vpc_block_public_access_mode: BlockMode = arg(
        "VPC Block Public Access: `block-ingress` keeps NAT egress working; "
        "`block-bidirectional` also cuts it",
        default="block-ingress",
    )


class AccountBaseline(pulumi.ComponentResource):
    """Account S3 public access block, VPC Block Public Access, default EBS encryption, IMDSv2."""

    def __init__(
        self, name: str, args: AccountBaselineArgs, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__("mlplat:baseline:AccountBaseline", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        aws.s3.AccountPublicAccessBlock(
            f"{name}-s3-public-access",
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=child,
        )
        # Nothing in any VPC of the region is reachable from the internet through an internet
        # gateway; load balancers for the public stay an explicit, reviewed exclusion.
        aws.ec2.VpcBlockPublicAccessOptions(
            f"{name}-vpc-block-public-access",
            internet_gateway_block_mode=args.vpc_block_public_access_mode,
            opts=child,
        )
        # Every new EBS volume is encrypted (node templates also name the storage key).
        aws.ebs.EncryptionByDefault(f"{name}-ebs-encryption", enabled=True, opts=child)
        # Instances launched without their own metadata options get IMDSv2 and one hop, so a
        # container cannot reach its node's credentials.
        aws.ec2.InstanceMetadataDefaults(
            f"{name}-imds",
            http_tokens="required",
            http_put_response_hop_limit=1,
            http_endpoint="enabled",
            instance_metadata_tags="disabled",
            opts=child,
        )
        # Created here, before the storage key names it: KMS refuses policies naming principals
        # that do not exist, and the role otherwise appears only with the first Auto Scaling
        # group. In an account that already has it, `pulumi import` it instead.
        self.autoscaling_role = aws.iam.ServiceLinkedRole(
            f"{name}-autoscaling",
            aws_service_name="autoscaling.amazonaws.com",
            description="Auto Scaling: launches EKS managed nodes with encrypted volumes",
            opts=child,
        )
        # Karpenter launches spot capacity through EC2 Fleet, which needs this role to exist.
        aws.iam.ServiceLinkedRole(
            f"{name}-spot",
            aws_service_name="spot.amazonaws.com",
            description="EC2 Spot: Karpenter's spot GPU and CPU capacity",
            opts=child,
        )
        self.register_outputs({"autoscaling_role_arn": self.autoscaling_role.arn})
