"""Every component validator reports every problem of its Args at once, each exactly as the
component raises it ('field: got X; expected Y'), so one failed `pulumi up` lists them all."""

from __future__ import annotations

from dataclasses import replace

from components import policy_documents as docs
from components.bucket import ObjectLock, SecureBucketArgs, validate_secure_bucket_args
from components.eks import SystemNodes, validate_eks_args
from components.gpu_pools import GpuPool, validate_gpu_pools_args
from components.kms import validate_kms_args
from components.network import validate_network_args
from components.tracking_database import validate_tracking_database_args
from components.workload_role import validate_workload_role_args
from tests.components import (
    test_eks,
    test_gpu_pools,
    test_iam,
    test_kms,
    test_network,
    test_tracking_database,
)
from tests.components.builders import STORAGE_KEY
from tests.recording import ACCOUNT


def test_eks_args_name_every_problem():
    nodes = SystemNodes(
        instance_types=["m7i.large"],
        min_size=3,
        max_size=2,
        desired_size=2,
        capacity_type="reserved",
    )
    args = test_eks.args(
        addon_versions={"vpc-cni": "v1"},
        system_nodes=nodes,
        admin_role_arns=[],
        logs_key_arn=f"arn:aws:kms:us-east-1:{ACCOUNT}:key/logs",
        cluster_role_arn=f"arn:aws:iam::{ACCOUNT}:role/PlatformClusterRole",
    )
    assert validate_eks_args(args) == [
        "addon_versions: missing "
        "['aws-ebs-csi-driver', 'coredns', 'eks-pod-identity-agent', 'kube-proxy']",
        "system_nodes: got min 3, desired 2, max 2; expected 1 <= min <= desired <= max",
        "system_nodes.capacity_type: got 'reserved'; expected one of ['on-demand', 'spot']",
        "admin_role_arns: got []; expected at least one administrator role",
        f"logs_key_arn: got 'arn:aws:kms:us-east-1:{ACCOUNT}:key/logs'; expected "
        f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/[\\w-]+ (regular expression)",
        f"cluster_role_arn: got 'arn:aws:iam::{ACCOUNT}:role/PlatformClusterRole'; expected "
        f"arn:aws:iam::{ACCOUNT}:role/mlplat\\-staging-[\\w+=,.@-]+ (regular expression)",
    ]


def test_container_logs_args_name_every_problem():
    from components.container_logs import validate_container_logs_args
    from tests.components import test_container_logs

    foreign = "arn:aws:logs:us-east-1:999999999999:log-group:/platform/containers"
    args = test_container_logs.args(log_group_arn=foreign)
    assert validate_container_logs_args(args) == [
        f"log_group_arn: got {foreign!r}; expected "
        f"arn:aws:logs:eu-west-1:{ACCOUNT}:log-group:[\\w#/.-]{{1,512}} (regular expression)",
        "key_arn: got a key with `log_group_arn`; expected none: an existing group keeps its "
        "owner's key",
    ]
    assert validate_container_logs_args(test_container_logs.args(key_arn=None)) == [
        "key_arn: got None; expected the key of the log group it creates"
    ]


def test_network_args_name_every_problem():
    args = test_network.args(
        availability_zones=["eu-west-1a", "eu-west-1a", "eu-west-1b"],
        interface_endpoint_az_count=4,
        subnet_prefix_lengths={"private": 14, "public": 22, "intra": 22},
    )
    assert validate_network_args(args) == [
        "availability_zones: got ['eu-west-1a', 'eu-west-1a', 'eu-west-1b']; expected three "
        "distinct AZs",
        "interface_endpoint_az_count: got 4; expected 1 to 3",
        "subnet_prefix_lengths: private subnets /14 must be smaller than the VPC /16 and at "
        "least /28",
    ]


def test_kms_args_name_every_problem():
    args = replace(
        test_kms.ARGS,
        purposes=("logs", "logs", "backups"),
        account_id="1234",
        alias_prefix="alias/aws/",
    )
    assert validate_kms_args(args) == [
        "purposes: got ['backups']; expected some of ['cluster', 'storage', 'logs']",
        "purposes: got ['logs', 'logs', 'backups']; expected each purpose once",
        "account_id: got '1234'; expected 12 digits",
        "alias_prefix: got 'alias/aws/'; expected `alias/` then letters, digits, / _ -, not "
        "`alias/aws/` (AWS's own)",
    ]


def test_gpu_pools_args_name_every_problem():
    neither = GpuPool(name="x", workload="training", capacity_types=["spot"], gpu_limit=0, efa=True)
    pools = [test_gpu_pools.POOLS[0], test_gpu_pools.POOLS[0], neither]
    args = test_gpu_pools.args(pools=pools, ami_alias="al2023@latest")
    assert validate_gpu_pools_args(args) == [
        "pools: got names ['training', 'training', 'x']; expected each once",
        "pools[x]: instance_families or instance_types (choose one)",
        "pools[x].efa: no instance type of the pool has an EFA",
        "pools[x].gpu_limit: got 0; expected >= 1",
        "ami_alias: got 'al2023@latest'; expected a pinned al2023@vYYYYMMDD",
    ]


def test_tracking_database_args_name_every_problem():
    args = test_tracking_database.args(
        backup_retention_days=3, allocated_storage_gb=10, engine_version="17.4"
    )
    assert validate_tracking_database_args(args) == [
        "backup_retention_days: got 3; expected 7 to 35",
        "allocated_storage_gb: got 10; expected >= 20",
        "engine_version: got '17.4'; expected a major version only, like '17' (minor upgrades are "
        "automatic: a pinned minor fails the next up after one)",
    ]


def test_secure_bucket_args_name_every_problem():
    args = SecureBucketArgs(
        bucket_name="Models",
        account_id=ACCOUNT,
        data_class="models",
        kms_key_arn=STORAGE_KEY,
        access_log_bucket="logs",
        noncurrent_version_days=0,
        object_lock=ObjectLock(mode="GOVERNANCE", days=0),
        expire_after_days=0,
    )
    assert validate_secure_bucket_args(args) == [
        "bucket_name: got 'Models'; expected 3-63 lowercase characters",
        "noncurrent_version_days: got 0; expected >= 1",
        "object_lock.days: got 0; expected >= 1",
        "expire_after_days: got 0; expected more than the archive and object lock days (0)",
    ]


def test_workload_role_args_name_every_problem():
    statements = [
        docs.allow(["s3:*"], ["arn:aws:s3:::models/*"], sid="All"),
        docs.allow(["s3:GetObject"], ["arn:aws:s3:::models/*"], sid="Read"),
        docs.allow(["*"], ["*"], sid="Admin"),
    ]
    assert validate_workload_role_args(test_iam.workload(statements=statements)) == [
        "statements[All].Action: got ['s3:*']; expected named actions",
        "statements[Admin].Action: got ['*']; expected named actions",
    ]
