"""The CI deploy role can create every AWS resource its environment's program declares, and
nothing here needs a grant the role does not have.

A small evaluator reads the role's policies from the synthesized state: an Allow statement
applies when an action and a resource pattern match and every condition is one it can decide
(the boundary a role carries, the service of a service-linked role). A new resource type fails
here until it has a row below and the deploy policies cover it.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Callable, Mapping
from typing import Any

import pytest

from mlplat.synth import synthesize

Resource = Mapping[str, Any]
# type -> (the action that creates it, the resource ARN that action is authorized against)
Target = Callable[[Resource, "Env"], tuple[str, str, dict[str, str]]]


class Env:
    def __init__(self, state: dict[str, Any]):
        self.resources = state["deployment"]["resources"]
        stack = self.resources[0]["outputs"]
        self.account, self.region = stack["account_id"], stack["region"]
        self.cluster = stack["cluster_name"]
        self.roles = {
            r["outputs"]["name"]: r for r in self.resources if r["type"] == "aws:iam/role:Role"
        }

    def ec2(self, kind: str) -> str:
        return f"arn:aws:ec2:{self.region}:{self.account}:{kind}/new"

    def role(self, name: str) -> tuple[str, dict[str, str]]:
        role = self.roles[name]
        boundary = role["inputs"].get("permissionsBoundary", "")
        return role["outputs"]["arn"], {"iam:PermissionsBoundary": boundary}


def ec2(kind: str, action: str) -> Target:
    return lambda r, env: (action, env.ec2(kind), {})


def unscoped(action: str) -> Target:
    return lambda r, env: (action, "*", {})


def own_arn(action: str) -> Target:
    return lambda r, env: (action, r["outputs"]["arn"], {})


def arn(action: str, template: str) -> Target:
    """`action` on the ARN `template` spells from the environment and the resource's inputs."""
    return lambda r, env: (
        action,
        template.format(
            region=env.region, account=env.account, cluster=env.cluster, inputs=r["inputs"]
        ),
        {},
    )


def of_cluster(action: str) -> Target:
    return arn(action, "arn:aws:eks:{region}:{account}:cluster/{cluster}")


def of_role(action: str) -> Target:
    return lambda r, env: (action, *env.role(str(r["inputs"]["role"])))


def access_entry(r: Resource, env: Env) -> tuple[str, str, dict[str, str]]:
    principal = str(r["inputs"]["principalArn"]).rsplit("/", 1)[-1]
    arn = f"arn:aws:eks:{env.region}:{env.account}:access-entry/{env.cluster}/role/"
    return "eks:AssociateAccessPolicy", f"{arn}{env.account}/{principal}/uuid", {}


def service_linked(r: Resource, env: Env) -> tuple[str, str, dict[str, str]]:
    return (
        "iam:CreateServiceLinkedRole",
        r["outputs"]["arn"],
        {"iam:AWSServiceName": r["inputs"]["awsServiceName"]},
    )


def event_rule(action: str, key: str) -> Target:
    return arn(action, f"arn:aws:events:{{region}}:{{account}}:rule/{{inputs[{key}]}}")


def queue_policy(r: Resource, env: Env) -> tuple[str, str, dict[str, str]]:
    name = str(r["inputs"]["queueUrl"]).rsplit("/", 1)[-1]
    return "sqs:SetQueueAttributes", f"arn:aws:sqs:{env.region}:{env.account}:{name}", {}


def bucket_side(action: str) -> Target:
    return arn(action, "arn:aws:s3:::{inputs[bucket]}")


CREATES: dict[str, Target] = {
    "aws:rds/instance:Instance": own_arn("rds:CreateDBInstance"),
    "aws:rds/subnetGroup:SubnetGroup": own_arn("rds:CreateDBSubnetGroup"),
    "aws:rds/parameterGroup:ParameterGroup": own_arn("rds:CreateDBParameterGroup"),
    "aws:s3/bucket:Bucket": own_arn("s3:CreateBucket"),
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": bucket_side(
        "s3:PutBucketPublicAccessBlock"
    ),
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": bucket_side(
        "s3:PutBucketOwnershipControls"
    ),
    "aws:s3/bucketVersioning:BucketVersioning": bucket_side("s3:PutBucketVersioning"),
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": (
        bucket_side("s3:PutEncryptionConfiguration")
    ),
    "aws:s3/bucketPolicy:BucketPolicy": bucket_side("s3:PutBucketPolicy"),
    "aws:s3/bucketLogging:BucketLogging": bucket_side("s3:PutBucketLogging"),
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": bucket_side(
        "s3:PutLifecycleConfiguration"
    ),
    "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration": bucket_side(
        "s3:PutBucketObjectLockConfiguration"
    ),
    "aws:ec2/vpc:Vpc": ec2("vpc", "ec2:CreateVpc"),
    "aws:ec2/subnet:Subnet": ec2("subnet", "ec2:CreateSubnet"),
    "aws:ec2/routeTable:RouteTable": ec2("route-table", "ec2:CreateRouteTable"),
    "aws:ec2/route:Route": ec2("route-table", "ec2:CreateRoute"),
    "aws:ec2/routeTableAssociation:RouteTableAssociation": ec2(
        "route-table", "ec2:AssociateRouteTable"
    ),
    "aws:ec2/defaultRouteTable:DefaultRouteTable": ec2("route-table", "ec2:CreateTags"),
    "aws:ec2/internetGateway:InternetGateway": ec2("internet-gateway", "ec2:CreateInternetGateway"),
    "aws:ec2/eip:Eip": ec2("elastic-ip", "ec2:AllocateAddress"),
    "aws:ec2/natGateway:NatGateway": ec2("natgateway", "ec2:CreateNatGateway"),
    "aws:ec2/vpcEndpoint:VpcEndpoint": ec2("vpc-endpoint", "ec2:CreateVpcEndpoint"),
    "aws:ec2/securityGroup:SecurityGroup": ec2("security-group", "ec2:CreateSecurityGroup"),
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": ec2(
        "security-group", "ec2:RevokeSecurityGroupEgress"
    ),
    "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl": ec2("network-acl", "ec2:DeleteNetworkAclEntry"),
    "aws:ec2/flowLog:FlowLog": ec2("vpc-flow-log", "ec2:CreateFlowLogs"),
    "aws:ec2/launchTemplate:LaunchTemplate": ec2("launch-template", "ec2:CreateLaunchTemplate"),
    "aws:ec2/vpcBlockPublicAccessOptions:VpcBlockPublicAccessOptions": unscoped(
        "ec2:ModifyVpcBlockPublicAccessOptions"
    ),
    "aws:ec2/instanceMetadataDefaults:InstanceMetadataDefaults": unscoped(
        "ec2:ModifyInstanceMetadataDefaults"
    ),
    "aws:ebs/encryptionByDefault:EncryptionByDefault": unscoped("ec2:EnableEbsEncryptionByDefault"),
    "aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock": unscoped(
        "s3:PutAccountPublicAccessBlock"
    ),
    "aws:eks/cluster:Cluster": own_arn("eks:CreateCluster"),
    "aws:eks/addon:Addon": of_cluster("eks:CreateAddon"),
    "aws:eks/nodeGroup:NodeGroup": of_cluster("eks:CreateNodegroup"),
    "aws:eks/accessEntry:AccessEntry": of_cluster("eks:CreateAccessEntry"),
    "aws:eks/accessPolicyAssociation:AccessPolicyAssociation": access_entry,
    "aws:eks/podIdentityAssociation:PodIdentityAssociation": of_cluster(
        "eks:CreatePodIdentityAssociation"
    ),
    "aws:iam/role:Role": lambda r, env: ("iam:CreateRole", *env.role(r["outputs"]["name"])),
    "aws:iam/rolePolicy:RolePolicy": of_role("iam:PutRolePolicy"),
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": of_role("iam:AttachRolePolicy"),
    "aws:iam/policy:Policy": own_arn("iam:CreatePolicy"),
    "aws:iam/serviceLinkedRole:ServiceLinkedRole": service_linked,
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": own_arn(
        "iam:CreateOpenIDConnectProvider"
    ),
    "aws:kms/key:Key": unscoped("kms:CreateKey"),
    "aws:kms/alias:Alias": own_arn("kms:CreateAlias"),
    "aws:cloudwatch/logGroup:LogGroup": own_arn("logs:CreateLogGroup"),
    "aws:cloudwatch/eventRule:EventRule": event_rule("events:PutRule", "name"),
    "aws:cloudwatch/eventTarget:EventTarget": event_rule("events:PutTargets", "rule"),
    "aws:sqs/queue:Queue": own_arn("sqs:CreateQueue"),
    "aws:sqs/queuePolicy:QueuePolicy": queue_policy,
    "aws:sns/topic:Topic": own_arn("sns:CreateTopic"),
    "aws:sns/topicPolicy:TopicPolicy": arn(
        "sns:SetTopicAttributes", "arn:aws:sns:{region}:{account}:{cluster}-alarms"
    ),
    "aws:sns/topicSubscription:TopicSubscription": arn(
        "sns:Subscribe", "arn:aws:sns:{region}:{account}:{cluster}-alarms"
    ),
    "aws:cloudwatch/logMetricFilter:LogMetricFilter": arn(
        "logs:PutMetricFilter", "arn:aws:logs:{region}:{account}:log-group:{inputs[logGroupName]}:*"
    ),
    "aws:cloudwatch/metricAlarm:MetricAlarm": arn(
        "cloudwatch:PutMetricAlarm", "arn:aws:cloudwatch:{region}:{account}:alarm:{inputs[name]}"
    ),
    "aws:guardduty/detector:Detector": unscoped("guardduty:CreateDetector"),
    "aws:guardduty/detectorFeature:DetectorFeature": arn(
        "guardduty:UpdateDetector",
        "arn:aws:guardduty:{region}:{account}:detector/{inputs[detectorId]}",
    ),
    "aws:accessanalyzer/analyzer:Analyzer": arn(
        "access-analyzer:CreateAnalyzer",
        "arn:aws:access-analyzer:{region}:{account}:analyzer/{inputs[analyzerName]}",
    ),
    "aws:cfg/recorder:Recorder": unscoped("config:PutConfigurationRecorder"),
    "aws:cfg/deliveryChannel:DeliveryChannel": unscoped("config:PutDeliveryChannel"),
    "aws:cfg/recorderStatus:RecorderStatus": arn(
        "config:StartConfigurationRecorder",
        "arn:aws:config:{region}:{account}:configuration-recorder/{inputs[name]}/id",
    ),
    "aws:budgets/budget:Budget": arn(
        "budgets:ModifyBudget", "arn:aws:budgets::{account}:budget/{inputs[name]}"
    ),
    "aws:costexplorer/anomalyMonitor:AnomalyMonitor": arn(
        "ce:CreateAnomalyMonitor", "arn:aws:ce::{account}:anomalymonitor/new"
    ),
    "aws:costexplorer/anomalySubscription:AnomalySubscription": arn(
        "ce:CreateAnomalySubscription", "arn:aws:ce::{account}:anomalysubscription/new"
    ),
    "aws:securityhub/account:Account": arn(
        "securityhub:EnableSecurityHub", "arn:aws:securityhub:{region}:{account}:hub/default"
    ),
    "aws:securityhub/standardsSubscription:StandardsSubscription": arn(
        "securityhub:BatchEnableStandards", "arn:aws:securityhub:{region}:{account}:hub/default"
    ),
}
# Resources only an admin creates or changes, and why; the deploy role must not manage them.
ADMIN_ONLY: dict[str, tuple[str, str]] = {
    # The boundary (KeepTheAuditTrailAndKeys) denies trail changes to every role it bounds, and
    # the provider sets a trail's event selectors right after creating it.
    "aws:cloudtrail/trail:Trail": ("cloudtrail:PutEventSelectors", "trail/{cluster}"),
}


def allowed(statements: list[dict], action: str, resource: str, context: dict[str, str]) -> bool:
    def decided(condition: Mapping[str, Mapping[str, Any]]) -> bool:
        for operator, block in condition.items():
            if operator not in ("ArnEquals", "StringEquals"):
                return False
            for key, expected in block.items():
                values = expected if isinstance(expected, list) else [expected]
                if context.get(key) not in values:
                    return False
        return True

    return any(
        any(fnmatch.fnmatchcase(action.lower(), a.lower()) for a in s["Action"])
        and any(r == "*" or fnmatch.fnmatchcase(resource, r) for r in s["Resource"])
        and decided(s.get("Condition") or {})
        for s in statements
        if s["Effect"] == "Allow"
    )


@pytest.fixture(scope="module", params=("dev", "staging", "prod"))
def env(request):
    return Env(synthesize(request.param).state)


def deploy_statements(env: Env) -> list[dict]:
    return role_statements(env, f"{env.cluster}-deploy", 8)


def role_statements(env: Env, name: str, count: int) -> list[dict]:
    role = env.roles[name]
    policies = {
        r["outputs"]["arn"]: r for r in env.resources if r["type"] == "aws:iam/policy:Policy"
    }
    attached = [
        policies[r["inputs"]["policyArn"]]
        for r in env.resources
        if r["type"] == "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
        and r["inputs"]["role"] == role["outputs"]["name"]
    ]
    assert len(attached) == count
    return [s for p in attached for s in json.loads(p["inputs"]["policy"])["Statement"]]


def test_the_deploy_role_can_create_every_aws_resource_of_the_program(env):
    statements = deploy_statements(env)
    aws = [r for r in env.resources if r["type"].startswith("aws:")]
    unmapped = sorted({r["type"] for r in aws} - set(CREATES) - set(ADMIN_ONLY))
    assert not unmapped, f"add a row to CREATES and a grant to the deploy policies: {unmapped}"
    denied = []
    for resource in (r for r in aws if r["type"] not in ADMIN_ONLY):
        action, arn, context = CREATES[resource["type"]](resource, env)
        if not allowed(statements, action, arn, context):
            denied.append((resource["urn"].rsplit("::", 1)[-1], action, arn))
    assert not denied


def test_every_role_is_inside_the_deploy_scope_and_carries_the_boundary(env):
    boundary = f"arn:aws:iam::{env.account}:policy/{env.cluster}-permissions-boundary"
    for name, role in env.roles.items():
        assert name.startswith(f"{env.cluster}-"), name
        assert role["inputs"]["permissionsBoundary"] == boundary, name


def test_a_role_without_the_boundary_cannot_be_created(env):
    statements = deploy_statements(env)
    boundary = f"arn:aws:iam::{env.account}:policy/{env.cluster}-permissions-boundary"
    arn = f"arn:aws:iam::{env.account}:role/{env.cluster}-escape"
    assert not allowed(statements, "iam:CreateRole", arn, {"iam:PermissionsBoundary": ""})
    assert not allowed(
        statements,
        "iam:CreateRole",
        f"arn:aws:iam::{env.account}:role/other-team",
        {"iam:PermissionsBoundary": boundary},
    )


def test_admin_only_resources_stay_out_of_the_deploy_roles_reach(env):
    statements = deploy_statements(env)
    boundary = next(
        json.loads(r["inputs"]["policy"])
        for r in env.resources
        if r["type"] == "aws:iam/policy:Policy"
        and r["inputs"]["name"] == f"{env.cluster}-permissions-boundary"
    )
    denied = {a for s in boundary["Statement"] if s["Effect"] == "Deny" for a in s["Action"]}
    for type_, (action, resource) in ADMIN_ONLY.items():
        assert any(r["type"] == type_ for r in env.resources), type_
        arn = f"arn:aws:{action.split(':')[0]}:{env.region}:{env.account}:" + resource.format(
            cluster=env.cluster
        )
        assert not allowed(statements, action, arn, {})
        assert action in denied, f"the boundary no longer denies {action}"


def test_the_preview_role_can_create_change_or_delete_nothing_the_program_declares(env):
    statements = role_statements(env, f"{env.cluster}-preview", 2)
    aws = [r for r in env.resources if r["type"].startswith("aws:")]
    granted = []
    for resource in aws:
        if resource["type"] in ADMIN_ONLY:
            continue
        action, arn, context = CREATES[resource["type"]](resource, env)
        # The boundary and service contexts a create would carry: still refused.
        if allowed(statements, action, arn, context):
            granted.append((resource["type"], action))
    assert not granted
    every_action = {a for s in statements if s["Effect"] == "Allow" for a in s["Action"]}
    writes = sorted(a for a in every_action if not a.split(":", 1)[1].startswith(("Describe", "Get", "List", "View")))  # fmt: skip
    assert writes == ["kms:Decrypt"], writes  # the state and its secrets, with the state key only
    bucket = f"arn:aws:s3:::mlplat-{env.cluster.removeprefix('mlplat-')}-pulumi-state-{env.account}"
    # Nothing of the state is written, not even a lock file (a preview takes none).
    for key in (
        ".pulumi/stacks/mlplat/prod.json",
        ".pulumi/locks/organization/mlplat/prod/1.json",
        "x",
    ):
        for action in ("s3:PutObject", "s3:DeleteObject"):
            assert not allowed(statements, action, f"{bucket}/{key}", {}), (action, key)


def test_the_two_ci_roles_trust_exactly_their_workflows(env):
    host = "token.actions.githubusercontent.com"
    name = env.cluster.removeprefix("mlplat-")
    repository = "example-org/mlplat"
    expected = {
        f"{env.cluster}-deploy": {
            "StringEquals": {
                f"{host}:aud": "sts.amazonaws.com",
                f"{host}:sub": f"repo:{repository}:environment:{name}:job_workflow_ref:"
                f"{repository}/.github/workflows/pulumi-up.yml@refs/heads/main",
            }
        },
        f"{env.cluster}-preview": {
            "StringEquals": {f"{host}:aud": "sts.amazonaws.com"},
            "StringLike": {
                f"{host}:sub": f"repo:{repository}:environment:preview-{name}:job_workflow_ref:"
                f"{repository}/.github/workflows/pull-request.yml@refs/pull/*/merge"
            },
        },
    }
    for role, condition in expected.items():
        (statement,) = json.loads(env.roles[role]["inputs"]["assumeRolePolicy"])["Statement"]
        assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
        assert statement["Principal"]["Federated"].endswith(f":oidc-provider/{host}")
        assert statement["Condition"] == condition, role
