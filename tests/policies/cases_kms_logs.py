"""KMS and CloudWatch rule fixtures."""

from tests.policies.cases import (
    ACCOUNT,
    UNKNOWN_BOOL,
    UNKNOWN_NUMBER,
    UNKNOWN_STRING,
    Case,
    changed,
    policy,
)

ROOT = {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}
KEY_POLICY = policy(
    {"Sid": "Admin", "Effect": "Allow", "Principal": ROOT, "Action": "kms:*", "Resource": "*"}
)
KEY = {
    "customerMasterKeySpec": "SYMMETRIC_DEFAULT",
    "enableKeyRotation": True,
    "rotationPeriodInDays": 365,
    "deletionWindowInDays": 30,
    "isEnabled": True,
    "policy": KEY_POLICY,
}
LOG_GROUP = {
    "name": "/aws/vpc/staging/flow-logs",
    "retentionInDays": 365,
    "kmsKeyId": f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/1",
}
ALARM = {"alarmActions": [f"arn:aws:sns:eu-west-1:{ACCOUNT}:alerts"], "actionsEnabled": True}

CASES = [
    Case(
        rule="aws-kms-key-rotation",
        type="aws:kms/key:Key",
        passing=KEY,
        failing=[
            (
                "rotation off",
                changed(KEY, enableKeyRotation=False),
                ["key rotation is off: set enableKeyRotation to true"],
            ),
            (
                "rotation unset",
                changed(KEY, enableKeyRotation=None),
                ["key rotation is off: set enableKeyRotation to true"],
            ),
            (
                "period too long",
                changed(KEY, rotationPeriodInDays=730),
                ["rotationPeriodInDays is 730; at most 365 allowed"],
            ),
        ],
        not_applicable=("aws:kms/key:Key", changed(KEY, customerMasterKeySpec="RSA_2048")),
        unknown=changed(KEY, enableKeyRotation=UNKNOWN_BOOL),
    ),
    Case(
        rule="aws-kms-key-policy-not-public",
        type="aws:kms/key:Key",
        passing=KEY,
        failing=[
            (
                "star principal",
                changed(
                    KEY,
                    policy=policy(
                        {
                            "Sid": "Everyone",
                            "Effect": "Allow",
                            "Principal": "*",
                            "Action": "kms:Decrypt",
                            "Resource": "*",
                        }
                    ),
                ),
                ["statement 'Everyone' allows Principal '*' with no account-confining condition"],
            ),
            (
                "star AWS principal",
                changed(
                    KEY,
                    policy=policy(
                        {
                            "Effect": "Allow",
                            "Principal": {"AWS": "*"},
                            "Action": "kms:Decrypt",
                            "Resource": "*",
                        }
                    ),
                ),
                ["statement 0 allows Principal '*' with no account-confining condition"],
            ),
        ],
        not_applicable=("aws:kms/alias:Alias", {"name": "alias/staging-logs"}),
        unknown=changed(KEY, policy=UNKNOWN_STRING),
    ),
    Case(
        rule="aws-kms-key-lifecycle",
        type="aws:kms/key:Key",
        passing=KEY,
        failing=[
            (
                "no policy",
                changed(KEY, policy=None),
                ["no explicit key policy: the account default grants the whole account"],
            ),
            (
                "short window",
                changed(KEY, deletionWindowInDays=7),
                ["deletionWindowInDays is 7; at least 30 required"],
            ),
            ("disabled", changed(KEY, isEnabled=False), ["key is disabled"]),
        ],
        not_applicable=("aws:kms/keyPolicy:KeyPolicy", {"policy": KEY_POLICY}),
        unknown=changed(KEY, deletionWindowInDays=UNKNOWN_NUMBER),
    ),
    Case(
        rule="aws-cloudwatch-log-group-retention",
        type="aws:cloudwatch/logGroup:LogGroup",
        passing=LOG_GROUP,
        failing=[
            (
                "forever",
                changed(LOG_GROUP, retentionInDays=None),
                ["no retention: logs are kept forever, unbounded cost and no lifecycle"],
            ),
            (
                "too short",
                changed(LOG_GROUP, retentionInDays=30),
                ["retentionInDays is 30; at least 365 required"],
            ),
        ],
        not_applicable=("aws:cloudwatch/logStream:LogStream", {"name": "s"}),
        unknown=changed(LOG_GROUP, retentionInDays=UNKNOWN_NUMBER),
    ),
    Case(
        rule="aws-cloudwatch-log-group-encrypted",
        type="aws:cloudwatch/logGroup:LogGroup",
        passing=LOG_GROUP,
        failing=[
            (
                "no key",
                changed(LOG_GROUP, kmsKeyId=None),
                ["no kmsKeyId: log data is encrypted only with an AWS-owned key"],
            )
        ],
        not_applicable=("aws:cloudwatch/logStream:LogStream", {"name": "s"}),
        unknown=changed(LOG_GROUP, kmsKeyId=UNKNOWN_STRING),
    ),
    Case(
        rule="aws-cloudwatch-alarm-actions",
        type="aws:cloudwatch/metricAlarm:MetricAlarm",
        passing=ALARM,
        failing=[
            (
                "no actions",
                changed(ALARM, alarmActions=[]),
                ["no alarmActions: the alarm notifies no one"],
            ),
            (
                "disabled",
                changed(ALARM, actionsEnabled=False),
                ["actionsEnabled is false: the alarm changes state silently"],
            ),
        ],
        not_applicable=("aws:cloudwatch/logGroup:LogGroup", LOG_GROUP),
        unknown=changed(ALARM, actionsEnabled=UNKNOWN_BOOL),
    ),
]
