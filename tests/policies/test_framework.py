"""The framework's resource index: the same answers as a scan, in the stack's order."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from policies.framework import Resource, Resources, of_types

TYPES = ["aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2", "aws:kms/key:Key"]


@given(st.lists(st.sampled_from(TYPES), max_size=30), st.lists(st.sampled_from(TYPES), min_size=1))
def test_indexed_lookup_matches_a_scan_in_stack_order(types, wanted):
    stack = [Resource(urn=f"urn:{i}", type=t, name=str(i), props={}) for i, t in enumerate(types)]
    scanned = [r.urn for r in of_types(stack, *wanted)]
    assert [r.urn for r in of_types(Resources(stack), *wanted)] == scanned


def test_a_stack_rule_judges_each_resource_on_its_own():
    from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

    from policies.engine import proxy, run_stack_rule
    from policies.rules import all_rules

    vpc = "aws:ec2/vpc:Vpc"
    flow = "aws:ec2/flowLog:FlowLog"
    resources = [
        Resource(urn="urn:a::vpc::a", type=vpc, name="a", props={}),
        Resource(urn="urn:b::vpc::b", type=vpc, name="b", props={}),
        Resource(
            urn="urn:f::flow::f",
            type=flow,
            name="f",
            props={"trafficType": UNKNOWN_STRING_VALUE},
            property_dependencies={"vpcId": ["urn:a::vpc::a"]},
        ),
    ]
    rule = next(r for r in all_rules() if r.name == "aws-vpc-flow-logs-enabled")
    outcome = run_stack_rule(rule, proxy(resources), rule.configured({}), proxied=True)
    # The flow log's unknown traffic type is its own verdict; VPC b's missing flow log stands.
    assert outcome.status == "fail"
    assert outcome.messages == (("urn:b::vpc::b", "VPC has no flow log"),)
    assert [urn for urn, _ in outcome.unknowns] == ["urn:f::flow::f"]
