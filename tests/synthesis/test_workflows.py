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


def test_there_are_the_five_workflows():
    assert [p.name for p in FILES] == [
        "deploy.yml",
        "pr-comment.yml",
        "promote.yml",
        "pull-request.yml",
        "pulumi-up.yml",
    ]


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


def jobs_of(name: str) -> dict[str, dict]:
    return load(WORKFLOWS / name)["jobs"]


def roles_assumed(job: dict) -> list[str]:
    return [
        str(step["with"]["role-to-assume"])
        for step in job.get("steps", [])
        if step.get("uses", "").startswith("aws-actions/configure-aws-credentials@")
    ]


# Which role each job may obtain, and from which trigger: the trusts (components/deploy_role.py)
# admit exactly these workflow files, at these refs, in these GitHub environments.
ROLES = {
    ("pull-request.yml", "preview"): "${{ vars.MLPLAT_PREVIEW_ROLE_ARN }}",
    ("pulumi-up.yml", "up"): "${{ vars.MLPLAT_DEPLOY_ROLE_ARN }}",
    ("promote.yml", "promote"): "${{ vars.MLPLAT_PROMOTION_ROLE_ARN }}",
}


def test_which_job_can_obtain_which_role():
    found = {
        (path.name, name): role
        for path in FILES
        for name, job in load(path)["jobs"].items()
        for role in roles_assumed(job)
    }
    assert found == ROLES
    for (workflow, name), _ in ROLES.items():
        assert jobs_of(workflow)[name]["permissions"]["id-token"] == "write"
    # id-token is asked for by exactly those jobs (and the callers of the reusable deploy).
    for path in FILES:
        for name, job in load(path)["jobs"].items():
            if "id-token" in json.dumps(job.get("permissions", {})) and "steps" in job:
                assert (path.name, name) in ROLES, (path.name, name)


def test_no_job_a_pull_request_triggers_can_reach_a_deploy_role_or_write():
    document = load(WORKFLOWS / "pull-request.yml")
    assert document["on"] == {"pull_request": {"branches": ["main"]}}
    text = (WORKFLOWS / "pull-request.yml").read_text()
    assert "MLPLAT_DEPLOY_ROLE_ARN" not in text and "MLPLAT_PROMOTION_ROLE_ARN" not in text
    for name, job in document["jobs"].items():
        permissions = job["permissions"]
        writes = {k for k, v in permissions.items() if v == "write"}
        assert writes <= {"id-token"}, (name, writes)
        assert ("id-token" in writes) == (name == "preview"), name
        labels = json.dumps(job["runs-on"])
        assert "-deploy" not in labels, name
    preview = document["jobs"]["preview"]
    # Never a fork; in the preview gate the preview role's trust names; on preview runners.
    assert preview["if"] == "github.event.pull_request.head.repo.full_name == github.repository"
    assert preview["environment"] == "preview-${{ matrix.environment }}"
    assert preview["runs-on"] == ["self-hosted", "mlplat-${{ matrix.environment }}-preview"]


def test_the_verdict_survives_findings_and_the_comment_runs_mains_code_on_data():
    plan = jobs_of("pull-request.yml")["plan"]["steps"]
    check = next(s for s in plan if "mlplat check --all" in s.get("run", ""))
    assert "|| status=$?" in check["run"]  # findings do not skip the upload
    upload = next(
        i for i, s in enumerate(plan) if s.get("uses", "").startswith("actions/upload-artifact@")
    )
    assert plan[-1]["run"] == 'exit "$(cat check-exit)"' and upload == len(plan) - 2
    document = load(WORKFLOWS / "pr-comment.yml")
    assert document["on"] == {
        "workflow_run": {"workflows": ["pull-request"], "types": ["completed"]}
    }
    (job,) = document["jobs"].values()
    assert job["permissions"] == {
        "actions": "read",
        "contents": "read",
        "pull-requests": "write",
        "security-events": "write",
    }
    steps = job["steps"]
    (checkout,) = [s for s in steps if s.get("uses", "").startswith("actions/checkout@")]
    assert set(checkout["with"]) == {"persist-credentials"}  # main, never the change's ref
    runs = "\n".join(s.get("run", "") for s in steps)
    # The artifacts are read as data by main's `mlplat`; nothing under them is executed.
    assert "mlplat check --all --out artifacts/pr/build" in runs and "mlplat pr-comment" in runs
    assert "--no-linters" not in runs
    for executing in ("bash artifacts", "sh artifacts", "./artifacts", "python artifacts", "source artifacts", "make -C artifacts", "cd artifacts"):  # fmt: skip
        assert executing not in runs, executing
    scripts = "\n".join(s["with"]["script"] for s in steps if "script" in s.get("with", {}))
    assert (
        'c.user.login === "github-actions[bot]"' in scripts and 'c.user.type === "Bot"' in scripts
    )
    assert "pr.head.sha !== run.head_sha" in scripts


def test_deploy_jobs_run_nothing_of_the_repository_after_the_credentials():
    for workflow, name in (("pulumi-up.yml", "up"), ("promote.yml", "promote")):
        steps = jobs_of(workflow)[name]["steps"]
        credential = next(
            i for i, s in enumerate(steps)
            if s.get("uses", "").startswith("aws-actions/configure-aws-credentials@")
        )  # fmt: skip
        after = "\n".join(s.get("run", "") for s in steps[credential + 1 :])
        for repository_code in ("make", ".venv", "mlplat", "pip", "python", "bash ", "./"):
            assert repository_code not in after, (workflow, repository_code)
        assert all("uses" not in s for s in steps[credential + 1 :]), workflow
    up = jobs_of("pulumi-up.yml")["up"]
    assert up["runs-on"] == ["self-hosted", "mlplat-${{ inputs.environment }}-deploy"]
    assert up["steps"][0] == {
        "name": "Main only",
        "if": "github.ref != 'refs/heads/main'",
        "run": "exit 1",
    }
    last = up["steps"][-1]["run"]
    assert last.splitlines()[0].startswith("pulumi login") and "pulumi up --yes" in last


def test_tools_are_pinned_and_hash_checked():
    pulumi_pin = next(
        line.split("==")[1].strip('", ')
        for line in (WORKFLOWS.parents[1] / "pyproject.toml").read_text().splitlines()
        if line.strip().startswith('"pulumi==')
    )
    for path in FILES:
        for step in steps(load(path)):
            if step.get("uses", "").startswith("pulumi/actions@"):
                assert step["with"]["pulumi-version"] == pulumi_pin, path.name
            if "pip install" in step.get("run", ""):
                assert "--require-hashes -r policies/requirements.txt" in step["run"], path.name
    requirements = (WORKFLOWS.parents[1] / "policies" / "requirements.txt").read_text()
    pins = [line for line in requirements.splitlines() if line and line[0].isalpha()]
    assert pins and all("==" in p and p.endswith("\\") for p in pins)
    assert f"pulumi=={pulumi_pin} \\" in pins and "pulumi-policy==1.21.0 \\" in pins


def test_the_subjects_the_trusts_pin_are_the_jobs_workflows():
    from components.deploy_role import deploy_subject, preview_subject, promotion_subject

    assert deploy_subject("o/r", "prod").endswith(
        ":job_workflow_ref:o/r/.github/workflows/pulumi-up.yml@refs/heads/main"
    )
    assert preview_subject("o/r", "prod").startswith("repo:o/r:environment:preview-prod:")
    assert preview_subject("o/r", "prod").endswith(
        "/.github/workflows/pull-request.yml@refs/pull/*/merge"
    )
    assert promotion_subject("o/r", "prod").endswith(
        "/.github/workflows/promote.yml@refs/heads/main"
    )
    assert jobs_of("promote.yml")["promote"]["environment"] == "prod"
    assert jobs_of("pulumi-up.yml")["up"]["environment"] == "${{ inputs.environment }}"


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
    up = jobs_of("pulumi-up.yml")["up"]
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


def test_the_pull_request_plan_renders_what_the_change_puts_on_the_cluster():
    plan = jobs_of("pull-request.yml")["plan"]["steps"]
    runs = [s.get("run", "") for s in plan]
    rendered = next(i for i, r in enumerate(runs) if "mlplat render --all --out build" in r)
    checked = next(i for i, r in enumerate(runs) if "mlplat check --all" in r)
    assert "mlplat upstream fetch --all --out build" in runs[rendered] and rendered < checked
    # The same cache for render and check, outside the checkout (never uploaded).
    cache = "${{ runner.temp }}/upstream"
    assert (
        plan[rendered]["env"]["MLPLAT_UPSTREAM"] == plan[checked]["env"]["MLPLAT_UPSTREAM"] == cache
    )
