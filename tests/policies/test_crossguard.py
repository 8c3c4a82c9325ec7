"""The pack as the Pulumi CLI runs it: every rule adapted to pulumi-policy, driven with the SDK's
own argument objects; and the pack imports nothing of the project."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest
from pulumi_policy import (
    EnforcementLevel,
    PolicyCustomTimeouts,
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.policy import _NotApplicableError
from pulumi_policy.proxy import UnknownValueError, unknown_checking_proxy

from policies.crossguard import policies
from policies.framework import ResourceRule
from policies.rules import all_rules
from tests.policies.cases import UNKNOWN_BOOL

POLICIES = Path(__file__).resolve().parents[2] / "policies"
BY_NAME = {p.name: p for p in policies()}


def options(protect: bool = False, parent: str | None = None) -> PolicyResourceOptions:
    return PolicyResourceOptions(protect, [], None, [], PolicyCustomTimeouts(0, 0, 0), [], parent)


def resource_args(
    type_: str, props: dict, config: dict | None = None, parent: str | None = None
) -> ResourceValidationArgs:
    provider = PolicyProviderResource(
        "pulumi:providers:aws", {}, "urn:pulumi:prod::mlplat::pulumi:providers:aws::aws", "aws"
    )
    return ResourceValidationArgs(
        type_,
        unknown_checking_proxy(props),
        f"urn:pulumi:prod::mlplat::{type_}::k",
        "k",
        options(parent=parent),
        provider,
        config,
    )


def validate(name: str, args) -> list[tuple[str, str | None]]:
    reported: list[tuple[str, str | None]] = []
    result = BY_NAME[name].validate(args, lambda message, urn=None: reported.append((message, urn)))
    assert result is None  # synchronous
    return reported


def test_every_rule_is_a_mandatory_policy_with_its_schema():
    assert len(BY_NAME) == len(all_rules())
    for rule in all_rules():
        policy = BY_NAME[rule.name]
        # A resource rule that needs the stack for its context runs as a stack policy.
        resource = isinstance(rule, ResourceRule) and not rule.stack_context
        expected = ResourceValidationPolicy if resource else StackValidationPolicy
        assert isinstance(policy, expected)
        assert policy.enforcement_level == EnforcementLevel.MANDATORY
        assert policy.description.startswith(f"[{rule.control}] ")
        assert "waiverReason" in policy.config_schema.properties
        assert policy.tags == [rule.control]


def test_a_resource_rule_reports_through_the_sdk():
    key = {"customerMasterKeySpec": "SYMMETRIC_DEFAULT", "enableKeyRotation": False}
    assert validate("aws-kms-key-rotation", resource_args("aws:kms/key:Key", key)) == [
        ("key rotation is off: set enableKeyRotation to true", None)
    ]
    assert validate("aws-kms-key-rotation", resource_args("aws:ec2/vpc:Vpc", {})) == []


def test_config_overrides_the_secure_default():
    group = {"retentionInDays": 30, "kmsKeyId": "k"}
    strict = validate(
        "aws-cloudwatch-log-group-retention",
        resource_args("aws:cloudwatch/logGroup:LogGroup", group),
    )
    waived = validate(
        "aws-cloudwatch-log-group-retention",
        resource_args(
            "aws:cloudwatch/logGroup:LogGroup", group, {"minRetentionDays": 30, "waiverReason": "x"}
        ),
    )
    assert strict == [("retentionInDays is 30; at least 365 required", None)]
    assert waived == []


def test_not_applicable_and_unknown_reach_the_sdk_as_its_own_signals():
    with pytest.raises(_NotApplicableError):
        validate(
            "aws-kms-key-rotation",
            resource_args("aws:kms/key:Key", {"customerMasterKeySpec": "RSA_2048"}),
        )
    with pytest.raises(UnknownValueError):
        validate(
            "aws-kms-key-rotation",
            resource_args("aws:kms/key:Key", {"enableKeyRotation": UNKNOWN_BOOL}),
        )


def test_a_stack_rule_reports_against_the_resource():
    vpc = PolicyResource(
        "aws:ec2/vpc:Vpc", unknown_checking_proxy({"cidrBlock": "10.30.0.0/16"}),
        "urn:pulumi:prod::mlplat::aws:ec2/vpc:Vpc::v", "v", options(), None, None, [], {},
    )  # fmt: skip
    reported = validate("aws-vpc-flow-logs-enabled", StackValidationArgs([vpc]))
    assert reported == [("VPC has no flow log", vpc.urn)]


def test_the_pack_imports_only_the_standard_library_pulumi_policy_and_itself():
    allowed = set(sys.stdlib_module_names) | {"pulumi_policy", "policies"}
    for path in POLICIES.rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                assert name.split(".")[0] in allowed, f"{path.name} imports {name}"


def stack_resource(type_: str, name: str, props: dict, deps: dict | None = None) -> PolicyResource:
    return PolicyResource(
        type_, unknown_checking_proxy(props), f"urn:pulumi:prod::mlplat::{type_}::{name}", name,
        options(), None, None, [], deps or {},
    )  # fmt: skip


ADMIN = '{"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}'


def test_a_policy_is_a_boundary_by_use_never_by_its_tag():
    tagged = {"policy": ADMIN, "tags": {"mlplat.io/policy-kind": "permissions-boundary"}}
    boundary = stack_resource("aws:iam/policy:Policy", "boundary", tagged)
    posing = stack_resource("aws:iam/policy:Policy", "posing", tagged)
    role = stack_resource(
        "aws:iam/role:Role", "r", {"permissionsBoundary": "x"},
        {"permissionsBoundary": [boundary]},
    )  # fmt: skip
    reported = validate("aws-iam-policy-no-admin", StackValidationArgs([boundary, posing, role]))
    assert reported == [("statement '' allows Action '*' on Resource '*'", posing.urn)]


def test_a_stack_rule_reports_what_it_decided_before_an_unknown():
    known = stack_resource("aws:iam/rolePolicy:RolePolicy", "known", {"policy": ADMIN})
    unknown = stack_resource("aws:iam/rolePolicy:RolePolicy", "unknown", {"policy": UNKNOWN_BOOL})
    reported: list = []
    with pytest.raises(UnknownValueError) as raised:
        BY_NAME["aws-iam-policy-no-admin"].validate(
            StackValidationArgs([unknown, known]), lambda m, urn=None: reported.append((m, urn))
        )
    assert raised.value.message.startswith(f"{unknown.urn}: ")
    assert reported == [("statement '' allows Action '*' on Resource '*'", known.urn)]


def test_upstreams_objects_a_waiver_covers_are_not_applicable_with_the_reason():
    directory = "urn:pulumi:prod::mlplat::mlplat:kubeflow:Kubeflow$kubernetes:kustomize/v2:Directory::prod-istio"  # fmt: skip
    pod = {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "cni"}, "spec": {"template": {"spec": {"containers": [{"name": "c", "image": "i@sha256:" + "0" * 64, "securityContext": {"privileged": True}}]}}}}  # fmt: skip
    config = {"upstreamWaivers": {"prod-istio": "the CNI agent writes each node's CNI configuration"}}  # fmt: skip
    args = resource_args("kubernetes:apps/v1:DaemonSet", pod, config, directory)
    with pytest.raises(_NotApplicableError) as raised:
        validate("k8s-workload-no-privileged", args)
    assert raised.value.reason == f"waived for upstream's objects of {directory}: the CNI agent writes each node's CNI configuration"  # fmt: skip
    # The same object under another Directory, or of our own, is judged.
    other = resource_args("kubernetes:apps/v1:DaemonSet", pod, config, directory.replace("prod-istio", "prod-kserve"))  # fmt: skip
    assert validate("k8s-workload-no-privileged", other) != []
    for policy in BY_NAME.values():
        assert "upstreamWaivers" in policy.config_schema.properties
