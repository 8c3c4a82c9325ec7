"""CIDR math: the subnet plan packs every tier into the VPC without overlap, or says why not."""

from __future__ import annotations

import ipaddress
import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from components.network import TIERS, plan_subnets

AZS = ["eu-west-1a", "eu-west-1b", "eu-west-1c"]


def test_default_layout_of_a_16():
    plan = plan_subnets("10.10.0.0/16", AZS, {"private": 18, "public": 22, "intra": 22})
    assert plan.cidrs["private"] == ["10.10.0.0/18", "10.10.64.0/18", "10.10.128.0/18"]
    assert plan.cidrs["intra"] == ["10.10.192.0/22", "10.10.196.0/22", "10.10.200.0/22"]
    assert plan.cidrs["public"] == ["10.10.204.0/22", "10.10.208.0/22", "10.10.212.0/22"]


def test_refuses_a_plan_larger_than_the_vpc():
    with pytest.raises(
        ValueError, match=r"need 104448 addresses; the VPC 10\.0\.0\.0/16 has 65536"
    ):
        plan_subnets("10.0.0.0/16", AZS, {"private": 17, "public": 22, "intra": 22})


def test_refuses_subnets_as_large_as_the_vpc():
    with pytest.raises(ValueError, match="private subnets /16 must be smaller than the VPC /16"):
        plan_subnets("10.0.0.0/16", AZS, {"private": 16, "public": 22, "intra": 22})


prefixes = st.integers(min_value=16, max_value=28)


@given(
    vpc_prefix=st.integers(min_value=16, max_value=24),
    second_octet=st.integers(min_value=0, max_value=255),
    private=prefixes,
    public=prefixes,
    intra=prefixes,
)
def test_plan_fits_exactly_when_the_sizes_fit(vpc_prefix, second_octet, private, public, intra):
    vpc = ipaddress.IPv4Network(f"10.{second_octet}.0.0/{vpc_prefix}", strict=False)
    lengths = {"private": private, "public": public, "intra": intra}
    needed = sum(3 * 2 ** (32 - p) for p in lengths.values())
    valid_sizes = all(vpc.prefixlen < p <= 28 for p in lengths.values())
    if not valid_sizes or needed > vpc.num_addresses:
        with pytest.raises(ValueError, match=r"must be smaller than the VPC|need \d+ addresses"):
            plan_subnets(str(vpc), AZS, lengths)
        return
    plan = plan_subnets(str(vpc), AZS, lengths)
    subnets = []
    for tier in TIERS:
        assert len(plan.cidrs[tier]) == 3
        for cidr in plan.cidrs[tier]:
            subnet = ipaddress.IPv4Network(cidr)  # strict: aligned, no host bits
            assert subnet.prefixlen == lengths[tier]
            assert subnet.subnet_of(vpc)
            subnets.append(subnet)
    for a, b in itertools.combinations(subnets, 2):
        assert not a.overlaps(b)


@given(vpc_prefix=st.integers(min_value=16, max_value=20))
def test_plan_is_deterministic(vpc_prefix):
    lengths = {"private": vpc_prefix + 2, "public": vpc_prefix + 6, "intra": vpc_prefix + 6}
    vpc = f"10.0.0.0/{vpc_prefix}"
    assert plan_subnets(vpc, AZS, lengths) == plan_subnets(vpc, AZS, lengths)
