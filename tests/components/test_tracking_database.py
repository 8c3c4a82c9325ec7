"""TrackingDatabase: MLflow's PostgreSQL under the recording mock."""

from __future__ import annotations

from collections import Counter

import pytest

from components.catalog import POSTGRES_VERSION
from components.tracking_database import (
    TrackingDatabase,
    TrackingDatabaseArgs,
    validate_tracking_database_args,
)
from tests.components.builders import KEY_PREFIX
from tests.recording import ACCOUNT, REGION, policy, record

CLIENTS = "sg-0cluster"


def args(**overrides) -> TrackingDatabaseArgs:
    values = {
        "identifier": "mlplat-prod-mlflow",
        "account_id": ACCOUNT,
        "region": REGION,
        "engine_version": POSTGRES_VERSION,
        "instance_class": "db.r7g.large",
        "allocated_storage_gb": 100,
        "backup_retention_days": 35,
        "multi_az": True,
        "vpc_id": "vpc-1",
        "subnet_ids": ["subnet-intra-a", "subnet-intra-b", "subnet-intra-c"],
        "client_security_group_id": CLIENTS,
        "storage_key_arn": KEY_PREFIX + "storage",
        "logs_key_arn": KEY_PREFIX + "logs",
        "log_retention_days": 365,
        "permissions_boundary_arn": f"arn:aws:iam::{ACCOUNT}:policy/b",
        "protect": True,
    }
    values.update(overrides)
    return TrackingDatabaseArgs(**values)


@pytest.fixture(scope="module")
def database():
    return record(lambda: TrackingDatabase("mlflow", args()))


def test_children(database):
    component = database.one("mlplat:mlflow:TrackingDatabase")
    assert database.child_types(component.urn) == Counter(
        {
            "aws:rds/subnetGroup:SubnetGroup": 1,
            "aws:ec2/securityGroup:SecurityGroup": 1,
            "aws:rds/parameterGroup:ParameterGroup": 1,
            "aws:cloudwatch/logGroup:LogGroup": 2,
            "aws:iam/role:Role": 1,
            "aws:iam/rolePolicyAttachment:RolePolicyAttachment": 1,
            "aws:rds/instance:Instance": 1,
        }
    )


def test_instance_is_private_encrypted_iam_authenticated_and_kept(database):
    db = database.one("aws:rds/instance:Instance").inputs
    assert (db["engine"], db["engineVersion"]) == ("postgres", POSTGRES_VERSION)
    assert db["publiclyAccessible"] is False
    assert (db["storageEncrypted"], db["kmsKeyId"]) == (True, KEY_PREFIX + "storage")
    assert db["iamDatabaseAuthenticationEnabled"] is True
    assert db["manageMasterUserPassword"] is True and "password" not in db
    assert db["masterUserSecretKmsKeyId"] == KEY_PREFIX + "storage"
    assert (db["multiAz"], db["backupRetentionPeriod"]) == (True, 35)
    assert db["deletionProtection"] is True
    assert (db["skipFinalSnapshot"], db["finalSnapshotIdentifier"]) == (
        False,
        "mlplat-prod-mlflow-final",
    )
    assert db["enabledCloudwatchLogsExports"] == ["postgresql", "upgrade"]
    assert db["performanceInsightsKmsKeyId"] == KEY_PREFIX + "storage"
    assert db["autoMinorVersionUpgrade"] is True and db["allowMajorVersionUpgrade"] is False
    assert db["caCertIdentifier"] == "rds-ca-rsa2048-g1"


def test_only_the_cluster_reaches_it_and_only_over_tls(database):
    group = database.one("aws:ec2/securityGroup:SecurityGroup").inputs
    (ingress,) = group["ingress"]
    assert (ingress["fromPort"], ingress["toPort"], ingress["securityGroups"]) == (
        5432,
        5432,
        [CLIENTS],
    )
    assert "cidrBlocks" not in ingress and group["egress"] == []
    subnets = database.one("aws:rds/subnetGroup:SubnetGroup").inputs
    assert subnets["subnetIds"] == ["subnet-intra-a", "subnet-intra-b", "subnet-intra-c"]
    parameters = database.one("aws:rds/parameterGroup:ParameterGroup").inputs
    assert parameters["family"] == "postgres17"
    values = {p["name"]: p["value"] for p in parameters["parameters"]}
    assert values["rds.force_ssl"] == "1" and values["log_statement"] == "ddl"


def test_logs_land_in_encrypted_groups_created_first(database):
    groups = database.of_type("aws:cloudwatch/logGroup:LogGroup")
    assert sorted(g.inputs["name"] for g in groups) == [
        "/aws/rds/instance/mlplat-prod-mlflow/postgresql",
        "/aws/rds/instance/mlplat-prod-mlflow/upgrade",
    ]
    assert {(g.inputs["kmsKeyId"], g.inputs["retentionInDays"]) for g in groups} == {
        (KEY_PREFIX + "logs", 365)
    }
    instance = database.one("aws:rds/instance:Instance")
    assert {g.urn for g in groups} <= set(instance.dependencies)


def test_monitoring_role_is_bounded_and_trusts_rds_monitoring_of_this_account(database):
    role = database.one("aws:iam/role:Role")
    assert role.inputs["name"] == "mlplat-prod-mlflow-monitoring"
    assert role.inputs["permissionsBoundary"] == f"arn:aws:iam::{ACCOUNT}:policy/b"
    (trust,) = policy(role, "assumeRolePolicy")["Statement"]
    assert trust["Principal"] == {"Service": "monitoring.rds.amazonaws.com"}
    assert trust["Condition"]["StringEquals"]["aws:SourceAccount"] == ACCOUNT


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"backup_retention_days": 3}, "backup_retention_days: got 3; expected 7 to 35"),
        ({"allocated_storage_gb": 10}, "allocated_storage_gb: got 10; expected >= 20"),
    ],
)
def test_validation(overrides, expected):
    assert validate_tracking_database_args(args(**overrides)) == [expected]
