"""The CI workflows, validated offline: GitHub's workflow schema (check-jsonschema's vendored
copy), checkov's github_actions checks, and the project's own rules for them."""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
import yaml

from mlplat.checkov_bridge import run_checkov

WORKFLOWS = Path(__file__).resolve().parents[2] / ".github" / "workflows"
FILES = sorted(WORKFLOWS.glob("*.yml"))
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")


def load(path: Path) -> dict:
    # YAML 1.1 reads the key `on` as True; GitHub reads it as "on".
    document = yaml.safe_load(path.read_text())
    if True in document:
        document["on"] = document.pop(True)
    return document


def steps(document: dict) -> list[dict]:
    return [s for job in document["jobs"].values() for s in job.get("steps", [])]


def test_there_are_the_three_workflows():
    assert [p.name for p in FILES] == ["deploy.yml", "pull-request.yml", "pulumi-up.yml"]


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_each_workflow_matches_githubs_schema(path):
    schema_file = (
        resources.files("check_jsonschema") / "builtin_schemas/vendor/github-workflows.json"
    )
    schema = json.loads(schema_file.read_text())
    jsonschema.validate(load(path), schema)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_action_is_pinned_by_commit_and_permissions_start_empty(path):
    document = load(path)
    assert document["permissions"] == {}, "least privilege: jobs ask for what they need"
    for step in steps(document):
        if "uses" in step:
            assert PINNED.match(step["uses"]), step["uses"]
    for job in document["jobs"].values():
        if "steps" in job:
            assert "permissions" in job
            assert "write-all" not in json.dumps(job["permissions"])
        for step in job.get("steps", []):
            if step.get("uses", "").startswith("actions/checkout@"):
                assert step["with"]["persist-credentials"] is False


def test_pull_requests_plan_offline_and_comment_once():
    document = load(WORKFLOWS / "pull-request.yml")
    jobs = document["jobs"]
    assert set(jobs) == {"test", "plan", "preview", "comment"}
    assert any(s.get("run") == "bash .ci/run" for s in jobs["test"]["steps"])
    plan = "\n".join(s.get("run", "") for s in jobs["plan"]["steps"])
    assert "mlplat synth --all" in plan and "--format sarif" in plan
    assert jobs["plan"]["permissions"] == {"contents": "read", "security-events": "write"}
    # Forks never get the deploy roles.
    assert (
        jobs["preview"]["if"]
        == "github.event.pull_request.head.repo.full_name == github.repository"
    )
    assert jobs["preview"]["permissions"]["id-token"] == "write"
    assert "id-token" not in jobs["plan"]["permissions"]
    script = jobs["comment"]["steps"][-1]["with"]["script"]
    assert "<!-- mlplat-pr-comment -->" in script and "updateComment" in script


def test_deploys_go_dev_staging_prod_from_main_one_at_a_time():
    deploy = load(WORKFLOWS / "deploy.yml")
    assert deploy["on"] == {"push": {"branches": ["main"]}}
    jobs = deploy["jobs"]
    assert jobs["staging"]["needs"] == "dev" and jobs["prod"]["needs"] == "staging"
    assert jobs["prod"]["if"] == "github.ref == 'refs/heads/main'"
    assert [jobs[e]["with"]["environment"] for e in ("dev", "staging", "prod")] == [
        "dev",
        "staging",
        "prod",
    ]
    up = load(WORKFLOWS / "pulumi-up.yml")["jobs"]["up"]
    assert up["environment"] == "${{ inputs.environment }}"
    assert up["concurrency"] == {
        "group": "pulumi-${{ inputs.environment }}",
        "cancel-in-progress": False,
    }
    command = up["steps"][-1]["run"]
    assert "--policy-pack policies" in command
    assert "environments/policy.${ENVIRONMENT}.json" in command


def test_checkov_github_actions_checks_pass():
    result = run_checkov([("github_actions", WORKFLOWS)])
    assert result.passed > 0
    assert not result.failed, result.failed
