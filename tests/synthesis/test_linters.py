"""parliament over IAM documents and kubernetes-validate over rendered objects."""

from __future__ import annotations

import json

from mlplat import iam_lint


def res(type_, name, **inputs):
    return {
        "urn": f"urn:pulumi:dev::mlplat::{type_}::{name}",
        "type": type_,
        "custom": True,
        "inputs": inputs,
    }


def doc(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


TRUST = doc(
    {
        "Effect": "Allow",
        "Principal": {"Service": "vpc-flow-logs.amazonaws.com"},
        "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"aws:SourceAccount": "111122223333"}},
    }
)
KEY_POLICY = doc(
    {
        "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
        "Action": "kms:*",
        "Resource": "*",
    }
)


def test_parliament_flags_identity_policies_and_spares_trust_and_key_policies():
    resources = [
        res("aws:iam/role:Role", "flow", assumeRolePolicy=TRUST),
        res("aws:kms/key:Key", "key", policy=KEY_POLICY),
        res(
            "aws:iam/rolePolicy:RolePolicy",
            "typo",
            policy=doc(
                {"Effect": "Allow", "Action": "s3:GetObjectt", "Resource": "arn:aws:s3:::b/*"}
            ),
        ),
        res(
            "aws:iam/policy:Policy",
            "format",
            policy=doc(
                {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::bucket"}
            ),
        ),
        res("aws:ec2/vpc:Vpc", "vpc", cidrBlock="10.0.0.0/16"),
    ]
    linted, findings = iam_lint.lint(resources)
    assert linted == 4
    got = sorted((f.urn.rsplit("::", 1)[1], f.prop, f.issue) for f in findings)
    assert got == [("format", "policy", "RESOURCE_MISMATCH"), ("typo", "policy", "UNKNOWN_ACTION")]


def oidc_trust(provider: str) -> str:
    return doc(
        {
            "Effect": "Allow",
            "Principal": {"Federated": provider},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {
                "StringEquals": {
                    "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
                    "token.actions.githubusercontent.com:sub": "repo:o/r:environment:dev",
                }
            },
        }
    )


def test_an_iam_oidc_provider_is_a_known_federation_source_and_nothing_else_is():
    github = "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"
    resources = [
        res("aws:iam/role:Role", "github", assumeRolePolicy=oidc_trust(github)),
        res("aws:iam/role:Role", "made-up", assumeRolePolicy=oidc_trust("idp.example.com")),
    ]
    _, findings = iam_lint.lint(resources)
    assert [(f.urn.rsplit("::", 1)[1], f.issue, f.detail) for f in findings] == [
        ("made-up", "UNKNOWN_FEDERATION_SOURCE", "idp.example.com")
    ]


def bucket_admin(*deny: dict) -> str:
    return doc(
        {
            "Effect": "Allow",
            "Action": ["s3:PutBucketPolicy"],
            "Resource": "arn:aws:s3:::mlplat-dev-*",
        },
        *deny,
    )


def test_a_bucket_policy_escalation_stays_a_finding_unless_a_deny_closes_it():
    closed = {
        "Effect": "Deny",
        "Action": ["s3:DeleteObject*", "s3:GetObject*", "s3:PutObject*"],
        "NotResource": ["arn:aws:s3:::mlplat-dev-state", "arn:aws:s3:::mlplat-dev-state/*"],
    }
    partly = {"Effect": "Deny", "Action": ["s3:GetObject"], "Resource": "arn:aws:s3:::other/*"}
    resources = [
        res("aws:iam/policy:Policy", "open", policy=bucket_admin()),
        res("aws:iam/policy:Policy", "closed", policy=bucket_admin(closed)),
        res("aws:iam/policy:Policy", "elsewhere", policy=bucket_admin(partly)),
    ]
    _, findings = iam_lint.lint(resources)
    flagged = {f.urn.rsplit("::", 1)[1] for f in findings}
    assert flagged == {"open", "elsewhere"}
    assert {f.issue for f in findings} == {"RESOURCE_POLICY_PRIVILEGE_ESCALATION"}


def test_no_documents_runs_nothing():
    assert iam_lint.lint([res("aws:ec2/vpc:Vpc", "v")]) == (0, [])


def test_a_statement_split_covering_every_format_is_not_a_mismatch():
    split = doc(
        {"Sid": "Images", "Effect": "Allow", "Action": "ec2:RunInstances",
         "Resource": ["arn:aws:ec2:eu-west-1::image/*", "arn:aws:ec2:eu-west-1:*:subnet/*",
                      "arn:aws:ec2:eu-west-1:*:security-group/*"]},
        {"Sid": "Instances", "Effect": "Allow", "Action": "ec2:RunInstances",
         "Resource": ["arn:aws:ec2:eu-west-1:*:instance/*", "arn:aws:ec2:eu-west-1:*:network-interface/*",
                      "arn:aws:ec2:eu-west-1:*:volume/*"],
         "Condition": {"StringEquals": {"aws:RequestTag/team": "a"}}},
    )  # fmt: skip
    half = doc(
        {
            "Effect": "Allow",
            "Action": "ec2:RunInstances",
            "Resource": "arn:aws:ec2:eu-west-1::image/*",
        }
    )
    _, findings = iam_lint.lint(
        [
            res("aws:iam/policy:Policy", "split", policy=split),
            res("aws:iam/policy:Policy", "half", policy=half),
        ]
    )
    assert [(f.urn.rsplit("::", 1)[1], f.issue) for f in findings] == [
        ("half", "RESOURCE_MISMATCH")
    ]
