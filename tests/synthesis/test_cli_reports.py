"""`mlplat cost` and `mlplat pr-comment` over builds that `mlplat synth` wrote: the whole
program synthesized, so these live with the synthesis tests, not the unit tests."""

from __future__ import annotations

import json
import shutil

from typer.testing import CliRunner

from mlplat.cli import app
from mlplat.pr_comment import MARKER


def test_every_shipped_environment_has_no_gpu_idle_cost(tmp_path):
    out = tmp_path / "build"
    assert CliRunner().invoke(app, ["synth", "--all", "--out", str(out)]).exit_code == 0
    result = CliRunner().invoke(app, ["cost", "--all", "--format", "json", "--out", str(out)])
    assert result.exit_code == 0, result.output
    estimates = {e["environment"]: e for e in json.loads(result.output)["estimates"]}
    assert set(estimates) == {"dev", "staging", "prod"}
    for e in estimates.values():
        assert e["gpu_idle_usd_month"] == 0
        assert e["ceiling_usd_month"] > e["idle_usd_month"] > e["floor_usd_month"] > 0
        components = {entry["component"] for entry in e["lines"]}
        assert {"cluster", "system nodes", "network", "general pool", "database"} <= components
    markdown = CliRunner().invoke(app, ["cost", "dev", "--format", "markdown", "--out", str(out)])
    assert markdown.output.startswith("### dev: $")


def test_cli_compares_two_builds(tmp_path):
    base = tmp_path / "base"
    assert CliRunner().invoke(app, ["synth", "prod", "--out", str(base)]).exit_code == 0
    head = tmp_path / "head"
    shutil.copytree(base, head)
    path = head / "prod" / "state.json"
    state = json.loads(path.read_text())
    resources = state["deployment"]["resources"]
    # The change drops the registry bucket: a protected, stateful delete.
    state["deployment"]["resources"] = [
        r for r in resources if not r["urn"].endswith("aws:s3/bucket:Bucket::prod-models")
    ]
    path.write_text(json.dumps(state))
    result = CliRunner().invoke(
        app, ["pr-comment", "--base", str(base), "--head", str(head), "--no-linters"]
    )
    assert result.exit_code == 0, result.output
    assert result.output.startswith(MARKER)
    assert "| ✅ `prod` | 0 | 0 | 1 | 0 |" in result.output
    assert "| delete | `aws:s3/bucket:Bucket::prod-models` | ⚠️ stateful, 🔒 protected |" in (
        result.output
    )
    assert "(±$0)" in result.output  # the bucket costs nothing at rest
