"""Every Helm chart the program installs is a version upstream published (in the upstream cache
at that version) and every values path it sets is one the chart reads."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from mlplat.chart_values import check_charts
from mlplat.policy_config import UPSTREAM_CHARTS
from mlplat.synth import synthesize

CACHE = Path(__file__).resolve().parents[2].parent / "shared" / "upstream"


@pytest.fixture(scope="module", params=("dev", "staging", "prod"))
def resources(request):
    return synthesize(request.param).state["deployment"]["resources"]


def charts(resources):
    return [r for r in resources if r["type"] == "kubernetes:helm.sh/v4:Chart"]


def test_every_chart_is_cached_at_its_pin_and_every_values_path_is_read(resources):
    checked, problems = check_charts(resources, CACHE)
    assert checked == len(charts(resources)) >= 5
    assert problems == []


def test_every_chart_is_a_component_upstream_waivers_can_name(resources):
    names = {r["urn"].rsplit("::", 1)[-1].split("-", 1)[1] for r in charts(resources)}
    # The EFA plugin only where a pool has EFA: every chart the program has is a waiver key.
    assert names <= set(UPSTREAM_CHARTS) and set(UPSTREAM_CHARTS) - names <= {"efa-device-plugin"}


def test_a_misspelled_key_and_an_unpublished_version_are_named(resources):
    changed = copy.deepcopy(charts(resources))
    fluent = next(r for r in changed if r["inputs"]["chart"].endswith("aws-for-fluent-bit"))
    fluent["inputs"]["values"]["cloudWatchLogs"]["logStreamPrefx"] = "x"
    stack = next(r for r in changed if r["inputs"]["chart"].endswith("kube-prometheus-stack"))
    stack["inputs"]["version"] = "91.2.1"
    _, problems = check_charts(changed, CACHE)
    assert [(p.chart, p.path, p.message) for p in problems] == [
        ("aws-for-fluent-bit", "cloudWatchLogs.logStreamPrefx", "values path cloudWatchLogs.logStreamPrefx is not a value of aws-for-fluent-bit 0.2.0 (Helm would ignore it)"),
        ("kube-prometheus-stack", "", "not rendered: kube-prometheus-stack 91.2.1 is not in the cache (cached: ['88.5.3'])"),
    ]  # fmt: skip


def test_a_chart_without_a_release_name_is_named(resources):
    # The provider's default release name is the resource name: `dev-kube-prometheus-stack`
    # renders `dev-kube-prometheus-stack-grafana`, not the Service the program points at.
    changed = copy.deepcopy(charts(resources))
    stack = next(r for r in changed if r["inputs"]["chart"].endswith("kube-prometheus-stack"))
    del stack["inputs"]["name"]
    _, problems = check_charts(changed, CACHE)
    name = stack["urn"].rsplit("::", 1)[-1]
    assert [(p.chart, p.path, p.message) for p in problems] == [
        ("kube-prometheus-stack", "", f"no release name (`name`): the provider would name the release, and so every object the chart names after it, {name}"),
    ]  # fmt: skip


def test_fluent_bit_has_the_stream_prefix_its_output_needs(resources):
    fluent = next(
        r for r in charts(resources) if r["inputs"]["chart"].endswith("aws-for-fluent-bit")
    )
    logs = fluent["inputs"]["values"]["cloudWatchLogs"]
    # The chart writes log_stream_prefix only when it is set; the output needs it or a name.
    assert logs["logStreamPrefix"] or logs.get("logStreamName")
