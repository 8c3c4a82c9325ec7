"""Policy over what lands on the cluster: the pack's rules and checkov over the objects the
kustomizations render, attributed to their Directory; upstream's exceptions waived per
component with a reason, and nothing else."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mlplat.check import check_state, unused_upstream_waivers
from mlplat.cli import app, current_policy_config
from mlplat.policy_config import build as policy_config
from mlplat.policy_config import policy_config_file, upstream_waivers
from mlplat.render import objects_file, render, rendered_children
from mlplat.state import read
from mlplat.synth import synthesize, write_outputs
from stacks.environment import SpecError, known_environments, load_environment

CACHE = Path(__file__).resolve().parents[2].parent / "shared" / "upstream"


@pytest.fixture(scope="module")
def build(tmp_path_factory):
    out = tmp_path_factory.mktemp("build")
    result = synthesize("prod")
    write_outputs(out / "prod", result.state, result.manifests)
    resources = json.loads((out / "prod" / "state.json").read_text())["deployment"]["resources"]
    rendered = render(resources, out / "prod" / "rendered", CACHE)
    assert rendered.ok
    return out


def judged(build, config=None, edit=None):
    checkpoint, count = rendered_children(read(build / "prod" / "state.json"), build / "prod" / "rendered")  # fmt: skip
    if edit:
        checkpoint = replace(checkpoint, resources=tuple(edit(list(checkpoint.resources))))
    config = config or current_policy_config("prod", policy_config_file("prod"))
    return check_state(checkpoint, "prod", config), count


def test_every_rendered_object_is_judged_and_upstream_waivers_are_named(build):
    report, count = judged(build)
    assert count == sum(len(v) for v in json.loads(objects_file(build / "prod" / "rendered").read_text()).values())  # fmt: skip
    assert report.rendered == count and report.mandatory == 0 and report.undecided == 0
    waived = [f for f in report.findings if "$kubernetes:kustomize/v2:Directory$" in f.urn]
    assert waived and all(f.level == "advisory" and f.waiver_reason for f in waived)
    runtime = next(f for f in waived if f.urn.endswith("::prod-trainer:kubeflow-system/torch-distributed") and f.policy == "k8s-workload-non-root")  # fmt: skip
    assert "ClusterTrainingRuntimes are pod templates" in runtime.waiver_reason


def test_without_its_waiver_an_upstream_component_fails(build):
    config = current_policy_config("prod", policy_config_file("prod"))
    config = {**config, "k8s-workload-non-root": {**config["k8s-workload-non-root"], "upstreamWaivers": {}}}  # fmt: skip
    report, _ = judged(build, config)
    failing = {f.urn.rsplit("::", 1)[1].split(":")[0] for f in report.findings if f.level == "mandatory"}  # fmt: skip
    assert failing == {"prod-trainer", "prod-kserve", "prod-istio"}


@pytest.mark.parametrize("directory", ["prod-kserve", "prod-istio"])
def test_a_privileged_pod_slipped_into_an_upstream_component_is_caught(build, directory):
    # A hostile or careless upstream change: a privileged DaemonSet in a kustomization, even
    # Istio's, whose privileged waiver names its CNI agent only.
    def slip(resources):
        kserve = next(r for r in resources if r["urn"].endswith(f"::{directory}") and r["type"].endswith("Directory"))  # fmt: skip
        template = next(r for r in resources if r["parent"] == kserve["urn"] and r["type"] == "kubernetes:apps/v1:Deployment")  # fmt: skip
        spec = json.loads(json.dumps(template["inputs"]))
        spec["kind"] = "DaemonSet"
        spec["metadata"]["name"] = "node-helper"
        spec["spec"]["template"]["spec"]["containers"][0]["securityContext"] = {"privileged": True}
        child = {**template, "type": "kubernetes:apps/v1:DaemonSet", "urn": template["urn"].replace("apps/v1:Deployment", "apps/v1:DaemonSet").rsplit("::", 1)[0] + f"::{directory}:kubeflow/node-helper", "inputs": spec}  # fmt: skip
        return [*resources, child]

    report, _ = judged(build, edit=slip)
    mandatory = {(f.policy, f.urn.rsplit("::", 1)[1]) for f in report.findings if f.level == "mandatory"}  # fmt: skip
    assert ("k8s-workload-no-privileged", f"{directory}:kubeflow/node-helper") in mandatory
    assert {urn for _, urn in mandatory} == {f"{directory}:kubeflow/node-helper"}


def test_a_waiver_nothing_uses_is_named():
    report, _ = judged_once()
    stale = {**upstream_waivers(load_environment("prod")), ("prod-kserve", "k8s-workload-no-privileged"): "a reason long enough to pass"}  # fmt: skip
    notices = unused_upstream_waivers(report, stale, checkov=False).notices
    assert "upstream waiver k8s-workload-no-privileged of prod-kserve matches nothing rendered: drop it" in notices  # fmt: skip
    assert not [n for n in notices if "upstream waiver" in n and "no-privileged" not in n]


_REPORT = []


def judged_once():
    return _REPORT[0]


@pytest.fixture(autouse=True)
def _report(build):
    if not _REPORT:
        _REPORT.append(judged(build))


def test_waivers_name_real_components_and_rules():
    spec = load_environment("prod")
    siblings = [load_environment(n) for n in known_environments() if n != "prod"]
    broken = spec.model_copy(
        update={
            "upstream_waivers": {
                **spec.upstream_waivers,
                "katib": spec.upstream_waivers["kserve"],
                "trainer": [*spec.upstream_waivers["trainer"], spec.upstream_waivers["trainer"][0].model_copy(update={"policies": ["k8s-workload-non-root", "k8s-no-such-rule"]})],
                "istio": [spec.upstream_waivers["istio"][0].model_copy(update={"policies": ["checkov-CKV_K8S_8"], "objects": ["istio-system/istiod"]})],
            }
        }
    )  # fmt: skip
    with pytest.raises(SpecError) as raised:
        policy_config(broken, siblings)
    message = str(raised.value)
    assert "upstream_waivers.katib" in message and "a Kubeflow component" in message
    assert "upstream_waivers.trainer[3].policies[0]" in message and "each policy in one waiver of the component" in message  # fmt: skip
    assert "'k8s-no-such-rule'" in message
    assert (
        "upstream_waivers.istio[0].policies[0]: got 'checkov-CKV_K8S_8'; expected a rule of the pack (checkov waivers cover the whole component)"
        in message
    )


def test_check_summarizes_the_rendered_objects_and_attributes_checkov(build):
    result = CliRunner().invoke(app, ["check", "prod", "--out", str(build), "--format", "json"])
    report = json.loads(result.stdout)
    assert result.exit_code == 0, result.output
    assert report["summary"]["rendered_objects"] > 500
    upstream = [v for v in report["violations"] if v["policy"].startswith("checkov-CKV_K8S") and v["urn"].startswith("prod-")]  # fmt: skip
    assert upstream and all(v["level"] == "advisory" and v["waiver_reason"] for v in upstream)
    assert report["summary"]["linters"]["k8s_objects"] > 600
