"""Every rule against its fixtures, through the engine `mlplat check` uses."""

from __future__ import annotations

import pytest

from policies.engine import run_resource_rule, run_stack_rule
from policies.framework import Ctx, ResourceRule, StackRule
from policies.rules import all_rules
from tests.policies import (
    cases_data_audit,
    cases_eks,
    cases_iam,
    cases_kms_logs,
    cases_kubernetes,
    cases_kueue,
    cases_network,
    cases_s3,
    cases_separation,
)
from tests.policies.cases import Case, StackCase

MODULES = [
    cases_data_audit,
    cases_eks,
    cases_iam,
    cases_kms_logs,
    cases_kubernetes,
    cases_kueue,
    cases_network,
    cases_s3,
    cases_separation,
]
CASES: list[Case] = [c for m in MODULES for c in m.CASES if isinstance(c, Case)]
STACK_CASES: list[StackCase] = [c for m in MODULES for c in m.CASES if isinstance(c, StackCase)]
RULES = {rule.name: rule for rule in all_rules()}


def resource_rule(name: str) -> ResourceRule:
    rule = RULES[name]
    assert isinstance(rule, ResourceRule)
    return rule


def stack_rule(name: str) -> StackRule:
    rule = RULES[name]
    assert isinstance(rule, StackRule)
    return rule


def run(case: Case, props: dict, *, type_: str | None = None, protect: bool | None = None):
    rule = resource_rule(case.rule)
    ctx = Ctx(
        config=rule.configured(case.config),
        urn=f"urn:pulumi:staging::mlplat::{type_ or case.type}::fixture",
        name="fixture",
        type=type_ or case.type,
        protect=case.protect if protect is None else protect,
        provider_props=case.provider_props,
    )
    return run_resource_rule(rule, props, ctx)


def test_every_rule_has_fixtures():
    covered = {c.rule for c in CASES} | {c.rule for c in STACK_CASES}
    assert covered == set(RULES), f"without fixtures: {sorted(set(RULES) - covered)}"
    for case in CASES:
        assert case.failing or case.failing_options, f"{case.rule} has no failing fixture"


def test_every_rule_names_a_control_severity_and_remediation():
    for rule in RULES.values():
        assert rule.control.split("-")[0] in {
            "S3", "IAM", "KMS", "CT", "CW", "DET", "EKS", "NET", "RDS", "K8S", "ENV", "FIN", "REL", "RES"
        }  # fmt: skip
        assert rule.description.endswith(".") and rule.remediation
        for prop in rule.config_schema.values():
            assert "type" in prop


@pytest.mark.parametrize("case", [c for c in CASES if c.passing is not None], ids=lambda c: c.rule)
def test_passing_fixture_has_no_violation(case):
    outcome = run(case, case.passing)
    assert outcome.status == "pass", outcome.messages


@pytest.mark.parametrize(
    ("case", "failing"),
    [(c, failing) for c in CASES for failing in c.failing],
    ids=lambda v: v[0] if isinstance(v, tuple) else v.rule,
)
def test_failing_fixture_reports_exactly(case, failing):
    label, props, messages, *other_type = failing
    outcome = run(case, props, type_=other_type[0] if other_type else None)
    assert outcome.status == "fail", label
    assert [m for _, m in outcome.messages] == messages


@pytest.mark.parametrize(
    ("case", "label", "protect", "messages"),
    [(c, label, p, msgs) for c in CASES for label, p, msgs in c.failing_options],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_failing_options_report_exactly(case, label, protect, messages):
    outcome = run(case, case.passing, protect=protect)
    assert outcome.status == "fail", label
    assert [m for _, m in outcome.messages] == messages


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.rule)
def test_not_applicable_fixture_is_not_judged(case):
    type_, props = case.not_applicable
    assert run(case, props, type_=type_).status == "not_applicable"


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.rule)
def test_unknown_values_are_unknown_never_a_pass(case):
    # Unprotected, so a rule judging options rather than props shows it never passes either.
    outcome = run(case, case.unknown, protect=False)
    assert outcome.status == case.unknown_status != "pass", outcome
    if case.unknown_status == "unknown":
        assert "can't be known during preview" in outcome.messages[0][1]


@pytest.mark.parametrize("case", STACK_CASES, ids=lambda c: c.rule)
def test_stack_rule_fixtures(case):
    rule = stack_rule(case.rule)
    config = rule.configured(case.config)
    assert run_stack_rule(rule, case.passing, config).status == "pass"
    for label, resources, expected in case.failing:
        outcome = run_stack_rule(rule, resources, config)
        assert outcome.status == "fail", label
        got = [
            (urn.rsplit("::", 1)[-1] if urn else "", message) for urn, message in outcome.messages
        ]
        assert got == expected, label
    assert run_stack_rule(rule, case.not_applicable, config).status in ("pass", "not_applicable")
    outcome = run_stack_rule(rule, case.unknown, config)
    assert outcome.status == "unknown", outcome


@pytest.mark.parametrize(
    "name",
    [
        "aws-iam-policy-no-admin",
        "aws-iam-policy-no-service-wildcard",
        "aws-iam-policy-scoped-resources",
        "aws-iam-policy-no-privilege-escalation",
        "aws-iam-policy-no-kms-decrypt-all",
    ],
)
def test_grant_rules_judge_a_policy_unless_it_is_used_as_a_boundary(name):
    from tests.policies.cases_iam import BOUNDARY

    case = Case(
        rule=name,
        type="aws:iam/policy:Policy",
        passing=None,
        failing=[],
        not_applicable=("", {}),
        unknown={},
    )
    rule = resource_rule(name)
    ctx = Ctx(config=rule.configured({}), type=case.type, used_as_boundary=True)
    assert run_resource_rule(rule, dict(BOUNDARY.props), ctx).status == "not_applicable"
    # Not used as one, the same document is a grant of everything, its boundary tag or not: the
    # admin rules catch it (a tag is a claim anyone can write).
    failing = {
        "aws-iam-policy-no-admin",
        "aws-iam-policy-no-service-wildcard",
        "aws-iam-policy-no-privilege-escalation",
    }
    assert run(case, dict(BOUNDARY.props)).status == ("fail" if name in failing else "pass")


RUNTIME = "kubernetes:serving.kserve.io/v1alpha1:ClusterServingRuntime"


def as_serving_runtime(deployment: dict) -> dict:
    """The Deployment fixture's pod, carried the way a KServe runtime carries it."""
    return {
        "apiVersion": "serving.kserve.io/v1alpha1",
        "kind": "ClusterServingRuntime",
        "metadata": {"name": "fixture-runtime"},
        "spec": deployment["spec"]["template"]["spec"],
    }


CONTAINER_CASES = [
    c for c in CASES if RUNTIME in resource_rule(c.rule).types and c.type == cases_kubernetes.DEPLOY
]


def test_the_container_rules_cover_serving_runtimes():
    assert {c.rule for c in CONTAINER_CASES} == {
        "k8s-workload-drop-capabilities",
        "k8s-workload-image-pinned",
        "k8s-workload-no-privileged",
        "k8s-workload-no-secret-env",
        "k8s-workload-non-root",
        "k8s-workload-resource-limits",
        "k8s-workload-seccomp",
    }


@pytest.mark.parametrize("case", CONTAINER_CASES, ids=lambda c: c.rule)
def test_a_serving_runtime_is_judged_like_its_deployment(case):
    assert run(case, as_serving_runtime(case.passing), type_=RUNTIME).status == "pass"
    for label, props, messages, *other_type in case.failing:
        if other_type or "template" not in props.get("spec", {}):
            continue  # a Deployment's fixtures only
        outcome = run(case, as_serving_runtime(props), type_=RUNTIME)
        assert [m for _, m in outcome.messages] == messages, label
    unknown = run(case, as_serving_runtime(case.unknown), type_=RUNTIME, protect=False)
    assert unknown.status == case.unknown_status
