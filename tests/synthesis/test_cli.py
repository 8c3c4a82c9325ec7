"""`mlplat synth`: the summary, byte-identical reruns, and bad input that exits 2 cleanly."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from mlplat.cli import app
from stacks.environment import loading

ROOT = Path(__file__).resolve().parents[2]


def mlplat(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "mlplat", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
        check=False,
    )


@pytest.fixture
def env_dir(tmp_path, monkeypatch):
    directory = tmp_path / "environments"
    shutil.copytree(ROOT / "environments", directory)
    monkeypatch.setattr(loading, "ENVIRONMENTS_DIR", directory)
    return directory


def break_file(env_dir: Path, name: str) -> None:
    path = env_dir / f"Pulumi.{name}.yaml"
    document = yaml.safe_load(path.read_text())
    document["config"]["mlplat:environment"]["network"]["nat"] = "sometimes"
    path.write_text(yaml.safe_dump(document))


def test_synth_all_writes_every_environment_and_prints_the_summary(tmp_path):
    result = CliRunner().invoke(app, ["synth", "--all", "--out", str(tmp_path / "build")])
    assert result.exit_code == 0, result.output
    for env in ("dev", "staging", "prod"):
        assert (tmp_path / "build" / env / "state.json").is_file()
        assert (tmp_path / "build" / env / "k8s").is_dir()
    assert "mlplat:network:Network" in result.output
    assert "aws:ec2/flowLog:FlowLog" in result.output
    total = next(line for line in result.output.splitlines() if "total" in line)
    expected = []
    for env in ("dev", "staging", "prod"):
        state = json.loads((tmp_path / "build" / env / "state.json").read_text())
        resources = state["deployment"]["resources"]
        stack = resources[0]["urn"]
        # The table counts everything but the stack and its top-level components.
        top = [r for r in resources if not r["custom"] and r.get("parent", stack) == stack]
        expected.append(str(len(resources) - len(top)))
    assert re.findall(r"\d+", total) == expected
    assert re.search(r"time\W+\d+\.\d\ds\W+\d+\.\d\ds\W+\d+\.\d\ds", result.output)


def test_two_runs_in_separate_processes_are_byte_identical(tmp_path):
    first = mlplat("synth", "dev", "--out", str(tmp_path / "a"), cwd=ROOT)
    second = mlplat("synth", "dev", "--out", str(tmp_path / "b"), cwd=ROOT)
    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    a = (tmp_path / "a" / "dev" / "state.json").read_bytes()
    b = (tmp_path / "b" / "dev" / "state.json").read_bytes()
    assert a == b


def test_all_in_parallel_processes_writes_what_one_process_writes(tmp_path):
    parallel = {k: v for k, v in os.environ.items() if k != "MLPLAT_JOBS"}
    runs = {}
    for jobs, out in (("2", "parallel"), ("1", "serial")):
        done = subprocess.run(
            [sys.executable, "-m", "mlplat", "synth", "--all", "--out", str(tmp_path / out)],
            cwd=ROOT, capture_output=True, text=True, check=False,
            env={**parallel, "MLPLAT_JOBS": jobs, "COLUMNS": "200"},
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        runs[out] = done
        checked = subprocess.run(
            [sys.executable, "-m", "mlplat", "check", "--all", "--no-linters", "--out", str(tmp_path / out), "--format", "json"],
            cwd=ROOT, capture_output=True, text=True, check=False, env={**parallel, "MLPLAT_JOBS": jobs},
        )  # fmt: skip
        assert checked.returncode == 0, checked.stderr
        runs[f"{out}-check"] = checked
    for env in ("dev", "staging", "prod"):
        assert (tmp_path / "parallel" / env / "state.json").read_bytes() == (tmp_path / "serial" / env / "state.json").read_bytes()  # fmt: skip
    assert json.loads(runs["parallel-check"].stdout) == json.loads(runs["serial-check"].stdout)
    bad = subprocess.run(
        [sys.executable, "-m", "mlplat", "synth", "--all", "--out", str(tmp_path / "bad")],
        cwd=ROOT, capture_output=True, text=True, check=False, env={**parallel, "MLPLAT_JOBS": "two"},
    )  # fmt: skip
    assert bad.returncode == 2 and "MLPLAT_JOBS: got 'two'; expected a whole number of processes, at least 1" in bad.stderr  # fmt: skip
    assert not (tmp_path / "bad").exists()


def test_unknown_environment_exits_2_without_a_traceback(tmp_path):
    result = mlplat("synth", "nosuchenv", "--out", str(tmp_path / "build"), cwd=ROOT)
    assert result.returncode == 2
    assert result.stderr.startswith("mlplat: error: environments: unknown environment")
    assert "got 'nosuchenv'; expected one of ['dev', 'staging', 'prod']" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert not (tmp_path / "build").exists()


def test_naming_an_environment_and_all_is_refused():
    result = CliRunner().invoke(app, ["synth", "dev", "--all"])
    assert result.exit_code == 2
    assert "name one environment or --all (choose one)" in result.output


def test_an_invalid_spec_exits_2_naming_file_field_value_and_expectation(env_dir, tmp_path):
    break_file(env_dir, "staging")
    out = tmp_path / "build"
    result = CliRunner().invoke(app, ["synth", "staging", "--out", str(out)])
    assert result.exit_code == 2
    assert "Pulumi.staging.yaml: invalid environment (1 problem)" in result.output
    assert (
        "mlplat:environment.network.nat: got 'sometimes'; expected 'single' or 'one_per_az'"
        in result.output
    )
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert not out.exists()


def test_one_broken_environment_stops_all_before_anything_is_written(env_dir, tmp_path):
    out = tmp_path / "build"
    (out / "dev").mkdir(parents=True)
    (out / "dev" / "state.json").write_text("previous")
    break_file(env_dir, "prod")
    result = CliRunner().invoke(app, ["synth", "--all", "--out", str(out)])
    assert result.exit_code == 2
    assert "Pulumi.prod.yaml" in result.output
    assert sorted(p.name for p in out.iterdir()) == ["dev"]
    assert (out / "dev" / "state.json").read_text() == "previous"


def test_malformed_yaml_exits_2_with_the_line(env_dir, tmp_path):
    (env_dir / "Pulumi.dev.yaml").write_text("config:\n  mlplat:environment: [\n")
    result = CliRunner().invoke(app, ["synth", "dev", "--out", str(tmp_path / "build")])
    assert result.exit_code == 2
    assert "Pulumi.dev.yaml: invalid environment" in result.output
    assert "expected valid YAML at line 3" in result.output


def test_a_rerun_replaces_the_previous_output_whole(tmp_path):
    out = tmp_path / "build"
    (out / "dev" / "k8s").mkdir(parents=True)
    (out / "dev" / "k8s" / "stale.yaml").write_text("kind: Stale")
    assert CliRunner().invoke(app, ["synth", "dev", "--out", str(out)]).exit_code == 0
    # The stale file is gone; what the program renders now is there.
    rendered = sorted(p.name for p in (out / "dev" / "k8s").iterdir())
    assert "stale.yaml" not in rendered
    assert "storageclass-cluster-gp3-encrypted.yaml" in rendered
    assert sorted(p.name for p in out.iterdir()) == ["dev"]  # no temporary directories left


def test_a_stale_generated_overlay_stops_synthesis_before_anything_is_written(env_dir, tmp_path):
    path = env_dir / "Pulumi.dev.yaml"
    document = yaml.safe_load(path.read_text())
    document["config"]["mlplat:environment"]["kubeflow"]["notebook_idle_minutes"] = 240
    path.write_text(yaml.safe_dump(document))
    out = tmp_path / "build"
    result = CliRunner().invoke(app, ["synth", "dev", "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert "manifests/kubeflow/dev/notebook-controller: generated from" in result.output
    assert "run `make generate`" in result.output
    assert "Traceback" not in result.output
    assert not out.exists()


def test_a_program_error_in_any_environment_writes_nothing(tmp_path, monkeypatch):
    import mlplat.synth

    real = mlplat.synth.timed_synthesis

    def failing_in_prod(name):
        if name == "prod":
            raise RuntimeError("the program failed in prod")
        return real(name)

    monkeypatch.setattr(mlplat.synth, "timed_synthesis", failing_in_prod)
    out = tmp_path / "build"
    result = CliRunner().invoke(app, ["synth", "--all", "--out", str(out)])
    assert isinstance(result.exception, RuntimeError)
    assert not out.exists()  # dev and staging synthesized, and were not written either
