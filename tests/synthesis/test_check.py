"""`mlplat check` end to end: clean environments pass, mutated states fail with the right rule."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mlplat.cli import app
from mlplat.synth import synthesize, write_outputs
from stacks.environment import loading

ROOT = Path(__file__).resolve().parents[2]
PROD_ACCOUNT = "777788889999"


@pytest.fixture(scope="module")
def build(tmp_path_factory):
    out = tmp_path_factory.mktemp("build")
    for env in ("dev", "staging", "prod"):
        result = synthesize(env)
        write_outputs(out / env, result.state, result.manifests)
    return out


def check(*args: str, stdin: str | None = None, linters: bool = False):
    flag = [] if linters else ["--no-linters"]
    return CliRunner().invoke(app, ["check", *args, *flag], input=stdin)


def state_of(build: Path, env: str) -> dict:
    return json.loads((build / env / "state.json").read_text())


def mutated(build: Path, env: str, mutate) -> str:
    state = state_of(build, env)
    mutate(state["deployment"]["resources"])
    return json.dumps(state)


def check_mutated(build: Path, env: str, mutate, output_format: str = "json"):
    """`mlplat check` of a synthesized state changed by `mutate`, read from stdin."""
    state = mutated(build, env, mutate)
    return check("--state", "-", "--env", env, "--format", output_format, stdin=state)


def rotation_off(resources):
    first(resources, "aws:kms/key:Key")["inputs"]["enableKeyRotation"] = False


def first(resources, type_):
    return next(r for r in resources if r["type"] == type_)


def violations(result) -> list[dict]:
    return json.loads(result.stdout)["violations"]


def test_every_environment_passes_with_no_mandatory_violation(build):
    result = check("--all", "--out", str(build), "--format", "json", linters=True)
    assert result.exit_code == 0, result.output
    environments = json.loads(result.stdout)["environments"]
    assert [e["environment"] for e in environments] == ["dev", "staging", "prod"]
    for report in environments:
        assert report["summary"]["mandatory"] == 0
        assert report["summary"]["unknown"] == 0
        assert report["summary"]["evaluations"] > 100
        linters = report["summary"]["linters"]
        assert linters["checkov_passed"] > 50
        assert linters["iam_documents"] >= 5  # three key policies, a trust and a role policy
        assert linters["iam_findings"] == 0
    dev = environments[0]
    assert {v["policy"] for v in dev["violations"]} == {
        "aws-eks-system-nodes-on-demand",
        "stateful-resources-protected",
        "checkov-CKV_AWS_338",
        "aws-rds-deletion-protection",
        "checkov-CKV_AWS_293",
        "checkov-CKV_AWS_157",
    }
    staging, prod = environments[1:]
    assert {v["policy"] for v in staging["violations"]} == {"checkov-CKV_AWS_157"}
    assert prod["violations"] == []
    waived = dev["violations"] + staging["violations"]
    assert all(v["level"] == "advisory" and v["waiver_reason"] for v in waived)
    # dev: six log groups at 30 days (flow logs, control plane, two of RDS, the trail's, the
    # containers'), the tracking database's single AZ and deletion protection; staging: its
    # single AZ. All waived. (dev's spot system nodes are waived too: a rule of ours, REL-01.)
    assert [e["summary"]["linters"]["checkov_failed"] for e in environments] == [8, 1, 0]


def test_key_rotation_off_fails_kms_01(build):
    result = check_mutated(build, "prod", rotation_off, "json")
    assert result.exit_code == 1
    (finding,) = violations(result)
    assert finding["policy"] == "aws-kms-key-rotation"
    assert finding["control"] == "KMS-01"
    assert finding["level"] == "mandatory"
    assert finding["urn"].endswith("::prod-cluster")


def test_ssh_open_to_the_world_fails_net_01(build):
    def open_ssh(resources):
        sg = first(resources, "aws:ec2/securityGroup:SecurityGroup")
        sg["inputs"]["ingress"].append(
            {"protocol": "tcp", "fromPort": 22, "toPort": 22, "cidrBlocks": ["0.0.0.0/0"]}
        )

    result = check_mutated(build, "staging", open_ssh, "json")
    assert result.exit_code == 1
    assert [(v["policy"], v["control"]) for v in violations(result)] == [
        ("aws-ec2-security-group-no-risky-ports-open", "NET-01")
    ]


def test_cross_environment_trust_fails_env_03(build):
    def trust_prod(resources):
        role = first(resources, "aws:iam/role:Role")
        document = json.loads(role["inputs"]["assumeRolePolicy"])
        document["Statement"].append(
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{PROD_ACCOUNT}:role/deploy"},
                "Action": "sts:AssumeRole",
            }
        )
        role["inputs"]["assumeRolePolicy"] = json.dumps(document)

    result = check_mutated(build, "dev", trust_prod)
    assert result.exit_code == 1
    mandatory = [
        (v["policy"], v["control"]) for v in violations(result) if v["level"] == "mandatory"
    ]
    assert mandatory == [
        ("aws-iam-role-trust-restricted", "IAM-08"),
        ("aws-iam-trust-same-environment", "ENV-03"),
    ]


def test_unknown_values_are_reported_as_unknown(build):
    def unknown_cidr(resources):
        first(resources, "aws:ec2/vpc:Vpc")["inputs"]["cidrBlock"] = (
            "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
        )

    result = check_mutated(build, "prod", unknown_cidr, "json")
    # A mandatory rule that cannot decide is never a pass: exit 1, the verdict UNDECIDED.
    assert result.exit_code == 1
    (finding,) = violations(result)
    assert finding["level"] == "unknown"
    assert finding["policy"] == "aws-vpc-cidr-separated"
    assert "can't be known during preview" in finding["message"]
    text = check_mutated(build, "prod", unknown_cidr, "text")
    assert text.exit_code == 1 and "prod: UNDECIDED" in text.stdout


def test_sarif_is_2_1_0_with_rules_and_located_results(build):
    result = check_mutated(build, "prod", rotation_off, "sarif")
    assert result.exit_code == 1
    sarif = json.loads(result.stdout)
    assert sarif["version"] == "2.1.0"
    (run,) = sarif["runs"]
    (rule,) = run["tool"]["driver"]["rules"]
    assert rule["id"] == "aws-kms-key-rotation"
    assert rule["properties"]["security-severity"] == "8.0"
    (finding,) = run["results"]
    assert finding["ruleId"] == "aws-kms-key-rotation" and finding["ruleIndex"] == 0
    assert finding["level"] == "error"
    location = finding["locations"][0]
    assert (
        location["physicalLocation"]["artifactLocation"]["uri"] == "environments/Pulumi.prod.yaml"
    )
    assert location["logicalLocations"][0]["fullyQualifiedName"].endswith("::prod-cluster")
    assert finding["partialFingerprints"]["mlplatFinding/v1"]


def test_markdown_and_text_summaries(build):
    markdown = check("dev", "--out", str(build), "--format", "markdown")
    assert markdown.exit_code == 0
    assert markdown.stdout.startswith("### `dev` ✅ passes")
    assert "| advisory | ENV-10 | `stateful-resources-protected` |" in markdown.stdout
    text = check("--all", "--out", str(build))
    assert text.exit_code == 0
    for env in ("dev", "staging", "prod"):
        assert f"{env}: PASS" in text.stdout


def test_bad_input_exits_2(build, tmp_path):
    missing = check("dev", "--out", str(tmp_path))
    assert missing.exit_code == 2
    assert (
        "cannot read the state (FileNotFoundError); run `mlplat synth dev` first" in missing.output
    )
    not_json = check("--state", "-", "--env", "dev", stdin="{")
    assert not_json.exit_code == 2 and "stdin: not JSON" in not_json.output
    both = check("dev", "--state", "x.json")
    assert both.exit_code == 2 and "--state FILE checks one state" in both.output
    absent = check("--state", str(tmp_path / "x.json"))
    assert absent.exit_code == 2 and "x.json: cannot read the state" in absent.output
    unknown_env = check("--state", "-", "--env", "qa", stdin="{}")
    assert unknown_env.exit_code == 2 and "unknown environment" in unknown_env.output


def test_a_stale_policy_config_is_refused(build, tmp_path, monkeypatch):
    envs = tmp_path / "environments"
    shutil.copytree(ROOT / "environments", envs)
    monkeypatch.setattr(loading, "ENVIRONMENTS_DIR", envs)
    config = envs / "policy.prod.json"
    config.write_text(config.read_text().replace('"mandatory"', '"advisory"', 1))
    result = check("prod", "--out", str(build))
    assert result.exit_code == 2
    assert "policy.prod.json is missing or stale" in result.output


def test_committed_policy_configs_match_the_environment_files():
    from mlplat.policy_config import generate, policy_config_file

    for env in ("dev", "staging", "prod"):
        assert policy_config_file(env).read_text() == generate(env), "run `make generate`"
    prod = json.loads(policy_config_file("prod").read_text())
    assert all(
        entry == "mandatory" or entry["enforcementLevel"] == "mandatory" for entry in prod.values()
    )
    assert not any("waiverReason" in entry for entry in prod.values() if isinstance(entry, dict))
