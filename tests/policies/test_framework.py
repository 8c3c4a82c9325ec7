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
