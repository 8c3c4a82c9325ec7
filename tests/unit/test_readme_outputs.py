"""The README's outputs tables read each component's registered outputs."""

import pulumi
import pytest

from components.audit import Audit
from mlplat.readme import outputs_table


def test_the_audit_outputs_are_its_children_ids_and_arns():
    assert outputs_table(Audit).splitlines() == [
        "| output | value |",
        "|---|---|",
        "| `trail_arn` | `self.trail.arn` |",
        "| `bucket_arn` | `self.bucket.arn` |",
        "| `log_group_arn` | `self.log_group.arn` |",
        "| `detector_id` | `self.detector.id` |",
        "| `analyzer_arn` | `self.analyzer.arn` |",
    ]


def test_a_component_without_one_literal_outputs_call_is_refused():
    class Unregistered(pulumi.ComponentResource):
        def __init__(self, name: str) -> None:
            super().__init__("t:t:T", name)
            outputs = {"a": 1}
            self.register_outputs(outputs)

    with pytest.raises(ValueError, match=r"Unregistered: one register_outputs\(\{...\}\) call"):
        outputs_table(Unregistered)
