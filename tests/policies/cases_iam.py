"""IAM rule fixtures."""

from tests.policies.cases import (
    ACCOUNT,
    UNKNOWN_STRING,
    Case,
    StackCase,
    changed,
    policy,
    resource,
)

BUCKET = "arn:aws:s3:::mlplat-staging-models"
SCOPED = {
    "policy": policy(
        {
            "Sid": "ReadModels",
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:ListBucket"],
            "Resource": [BUCKET, f"{BUCKET}/*"],
        }
    )
}


def allowing(action, resource="*", sid="S", **extra):
    return {
        "policy": policy(
            {"Sid": sid, "Effect": "Allow", "Action": action, "Resource": resource, **extra}
        )
    }


TRUST_SERVICE = {
    "assumeRolePolicy": policy(
        {
            "Effect": "Allow",
            "Principal": {"Service": "vpc-flow-logs.amazonaws.com"},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}},
        }
    )
}
GITHUB = f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"
HOST = "token.actions.githubusercontent.com"


def github_trust(condition):
    return {
        "assumeRolePolicy": policy(
            {
                "Effect": "Allow",
                "Principal": {"Federated": GITHUB},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": condition,
            }
        )
    }


GITHUB_PINNED = github_trust(
    {
        "StringEquals": {
            f"{HOST}:aud": "sts.amazonaws.com",
            f"{HOST}:sub": "repo:acme/mlplat:environment:staging",
        }
    }
)


def trusting(principal, condition=None):
    statement = {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}
    if condition:
        statement["Condition"] = condition
    return {"assumeRolePolicy": policy(statement)}


POLICY = "aws:iam/policy:Policy"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"

CASES = [
    Case(
        rule="aws-iam-policy-no-admin",
        type=POLICY,
        passing=SCOPED,
        failing=[
            ("star star", allowing("*"), ["statement 'S' allows Action '*' on Resource '*'"]),
            (
                "star in a list",
                allowing(["s3:GetObject", "*"], ["*"]),
                ["statement 'S' allows Action '*' on Resource '*'"],
            ),
        ],
        not_applicable=(ATTACHMENT, {"policyArn": "arn:aws:iam::aws:policy/X"}),
        unknown={"policy": UNKNOWN_STRING},
    ),
    Case(
        rule="aws-iam-policy-no-service-wildcard",
        type="aws:iam/rolePolicy:RolePolicy",
        passing=SCOPED,
        failing=[
            (
                "s3:*",
                allowing(["s3:*", "iam:*"], BUCKET),
                ["statement 'S' allows whole services: ['iam:*', 's3:*']"],
            ),
            ("*", allowing("*", BUCKET), ["statement 'S' allows whole services: ['*']"]),
        ],
        not_applicable=(ATTACHMENT, {"policyArn": "arn:aws:iam::aws:policy/X"}),
        unknown={"policy": UNKNOWN_STRING},
    ),
    Case(
        rule="aws-iam-policy-scoped-resources",
        type=POLICY,
        passing=changed(
            SCOPED,
            policy=policy(
                {"Sid": "Describe", "Effect": "Allow", "Action": "ec2:Describe*", "Resource": "*"}
            ),
        ),
        failing=[
            (
                "object write on star",
                allowing(["s3:PutObject", "s3:GetObject"]),
                ["statement 'S' grants ['s3:GetObject', 's3:PutObject'] on Resource '*'"],
            ),
            (
                "secret on star",
                allowing("secretsmanager:GetSecretValue"),
                ["statement 'S' grants ['secretsmanager:GetSecretValue'] on Resource '*'"],
            ),
            (
                "s3 wildcard on star",
                allowing("s3:Get*"),
                ["statement 'S' grants ['s3:Get*'] on Resource '*'"],
            ),
        ],
        not_applicable=(ATTACHMENT, {"policyArn": "arn:aws:iam::aws:policy/X"}),
        unknown={"policy": UNKNOWN_STRING},
    ),
    Case(
        rule="aws-iam-policy-no-privilege-escalation",
        type=POLICY,
        passing=allowing(
            "iam:PassRole",
            f"arn:aws:iam::{ACCOUNT}:role/node",
            Condition={"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}},
        ),
        failing=[
            (
                "passrole on star",
                allowing("iam:PassRole"),
                [
                    "statement 'S' allows ['iam:PassRole'] on ['*'], beyond the environment's own roles and policies"
                ],
            ),
            (
                "policy editing",
                allowing(["iam:CreatePolicyVersion", "iam:AttachRolePolicy"]),
                [
                    "statement 'S' allows ['iam:AttachRolePolicy', 'iam:CreatePolicyVersion'] "
                    "on ['*'], beyond the environment's own roles and policies"
                ],
            ),
            (
                "assume anything",
                allowing("sts:AssumeRole"),
                [
                    "statement 'S' allows ['sts:AssumeRole'] on ['*'], beyond the environment's own roles and policies"
                ],
            ),
        ],
        not_applicable=(ATTACHMENT, {"policyArn": "arn:aws:iam::aws:policy/X"}),
        unknown={"policy": UNKNOWN_STRING},
    ),
    Case(
        rule="aws-iam-policy-no-kms-decrypt-all",
        type=POLICY,
        passing=allowing("kms:Decrypt", f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/1"),
        failing=[
            (
                "decrypt star",
                allowing("kms:Decrypt"),
                ["statement 'S' allows ['kms:Decrypt'] on every key"],
            ),
            (
                "kms star",
                allowing("kms:*"),
                ["statement 'S' allows ['kms:Decrypt', 'kms:ReEncryptFrom'] on every key"],
            ),
            (
                "reencrypt",
                allowing("kms:ReEncrypt*"),
                ["statement 'S' allows ['kms:ReEncryptFrom'] on every key"],
            ),
        ],
        not_applicable=("aws:kms/key:Key", {"policy": "{}"}),
        unknown={"policy": UNKNOWN_STRING},
    ),
    Case(
        rule="aws-iam-no-user-policies",
        type="aws:iam/policyAttachment:PolicyAttachment",
        passing={"roles": ["node"], "users": [], "policyArn": "arn:aws:iam::aws:policy/X"},
        failing=[
            (
                "attachment to users",
                {"users": ["ci"], "policyArn": "arn:aws:iam::aws:policy/X"},
                ["policy attached to IAM users ['ci']"],
            ),
            (
                "inline user policy",
                {"user": "ci", "policy": "{}"},
                ["policy attached to IAM user 'ci'"],
                "aws:iam/userPolicy:UserPolicy",
            ),
        ],
        not_applicable=(ATTACHMENT, {"role": "r", "policyArn": "arn:aws:iam::aws:policy/X"}),
        unknown={"users": UNKNOWN_STRING},
    ),
    Case(
        rule="aws-iam-no-users",
        type="aws:iam/user:User",
        passing=None,
        failing=[
            ("user", {"name": "ci"}, ["User 'fixture' creates long-lived IAM user credentials"]),
            (
                "access key",
                {"user": "ci"},
                ["AccessKey 'fixture' creates long-lived IAM user credentials"],
                "aws:iam/accessKey:AccessKey",
            ),
        ],
        not_applicable=("aws:iam/role:Role", TRUST_SERVICE),
        unknown={"name": UNKNOWN_STRING},
        unknown_status="fail",
    ),
    Case(
        rule="aws-iam-no-admin-managed-policy",
        type=ATTACHMENT,
        passing={
            "role": "node",
            "policyArn": "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
        },
        failing=[
            (
                "admin",
                {"role": "ci", "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"},
                ["attaches the AWS-managed AdministratorAccess, which is not on the allow-list"],
            ),
            (
                "s3 full",
                {"role": "node", "policyArn": "arn:aws:iam::aws:policy/AmazonS3FullAccess"},
                ["attaches the AWS-managed AmazonS3FullAccess, which is not on the allow-list"],
            ),
        ],
        not_applicable=(POLICY, SCOPED),
        unknown={"role": "ci", "policyArn": UNKNOWN_STRING},
    ),
    Case(
        rule="aws-iam-role-trust-restricted",
        type="aws:iam/role:Role",
        passing=trusting({"AWS": f"arn:aws:iam::{ACCOUNT}:role/admin"}),
        config={"accountId": ACCOUNT},
        failing=[
            (
                "anyone",
                trusting({"AWS": "*"}),
                ["trust policy admits Principal '*' with no confining condition"],
            ),
            (
                "foreign account",
                trusting({"AWS": "arn:aws:iam::999988887777:root"}),
                ["trust policy admits account 999988887777 without ExternalId or org condition"],
            ),
        ],
        not_applicable=(POLICY, SCOPED),
        unknown={"assumeRolePolicy": UNKNOWN_STRING},
    ),
    Case(
        rule="aws-iam-oidc-trust-pinned",
        type="aws:iam/role:Role",
        passing=GITHUB_PINNED,
        failing=[
            (
                "no conditions",
                github_trust({}),
                [
                    f"trust of {HOST} does not pin `sub` with StringEquals",
                    f"trust of {HOST} does not pin `aud` with StringEquals",
                ],
            ),
            (
                "wildcard subject",
                github_trust(
                    {
                        "StringEquals": {
                            f"{HOST}:aud": "sts.amazonaws.com",
                            f"{HOST}:sub": "repo:acme/*",
                        }
                    }
                ),
                [f"trust of {HOST} pins `sub` with a wildcard: repo:acme/*"],
            ),
            (
                "StringLike subject with a wildcard beyond a pull request's number",
                github_trust(
                    {
                        "StringEquals": {f"{HOST}:aud": "sts.amazonaws.com"},
                        "StringLike": {
                            f"{HOST}:sub": "repo:acme/mlplat:environment:preview-staging:job_workflow_ref:acme/mlplat/.github/workflows/*@refs/pull/*/merge"
                        },
                    }
                ),
                [
                    f"trust of {HOST} pins `sub` with a wildcard: repo:acme/mlplat:environment:preview-staging:job_workflow_ref:acme/mlplat/.github/workflows/*@refs/pull/*/merge"
                ],
            ),
            (
                "a one-character wildcard",
                github_trust(
                    {
                        "StringEquals": {
                            f"{HOST}:aud": "sts.amazonaws.com",
                            f"{HOST}:sub": "repo:acme/mlplat:environment:stagin?",
                        }
                    }
                ),
                [
                    f"trust of {HOST} pins `sub` with a wildcard: repo:acme/mlplat:environment:stagin?"
                ],
            ),
        ],
        not_applicable=(POLICY, SCOPED),
        unknown={"assumeRolePolicy": UNKNOWN_STRING},
    ),
]

NODE_ROLE = resource(
    "aws:iam/role:Role",
    "node",
    {
        "assumeRolePolicy": policy(
            {
                "Effect": "Allow",
                "Principal": {"Service": "ec2.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        )
    },
)


def node_attachment(name, policy_name):
    return resource(
        ATTACHMENT,
        name,
        {"role": "node", "policyArn": f"arn:aws:iam::aws:policy/{policy_name}"},
        deps={"role": [NODE_ROLE.urn]},
    )


NODE_OK = [
    NODE_ROLE,
    node_attachment("worker", "AmazonEKSWorkerNodePolicy"),
    node_attachment("ecr", "AmazonEC2ContainerRegistryPullOnly"),
]
CASES.append(
    StackCase(
        rule="aws-iam-node-role-no-workload-permissions",
        passing=NODE_OK,
        failing=[
            (
                "s3 full access",
                [*NODE_OK, node_attachment("s3", "AmazonS3FullAccess")],
                [("node", "node role carries AmazonS3FullAccess")],
            ),
            (
                "inline model writes",
                [
                    *NODE_OK,
                    resource(
                        "aws:iam/rolePolicy:RolePolicy",
                        "inline",
                        allowing(["s3:PutObject"], BUCKET),
                        deps={"role": [NODE_ROLE.urn]},
                    ),
                ],
                [("node", "node role's inline policy grants workload actions ['s3:PutObject']")],
            ),
        ],
        not_applicable=[resource("aws:iam/role:Role", "flow", TRUST_SERVICE)],
        unknown=[
            *NODE_OK,
            resource(
                ATTACHMENT, "x", {"policyArn": UNKNOWN_STRING}, deps={"role": [NODE_ROLE.urn]}
            ),
        ],
    )
)

BOUNDARY = resource(
    "aws:iam/policy:Policy",
    "boundary",
    {
        "name": "staging-permissions-boundary",
        "tags": {"mlplat.io/policy-kind": "permissions-boundary"},
        "policy": policy(
            {"Sid": "Cap", "Effect": "Allow", "Action": "*", "Resource": "*"},
            {
                "Sid": "Keep",
                "Effect": "Deny",
                "Action": ["iam:DeleteRolePermissionsBoundary"],
                "Resource": "*",
            },
        ),
    },
)
BOUNDED_ROLE = resource(
    "aws:iam/role:Role",
    "bounded",
    {
        **TRUST_SERVICE,
        "permissionsBoundary": "arn:aws:iam::444455556666:policy/staging-permissions-boundary",
    },
    deps={"permissionsBoundary": [BOUNDARY.urn]},
)
CASES.append(
    StackCase(
        rule="aws-iam-permissions-boundary",
        passing=[BOUNDARY, BOUNDED_ROLE],
        failing=[
            (
                "role without boundary",
                [BOUNDARY, resource("aws:iam/role:Role", "free", TRUST_SERVICE)],
                [("free", "role has no permission boundary")],
            ),
            (
                "boundary granted",
                [
                    BOUNDARY,
                    BOUNDED_ROLE,
                    resource(
                        ATTACHMENT,
                        "grant",
                        {"role": "x", "policyArn": "arn"},
                        deps={"policyArn": [BOUNDARY.urn]},
                    ),
                ],
                [("grant", "attaches the permission boundary as a grant")],
            ),
            (
                "boundary that can be removed",
                [
                    resource(
                        BOUNDARY.type,
                        "boundary",
                        {
                            "tags": BOUNDARY.props["tags"],
                            "policy": policy({"Effect": "Allow", "Action": "*", "Resource": "*"}),
                        },
                    ),
                    BOUNDED_ROLE,
                ],
                [("boundary", "the boundary does not deny iam:DeleteRolePermissionsBoundary")],
            ),
        ],
        not_applicable=[resource("aws:ec2/vpc:Vpc", "v", {})],
        unknown=[
            BOUNDARY,
            resource("aws:iam/role:Role", "r", {"permissionsBoundary": UNKNOWN_STRING}),
        ],
    )
)
CASES.append(
    Case(
        rule="aws-messaging-policy-not-public",
        type="aws:sns/topicPolicy:TopicPolicy",
        config={"accountId": ACCOUNT, "organizationId": "o-staging1"},
        passing={
            "policy": policy(
                {
                    "Sid": "Alarms",
                    "Effect": "Allow",
                    "Principal": {"Service": "cloudwatch.amazonaws.com"},
                    "Action": "sns:Publish",
                    "Resource": "*",
                    "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}},
                },
                {
                    "Sid": "Org",
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "sns:Publish",
                    "Resource": "*",
                    "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-staging1"}},
                },
            )
        },
        failing=[
            (
                "anyone",
                {
                    "policy": policy(
                        {
                            "Sid": "A",
                            "Effect": "Allow",
                            "Principal": "*",
                            "Action": "sns:Publish",
                            "Resource": "*",
                        }
                    )
                },
                ["statement 'A' allows anyone"],
            ),
            (
                "a foreign organization looks confining",
                {
                    "policy": policy(
                        {
                            "Sid": "A",
                            "Effect": "Allow",
                            "Principal": {"AWS": "*"},
                            "Action": "sqs:SendMessage",
                            "Resource": "*",
                            "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-attacker"}},
                        }
                    )
                },
                ["statement 'A' allows anyone"],
                "aws:sqs/queuePolicy:QueuePolicy",
            ),
            (
                "a wildcard account value confines nothing",
                {
                    "policy": policy(
                        {
                            "Sid": "A",
                            "Effect": "Allow",
                            "Principal": "*",
                            "Action": "sqs:SendMessage",
                            "Resource": "*",
                            "Condition": {"StringLike": {"aws:PrincipalAccount": "*"}},
                        }
                    )
                },
                ["statement 'A' allows anyone"],
                "aws:sqs/queue:Queue",
            ),
            (
                "NotPrincipal admits everyone else",
                {
                    "policy": policy(
                        {
                            "Sid": "A",
                            "Effect": "Allow",
                            "NotPrincipal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                            "Action": "sns:Subscribe",
                            "Resource": "*",
                        }
                    )
                },
                ["statement 'A' allows anyone"],
                "aws:sns/topic:Topic",
            ),
            (
                "IfExists confines nothing when the key is absent",
                {
                    "policy": policy(
                        {
                            "Sid": "A",
                            "Effect": "Allow",
                            "Principal": "*",
                            "Action": "sns:Publish",
                            "Resource": "*",
                            "Condition": {"StringEqualsIfExists": {"aws:SourceAccount": ACCOUNT}},
                        }
                    )
                },
                ["statement 'A' allows anyone"],
            ),
        ],
        not_applicable=("aws:s3/bucketPolicy:BucketPolicy", {"policy": "{}"}),
        unknown={"policy": UNKNOWN_STRING},
    )
)
