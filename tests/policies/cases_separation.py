"""Environment-separation rule fixtures (the fixtures pretend to be staging)."""

import json

from tests.policies.cases import (
    ACCOUNT,
    DEV_ACCOUNT,
    ENV_FACTS,
    PROD_ACCOUNT,
    UNKNOWN_STRING,
    Case,
    changed,
    policy,
)

HOST = "token.actions.githubusercontent.com"
GITHUB = f"arn:aws:iam::{ACCOUNT}:oidc-provider/{HOST}"


def trust(principal=None, subject=None):
    statement = {"Effect": "Allow", "Action": "sts:AssumeRole"}
    if principal:
        statement["Principal"] = principal
    if subject:
        statement["Principal"] = {"Federated": GITHUB}
        statement["Condition"] = {
            "StringEquals": {f"{HOST}:sub": subject, f"{HOST}:aud": "sts.amazonaws.com"}
        }
    return {"assumeRolePolicy": policy(statement)}


OWN_KEY = f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/1"
# Staging is promoted from by prod's promotion role: the one sanctioned cross-environment read.
PROMOTER = f"arn:aws:iam::{PROD_ACCOUNT}:role/mlplat-prod-promotion"
PROMOTION_FACTS = {**ENV_FACTS, "promotionReaders": [PROMOTER]}


def promotion_grant(actions, *, principal_arn=PROMOTER, account=PROD_ACCOUNT):
    return policy(
        {
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
            "Action": actions,
            "Resource": "*",
            "Condition": {"ArnEquals": {"aws:PrincipalArn": principal_arn}},
        }
    )


TAGS = {"env": "staging", "owner-team": "ml-platform", "cost-centre": "CC-1"}
PROVIDER = {
    "region": "eu-west-1",
    "allowedAccountIds": json.dumps([ACCOUNT]),
    "defaultTags": json.dumps({"tags": TAGS}),
}

CASES = [
    Case(
        rule="aws-vpc-cidr-separated",
        type="aws:ec2/vpc:Vpc",
        config=ENV_FACTS,
        passing={"cidrBlock": "10.20.0.0/16"},
        failing=[
            (
                "prod's range",
                {"cidrBlock": "10.30.0.0/16"},
                [
                    "cidrBlock 10.30.0.0/16 is outside this environment's range 10.20.0.0/16",
                    "cidrBlock 10.30.0.0/16 overlaps prod's 10.30.0.0/16",
                ],
            ),
            (
                "no range",
                {},
                [
                    "no cidrBlock: the VPC's range cannot be checked "
                    "(IPAM allocations: name the pool)"
                ],
            ),
        ],
        not_applicable=("aws:ec2/subnet:Subnet", {"cidrBlock": "10.30.0.0/24"}),
        unknown={"cidrBlock": UNKNOWN_STRING},
    ),
    Case(
        rule="aws-ec2-peering-same-environment",
        type="aws:ec2/vpcPeeringConnection:VpcPeeringConnection",
        config=ENV_FACTS,
        passing={"peerOwnerId": ACCOUNT, "vpcId": "vpc-1", "peerVpcId": "vpc-2"},
        failing=[
            (
                "peer prod",
                {"peerOwnerId": PROD_ACCOUNT, "vpcId": "vpc-1", "peerVpcId": "vpc-2"},
                [f"peers with a VPC in prod's account {PROD_ACCOUNT}"],
            ),
            (
                "route into dev",
                {"destinationCidrBlock": "10.10.4.0/24", "transitGatewayId": "tgw-1"},
                ["routes 10.10.4.0/24 into dev's range 10.10.0.0/16"],
                "aws:ec2/route:Route",
            ),
        ],
        not_applicable=("aws:ec2/vpc:Vpc", {"cidrBlock": "10.20.0.0/16"}),
        unknown={"peerOwnerId": UNKNOWN_STRING},
    ),
    Case(
        rule="aws-iam-trust-same-environment",
        type="aws:iam/role:Role",
        config=ENV_FACTS,
        passing=trust(subject="repo:acme/mlplat:environment:staging"),
        failing=[
            (
                "prod account",
                trust({"AWS": f"arn:aws:iam::{PROD_ACCOUNT}:role/deploy"}),
                [f"trusts account {PROD_ACCOUNT} of environment prod"],
            ),
            (
                "other environment subject",
                trust(subject="repo:acme/mlplat:environment:dev"),
                [
                    "GitHub OIDC subject 'repo:acme/mlplat:environment:dev' is not this "
                    "environment (staging)"
                ],
            ),
            (
                "branch subject",
                trust(subject="repo:acme/mlplat:ref:refs/heads/main"),
                [
                    "GitHub OIDC subject 'repo:acme/mlplat:ref:refs/heads/main' is not pinned "
                    "to an environment"
                ],
            ),
            (
                "customized subject of another environment's preview gate",
                trust(
                    subject="repo:acme/mlplat:environment:preview-prod:job_workflow_ref:acme/mlplat/.github/workflows/pull-request.yml@refs/pull/*/merge"
                ),
                [
                    "GitHub OIDC subject 'repo:acme/mlplat:environment:preview-prod:job_workflow_ref:acme/mlplat/.github/workflows/pull-request.yml@refs/pull/*/merge' is not this environment (staging)"
                ],
            ),
            (
                "a wildcard environment",
                trust(
                    subject="repo:acme/mlplat:environment:*:job_workflow_ref:acme/mlplat/.github/workflows/pulumi-up.yml@refs/heads/main"
                ),
                [
                    "GitHub OIDC subject 'repo:acme/mlplat:environment:*:job_workflow_ref:acme/mlplat/.github/workflows/pulumi-up.yml@refs/heads/main' is not pinned to an environment"
                ],
            ),
        ],
        not_applicable=("aws:iam/policy:Policy", {"policy": "{}"}),
        unknown={"assumeRolePolicy": UNKNOWN_STRING},
    ),
    Case(
        rule="aws-kms-same-environment",
        type="aws:cloudwatch/logGroup:LogGroup",
        config=ENV_FACTS,
        passing={"name": "/x", "kmsKeyId": OWN_KEY},
        failing=[
            (
                "dev key",
                {"name": "/x", "kmsKeyId": f"arn:aws:kms:eu-west-1:{DEV_ACCOUNT}:key/9"},
                [f"kmsKeyId uses a key of account {DEV_ACCOUNT} (dev)"],
            ),
            (
                "nested other alias",
                {"encryptionConfig": {"provider": {"keyArn": "alias/prod-cluster"}}},
                [
                    "encryptionConfig.provider.keyArn uses alias 'alias/prod-cluster', "
                    "not one of this environment's"
                ],
            ),
            (
                "alias name",
                {"name": "alias/shared-logs", "targetKeyId": "1"},
                ["alias 'alias/shared-logs' is not prefixed with alias/staging-"],
                "aws:kms/alias:Alias",
            ),
            (
                "key policy grants prod",
                {
                    "policy": policy(
                        {
                            "Effect": "Allow",
                            "Principal": {"AWS": f"arn:aws:iam::{PROD_ACCOUNT}:root"},
                            "Action": "kms:Decrypt",
                            "Resource": "*",
                        }
                    )
                },
                [f"key policy grants environment prod (account {PROD_ACCOUNT})"],
                "aws:kms/key:Key",
            ),
        ],
        not_applicable=("pulumi:providers:aws", PROVIDER),
        unknown={"name": "/x", "kmsKeyId": UNKNOWN_STRING},
    ),
    Case(
        rule="aws-tags-environment",
        type="aws:ec2/vpc:Vpc",
        config=ENV_FACTS,
        passing={
            "cidrBlock": "10.20.0.0/16",
            "tags": {"Name": "v"},
            "tagsAll": {**TAGS, "Name": "v"},
        },
        failing=[
            (
                "wrong env",
                {"tags": {"env": "prod"}, "tagsAll": {**TAGS, "env": "prod"}},
                ["tags say env='prod' in the staging stack"],
            ),
            (
                "missing tags",
                {"tags": {"Name": "v"}, "tagsAll": {"Name": "v", "env": "staging"}},
                ["tags lack ['owner-team', 'cost-centre']"],
            ),
            (
                "provider without defaults",
                changed(PROVIDER, defaultTags=None),
                ["provider defaultTags lack ['env', 'owner-team', 'cost-centre']"],
                "pulumi:providers:aws",
            ),
        ],
        not_applicable=("aws:ec2/route:Route", {"destinationCidrBlock": "0.0.0.0/0"}),
        unknown={"tags": {}, "tagsAll": UNKNOWN_STRING},
    ),
    Case(
        rule="aws-provider-pinned-account",
        type="pulumi:providers:aws",
        config=ENV_FACTS,
        passing=PROVIDER,
        failing=[
            (
                "not pinned",
                changed(PROVIDER, allowedAccountIds=None),
                [f"allowedAccountIds is []; expected exactly ['{ACCOUNT}']"],
            ),
            (
                "prod role",
                changed(
                    PROVIDER,
                    assumeRoles=json.dumps(
                        [{"roleArn": f"arn:aws:iam::{PROD_ACCOUNT}:role/deploy"}]
                    ),
                ),
                [f"assumes role arn:aws:iam::{PROD_ACCOUNT}:role/deploy in account {PROD_ACCOUNT}"],
            ),
        ],
        not_applicable=("pulumi:providers:kubernetes", {}),
        unknown=changed(PROVIDER, allowedAccountIds=UNKNOWN_STRING),
    ),
    Case(
        rule="pulumi-stack-reference-same-environment",
        type="pulumi:pulumi:StackReference",
        config=ENV_FACTS,
        passing={"name": "acme/mlplat-network/staging"},
        failing=[
            (
                "prod",
                {"name": "acme/mlplat-network/prod"},
                ["reads outputs of acme/mlplat-network/prod, a prod stack"],
            )
        ],
        not_applicable=("pulumi:providers:aws", PROVIDER),
        unknown={"name": UNKNOWN_STRING},
    ),
    Case(
        rule="aws-data-flow-same-environment",
        type="aws:s3/bucketReplicationConfig:BucketReplicationConfig",
        config=ENV_FACTS,
        passing={
            "rules": [{"destination": {"bucket": "arn:aws:s3:::staging-dr", "account": ACCOUNT}}]
        },
        failing=[
            (
                "replicate to dev",
                {
                    "rules": [
                        {"destination": {"bucket": "arn:aws:s3:::dev-copy", "account": DEV_ACCOUNT}}
                    ]
                },
                [f"replicates to account {DEV_ACCOUNT} of environment dev"],
            ),
            (
                "dev reads",
                {
                    "policy": policy(
                        {
                            "Effect": "Allow",
                            "Principal": {"AWS": DEV_ACCOUNT},
                            "Action": "s3:GetObject",
                            "Resource": "*",
                        }
                    )
                },
                [f"policy grants account {DEV_ACCOUNT} of environment dev"],
                "aws:s3/bucketPolicy:BucketPolicy",
            ),
        ],
        not_applicable=("aws:s3/bucketVersioning:BucketVersioning", {}),
        unknown={"rules": [{"destination": {"account": UNKNOWN_STRING}}]},
    ),
    Case(
        rule="aws-eks-access-same-environment",
        type="aws:eks/accessEntry:AccessEntry",
        config=ENV_FACTS,
        passing={"principalArn": f"arn:aws:iam::{ACCOUNT}:role/admin", "type": "STANDARD"},
        failing=[
            (
                "dev role",
                {"principalArn": f"arn:aws:iam::{DEV_ACCOUNT}:role/admin"},
                [f"grants cluster access to dev's account {DEV_ACCOUNT}"],
            ),
            (
                "foreign",
                {"principalArn": "arn:aws:iam::999988887777:role/x"},
                ["grants cluster access to foreign account 999988887777"],
            ),
        ],
        not_applicable=("aws:eks/cluster:Cluster", {}),
        unknown={"principalArn": UNKNOWN_STRING},
    ),
    Case(
        rule="stateful-resources-protected",
        type="aws:kms/key:Key",
        protect=True,
        passing={"enableKeyRotation": True},
        failing=[],
        failing_options=[
            (
                "unprotected",
                False,
                ["not protected: a `pulumi destroy` or a rename would delete it and its data"],
            )
        ],
        not_applicable=("aws:kms/alias:Alias", {"name": "alias/staging-x"}),
        unknown={"enableKeyRotation": UNKNOWN_STRING},
        unknown_status="fail",
    ),
    Case(
        rule="aws-data-flow-same-environment",
        type="aws:s3/bucketPolicy:BucketPolicy",
        config=PROMOTION_FACTS,
        passing={"policy": promotion_grant(["s3:GetObject", "s3:ListBucket"])},
        failing=[
            (
                "the promoter writes",
                {"policy": promotion_grant(["s3:GetObject", "s3:PutObject"])},
                [f"policy grants account {PROD_ACCOUNT} of environment prod"],
            ),
            (
                "another prod role",
                {"policy": promotion_grant(["s3:GetObject"], principal_arn=PROMOTER + "-x")},
                [f"policy grants account {PROD_ACCOUNT} of environment prod"],
            ),
            (
                "dev, even narrowed",
                {
                    "policy": promotion_grant(
                        ["s3:GetObject"],
                        principal_arn=f"arn:aws:iam::{DEV_ACCOUNT}:role/x",
                        account=DEV_ACCOUNT,
                    )
                },
                [f"policy grants account {DEV_ACCOUNT} of environment dev"],
            ),
        ],
        not_applicable=("aws:s3/bucketVersioning:BucketVersioning", {}),
        unknown={"policy": UNKNOWN_STRING},
    ),
    Case(
        rule="aws-kms-same-environment",
        type="aws:kms/key:Key",
        config=PROMOTION_FACTS,
        passing={"policy": promotion_grant(["kms:Decrypt"])},
        failing=[
            (
                "the promoter encrypts",
                {"policy": promotion_grant(["kms:Decrypt", "kms:Encrypt"])},
                [f"key policy grants environment prod (account {PROD_ACCOUNT})"],
            ),
        ],
        not_applicable=("pulumi:providers:aws", PROVIDER),
        unknown={"policy": UNKNOWN_STRING},
    ),
]
