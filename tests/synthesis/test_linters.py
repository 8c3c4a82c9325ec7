"""parliament over IAM documents and kubernetes-validate over rendered objects."""

from __future__ import annotations

import json

import yaml

from mlplat import iam_lint, k8s_schema


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


def test_kubernetes_objects_are_validated_at_the_cluster_version(tmp_path):
    (tmp_path / "namespace-cluster-ok.yaml").write_text(
        yaml.safe_dump({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team-a"}})
    )
    (tmp_path / "deployment-team-a-bad.yaml").write_text(
        yaml.safe_dump(
            {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": {"name": "x", "namespace": "team-a"},
                "spec": {"replicas": "two", "selector": {}, "template": {}},
            }
        )
    )
    count, findings = k8s_schema.validate_directory(tmp_path)
    assert count == 2
    assert [f.file for f in findings] == ["deployment-team-a-bad.yaml"]
    assert "'two' is not of type 'integer'" in findings[0].message


def test_a_missing_directory_validates_nothing(tmp_path):
    assert k8s_schema.validate_directory(tmp_path / "absent") == (0, [])


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


def test_karpenter_objects_are_validated_against_the_pinned_crd_fields(tmp_path):
    pool = {
        "apiVersion": "karpenter.sh/v1",
        "kind": "NodePool",
        "metadata": {"name": "gpu-x"},
        "spec": {
            "template": {
                "spec": {
                    "nodeClassRef": {
                        "group": "karpenter.k8s.aws",
                        "kind": "EC2NodeClass",
                        "name": "gpu-x",
                    },
                    "requirements": [],
                }
            },
            "limits": {"nvidia.com/gpu": 4},
            "disruption": {"consolidationPolicy": "WhenEmpty", "consolidateAfter": "10m"},
        },
    }
    (tmp_path / "nodepool-cluster-ok.yaml").write_text(yaml.safe_dump(pool))
    typo = {**pool, "spec": {**pool["spec"], "limit": {"cpu": 1}}}
    (tmp_path / "nodepool-cluster-typo.yaml").write_text(yaml.safe_dump(typo))
    count, findings = k8s_schema.validate_directory(tmp_path)
    assert count == 2
    assert [(f.file, f.message) for f in findings] == [
        (
            "nodepool-cluster-typo.yaml",
            "Additional properties are not allowed ('limit' was unexpected) at ['spec']",
        )
    ]
