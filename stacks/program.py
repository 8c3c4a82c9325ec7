"""The stack program: one environment in, the platform's resources out.

`pulumi up -s <env>` runs it through `stacks/__main__.py`; `mlplat synth <env>` runs the very same
function under the SDK's mock monitor.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from components.baseline import AccountBaseline, AccountBaselineArgs
from components.iam import IamBaseline, IamBaselineArgs
from components.kms import Kms, KmsArgs
from components.network import Network, NetworkArgs
from stacks.environment import EnvironmentSpec, SpecError, load_environment


def main() -> None:
    try:
        spec = load_environment(pulumi.get_stack())
    except SpecError as err:
        # RunError prints the message alone, without a Python traceback.
        raise pulumi.RunError(str(err)) from None
    build(spec)


def aws_provider(spec: EnvironmentSpec) -> aws.Provider:
    """The only AWS provider: pinned to the environment's account and region, tagging everything.

    `allowed_account_ids` makes the provider refuse credentials of any other account (ENV-06);
    default tags reach every taggable resource as `tagsAll` (ENV-05).
    """
    return aws.Provider(
        f"aws-{spec.name}",
        region=spec.region,
        allowed_account_ids=[spec.account_id],
        default_tags=aws.ProviderDefaultTagsArgs(
            tags={**spec.tags, "managed-by": "pulumi", "mlplat.io/stack": spec.name}
        ),
    )


def build(spec: EnvironmentSpec) -> None:
    provider = aws_provider(spec)
    on_aws = pulumi.ResourceOptions(providers=[provider])
    # Pulumi's `protect` is inherited by children: every key and alias is protected where the
    # environment says so (staging and prod).
    stateful = pulumi.ResourceOptions.merge(
        on_aws, pulumi.ResourceOptions(protect=spec.protection.stateful_resources)
    )

    AccountBaseline(spec.name, AccountBaselineArgs(), opts=on_aws)
    iam = IamBaseline(
        spec.name,
        IamBaselineArgs(
            environment=spec.name,
            account_id=spec.account_id,
            region=spec.region,
            audit_principal_arns=spec.security.audit_principal_arns,
            organization_id=spec.security.organization_id,
        ),
        opts=on_aws,
    )
    kms = Kms(
        spec.name,
        KmsArgs(environment=spec.name, account_id=spec.account_id, region=spec.region),
        opts=stateful,
    )
    network = Network(
        spec.name,
        NetworkArgs(
            account_id=spec.account_id,
            region=spec.region,
            cidr_block=spec.network.vpc_cidr,
            availability_zones=spec.availability_zones,
            subnet_prefix_lengths=spec.network.subnet_prefix_lengths.as_mapping(),
            nat=spec.network.nat,
            interface_endpoint_az_count=spec.network.interface_endpoint_az_count,
            cluster_name=spec.cluster_name,
            flow_logs_kms_key_arn=kms.key_arns["logs"],
            flow_logs_retention_days=spec.logs.retention_days,
            permissions_boundary_arn=iam.boundary.arn,
        ),
        opts=on_aws,
    )

    pulumi.export("environment", spec.name)
    pulumi.export("account_id", spec.account_id)
    pulumi.export("region", spec.region)
    pulumi.export("vpc_id", network.vpc_id)
    pulumi.export("private_subnet_ids", network.private_subnet_ids)
    pulumi.export("intra_subnet_ids", network.intra_subnet_ids)
    pulumi.export("kms_key_arns", kms.key_arns)
    pulumi.export("permissions_boundary_arn", iam.boundary.arn)
    pulumi.export("audit_role_arn", iam.audit_role.arn)
