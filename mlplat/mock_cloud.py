"""What the AWS provider would answer, offline: realistic ids, ARNs and computed properties.

Two steps mirror a real provider:
- `check` adds what pulumi-aws's Check puts into a resource's inputs before it is stored: the
  auto-generated physical name and `tagsAll` (the resource's tags merged over the provider's
  default tags, which pulumi-aws computes in Check since v6);
- `create` returns the id and outputs a successful create would.

Every generated value is derived from the URN, so two runs give byte-identical state, and every
ARN carries the environment's account id and region, so cross-environment checks can work.
"""

from __future__ import annotations

import base64
import hashlib
import importlib
import json
import uuid
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

from pulumi.runtime import MockCallArgs, MockResourceArgs, Mocks

# Properties pulumi-aws fills with `<logical name>-<7 hex>` when the program leaves them unset.
AUTONAMED: dict[str, str] = {
    "aws:cloudwatch/logGroup:LogGroup": "name",
    "aws:ec2/launchTemplate:LaunchTemplate": "name",
    "aws:ec2/securityGroup:SecurityGroup": "name",
    "aws:iam/instanceProfile:InstanceProfile": "name",
    "aws:iam/policy:Policy": "name",
    "aws:iam/role:Role": "name",
    "aws:iam/rolePolicy:RolePolicy": "name",
    "aws:s3/bucket:Bucket": "bucket",
    "aws:s3/bucketV2:BucketV2": "bucket",
    "aws:sqs/queue:Queue": "name",
    "aws:cloudwatch/eventRule:EventRule": "name",
}

# Service-linked role names AWS fixes per service.
SERVICE_LINKED_ROLES = {
    "autoscaling.amazonaws.com": "AWSServiceRoleForAutoScaling",
    "spot.amazonaws.com": "AWSServiceRoleForEC2Spot",
    "config.amazonaws.com": "AWSServiceRoleForConfig",
}

# EC2-style ids: prefix per type.
_EC2_PREFIX: dict[str, str] = {
    "aws:ec2/vpc:Vpc": "vpc",
    "aws:ec2/subnet:Subnet": "subnet",
    "aws:ec2/internetGateway:InternetGateway": "igw",
    "aws:ec2/eip:Eip": "eipalloc",
    "aws:ec2/natGateway:NatGateway": "nat",
    "aws:ec2/routeTable:RouteTable": "rtb",
    "aws:ec2/routeTableAssociation:RouteTableAssociation": "rtbassoc",
    "aws:ec2/vpcEndpoint:VpcEndpoint": "vpce",
    "aws:ec2/securityGroup:SecurityGroup": "sg",
    "aws:ec2/flowLog:FlowLog": "fl",
    "aws:ec2/launchTemplate:LaunchTemplate": "lt",
}
# ARN resource part per EC2 type (arn:aws:ec2:<region>:<account>:<part>/<id>).
_EC2_ARN_PART: dict[str, str] = {
    "aws:ec2/vpc:Vpc": "vpc",
    "aws:ec2/subnet:Subnet": "subnet",
    "aws:ec2/internetGateway:InternetGateway": "internet-gateway",
    "aws:ec2/eip:Eip": "elastic-ip",
    "aws:ec2/natGateway:NatGateway": "natgateway",
    "aws:ec2/routeTable:RouteTable": "route-table",
    "aws:ec2/vpcEndpoint:VpcEndpoint": "vpc-endpoint",
    "aws:ec2/securityGroup:SecurityGroup": "security-group",
    "aws:ec2/flowLog:FlowLog": "vpc-flow-log",
    "aws:ec2/launchTemplate:LaunchTemplate": "launch-template",
}


class UnsupportedCall(Exception):
    """The program called a provider function the mock cloud has no realistic answer for."""


def digest(urn: str, length: int) -> str:
    return hashlib.sha256(urn.encode()).hexdigest()[:length]


def stable_uuid(urn: str) -> str:
    return str(uuid.UUID(hex=digest(urn, 32)))


class MockCloud(Mocks):
    def __init__(self, *, account_id: str, region: str, availability_zones: Sequence[str]):
        self.account_id = account_id
        self.region = region
        self.availability_zones = list(availability_zones)

    # --- the provider's Check -----------------------------------------------------------------

    def check(
        self,
        type_: str,
        name: str,
        urn: str,
        inputs: dict[str, Any],
        default_tags: Mapping[str, str],
    ) -> dict[str, Any]:
        checked = dict(inputs)
        autoname = AUTONAMED.get(type_)
        if autoname and autoname not in checked and f"{autoname}Prefix" not in checked:
            checked[autoname] = f"{name}-{digest(urn, 7)}"
        if has_property(type_, "tags_all"):
            checked["tagsAll"] = {**default_tags, **(inputs.get("tags") or {})}
        return checked

    # --- Mocks ---------------------------------------------------------------------------------

    def new_resource(self, args: MockResourceArgs) -> tuple[str, dict[str, Any]]:
        # The recording monitor passes the URN as `resource_id` (the mock never imports).
        urn = args.resource_id or args.name
        return self.create(args.typ, args.name, urn, args.inputs)

    def create(
        self, type_: str, name: str, urn: str, inputs: dict[str, Any]
    ) -> tuple[str, dict[str, Any]]:
        outputs = dict(inputs)
        region, account = self.region, self.account_id
        if type_.startswith("pulumi:providers:"):
            return stable_uuid(urn), outputs
        if type_ in _EC2_PREFIX:
            id_ = f"{_EC2_PREFIX[type_]}-{digest(urn, 17)}"
            outputs["ownerId"] = account
        else:
            id_ = ""
        if type_ in _EC2_ARN_PART:
            outputs["arn"] = f"arn:aws:ec2:{region}:{account}:{_EC2_ARN_PART[type_]}/{id_}"

        if type_ == "aws:ec2/vpc:Vpc":
            outputs.update(
                defaultSecurityGroupId=f"sg-{digest(urn + '#sg', 17)}",
                defaultRouteTableId=f"rtb-{digest(urn + '#rtb', 17)}",
                mainRouteTableId=f"rtb-{digest(urn + '#rtb', 17)}",
                defaultNetworkAclId=f"acl-{digest(urn + '#acl', 17)}",
            )
        elif type_ == "aws:ec2/eip:Eip":
            octet = int(digest(urn, 2), 16) % 254 + 1
            outputs.update(allocationId=id_, publicIp=f"198.51.100.{octet}")
        elif type_ == "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup":
            id_ = f"sg-{digest(urn, 17)}"
            outputs["arn"] = f"arn:aws:ec2:{region}:{account}:security-group/{id_}"
        elif type_ == "aws:ec2/defaultRouteTable:DefaultRouteTable":
            id_ = str(inputs.get("defaultRouteTableId") or f"rtb-{digest(urn, 17)}")
        elif type_ == "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl":
            id_ = str(inputs.get("defaultNetworkAclId") or f"acl-{digest(urn, 17)}")
            outputs["arn"] = f"arn:aws:ec2:{region}:{account}:network-acl/{id_}"
        elif type_ == "aws:ec2/route:Route":
            id_ = f"r-{inputs.get('routeTableId', 'rtb')}{int(digest(urn, 8), 16)}"
        elif type_ == "aws:ec2/vpcEndpoint:VpcEndpoint":
            outputs["dnsEntries"] = [
                {
                    "dnsName": f"{id_}.{inputs.get('serviceName', '')}",
                    "hostedZoneId": "Z7HUB22UULQXV",
                }
            ]
        elif type_ == "aws:kms/key:Key":
            id_ = stable_uuid(urn)
            outputs.update(keyId=id_, arn=f"arn:aws:kms:{region}:{account}:key/{id_}")
        elif type_ == "aws:kms/alias:Alias":
            id_ = str(inputs["name"])
            outputs["arn"] = f"arn:aws:kms:{region}:{account}:{id_}"
            outputs["targetKeyArn"] = (
                f"arn:aws:kms:{region}:{account}:key/{inputs.get('targetKeyId', '')}"
            )
        elif type_ == "aws:cloudwatch/logGroup:LogGroup":
            id_ = str(inputs["name"])
            outputs["arn"] = f"arn:aws:logs:{region}:{account}:log-group:{id_}"
        elif type_ == "aws:iam/role:Role":
            id_ = str(inputs["name"])
            outputs.update(
                arn=f"arn:aws:iam::{account}:role/{id_}",
                uniqueId="AROA" + digest(urn, 17).upper(),
                createDate="1970-01-01T00:00:00Z",
            )
        elif type_ in ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"):
            id_ = str(inputs["bucket"])
            outputs.update(
                arn=f"arn:aws:s3:::{id_}",
                bucketDomainName=f"{id_}.s3.amazonaws.com",
                bucketRegionalDomainName=f"{id_}.s3.{region}.amazonaws.com",
                region=region,
            )
        elif type_ == "aws:rds/instance:Instance":
            id_ = str(inputs["identifier"])
            address = f"{id_}.c{digest(urn, 12)}.{region}.rds.amazonaws.com"
            outputs.update(
                arn=f"arn:aws:rds:{region}:{account}:db:{id_}",
                address=address,
                endpoint=f"{address}:{inputs.get('port', 5432)}",
                port=inputs.get("port", 5432),
                resourceId=f"db-{digest(urn, 26).upper()}",
                masterUserSecrets=[
                    {
                        "secretArn": f"arn:aws:secretsmanager:{region}:{account}:secret:"
                        f"rds!db-{stable_uuid(urn)}-{digest(urn + '#s', 6)}",
                        "kmsKeyId": inputs.get("masterUserSecretKmsKeyId", ""),
                        "secretStatus": "active",
                    }
                ]
                if inputs.get("manageMasterUserPassword")
                else [],
            )
        elif type_ in ("aws:rds/subnetGroup:SubnetGroup", "aws:rds/parameterGroup:ParameterGroup"):
            id_ = str(inputs["name"])
            kind = "subgrp" if type_.endswith("SubnetGroup") else "pg"
            outputs["arn"] = f"arn:aws:rds:{region}:{account}:{kind}:{id_}"
        elif type_ == "aws:iam/openIdConnectProvider:OpenIdConnectProvider":
            host = str(inputs["url"]).removeprefix("https://")
            id_ = f"arn:aws:iam::{account}:oidc-provider/{host}"
            outputs["arn"] = id_
        elif type_ == "aws:iam/policy:Policy":
            id_ = f"arn:aws:iam::{account}:policy/{inputs['name']}"
            outputs.update(arn=id_, policyId="ANPA" + digest(urn, 17).upper())
        elif type_ == "aws:iam/rolePolicy:RolePolicy":
            id_ = f"{inputs.get('role', '')}:{inputs['name']}"
        elif type_ == "aws:iam/serviceLinkedRole:ServiceLinkedRole":
            service = str(inputs.get("awsServiceName", ""))
            role = SERVICE_LINKED_ROLES.get(service, f"AWSServiceRoleFor{service.split('.')[0]}")
            id_ = f"arn:aws:iam::{account}:role/aws-service-role/{service}/{role}"
            outputs.update(arn=id_, name=role, path=f"/aws-service-role/{service}/")
        elif type_ == "aws:sqs/queue:Queue":
            queue = str(inputs["name"])
            id_ = f"https://sqs.{region}.amazonaws.com/{account}/{queue}"
            outputs.update(arn=f"arn:aws:sqs:{region}:{account}:{queue}", url=id_)
        elif type_ == "aws:sns/topic:Topic":
            id_ = f"arn:aws:sns:{region}:{account}:{inputs['name']}"
            outputs["arn"] = id_
        elif type_ == "aws:sns/topicSubscription:TopicSubscription":
            id_ = f"{inputs.get('topic')}:{stable_uuid(urn)}"
            outputs["arn"] = id_
        elif type_ == "aws:cloudtrail/trail:Trail":
            id_ = str(inputs["name"])
            outputs.update(arn=f"arn:aws:cloudtrail:{region}:{account}:trail/{id_}")
        elif type_ == "aws:guardduty/detector:Detector":
            id_ = digest(urn, 32)
            outputs.update(
                accountId=account, arn=f"arn:aws:guardduty:{region}:{account}:detector/{id_}"
            )
        elif type_ == "aws:accessanalyzer/analyzer:Analyzer":
            id_ = str(inputs["analyzerName"])
            outputs["arn"] = f"arn:aws:access-analyzer:{region}:{account}:analyzer/{id_}"
        elif type_ == "aws:securityhub/account:Account":
            id_ = account
            outputs["arn"] = f"arn:aws:securityhub:{region}:{account}:hub/default"
        elif type_ == "aws:budgets/budget:Budget":
            id_ = f"{account}:{inputs['name']}"
            outputs["arn"] = f"arn:aws:budgets::{account}:budget/{inputs['name']}"
        elif type_ in (
            "aws:costexplorer/anomalyMonitor:AnomalyMonitor",
            "aws:costexplorer/anomalySubscription:AnomalySubscription",
        ):
            kind = type_.rsplit(":", 1)[1].lower()
            id_ = f"arn:aws:ce::{account}:{kind}/{stable_uuid(urn)}"
            outputs["arn"] = id_
        elif type_ == "aws:cloudwatch/metricAlarm:MetricAlarm":
            id_ = str(inputs["name"])
            outputs["arn"] = f"arn:aws:cloudwatch:{region}:{account}:alarm:{id_}"
        elif type_ == "aws:cloudwatch/eventRule:EventRule":
            id_ = str(inputs["name"])
            outputs["arn"] = f"arn:aws:events:{region}:{account}:rule/{id_}"
        elif type_ == "aws:ec2/launchTemplate:LaunchTemplate":
            outputs.update(latestVersion=1, defaultVersion=1)
        elif type_ == "aws:eks/cluster:Cluster":
            id_, oidc = str(inputs["name"]), digest(urn, 32).upper()
            outputs.update(
                arn=f"arn:aws:eks:{region}:{account}:cluster/{id_}",
                endpoint=f"https://{digest(urn, 32).upper()}.gr7.{region}.eks.amazonaws.com",
                certificateAuthority={
                    "data": base64.b64encode(b"offline-ca:" + digest(urn, 16).encode()).decode()
                },
                identities=[
                    {"oidcs": [{"issuer": f"https://oidc.eks.{region}.amazonaws.com/id/{oidc}"}]}
                ],
                status="ACTIVE",
                clusterId=stable_uuid(urn),
                vpcConfig={
                    **(inputs.get("vpcConfig") or {}),
                    "clusterSecurityGroupId": f"sg-{digest(urn + '#cluster-sg', 17)}",
                },
            )
        elif type_ in ("aws:eks/nodeGroup:NodeGroup", "aws:eks/addon:Addon"):
            kind = "nodegroup" if type_.endswith("NodeGroup") else "addon"
            cluster, item = str(inputs.get("clusterName", "")), str(inputs.get("addonName") or name)
            id_ = f"{cluster}:{item}"
            outputs["arn"] = (
                f"arn:aws:eks:{region}:{account}:{kind}/{cluster}/{item}/{stable_uuid(urn)}"
            )
        elif type_ == "aws:eks/accessEntry:AccessEntry":
            id_ = f"{inputs.get('clusterName')}:{inputs.get('principalArn')}"
            role = str(inputs.get("principalArn", "")).rsplit("/", 1)[-1]
            outputs["accessEntryArn"] = (
                f"arn:aws:eks:{region}:{account}:access-entry/{inputs.get('clusterName')}/role/"
                f"{account}/{role}/{stable_uuid(urn)}"
            )
        elif type_ == "aws:eks/podIdentityAssociation:PodIdentityAssociation":
            id_ = f"a-{digest(urn, 17)}"
            outputs.update(
                associationId=id_,
                associationArn=(
                    f"arn:aws:eks:{region}:{account}:podidentityassociation/"
                    f"{inputs.get('clusterName')}/{id_}"
                ),
            )
        elif type_.startswith("kubernetes:"):
            metadata = inputs.get("metadata") or {}
            namespace = metadata.get("namespace")
            id_ = (
                f"{namespace}/{metadata.get('name', name)}"
                if namespace
                else str(metadata.get("name", name))
            )
        if not id_:
            id_ = f"{name}-{digest(urn, 8)}"
        if "arn" not in outputs and has_property(type_, "arn"):
            service = type_.split(":")[1].split("/")[0]
            outputs["arn"] = f"arn:aws:{service}:{region}:{account}:{name}/{id_}"
        outputs["id"] = id_
        return id_, outputs

    def call(self, args: MockCallArgs) -> tuple[dict[str, Any], None]:
        token = args.token
        if token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {
                "accountId": self.account_id,
                "arn": f"arn:aws:sts::{self.account_id}:assumed-role/mlplat-synth/offline",
                "userId": "AROAOFFLINESYNTHESIS:offline",
                "id": self.account_id,
            }, None
        if token == "aws:index/getRegion:getRegion":
            return {"name": self.region, "region": self.region, "id": self.region}, None
        if token == "aws:index/getPartition:getPartition":
            return {"partition": "aws", "dnsSuffix": "amazonaws.com", "id": "aws"}, None
        if token == "aws:index/getAvailabilityZones:getAvailabilityZones":
            return {"names": self.availability_zones, "id": self.region}, None
        raise UnsupportedCall(f"offline synthesis has no realistic answer for {token}")


@cache
def has_property(type_: str, python_name: str) -> bool:
    """Whether a pulumi-aws resource type has an output property (`tags_all`, `arn`), read from
    the SDK's own class, so the answer is as current as the pinned pulumi-aws."""
    if not type_.startswith("aws:"):
        return False
    try:
        _, module, class_name = type_.split(":")
        package = importlib.import_module(f"pulumi_aws.{module.split('/')[0]}")
        return hasattr(getattr(package, class_name), python_name)
    except (ValueError, ImportError, AttributeError):
        return False


def parse_default_tags(provider_inputs: Mapping[str, Any]) -> dict[str, str]:
    """Provider inputs hold non-string config JSON-encoded, as the SDK sends them."""
    raw = provider_inputs.get("defaultTags")
    if isinstance(raw, str):
        raw = json.loads(raw)
    return dict((raw or {}).get("tags") or {})
