"""EKS, node and registry rule fixtures."""

import json

from tests.policies.cases import (
    ACCOUNT,
    UNKNOWN_BOOL,
    UNKNOWN_NUMBER,
    UNKNOWN_STRING,
    Case,
    StackCase,
    changed,
    resource,
)

KEY = f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/1"
CLUSTER_TYPE = "aws:eks/cluster:Cluster"
CLUSTER = {
    "version": "1.35",
    "vpcConfig": {"endpointPublicAccess": False, "endpointPrivateAccess": True},
    "encryptionConfig": {"resources": ["secrets"], "provider": {"keyArn": KEY}},
    "enabledClusterLogTypes": ["api", "audit", "authenticator", "controllerManager", "scheduler"],
    "upgradePolicy": {"supportType": "STANDARD"},
    "accessConfig": {"authenticationMode": "API", "bootstrapClusterCreatorAdminPermissions": False},
}
PUBLIC_CLUSTER = changed(
    CLUSTER,
    vpcConfig={
        "endpointPublicAccess": True,
        "endpointPrivateAccess": True,
        "publicAccessCidrs": ["203.0.113.0/24"],
    },
)
LT_TYPE = "aws:ec2/launchTemplate:LaunchTemplate"
LAUNCH_TEMPLATE = {
    "metadataOptions": {
        "httpEndpoint": "enabled",
        "httpTokens": "required",
        "httpPutResponseHopLimit": 1,
    },
    "blockDeviceMappings": [
        {
            "deviceName": "/dev/xvda",
            "ebs": {"encrypted": "true", "kmsKeyId": KEY, "volumeType": "gp3"},
        }
    ],
    "networkInterfaces": [{"associatePublicIpAddress": "false"}],
}
REPOSITORY = {
    "imageScanningConfiguration": {"scanOnPush": True},
    "imageTagMutability": "IMMUTABLE",
    "encryptionConfigurations": [{"encryptionType": "KMS", "kmsKey": KEY}],
}
NAMESPACE = resource("kubernetes:core/v1:Namespace", "team-a", {"metadata": {"name": "team-a"}})
DENY_ALL = resource(
    "kubernetes:networking.k8s.io/v1:NetworkPolicy",
    "deny",
    {
        "metadata": {"name": "default-deny", "namespace": "team-a"},
        "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
    },
)
REPO = resource("aws:ecr/repository:Repository", "repo", REPOSITORY)
REPO_POLICY = resource(
    "aws:ecr/lifecyclePolicy:LifecyclePolicy",
    "repo-lifecycle",
    {"policy": json.dumps({"rules": [{"rulePriority": 1, "action": {"type": "expire"}}]})},
    deps={"repository": [REPO.urn]},
)


def metadata(**options):
    return changed(
        LAUNCH_TEMPLATE, metadataOptions={**LAUNCH_TEMPLATE["metadataOptions"], **options}
    )


CASES = [
    Case(
        rule="aws-eks-cluster-endpoint-private",
        type=CLUSTER_TYPE,
        passing=CLUSTER,
        failing=[
            (
                "public",
                PUBLIC_CLUSTER,
                [
                    "endpointPublicAccess is not false: the API server is reachable from the internet"
                ],
            ),
            (
                "defaults",
                changed(CLUSTER, vpcConfig={}),
                [
                    "endpointPublicAccess is not false: the API server is reachable from the internet",
                    "endpointPrivateAccess is not true: nodes reach the API through the internet",
                ],
            ),
        ],
        not_applicable=("aws:eks/nodeGroup:NodeGroup", {}),
        unknown=changed(CLUSTER, vpcConfig={"endpointPublicAccess": UNKNOWN_BOOL}),
    ),
    Case(
        rule="aws-eks-cluster-public-cidrs",
        type=CLUSTER_TYPE,
        passing=PUBLIC_CLUSTER,
        failing=[
            (
                "no cidrs",
                changed(CLUSTER, vpcConfig={"endpointPublicAccess": True}),
                ["public endpoint without publicAccessCidrs: AWS opens it to 0.0.0.0/0"],
            ),
            (
                "world",
                changed(
                    CLUSTER,
                    vpcConfig={"endpointPublicAccess": True, "publicAccessCidrs": ["0.0.0.0/0"]},
                ),
                ["public endpoint open to the world: ['0.0.0.0/0']"],
            ),
        ],
        not_applicable=(CLUSTER_TYPE, CLUSTER),
        unknown=changed(
            CLUSTER, vpcConfig={"endpointPublicAccess": True, "publicAccessCidrs": UNKNOWN_STRING}
        ),
    ),
    Case(
        rule="aws-eks-cluster-secrets-encryption",
        type=CLUSTER_TYPE,
        passing=CLUSTER,
        failing=[
            (
                "none",
                changed(CLUSTER, encryptionConfig=None),
                ["no encryptionConfig with a KMS keyArn for `secrets`"],
            ),
            (
                "no key",
                changed(CLUSTER, encryptionConfig={"resources": ["secrets"], "provider": {}}),
                ["no encryptionConfig with a KMS keyArn for `secrets`"],
            ),
        ],
        not_applicable=("aws:eks/addon:Addon", {}),
        unknown=changed(CLUSTER, encryptionConfig={"resources": UNKNOWN_STRING}),
    ),
    Case(
        rule="aws-eks-cluster-control-plane-logs",
        type=CLUSTER_TYPE,
        passing=CLUSTER,
        failing=[
            (
                "audit only",
                changed(CLUSTER, enabledClusterLogTypes=["audit"]),
                [
                    "control-plane logs ['api', 'authenticator', 'controllerManager', 'scheduler'] are off"
                ],
            )
        ],
        not_applicable=("aws:eks/addon:Addon", {}),
        unknown=changed(CLUSTER, enabledClusterLogTypes=UNKNOWN_STRING),
    ),
    Case(
        rule="aws-eks-cluster-supported-version",
        type=CLUSTER_TYPE,
        passing=CLUSTER,
        failing=[
            (
                "old and extended",
                changed(CLUSTER, version="1.31", upgradePolicy=None),
                [
                    "version 1.31 is not in standard support ['1.34', '1.35', '1.36']",
                    "upgradePolicy.supportType is unset (EXTENDED), not STANDARD",
                ],
            ),
            (
                "unpinned",
                changed(CLUSTER, version=None),
                ["no version pinned: EKS picks its default and upgrades are unplanned"],
            ),
        ],
        not_applicable=("aws:eks/addon:Addon", {}),
        unknown=changed(CLUSTER, version=UNKNOWN_STRING),
    ),
    Case(
        rule="aws-eks-cluster-access-api",
        type=CLUSTER_TYPE,
        passing=CLUSTER,
        config={"clusterAdminPrincipals": [f"arn:aws:iam::{ACCOUNT}:role/break-glass"]},
        failing=[
            (
                "config map",
                changed(CLUSTER, accessConfig={"authenticationMode": "API_AND_CONFIG_MAP"}),
                [
                    "authenticationMode is API_AND_CONFIG_MAP, not API",
                    "the cluster creator is bootstrapped as cluster-admin",
                ],
            ),
            (
                "admin to ci",
                {
                    "principalArn": f"arn:aws:iam::{ACCOUNT}:role/ci",
                    "policyArn": "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
                    "accessScope": {"type": "cluster"},
                },
                [
                    f"AmazonEKSClusterAdminPolicy (cluster scope) granted to arn:aws:iam::{ACCOUNT}:role/ci, not a break-glass admin"
                ],
                "aws:eks/accessPolicyAssociation:AccessPolicyAssociation",
            ),
        ],
        not_applicable=("aws:eks/accessEntry:AccessEntry", {}),
        unknown=changed(CLUSTER, accessConfig={"authenticationMode": UNKNOWN_STRING}),
    ),
    Case(
        rule="aws-eks-nodegroup-no-ssh",
        type="aws:eks/nodeGroup:NodeGroup",
        passing={"nodeRoleArn": "r", "subnetIds": ["s"]},
        failing=[
            (
                "ssh to the world",
                {"remoteAccess": {"ec2SshKey": "ops"}},
                ["SSH key set with no source security groups: port 22 opens to 0.0.0.0/0"],
            )
        ],
        not_applicable=(CLUSTER_TYPE, CLUSTER),
        unknown={"remoteAccess": {"ec2SshKey": UNKNOWN_STRING}},
    ),
    Case(
        rule="aws-eks-system-nodes-on-demand",
        type="aws:eks/nodeGroup:NodeGroup",
        passing={"capacityType": "ON_DEMAND", "nodeRoleArn": "r", "subnetIds": ["s"]},
        failing=[
            (
                "spot",
                {"capacityType": "SPOT", "nodeRoleArn": "r", "subnetIds": ["s"]},
                [
                    "capacityType is SPOT: a reclaimed node takes Karpenter and the platform's "
                    "services with it"
                ],
            )
        ],
        not_applicable=(CLUSTER_TYPE, CLUSTER),
        unknown={"capacityType": UNKNOWN_STRING},
    ),
    Case(
        rule="aws-ec2-launch-template-no-public-ip",
        type=LT_TYPE,
        passing=LAUNCH_TEMPLATE,
        failing=[
            (
                "public ip",
                changed(LAUNCH_TEMPLATE, networkInterfaces=[{"associatePublicIpAddress": "true"}]),
                ["networkInterfaces[0] associates a public IP"],
            ),
            (
                "instance with a public ip",
                {"associatePublicIpAddress": True},
                ["associatePublicIpAddress is true"],
                "aws:ec2/instance:Instance",
            ),
            (
                "karpenter node class with a public ip",
                {"spec": {"associatePublicIPAddress": "true"}},
                ["spec.associatePublicIPAddress is true"],
                "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass",
            ),
        ],
        not_applicable=("aws:eks/nodeGroup:NodeGroup", {}),
        unknown=changed(
            LAUNCH_TEMPLATE, networkInterfaces=[{"associatePublicIpAddress": UNKNOWN_STRING}]
        ),
    ),
    Case(
        rule="aws-ec2-imdsv2-required",
        type=LT_TYPE,
        passing=LAUNCH_TEMPLATE,
        failing=[
            (
                "optional",
                metadata(httpTokens="optional"),
                ["httpTokens is optional: IMDSv1 stays open to SSRF"],
            ),
            (
                "account default unset",
                {"httpPutResponseHopLimit": 1},
                ["httpTokens is unset (optional): IMDSv1 stays open to SSRF"],
                "aws:ec2/instanceMetadataDefaults:InstanceMetadataDefaults",
            ),
            (
                "karpenter node class that allows IMDSv1",
                {"spec": {"metadataOptions": {"httpTokens": "optional"}}},
                ["httpTokens is optional: IMDSv1 stays open to SSRF"],
                "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass",
            ),
            (
                "node group on EKS's own launch template",
                {"instanceTypes": ["m7i.xlarge"]},
                ["httpTokens is unset (optional): IMDSv1 stays open to SSRF"],
                "aws:eks/nodeGroup:NodeGroup",
            ),
        ],
        not_applicable=("aws:eks/nodeGroup:NodeGroup", {"launchTemplate": {"id": "lt-1"}}),
        unknown=metadata(httpTokens=UNKNOWN_STRING),
    ),
    Case(
        rule="aws-ec2-imds-hop-limit",
        type=LT_TYPE,
        passing=LAUNCH_TEMPLATE,
        failing=[
            (
                "two hops",
                metadata(httpPutResponseHopLimit=2),
                ["httpPutResponseHopLimit is 2: containers can fetch node credentials"],
            ),
            (
                "unset",
                changed(LAUNCH_TEMPLATE, metadataOptions={"httpTokens": "required"}),
                ["httpPutResponseHopLimit unset: the AMI's default (2 on EKS AMIs) applies"],
            ),
            (
                "two hops as a string",
                metadata(httpPutResponseHopLimit="2"),
                ["httpPutResponseHopLimit is 2: containers can fetch node credentials"],
            ),
            (
                "karpenter node class with two hops",
                {"spec": {"metadataOptions": {"httpPutResponseHopLimit": 2}}},
                ["httpPutResponseHopLimit is 2: containers can fetch node credentials"],
                "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass",
            ),
        ],
        not_applicable=("aws:eks/nodeGroup:NodeGroup", {"launchTemplate": {"id": "lt-1"}}),
        unknown=metadata(httpPutResponseHopLimit=UNKNOWN_NUMBER),
    ),
    Case(
        rule="aws-ec2-ebs-encrypted",
        type=LT_TYPE,
        passing=LAUNCH_TEMPLATE,
        failing=[
            (
                "unencrypted root",
                changed(
                    LAUNCH_TEMPLATE,
                    blockDeviceMappings=[{"deviceName": "/dev/xvda", "ebs": {"volumeSize": 100}}],
                ),
                ["blockDeviceMappings[0] (/dev/xvda) is not encrypted"],
            ),
            (
                "aws key",
                changed(
                    LAUNCH_TEMPLATE,
                    blockDeviceMappings=[{"deviceName": "/dev/xvda", "ebs": {"encrypted": "true"}}],
                ),
                ["blockDeviceMappings[0] uses the AWS-managed EBS key, not a customer key"],
            ),
            (
                "account default off",
                {"enabled": False},
                ["account default EBS encryption is off"],
                "aws:ebs/encryptionByDefault:EncryptionByDefault",
            ),
            (
                "karpenter node class volume unencrypted",
                {
                    "spec": {
                        "blockDeviceMappings": [
                            {"deviceName": "/dev/xvda", "ebs": {"encrypted": "false"}}
                        ]
                    }
                },
                ["blockDeviceMappings[0] (/dev/xvda) is not encrypted"],
                "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass",
            ),
            (
                "instance root volume unencrypted",
                {"rootBlockDevice": {"volumeSize": 50}},
                ["rootBlockDevice is not encrypted"],
                "aws:ec2/instance:Instance",
            ),
        ],
        not_applicable=("aws:ec2/instanceMetadataDefaults:InstanceMetadataDefaults", {}),
        unknown=changed(
            LAUNCH_TEMPLATE, blockDeviceMappings=[{"ebs": {"encrypted": UNKNOWN_STRING}}]
        ),
    ),
    Case(
        rule="aws-eks-addon-network-policy",
        type="aws:eks/addon:Addon",
        passing={
            "addonName": "vpc-cni",
            "configurationValues": json.dumps({"enableNetworkPolicy": "true"}),
        },
        failing=[
            (
                "off",
                {"addonName": "vpc-cni"},
                ["vpc-cni runs without enableNetworkPolicy: NetworkPolicies are not enforced"],
            )
        ],
        not_applicable=("aws:eks/addon:Addon", {"addonName": "coredns"}),
        unknown={"addonName": "vpc-cni", "configurationValues": UNKNOWN_STRING},
    ),
    StackCase(
        rule="k8s-namespace-default-deny",
        passing=[NAMESPACE, DENY_ALL],
        failing=[
            (
                "none",
                [NAMESPACE],
                [("team-a", "namespace 'team-a' has no default-deny NetworkPolicy")],
            ),
            (
                "allows everything",
                [
                    NAMESPACE,
                    resource(
                        DENY_ALL.type,
                        "deny",
                        {
                            "metadata": {"namespace": "team-a"},
                            "spec": {
                                "podSelector": {},
                                "policyTypes": ["Ingress"],
                                "ingress": [{}],
                            },
                        },
                    ),
                ],
                [("team-a", "namespace 'team-a' has no default-deny NetworkPolicy")],
            ),
        ],
        not_applicable=[resource("aws:ec2/vpc:Vpc", "v", {})],
        unknown=[
            NAMESPACE,
            resource(
                DENY_ALL.type, "deny", {"metadata": {"namespace": "team-a"}, "spec": UNKNOWN_STRING}
            ),
        ],
    ),
    Case(
        rule="aws-ecr-repository-hygiene",
        type="aws:ecr/repository:Repository",
        passing=REPOSITORY,
        failing=[
            (
                "defaults",
                {},
                [
                    "scanOnPush is off",
                    "imageTagMutability is MUTABLE: tags can be moved",
                    "images are not encrypted with KMS",
                ],
            )
        ],
        not_applicable=("aws:ecr/lifecyclePolicy:LifecyclePolicy", {}),
        unknown=changed(REPOSITORY, imageTagMutability=UNKNOWN_STRING),
    ),
    StackCase(
        rule="aws-ecr-repository-lifecycle",
        passing=[REPO, REPO_POLICY],
        failing=[
            (
                "none",
                [REPO],
                [("repo", "repository has no lifecycle rule: images accumulate forever")],
            ),
            (
                "empty",
                [
                    REPO,
                    resource(
                        REPO_POLICY.type, "p", {"policy": "{}"}, deps={"repository": [REPO.urn]}
                    ),
                ],
                [("repo", "repository has no lifecycle rule: images accumulate forever")],
            ),
        ],
        not_applicable=[resource("aws:ec2/vpc:Vpc", "v", {})],
        unknown=[
            REPO,
            resource(
                "aws:ecr/lifecyclePolicy:LifecyclePolicy",
                "p",
                {"policy": UNKNOWN_STRING},
                deps={"repository": [REPO.urn]},
            ),
        ],
    ),
]
