"""EksCluster: exact children and the security-relevant inputs, under the recording mock."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from components.catalog import ADDON_VERSIONS, KUBERNETES_VERSION
from components.eks import EksCluster, EksClusterArgs, SystemNodes, validate_eks_args
from tests.components.builders import BOUNDARY, KEY_PREFIX
from tests.recording import ACCOUNT, REGION, policy

ADMINS = [f"arn:aws:iam::{ACCOUNT}:role/PlatformAdmin"]
DEPLOY = f"arn:aws:iam::{ACCOUNT}:role/mlplat-staging-deploy"


def args(**overrides) -> EksClusterArgs:
    values = {
        "cluster_name": "mlplat-staging",
        "name_prefix": "mlplat-staging",
        "kubernetes_version": KUBERNETES_VERSION,
        "account_id": ACCOUNT,
        "region": REGION,
        "control_plane_subnet_ids": ["subnet-intra-a", "subnet-intra-b", "subnet-intra-c"],
        "node_subnet_ids": ["subnet-private-a", "subnet-private-b", "subnet-private-c"],
        "secrets_key_arn": KEY_PREFIX + "cluster",
        "storage_key_arn": KEY_PREFIX + "storage",
        "logs_key_arn": KEY_PREFIX + "logs",
        "log_retention_days": 365,
        "admin_role_arns": ADMINS,
        "deploy_role_arn": DEPLOY,
        "addon_versions": ADDON_VERSIONS,
        "system_nodes": SystemNodes(
            instance_types=["m7i.large"], min_size=2, max_size=4, desired_size=2
        ),
        "permissions_boundary_arn": BOUNDARY,
        "protect": True,
    }
    values.update(overrides)
    return EksClusterArgs(**values)


@pytest.fixture(scope="module")
def eks():
    from tests.recording import record

    return record(lambda: EksCluster("eks", args()))


def test_children_are_exactly_these(eks):
    component = eks.one("mlplat:eks:EksCluster")
    assert eks.child_types(component.urn) == Counter(
        {
            "aws:cloudwatch/logGroup:LogGroup": 1,
            "aws:iam/role:Role": 2,  # cluster, nodes
            "aws:iam/rolePolicyAttachment:RolePolicyAttachment": 3,
            "aws:eks/cluster:Cluster": 1,
            "aws:eks/accessEntry:AccessEntry": 2,
            "aws:eks/accessPolicyAssociation:AccessPolicyAssociation": 2,
            "aws:eks/addon:Addon": 5,
            "aws:ec2/launchTemplate:LaunchTemplate": 1,
            "aws:eks/nodeGroup:NodeGroup": 1,
            "mlplat:iam:WorkloadRole": 2,  # vpc-cni, ebs-csi
            "pulumi:providers:kubernetes": 1,
            "kubernetes:storage.k8s.io/v1:StorageClass": 1,
        }
    )


def test_cluster_is_private_encrypted_logged_api_only_and_standard_support(eks):
    cluster = eks.one("aws:eks/cluster:Cluster")
    inputs = cluster.inputs
    assert inputs["version"] == KUBERNETES_VERSION
    assert inputs["vpcConfig"]["endpointPublicAccess"] is False
    assert inputs["vpcConfig"]["endpointPrivateAccess"] is True
    assert inputs["vpcConfig"]["subnetIds"] == [
        "subnet-intra-a",
        "subnet-intra-b",
        "subnet-intra-c",
    ]
    assert inputs["encryptionConfig"] == {
        "resources": ["secrets"],
        "provider": {"keyArn": KEY_PREFIX + "cluster"},
    }
    assert inputs["enabledClusterLogTypes"] == [
        "api",
        "audit",
        "authenticator",
        "controllerManager",
        "scheduler",
    ]
    assert inputs["accessConfig"] == {
        "authenticationMode": "API",
        "bootstrapClusterCreatorAdminPermissions": False,
    }
    assert inputs["upgradePolicy"] == {"supportType": "STANDARD"}
    assert inputs["bootstrapSelfManagedAddons"] is False
    assert inputs["deletionProtection"] is True
    assert cluster.protect is True
    log_group = eks.one("aws:cloudwatch/logGroup:LogGroup")
    assert log_group.inputs["name"] == "/aws/eks/mlplat-staging/cluster"
    assert (log_group.inputs["kmsKeyId"], log_group.inputs["retentionInDays"]) == (
        KEY_PREFIX + "logs",
        365,
    )
    assert log_group.urn in cluster.dependencies  # the group exists before EKS writes to it


def test_only_the_cluster_is_protected(eks):
    assert [r.type for r in eks.records if r.protect] == ["aws:eks/cluster:Cluster"]


def test_access_entries_grant_cluster_admin_to_the_admins_and_the_deploy_role_only(eks):
    entries = eks.of_type("aws:eks/accessEntry:AccessEntry")
    assert sorted(e.inputs["principalArn"] for e in entries) == sorted([*ADMINS, DEPLOY])
    assert {e.inputs["type"] for e in entries} == {"STANDARD"}
    associations = eks.of_type("aws:eks/accessPolicyAssociation:AccessPolicyAssociation")
    assert sorted(a.inputs["principalArn"] for a in associations) == sorted([*ADMINS, DEPLOY])
    for association in associations:
        assert association.inputs["policyArn"] == (
            "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
        )
        assert association.inputs["accessScope"] == {"type": "cluster"}


def test_addons_are_pinned_and_the_cni_enforces_network_policy(eks):
    addons = {a.inputs["addonName"]: a for a in eks.of_type("aws:eks/addon:Addon")}
    assert {n: a.inputs["addonVersion"] for n, a in addons.items()} == ADDON_VERSIONS
    assert json.loads(addons["vpc-cni"].inputs["configurationValues"]) == {
        "enableNetworkPolicy": "true"
    }
    node_group = eks.one("aws:eks/nodeGroup:NodeGroup")
    for name in ("coredns", "aws-ebs-csi-driver"):
        assert node_group.urn in addons[name].dependencies  # they need nodes to run on
    for name in ("vpc-cni", "kube-proxy", "eks-pod-identity-agent"):
        assert addons[name].urn in node_group.dependencies  # nodes need them to join
    cni_sa = [a["serviceAccount"] for a in addons["vpc-cni"].inputs["podIdentityAssociations"]]
    ebs_sa = [
        a["serviceAccount"] for a in addons["aws-ebs-csi-driver"].inputs["podIdentityAssociations"]
    ]
    assert (cni_sa, ebs_sa) == (["aws-node"], ["ebs-csi-controller-sa"])


def test_system_nodes_are_hardened(eks):
    template = eks.one("aws:ec2/launchTemplate:LaunchTemplate").inputs
    assert template["metadataOptions"] == {
        "httpEndpoint": "enabled",
        "httpTokens": "required",
        "httpPutResponseHopLimit": 1,
        "instanceMetadataTags": "disabled",
    }
    (root,) = template["blockDeviceMappings"]
    assert root["ebs"]["encrypted"] == "true" and root["ebs"]["kmsKeyId"] == KEY_PREFIX + "storage"
    assert root["ebs"]["volumeType"] == "gp3"
    assert "keyName" not in template and "networkInterfaces" not in template
    group = eks.one("aws:eks/nodeGroup:NodeGroup").inputs
    assert group["capacityType"] == "ON_DEMAND"
    assert group["subnetIds"] == ["subnet-private-a", "subnet-private-b", "subnet-private-c"]
    assert group["taints"] == [
        {"key": "CriticalAddonsOnly", "value": "true", "effect": "NO_SCHEDULE"}
    ]
    assert "remoteAccess" not in group
    assert group["scalingConfig"] == {"minSize": 2, "maxSize": 4, "desiredSize": 2}
    assert group["labels"] == {"mlplat.io/node-class": "system"}


def test_spot_system_nodes_say_so_to_eks():
    from tests.recording import record

    nodes = SystemNodes(
        instance_types=["m7i.xlarge", "m7a.xlarge"],
        min_size=3,
        max_size=4,
        desired_size=3,
        capacity_type="spot",
    )
    recorded = record(lambda: EksCluster("eks", args(system_nodes=nodes)))
    group = recorded.one("aws:eks/nodeGroup:NodeGroup").inputs
    assert group["capacityType"] == "SPOT"
    assert group["instanceTypes"] == ["m7i.xlarge", "m7a.xlarge"]


def test_roles_are_bounded_and_the_node_role_holds_node_policies_only(eks):
    for role in eks.of_type("aws:iam/role:Role"):
        assert role.inputs["permissionsBoundary"] == BOUNDARY
    node_role = next(r for r in eks.of_type("aws:iam/role:Role") if r.urn.endswith("eks-node"))
    (trust,) = policy(node_role, "assumeRolePolicy")["Statement"]
    assert trust["Principal"] == {"Service": "ec2.amazonaws.com"}
    node_policies = sorted(
        a.inputs["policyArn"].rsplit("/", 1)[-1]
        for a in eks.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
        if a.inputs["role"] == node_role.outputs["name"]
    )
    assert node_policies == ["AmazonEC2ContainerRegistryPullOnly", "AmazonEKSWorkerNodePolicy"]


def test_ebs_csi_role_may_use_only_the_storage_key(eks):
    ebs_policy = next(r for r in eks.of_type("aws:iam/rolePolicy:RolePolicy") if "ebs-csi" in r.urn)
    statements = policy(ebs_policy, "policy")["Statement"]
    assert {tuple(s["Resource"]) for s in statements} == {(KEY_PREFIX + "storage",)}
    grant = next(s for s in statements if "kms:CreateGrant" in s["Action"])
    assert grant["Condition"] == {"Bool": {"kms:GrantIsForAWSResource": "true"}}


def test_storage_class_is_encrypted_default_and_uses_the_cluster_provider(eks):
    storage_class = eks.one("kubernetes:storage.k8s.io/v1:StorageClass")
    provider = eks.one("pulumi:providers:kubernetes")
    assert storage_class.provider.startswith(provider.urn + "::")
    inputs = storage_class.inputs
    assert inputs["parameters"] == {
        "type": "gp3",
        "encrypted": "true",
        "kmsKeyId": KEY_PREFIX + "storage",
    }
    assert inputs["metadata"]["annotations"] == {
        "storageclass.kubernetes.io/is-default-class": "true"
    }
    assert inputs["reclaimPolicy"] == "Retain"
    kubeconfig = json.loads(provider.inputs["kubeconfig"])
    assert kubeconfig["users"][0]["user"]["exec"]["command"] == "aws"  # short-lived tokens only


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"addon_versions": {"vpc-cni": "v1"}}, "addon_versions: missing"),
        (
            {
                "system_nodes": SystemNodes(
                    instance_types=["m7i.large"], min_size=3, max_size=2, desired_size=2
                )
            },
            "system_nodes: got min 3, desired 2, max 2",
        ),
        ({"admin_role_arns": []}, "admin_role_arns: got []"),
        (
            {
                "system_nodes": SystemNodes(
                    instance_types=["m7i.large"],
                    min_size=2,
                    max_size=2,
                    desired_size=2,
                    capacity_type="reserved",
                )
            },
            "system_nodes.capacity_type: got 'reserved'; expected one of ['on-demand', 'spot']",
        ),
    ],
)
def test_validation_reports_each_problem(overrides, expected):
    problems = validate_eks_args(args(**overrides))
    assert len(problems) == 1 and problems[0].startswith(expected), problems


def test_role_names_come_from_the_name_prefix_never_from_the_cluster_name(record):
    """The deploy role may create `role/<prefix>-*` only: a cluster named otherwise must not
    move the roles out of that scope."""
    renamed = record(lambda: EksCluster("eks", args(cluster_name="ml-platform-blue")))
    names = {
        r.inputs.get("name") or r.inputs.get("roleName")
        for r in renamed.of_type("aws:iam/role:Role")
    }
    assert names and all(name.startswith("mlplat-staging-") for name in names), names


def test_an_existing_cluster_role_is_used_not_created(record):
    """Bring your own cluster role: the cluster runs as it; the node and add-on roles remain."""
    existing = f"arn:aws:iam::{ACCOUNT}:role/mlplat-staging-platform-cluster"
    byo = record(lambda: EksCluster("eks", args(cluster_role_arn=existing)))
    assert byo.one("aws:eks/cluster:Cluster").inputs["roleArn"] == existing
    created = sorted(r.inputs["name"] for r in byo.of_type("aws:iam/role:Role"))
    assert created == ["mlplat-staging-ebs-csi", "mlplat-staging-node", "mlplat-staging-vpc-cni"]


def test_a_cluster_role_the_deploy_role_cannot_pass_is_refused(record):
    """The deploy role may pass `<prefix>-*` roles only: any other would fail at `pulumi up`."""
    outside = f"arn:aws:iam::{ACCOUNT}:role/PlatformClusterRole"
    with pytest.raises(ValueError, match=r"EksCluster eks: cluster_role_arn: got "):
        record(lambda: EksCluster("eks", args(cluster_role_arn=outside)))
