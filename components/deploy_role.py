"""The CI deploy role: GitHub Actions of one repository and one GitHub environment assume it
through OIDC, and `pulumi up` runs as it.

Least privilege for a deployer is a scope, not a short list: it creates what the program declares.
So each service's grant names the environment's own resources where the service can (roles and
policies `<prefix>-*`, the cluster and its children, the interruption queue, the state bucket)
and confines IAM: a role can only be created or given policies while it carries the environment's
boundary, and only the environment's roles can be passed. `Resource: "*"` appears only where the
API takes no resource or names one that does not exist yet; each such statement says so.

The role carries the boundary too, and the boundary forbids editing the boundary: changes to
`IamBaseline`'s boundary, and key deletion, are applied by a platform admin, never by CI.
"""

from __future__ import annotations

from collections.abc import Callable

import pulumi
import pulumi_aws as aws

from components import policy_documents as docs
from components.args import arg, component_args
from components.arns import partition

GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"
# The audience aws-actions/configure-aws-credentials requests.
GITHUB_AUDIENCE = "sts.amazonaws.com"
# A first `pulumi up` (cluster, node groups, add-ons) takes longer than the default hour.
SESSION_SECONDS = 2 * 3600
# `mlplat bootstrap` tags the KMS key of the state bucket and of Pulumi secrets with this.
STATE_KEY_TAG = {"mlplat.io/purpose": "pulumi-state"}
# Service-linked roles the program or its services create on first use.
SERVICE_LINKED = [
    "access-analyzer.amazonaws.com",
    "autoscaling.amazonaws.com",
    "config.amazonaws.com",
    "eks.amazonaws.com",
    "eks-nodegroup.amazonaws.com",
    "guardduty.amazonaws.com",
    "securityhub.amazonaws.com",
    "spot.amazonaws.com",
]


NETWORK_READS = [
    "ec2:DescribeAccountAttributes",
    "ec2:DescribeAddresses",
    "ec2:DescribeAddressesAttribute",
    "ec2:DescribeAvailabilityZones",
    "ec2:DescribeFlowLogs",
    "ec2:DescribeInternetGateways",
    "ec2:DescribeLaunchTemplateVersions",
    "ec2:DescribeLaunchTemplates",
    "ec2:DescribeManagedPrefixLists",
    "ec2:DescribeNatGateways",
    "ec2:DescribeNetworkAcls",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribePrefixLists",
    "ec2:DescribeRegions",
    "ec2:DescribeRouteTables",
    "ec2:DescribeSecurityGroupRules",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeSubnets",
    "ec2:DescribeTags",
    "ec2:DescribeVpcBlockPublicAccessOptions",
    "ec2:DescribeVpcEndpointServices",
    "ec2:DescribeVpcEndpoints",
    "ec2:DescribeVpcs",
]
NETWORK_OF_THIS_ACCOUNT = [
    "ec2:AllocateAddress",
    "ec2:AssociateRouteTable",
    "ec2:AttachInternetGateway",
    "ec2:AuthorizeSecurityGroupEgress",
    "ec2:AuthorizeSecurityGroupIngress",
    "ec2:CreateFlowLogs",
    "ec2:CreateInternetGateway",
    "ec2:CreateLaunchTemplate",
    "ec2:CreateLaunchTemplateVersion",
    "ec2:CreateNatGateway",
    "ec2:CreateNetworkAclEntry",
    "ec2:CreateRoute",
    "ec2:CreateRouteTable",
    "ec2:CreateSecurityGroup",
    "ec2:CreateSubnet",
    "ec2:CreateTags",
    "ec2:CreateVpc",
    "ec2:CreateVpcEndpoint",
    "ec2:DeleteFlowLogs",
    "ec2:DeleteInternetGateway",
    "ec2:DeleteLaunchTemplate",
    "ec2:DeleteLaunchTemplateVersions",
    "ec2:DeleteNatGateway",
    "ec2:DeleteNetworkAclEntry",
    "ec2:DeleteRoute",
    "ec2:DeleteRouteTable",
    "ec2:DeleteSecurityGroup",
    "ec2:DeleteSubnet",
    "ec2:DeleteTags",
    "ec2:DeleteVpc",
    "ec2:DeleteVpcEndpoints",
    "ec2:DescribeVpcAttribute",
    "ec2:DetachInternetGateway",
    "ec2:DisassociateAddress",
    "ec2:DisassociateRouteTable",
    "ec2:GetLaunchTemplateData",
    "ec2:ModifyLaunchTemplate",
    "ec2:ModifySecurityGroupRules",
    "ec2:ModifySubnetAttribute",
    "ec2:ModifyVpcAttribute",
    "ec2:ModifyVpcEndpoint",
    "ec2:ReleaseAddress",
    "ec2:ReplaceNetworkAclEntry",
    "ec2:ReplaceRoute",
    "ec2:ReplaceRouteTableAssociation",
    "ec2:RevokeSecurityGroupEgress",
    "ec2:RevokeSecurityGroupIngress",
    "ec2:UpdateSecurityGroupRuleDescriptionsEgress",
    "ec2:UpdateSecurityGroupRuleDescriptionsIngress",
]


# The other statements' actions, each list named after its statement's Sid.
REGIONAL_ACCOUNT_SETTINGS = [
    "ec2:DisableEbsEncryptionByDefault",
    "ec2:EnableEbsEncryptionByDefault",
    "ec2:GetEbsDefaultKmsKeyId",
    "ec2:GetEbsEncryptionByDefault",
    "ec2:GetInstanceMetadataDefaults",
    "ec2:ModifyInstanceMetadataDefaults",
    "ec2:ModifyVpcBlockPublicAccessOptions",
]
THIS_CLUSTER = [
    "eks:AssociateAccessPolicy",
    "eks:AssociateEncryptionConfig",
    "eks:CreateAccessEntry",
    "eks:CreateAddon",
    "eks:CreateCluster",
    "eks:CreateNodegroup",
    "eks:CreatePodIdentityAssociation",
    "eks:DeleteAccessEntry",
    "eks:DeleteAddon",
    "eks:DeleteCluster",
    "eks:DeleteNodegroup",
    "eks:DeletePodIdentityAssociation",
    "eks:DescribeAccessEntry",
    "eks:DescribeAddon",
    "eks:DescribeCluster",
    "eks:DescribeNodegroup",
    "eks:DescribePodIdentityAssociation",
    "eks:DescribeUpdate",
    "eks:DisassociateAccessPolicy",
    "eks:ListAccessEntries",
    "eks:ListAddons",
    "eks:ListAssociatedAccessPolicies",
    "eks:ListNodegroups",
    "eks:ListPodIdentityAssociations",
    "eks:ListTagsForResource",
    "eks:ListUpdates",
    "eks:TagResource",
    "eks:UntagResource",
    "eks:UpdateAccessEntry",
    "eks:UpdateAddon",
    "eks:UpdateClusterConfig",
    "eks:UpdateClusterVersion",
    "eks:UpdateNodegroupConfig",
    "eks:UpdateNodegroupVersion",
    "eks:UpdatePodIdentityAssociation",
]
EKS_CATALOGUE = [
    "eks:DescribeAddonConfiguration",
    "eks:DescribeAddonVersions",
    "eks:DescribeClusterVersions",
    "eks:ListAccessPolicies",
    "eks:ListClusters",
]
QUEUES_OF_THIS_ENVIRONMENT = [
    "sqs:CreateQueue",
    "sqs:DeleteQueue",
    "sqs:GetQueueAttributes",
    "sqs:ListQueueTags",
    "sqs:SetQueueAttributes",
    "sqs:TagQueue",
    "sqs:UntagQueue",
]
EVENT_RULES_OF_THIS_ENVIRONMENT = [
    "events:DeleteRule",
    "events:DescribeRule",
    "events:ListTagsForResource",
    "events:ListTargetsByRule",
    "events:PutRule",
    "events:PutTargets",
    "events:RemoveTargets",
    "events:TagResource",
    "events:UntagResource",
]
LOG_GROUPS_OF_THIS_ACCOUNT = [
    "logs:AssociateKmsKey",
    "logs:CreateLogGroup",
    "logs:DeleteLogGroup",
    "logs:DeleteRetentionPolicy",
    "logs:DisassociateKmsKey",
    "logs:ListTagsForResource",
    "logs:ListTagsLogGroup",
    "logs:PutRetentionPolicy",
    "logs:TagLogGroup",
    "logs:TagResource",
    "logs:UntagLogGroup",
    "logs:UntagResource",
]
ROLES_ONLY_WITH_THE_BOUNDARY = [
    "iam:AttachRolePolicy",
    "iam:CreateRole",
    "iam:DeleteRolePolicy",
    "iam:DetachRolePolicy",
    "iam:PutRolePermissionsBoundary",
    "iam:PutRolePolicy",
]
ROLES_OF_THIS_ENVIRONMENT = [
    "iam:DeleteRole",
    "iam:GetRole",
    "iam:GetRolePolicy",
    "iam:ListAttachedRolePolicies",
    "iam:ListInstanceProfilesForRole",
    "iam:ListRolePolicies",
    "iam:ListRoleTags",
    "iam:TagRole",
    "iam:UntagRole",
    "iam:UpdateAssumeRolePolicy",
    "iam:UpdateRole",
    "iam:UpdateRoleDescription",
]
POLICIES_OF_THIS_ENVIRONMENT = [
    "iam:CreatePolicy",
    "iam:CreatePolicyVersion",
    "iam:DeletePolicy",
    "iam:DeletePolicyVersion",
    "iam:GetPolicy",
    "iam:GetPolicyVersion",
    "iam:ListPolicyTags",
    "iam:ListPolicyVersions",
    "iam:TagPolicy",
    "iam:UntagPolicy",
]
GITHUB_OIDC_PROVIDER = [
    "iam:AddClientIDToOpenIDConnectProvider",
    "iam:CreateOpenIDConnectProvider",
    "iam:DeleteOpenIDConnectProvider",
    "iam:GetOpenIDConnectProvider",
    "iam:RemoveClientIDFromOpenIDConnectProvider",
    "iam:TagOpenIDConnectProvider",
    "iam:UntagOpenIDConnectProvider",
    "iam:UpdateOpenIDConnectProviderThumbprint",
]
READ_SERVICE_LINKED_ROLES = [
    "iam:DeleteServiceLinkedRole",
    "iam:GetRole",
    "iam:GetServiceLinkedRoleDeletionStatus",
]
BUCKETS_OF_THIS_ENVIRONMENT = [
    "s3:CreateBucket",
    "s3:DeleteBucket",
    "s3:DeleteBucketPolicy",
    "s3:GetAccelerateConfiguration",
    "s3:GetBucket*",
    "s3:GetEncryptionConfiguration",
    "s3:GetLifecycleConfiguration",
    "s3:GetReplicationConfiguration",
    "s3:ListBucket",
    "s3:PutBucket*",
    "s3:PutEncryptionConfiguration",
    "s3:PutLifecycleConfiguration",
]
DATABASES_OF_THIS_ENVIRONMENT = [
    "rds:AddTagsToResource",
    "rds:CreateDBInstance",
    "rds:CreateDBParameterGroup",
    "rds:CreateDBSnapshot",
    "rds:CreateDBSubnetGroup",
    "rds:DeleteDBInstance",
    "rds:DeleteDBParameterGroup",
    "rds:DeleteDBSubnetGroup",
    "rds:DescribeDBInstances",
    "rds:DescribeDBParameterGroups",
    "rds:DescribeDBParameters",
    "rds:DescribeDBSubnetGroups",
    "rds:ListTagsForResource",
    "rds:ModifyDBInstance",
    "rds:ModifyDBParameterGroup",
    "rds:ModifyDBSubnetGroup",
    "rds:RemoveTagsFromResource",
]
RDS_CATALOGUE = ["rds:DescribeDBEngineVersions", "rds:DescribeOrderableDBInstanceOptions"]
RDS_MANAGED_SECRETS = [
    "secretsmanager:CreateSecret",
    "secretsmanager:DeleteSecret",
    "secretsmanager:DescribeSecret",
    "secretsmanager:RotateSecret",
    "secretsmanager:TagResource",
]
SECRET_KEY_THROUGH_SECRETS_MANAGER = ["kms:Decrypt", "kms:GenerateDataKey"]
CREATE_KEYS = ["kms:CreateKey", "kms:ListAliases"]
KEYS_OF_THIS_ACCOUNT = [
    "kms:DescribeKey",
    "kms:EnableKeyRotation",
    "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:ListResourceTags",
    "kms:PutKeyPolicy",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:UpdateKeyDescription",
]
ALIASES_OF_THIS_ACCOUNT = ["kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias"]
STATE_AND_SECRETS_KEY_ONLY = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"]
STATE_OBJECTS = ["s3:DeleteObject", "s3:GetObject", "s3:PutObject"]
ACCOUNT_PUBLIC_ACCESS_BLOCK = ["s3:GetAccountPublicAccessBlock", "s3:PutAccountPublicAccessBlock"]
READ_THE_TRAIL = [
    "cloudtrail:AddTags",
    "cloudtrail:GetEventSelectors",
    "cloudtrail:GetTrail",
    "cloudtrail:GetTrailStatus",
    "cloudtrail:ListTags",
    "cloudtrail:RemoveTags",
]
ACCOUNT_DETECTORS_WITHOUT_RESOURCES = [
    "cloudtrail:DescribeTrails",
    "config:DescribeDeliveryChannels",
    "config:PutConfigurationRecorder",
    "config:PutDeliveryChannel",
    "guardduty:CreateDetector",
    "guardduty:ListDetectors",
]
CONFIG_RECORDER_OF_THIS_ACCOUNT = [
    "config:DescribeConfigurationRecorderStatus",
    "config:DescribeConfigurationRecorders",
    "config:StartConfigurationRecorder",
]
GUARD_DUTY_DETECTOR_OF_THIS_ACCOUNT = [
    "guardduty:GetDetector",
    "guardduty:ListTagsForResource",
    "guardduty:TagResource",
    "guardduty:UntagResource",
    "guardduty:UpdateDetector",
]
ACCESS_ANALYZER_OF_THIS_ENVIRONMENT = [
    "access-analyzer:CreateAnalyzer",
    "access-analyzer:GetAnalyzer",
    "access-analyzer:ListTagsForResource",
    "access-analyzer:TagResource",
    "access-analyzer:UntagResource",
]
SECURITY_HUB_OF_THIS_ACCOUNT = [
    "securityhub:BatchEnableStandards",
    "securityhub:DescribeHub",
    "securityhub:DescribeStandards",
    "securityhub:EnableSecurityHub",
    "securityhub:GetEnabledStandards",
    "securityhub:ListTagsForResource",
    "securityhub:TagResource",
    "securityhub:UpdateSecurityHubConfiguration",
]
TOPICS_OF_THIS_ENVIRONMENT = [
    "sns:CreateTopic",
    "sns:GetSubscriptionAttributes",
    "sns:GetTopicAttributes",
    "sns:ListSubscriptionsByTopic",
    "sns:ListTagsForResource",
    "sns:SetTopicAttributes",
    "sns:Subscribe",
    "sns:TagResource",
    "sns:Unsubscribe",
    "sns:UntagResource",
]
ALARMS_OF_THIS_ENVIRONMENT = [
    "cloudwatch:DeleteAlarms",
    "cloudwatch:DescribeAlarms",
    "cloudwatch:ListTagsForResource",
    "cloudwatch:PutMetricAlarm",
    "cloudwatch:TagResource",
    "cloudwatch:UntagResource",
]
METRIC_FILTERS_ON_THE_TRAIL_LOG_GROUP = [
    "logs:DeleteMetricFilter",
    "logs:DescribeMetricFilters",
    "logs:PutMetricFilter",
]
BUDGETS_OF_THIS_ENVIRONMENT = [
    "budgets:ListTagsForResource",
    "budgets:ModifyBudget",
    "budgets:TagResource",
    "budgets:UntagResource",
    "budgets:ViewBudget",
]
COST_ANOMALY_DETECTION_OF_THIS_ACCOUNT = [
    "ce:CreateAnomalyMonitor",
    "ce:CreateAnomalySubscription",
    "ce:GetAnomalyMonitors",
    "ce:GetAnomalySubscriptions",
    "ce:ListTagsForResource",
    "ce:TagResource",
    "ce:UntagResource",
    "ce:UpdateAnomalyMonitor",
    "ce:UpdateAnomalySubscription",
]


@component_args
class DeployScope:
    """The names the deploy role's policies are scoped to."""

    account_id: str = arg("the environment's account")
    region: str = arg("the environment's region")
    name_prefix: str = arg("prefix of every IAM role and policy name of the environment")
    cluster_name: str = arg("the EKS cluster")
    boundary_arn: str = arg("the boundary every role it creates must carry")
    state_bucket: str = arg("the S3 bucket holding the Pulumi state (from `mlplat bootstrap`)")

    def arn(
        self, service: str, resource: str, *, regional: bool = True, in_account: bool = True
    ) -> str:
        """`arn:<partition>:<service>:<region>:<account>:<resource>` in the scope's partition;
        IAM, budgets and Cost Explorer are global (no region), S3 buckets name no account."""
        region = self.region if regional else ""
        account = self.account_id if in_account else ""
        return f"arn:{partition(self.region)}:{service}:{region}:{account}:{resource}"


def inside_scope(role_name: str, scope: DeployScope) -> list[str]:
    """A CI role is named inside the scope it deploys, like every role it creates."""
    if role_name.startswith(f"{scope.name_prefix}-"):
        return []
    return [f"role_name: {role_name!r} is outside the scope `{scope.name_prefix}-*`"]


@component_args
class DeployRoleArgs:
    scope: DeployScope = arg("what the role may deploy")
    role_name: str = arg("the role's name (its policies are `<role>-<purpose>`), inside the scope")
    github_repository: str = arg("`owner/name` of the repository whose workflows deploy")
    github_environment: str = arg("the GitHub environment a job must run in (its approvals)")
    permissions_boundary_arn: pulumi.Input[str] = arg("the environment's permission boundary")


# The repository's OIDC subject template (GitHub: PUT /repos/{owner}/{repo}/actions/oidc/
# customization/sub, once, by a repository admin; `mlplat bootstrap` prints the call). With it a
# token's `sub` names the job's GitHub environment and the workflow file at its ref, so a trust
# can tell the deploy workflow on main from any other job in the same environment.
SUBJECT_CLAIMS = ("repo", "context", "job_workflow_ref")
WORKFLOWS = ".github/workflows"


def deploy_subject(repository: str, environment: str) -> str:
    """`pulumi up`: the reusable deploy workflow as merged on main, in the environment."""
    return (
        f"repo:{repository}:environment:{environment}:"
        f"job_workflow_ref:{repository}/{WORKFLOWS}/pulumi-up.yml@refs/heads/main"
    )


def preview_subject(repository: str, environment: str) -> str:
    """`pulumi preview` of a pull request (any number), in the environment's preview gate."""
    return (
        f"repo:{repository}:environment:preview-{environment}:"
        f"job_workflow_ref:{repository}/{WORKFLOWS}/pull-request.yml@refs/pull/*/merge"
    )


def promotion_subject(repository: str, environment: str) -> str:
    """The promotion workflow as merged on main, in the target environment."""
    return (
        f"repo:{repository}:environment:{environment}:"
        f"job_workflow_ref:{repository}/{WORKFLOWS}/promote.yml@refs/heads/main"
    )


def github_trust(provider_arn: pulumi.Input[str], *, subject: str) -> pulumi.Output[str]:
    """The trust policy of a role GitHub Actions assume, for one OIDC subject."""
    return pulumi.Output.from_input(provider_arn).apply(
        lambda arn: docs.to_json(trust_document(provider_arn=arn, subject=subject))
    )


def trust_document(*, provider_arn: str, subject: str) -> dict:
    """Audience and subject pinned; a subject with a wildcard (a pull request's number) takes
    StringLike, every other StringEquals."""
    operator = "StringLike" if "*" in subject else "StringEquals"
    conditions: dict[str, dict[str, str]] = {
        "StringEquals": {f"{GITHUB_OIDC_HOST}:aud": GITHUB_AUDIENCE}
    }
    conditions.setdefault(operator, {})[f"{GITHUB_OIDC_HOST}:sub"] = subject
    return docs.document(
        {
            "Sid": "GithubActionsOfThisWorkflow",
            "Effect": "Allow",
            "Principal": {"Federated": provider_arn},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": conditions,
        }
    )


def _network_policy(scope: DeployScope) -> dict:
    return docs.document(
        # What the provider reads back to refresh and diff; Describe calls take no resource.
        docs.allow(NETWORK_READS, ["*"], sid="NetworkReads"),
        docs.allow(
            NETWORK_OF_THIS_ACCOUNT,
            [scope.arn("ec2", "*")],
            sid="NetworkOfThisAccount",
        ),
        # Account settings of the region: these APIs take no resource.
        docs.allow(
            REGIONAL_ACCOUNT_SETTINGS,
            ["*"],
            sid="RegionalAccountSettings",
        ),
    )


def _cluster_policy(scope: DeployScope) -> dict:
    return docs.document(
        docs.allow(
            THIS_CLUSTER,
            [
                scope.arn("eks", f"cluster/{scope.cluster_name}"),
                scope.arn("eks", f"addon/{scope.cluster_name}/*"),
                scope.arn("eks", f"nodegroup/{scope.cluster_name}/*"),
                scope.arn("eks", f"access-entry/{scope.cluster_name}/*"),
                scope.arn("eks", f"podidentityassociation/{scope.cluster_name}/*"),
            ],
            sid="ThisCluster",
        ),
        # The add-on and version catalogue: these APIs take no resource.
        docs.allow(
            EKS_CATALOGUE,
            ["*"],
            sid="EksCatalogue",
        ),
        docs.allow(
            QUEUES_OF_THIS_ENVIRONMENT,
            [scope.arn("sqs", f"{scope.name_prefix}-*")],
            sid="QueuesOfThisEnvironment",
        ),
        docs.allow(
            EVENT_RULES_OF_THIS_ENVIRONMENT,
            [scope.arn("events", f"rule/{scope.name_prefix}-*")],
            sid="EventRulesOfThisEnvironment",
        ),
        docs.allow(
            LOG_GROUPS_OF_THIS_ACCOUNT,
            [scope.arn("logs", "log-group:*")],
            sid="LogGroupsOfThisAccount",
        ),
        # DescribeLogGroups lists the account's groups: it takes no resource.
        docs.allow(["logs:DescribeLogGroups"], ["*"], sid="ListLogGroups"),
    )


def _identity_policy(scope: DeployScope) -> dict:
    return docs.document(
        # The heart of it: whatever role the deployer creates or grants to carries the
        # environment's boundary, so nothing it makes can do more than the boundary allows.
        docs.allow(
            ROLES_ONLY_WITH_THE_BOUNDARY,
            [scope.arn("iam", f"role/{scope.name_prefix}-*", regional=False)],
            sid="RolesOnlyWithTheBoundary",
            conditions={"ArnEquals": {"iam:PermissionsBoundary": scope.boundary_arn}},
        ),
        docs.allow(
            ROLES_OF_THIS_ENVIRONMENT,
            [scope.arn("iam", f"role/{scope.name_prefix}-*", regional=False)],
            sid="RolesOfThisEnvironment",
        ),
        # Every role under the prefix carries the boundary, so passing one cannot widen
        # what the receiving service gets beyond it.
        docs.allow(
            ["iam:PassRole"],
            [scope.arn("iam", f"role/{scope.name_prefix}-*", regional=False)],
            sid="PassOnlyOwnRoles",
        ),
        docs.allow(
            POLICIES_OF_THIS_ENVIRONMENT,
            [scope.arn("iam", f"policy/{scope.name_prefix}-*", regional=False)],
            sid="PoliciesOfThisEnvironment",
        ),
        docs.allow(
            GITHUB_OIDC_PROVIDER,
            [scope.arn("iam", f"oidc-provider/{GITHUB_OIDC_HOST}", regional=False)],
            sid="GithubOidcProvider",
        ),
        docs.allow(
            ["iam:CreateServiceLinkedRole"],
            [scope.arn("iam", "role/aws-service-role/*", regional=False)],
            sid="ServiceLinkedRolesThePlatformUses",
            conditions={"StringEquals": {"iam:AWSServiceName": SERVICE_LINKED}},
        ),
        docs.allow(
            READ_SERVICE_LINKED_ROLES,
            [
                scope.arn("iam", f"role/aws-service-role/{service}/*", regional=False)
                for service in SERVICE_LINKED
            ],
            sid="ReadServiceLinkedRoles",
        ),
    )


def _storage_policy(scope: DeployScope) -> dict:
    return docs.document(
        docs.allow(
            BUCKETS_OF_THIS_ENVIRONMENT,
            [scope.arn("s3", f"{scope.name_prefix}-*", regional=False, in_account=False)],
            sid="BucketsOfThisEnvironment",
        ),
        # Whoever may write a bucket policy could grant itself the objects; this Deny wins over
        # any such grant: the deployer touches no object outside the state bucket.
        {
            "Sid": "NoObjectAccessButTheState",
            "Effect": "Deny",
            "Action": ["s3:DeleteObject*", "s3:GetObject*", "s3:PutObject*"],
            "NotResource": [
                scope.arn("s3", f"{scope.state_bucket}", regional=False, in_account=False),
                scope.arn("s3", f"{scope.state_bucket}/*", regional=False, in_account=False),
            ],
        },
    )


def _database_policy(scope: DeployScope) -> dict:
    return docs.document(
        docs.allow(
            DATABASES_OF_THIS_ENVIRONMENT,
            [
                scope.arn("rds", f"{kind}:{scope.name_prefix}-*")
                for kind in ("db", "pg", "snapshot", "subgrp")
            ],
            sid="DatabasesOfThisEnvironment",
        ),
        # The engine catalogue: these APIs take no resource.
        docs.allow(
            RDS_CATALOGUE,
            ["*"],
            sid="RdsCatalogue",
        ),
        # RDS creates the master-password secret under the caller's identity (`rds!` names).
        docs.allow(
            RDS_MANAGED_SECRETS,
            [scope.arn("secretsmanager", "secret:rds!*")],
            sid="RdsManagedSecrets",
        ),
        docs.allow(
            SECRET_KEY_THROUGH_SECRETS_MANAGER,
            [scope.arn("kms", "key/*")],
            sid="SecretKeyThroughSecretsManager",
            conditions={
                "StringEquals": {"kms:ViaService": f"secretsmanager.{scope.region}.amazonaws.com"}
            },
        ),
    )


def _keys_and_state_policy(scope: DeployScope) -> dict:
    ((key, value),) = STATE_KEY_TAG.items()
    return docs.document(
        # CreateKey names no key (it does not exist yet); the boundary keeps KMS in-account.
        docs.allow(CREATE_KEYS, ["*"], sid="CreateKeys"),
        docs.allow(
            KEYS_OF_THIS_ACCOUNT,
            [scope.arn("kms", "key/*")],
            sid="KeysOfThisAccount",
        ),
        docs.allow(
            ALIASES_OF_THIS_ACCOUNT,
            [
                scope.arn("kms", "alias/*"),
                scope.arn("kms", "key/*"),
            ],
            sid="AliasesOfThisAccount",
        ),
        # EKS secrets encryption and encrypted node volumes: grants only to AWS services.
        docs.allow(
            ["kms:CreateGrant"],
            [scope.arn("kms", "key/*")],
            sid="GrantsToAwsServicesOnly",
            conditions={"Bool": {"kms:GrantIsForAWSResource": "true"}},
        ),
        # Bootstrap tags the state key; the deployer decrypts with no other key.
        docs.allow(
            STATE_AND_SECRETS_KEY_ONLY,
            [scope.arn("kms", "key/*")],
            sid="StateAndSecretsKeyOnly",
            conditions={"StringEquals": {f"aws:ResourceTag/{key}": value}},
        ),
        docs.allow(
            ["s3:ListBucket"],
            [scope.arn("s3", f"{scope.state_bucket}", regional=False, in_account=False)],
            sid="StateBucket",
        ),
        docs.allow(
            STATE_OBJECTS,
            [scope.arn("s3", f"{scope.state_bucket}/*", regional=False, in_account=False)],
            sid="StateObjects",
        ),
        # The account-wide S3 public access block is an account setting: no resource.
        docs.allow(
            ACCOUNT_PUBLIC_ACCESS_BLOCK,
            ["*"],
            sid="AccountPublicAccessBlock",
        ),
    )


def _audit_policy(scope: DeployScope) -> dict:
    return docs.document(
        # The trail is read here, never changed: the boundary denies UpdateTrail,
        # PutEventSelectors, StopLogging and DeleteTrail to every role, this one included,
        # so an admin creates and changes it (README: who runs `pulumi up`).
        docs.allow(
            READ_THE_TRAIL,
            [scope.arn("cloudtrail", f"trail/{scope.name_prefix}")],
            sid="ReadTheTrail",
        ),
        # Describe/List calls of these services take no resource, nor do Config's recorder
        # and delivery channel (one each per account and region) nor GuardDuty's detector
        # creation.
        docs.allow(
            ACCOUNT_DETECTORS_WITHOUT_RESOURCES,
            ["*"],
            sid="AccountDetectorsWithoutResources",
        ),
        docs.allow(
            CONFIG_RECORDER_OF_THIS_ACCOUNT,
            [scope.arn("config", "configuration-recorder/*")],
            sid="ConfigRecorderOfThisAccount",
        ),
        docs.allow(
            GUARD_DUTY_DETECTOR_OF_THIS_ACCOUNT,
            [scope.arn("guardduty", "detector/*")],
            sid="GuardDutyDetectorOfThisAccount",
        ),
        docs.allow(
            ACCESS_ANALYZER_OF_THIS_ENVIRONMENT,
            [scope.arn("access-analyzer", f"analyzer/{scope.name_prefix}")],
            sid="AccessAnalyzerOfThisEnvironment",
        ),
        docs.allow(
            SECURITY_HUB_OF_THIS_ACCOUNT,
            [
                scope.arn("securityhub", "hub/default"),
                scope.arn("securityhub", "subscription/*"),
            ],
            sid="SecurityHubOfThisAccount",
        ),
        # Config's recorder runs as its service-linked role; passing it is all it needs.
        docs.allow(
            ["iam:PassRole"],
            [
                scope.arn(
                    "iam",
                    "role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig",
                    regional=False,
                )
            ],
            sid="PassConfigItsServiceLinkedRole",
            conditions={"StringEquals": {"iam:PassedToService": "config.amazonaws.com"}},
        ),
    )


def _alerts_policy(scope: DeployScope) -> dict:
    return docs.document(
        docs.allow(
            TOPICS_OF_THIS_ENVIRONMENT,
            [scope.arn("sns", f"{scope.name_prefix}-*")],
            sid="TopicsOfThisEnvironment",
        ),
        docs.allow(
            ALARMS_OF_THIS_ENVIRONMENT,
            [scope.arn("cloudwatch", f"alarm:{scope.name_prefix}-*")],
            sid="AlarmsOfThisEnvironment",
        ),
        docs.allow(
            METRIC_FILTERS_ON_THE_TRAIL_LOG_GROUP,
            [scope.arn("logs", f"log-group:/aws/cloudtrail/{scope.name_prefix}:*")],
            sid="MetricFiltersOnTheTrailLogGroup",
        ),
        docs.allow(
            BUDGETS_OF_THIS_ENVIRONMENT,
            [scope.arn("budgets", f"budget/{scope.name_prefix}-*", regional=False)],
            sid="BudgetsOfThisEnvironment",
        ),
        docs.allow(
            COST_ANOMALY_DETECTION_OF_THIS_ACCOUNT,
            [
                scope.arn("ce", "anomalymonitor/*", regional=False),
                scope.arn("ce", "anomalysubscription/*", regional=False),
            ],
            sid="CostAnomalyDetectionOfThisAccount",
        ),
    )


# One managed policy per purpose, in this order (the README lists them from here).
DEPLOY_POLICIES: dict[str, Callable[[DeployScope], dict]] = {
    "network": _network_policy,
    "cluster": _cluster_policy,
    "identity": _identity_policy,
    "storage": _storage_policy,
    "database": _database_policy,
    "keys-and-state": _keys_and_state_policy,
    "audit": _audit_policy,
    "alerts": _alerts_policy,
}


def deploy_policies(scope: DeployScope) -> dict[str, dict]:
    """Policy documents by purpose; each stays under IAM's 6,144-character managed-policy limit.

    Bucket settings only, no object access: the deployer never reads a model or a log."""
    return {purpose: policy(scope) for purpose, policy in DEPLOY_POLICIES.items()}


class DeployRole(pulumi.ComponentResource):
    """GitHub's OIDC provider, the deploy role it may assume, and the role's scoped policies."""

    def __init__(self, name: str, args: DeployRoleArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("mlplat:iam:DeployRole", name, None, opts)
        if problems := inside_scope(args.role_name, args.scope):
            raise ValueError(f"DeployRole {name}: " + "; ".join(problems))
        child = pulumi.ResourceOptions(parent=self)
        scope = args.scope
        # One per account and URL. No thumbprint: AWS verifies GitHub's certificate against its
        # own trusted CAs for this provider.
        self.oidc_provider = aws.iam.OpenIdConnectProvider(
            f"{name}-github",
            url=f"https://{GITHUB_OIDC_HOST}",
            client_id_lists=[GITHUB_AUDIENCE],
            opts=child,
        )
        self.role = aws.iam.Role(
            f"{name}-role",
            name=args.role_name,
            description=f"CI: `pulumi up` from {args.github_repository} "
            f"(GitHub environment {args.github_environment})",
            assume_role_policy=github_trust(
                self.oidc_provider.arn,
                subject=deploy_subject(args.github_repository, args.github_environment),
            ),
            permissions_boundary=args.permissions_boundary_arn,
            max_session_duration=SESSION_SECONDS,
            opts=child,
        )
        for purpose, document in deploy_policies(scope).items():
            policy = aws.iam.Policy(
                f"{name}-{purpose}",
                name=f"{args.role_name}-{purpose}",
                description=f"CI deploy role: {purpose}",
                policy=docs.to_json(document),
                opts=child,
            )
            aws.iam.RolePolicyAttachment(
                f"{name}-{purpose}", role=self.role.name, policy_arn=policy.arn, opts=child
            )
        self.role_arn = self.role.arn
        self.oidc_provider_arn = self.oidc_provider.arn
        self.register_outputs(
            {"role_arn": self.role.arn, "oidc_provider_arn": self.oidc_provider.arn}
        )
