"""S3 rule fixtures: each rule holds for Bucket and BucketV2 and both side-resource tokens."""

from tests.policies.cases import (
    ACCOUNT,
    UNKNOWN_BOOL,
    UNKNOWN_STRING,
    Case,
    StackCase,
    policy,
    resource,
)

KEY = f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/1"
TLS_ONLY = policy(
    {
        "Sid": "TlsOnly",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
)


SSE_KMS = {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": KEY}
LIFECYCLE = "bucketLifecycleConfiguration"
LOCK = "bucketObjectLockConfiguration"


def bucket_stack(
    token="aws:s3/bucketV2:BucketV2", v2_sides=False, data_class="models", **overrides
):
    """A compliant bucket and its side resources; `overrides` replace a side's props by name
    (None drops it)."""
    bucket = resource(
        token,
        "b",
        {"bucket": "b", "tags": {"mlplat.io/data-class": data_class}, "objectLockEnabled": True},
    )
    on = {"bucket": [bucket.urn]}
    suffix = "V2" if v2_sides else ""
    sides = {
        "bpa": (
            "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
            {
                "blockPublicAcls": True,
                "blockPublicPolicy": True,
                "ignorePublicAcls": True,
                "restrictPublicBuckets": True,
            },
        ),
        "policy": ("aws:s3/bucketPolicy:BucketPolicy", {"policy": TLS_ONLY}),
        "versioning": (
            f"aws:s3/bucketVersioning{suffix}:BucketVersioning{suffix}",
            {
                "versioningConfiguration": {"status": "Enabled"},
            },
        ),
        "sse": (
            f"aws:s3/bucketServerSideEncryptionConfiguration{suffix}:"
            f"BucketServerSideEncryptionConfiguration{suffix}",
            {"rules": [{"applyServerSideEncryptionByDefault": SSE_KMS, "bucketKeyEnabled": True}]},
        ),
        "ownership": (
            "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
            {
                "rule": {"objectOwnership": "BucketOwnerEnforced"},
            },
        ),
        "logging": (
            f"aws:s3/bucketLogging{suffix}:BucketLogging{suffix}",
            {"targetBucket": "logs"},
        ),
        "lifecycle": (
            f"aws:s3/{LIFECYCLE}{suffix}:{LIFECYCLE[0].upper()}{LIFECYCLE[1:]}{suffix}",
            {
                "rules": [
                    {
                        "id": "tidy",
                        "status": "Enabled",
                        "noncurrentVersionExpiration": {"noncurrentDays": 90},
                        "abortIncompleteMultipartUpload": {"daysAfterInitiation": 7},
                    }
                ],
            },
        ),
        "lock": (
            f"aws:s3/{LOCK}{suffix}:{LOCK[0].upper()}{LOCK[1:]}{suffix}",
            {
                "rule": {"defaultRetention": {"mode": "COMPLIANCE", "days": 365}},
            },
        ),
        "account": (
            "aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock",
            {
                "blockPublicAcls": True,
                "blockPublicPolicy": True,
                "ignorePublicAcls": True,
                "restrictPublicBuckets": True,
            },
        ),
    }
    out = [bucket]
    for name, (type_, props) in sides.items():
        if name in overrides and overrides[name] is None:
            continue
        out.append(
            resource(
                type_, name, overrides.get(name, props), deps=None if name == "account" else on
            )
        )
    return out


NOT_S3 = [resource("aws:ec2/vpc:Vpc", "vpc", {"cidrBlock": "10.20.0.0/16"})]

CASES = [
    StackCase(
        rule="aws-s3-bucket-public-access-blocked",
        passing=bucket_stack("aws:s3/bucket:Bucket"),
        failing=[
            ("absent", bucket_stack(bpa=None), [("b", "bucket has no public access block")]),
            (
                "flag off",
                bucket_stack(
                    bpa={
                        "blockPublicAcls": True,
                        "blockPublicPolicy": False,
                        "ignorePublicAcls": True,
                        "restrictPublicBuckets": True,
                    }
                ),
                [("bpa", "public access block leaves ['blockPublicPolicy'] off")],
            ),
        ],
        not_applicable=NOT_S3,
        unknown=bucket_stack(bpa={"blockPublicAcls": UNKNOWN_BOOL}),
    ),
    StackCase(
        rule="aws-s3-account-public-access-blocked",
        passing=bucket_stack(),
        failing=[
            (
                "absent",
                bucket_stack(account=None),
                [
                    (
                        "",
                        "no AccountPublicAccessBlock: "
                        "buckets created outside this stack may be public",
                    )
                ],
            ),
            (
                "flag off",
                bucket_stack(
                    account={
                        "blockPublicAcls": False,
                        "blockPublicPolicy": True,
                        "ignorePublicAcls": True,
                        "restrictPublicBuckets": True,
                    }
                ),
                [("account", "account public access block leaves ['blockPublicAcls'] off")],
            ),
        ],
        not_applicable=[resource("kubernetes:core/v1:Namespace", "ns", {})],
        unknown=bucket_stack(account={"blockPublicAcls": UNKNOWN_BOOL}),
    ),
    StackCase(
        rule="aws-s3-bucket-tls-only",
        passing=bucket_stack(),
        failing=[
            (
                "no policy",
                bucket_stack(policy=None),
                [("b", "no policy statement denies aws:SecureTransport=false")],
            ),
            (
                "allow only",
                bucket_stack(
                    policy={
                        "policy": policy(
                            {
                                "Effect": "Allow",
                                "Principal": {"AWS": ACCOUNT},
                                "Action": "s3:GetObject",
                                "Resource": "*",
                            }
                        )
                    }
                ),
                [("b", "no policy statement denies aws:SecureTransport=false")],
            ),
        ],
        not_applicable=NOT_S3,
        unknown=bucket_stack(policy={"policy": UNKNOWN_STRING}),
    ),
    StackCase(
        rule="aws-s3-bucket-versioning",
        passing=bucket_stack(v2_sides=True),
        failing=[
            ("absent", bucket_stack(versioning=None), [("b", "versioning is absent, not Enabled")]),
            (
                "suspended",
                bucket_stack(versioning={"versioningConfiguration": {"status": "Suspended"}}),
                [("b", "versioning is Suspended, not Enabled")],
            ),
        ],
        not_applicable=NOT_S3,
        unknown=bucket_stack(versioning={"versioningConfiguration": {"status": UNKNOWN_STRING}}),
    ),
    StackCase(
        rule="aws-s3-bucket-kms-encryption",
        passing=bucket_stack(v2_sides=True),
        failing=[
            ("absent", bucket_stack(sse=None), [("b", "no default encryption configuration")]),
            (
                "sse-s3",
                bucket_stack(
                    sse={
                        "rules": [
                            {"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}
                        ]
                    }
                ),
                [("b", "default encryption is 'AES256', not SSE-KMS")],
            ),
            (
                "aws managed key",
                bucket_stack(
                    sse={
                        "rules": [
                            {
                                "applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms"},
                                "bucketKeyEnabled": True,
                            }
                        ]
                    }
                ),
                [("b", "SSE-KMS without kmsMasterKeyId uses the AWS-managed key")],
            ),
            (
                "no bucket key",
                bucket_stack(
                    sse={
                        "rules": [
                            {
                                "applyServerSideEncryptionByDefault": {
                                    "sseAlgorithm": "aws:kms",
                                    "kmsMasterKeyId": KEY,
                                }
                            }
                        ]
                    }
                ),
                [("b", "bucketKeyEnabled is off: every object costs a KMS request")],
            ),
        ],
        not_applicable=NOT_S3,
        unknown=bucket_stack(sse={"rules": UNKNOWN_STRING}),
    ),
    StackCase(
        rule="aws-s3-audit-bucket-object-lock",
        passing=bucket_stack(data_class="audit-logs", v2_sides=True),
        failing=[
            (
                "no lock",
                bucket_stack(data_class="audit-logs", lock=None),
                [("b", "no object lock default retention (mode and days or years)")],
            ),
            (
                "no days",
                bucket_stack(
                    data_class="audit-logs",
                    lock={"rule": {"defaultRetention": {"mode": "GOVERNANCE"}}},
                ),
                [("b", "no object lock default retention (mode and days or years)")],
            ),
        ],
        not_applicable=bucket_stack(data_class="models", lock=None),
        unknown=bucket_stack(
            data_class="audit-logs", lock={"rule": {"defaultRetention": {"mode": UNKNOWN_STRING}}}
        ),
    ),
    StackCase(
        rule="aws-s3-bucket-acls-disabled",
        passing=bucket_stack(),
        failing=[
            (
                "ownership unset",
                bucket_stack(ownership=None),
                [("b", "object ownership is unset, not BucketOwnerEnforced")],
            ),
            (
                "public acl",
                [
                    *bucket_stack(),
                    resource("aws:s3/bucketAclV2:BucketAclV2", "acl", {"acl": "public-read"}),
                ],
                [("acl", "canned ACL 'public-read' makes objects public")],
            ),
        ],
        not_applicable=NOT_S3,
        unknown=bucket_stack(ownership={"rule": {"objectOwnership": UNKNOWN_STRING}}),
    ),
    StackCase(
        rule="aws-s3-bucket-access-logging",
        passing=bucket_stack(v2_sides=True),
        failing=[("absent", bucket_stack(logging=None), [("b", "no server access logging")])],
        not_applicable=bucket_stack(data_class="access-logs", logging=None),
        unknown=bucket_stack(logging={"targetBucket": UNKNOWN_STRING}),
    ),
    StackCase(
        rule="aws-s3-bucket-lifecycle",
        passing=bucket_stack(v2_sides=True),
        failing=[
            (
                "no lifecycle",
                bucket_stack(lifecycle=None),
                [
                    ("b", "noncurrent versions never expire"),
                    ("b", "incomplete multipart uploads are never aborted"),
                ],
            ),
            (
                "disabled rule",
                bucket_stack(
                    lifecycle={
                        "rules": [
                            {
                                "status": "Disabled",
                                "noncurrentVersionExpiration": {"noncurrentDays": 1},
                                "abortIncompleteMultipartUpload": {"daysAfterInitiation": 1},
                            }
                        ]
                    }
                ),
                [
                    ("b", "noncurrent versions never expire"),
                    ("b", "incomplete multipart uploads are never aborted"),
                ],
            ),
        ],
        not_applicable=bucket_stack(versioning=None, lifecycle=None),
        unknown=bucket_stack(lifecycle={"rules": [{"status": UNKNOWN_STRING}]}),
    ),
    Case(
        rule="aws-s3-bucket-policy-not-public",
        type="aws:s3/bucketPolicy:BucketPolicy",
        config={"accountId": ACCOUNT},
        passing={"bucket": "b", "policy": TLS_ONLY},
        failing=[
            (
                "anyone reads",
                {
                    "policy": policy(
                        {
                            "Sid": "Read",
                            "Effect": "Allow",
                            "Principal": "*",
                            "Action": "s3:GetObject",
                            "Resource": "*",
                        }
                    )
                },
                ["statement 'Read' allows anyone"],
            ),
            (
                "foreign account on the bucket itself",
                {
                    "policy": policy(
                        {
                            "Sid": "X",
                            "Effect": "Allow",
                            "Principal": {"AWS": "999988887777"},
                            "Action": "s3:GetObject",
                            "Resource": "*",
                        }
                    )
                },
                ["statement 'X' allows account 999988887777"],
                "aws:s3/bucket:Bucket",
            ),
        ],
        not_applicable=("aws:s3/bucketVersioningV2:BucketVersioningV2", {}),
        unknown={"policy": UNKNOWN_STRING},
    ),
    Case(
        rule="aws-s3-bucket-policy-not-public",
        type="aws:s3/bucketPolicy:BucketPolicy",
        config={"accountId": ACCOUNT},
        # Another account's root narrowed to one named role is confined, not public.
        passing={
            "bucket": "b",
            "policy": policy(
                {
                    "Sid": "Promotion",
                    "Effect": "Allow",
                    "Principal": {"AWS": "arn:aws:iam::777788889999:root"},
                    "Action": "s3:GetObject",
                    "Resource": "arn:aws:s3:::b/approved/*",
                    "Condition": {
                        "ArnEquals": {
                            "aws:PrincipalArn": "arn:aws:iam::777788889999:role/promotion"
                        }
                    },
                }
            ),
        },
        failing=[
            (
                "the same root, unconfined",
                {
                    "policy": policy(
                        {
                            "Sid": "Promotion",
                            "Effect": "Allow",
                            "Principal": {"AWS": "arn:aws:iam::777788889999:root"},
                            "Action": "s3:GetObject",
                            "Resource": "arn:aws:s3:::b/approved/*",
                        }
                    )
                },
                ["statement 'Promotion' allows account 777788889999"],
            )
        ],
        not_applicable=("aws:s3/bucketVersioningV2:BucketVersioningV2", {}),
        unknown={"policy": UNKNOWN_STRING},
    ),
]
