"""`mlplat check` on exports the real Pulumi engine wrote (../shared/real-exports), and on the
same exports changed the ways a real stack changes: secrets, old copies, read resources, an
interrupted update."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mlplat.check import OLD_COPY, STATE_POLICY, check_state
from mlplat.cli import app
from mlplat.state import SECRET_SIG, SECRET_VALUE, parse

EXPORTS = Path(__file__).resolve().parents[2].parent / "shared" / "real-exports"
FILES = sorted(EXPORTS.glob("*.json"))
ADMIN = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})  # fmt: skip


def load(name: str) -> dict:
    return json.loads((EXPORTS / name).read_text())


def check(state: dict | str, *args: str):
    text = state if isinstance(state, str) else json.dumps(state)
    return CliRunner().invoke(
        app, ["check", "--state", "-", "--no-linters", "--format", "json", *args], input=text
    )


def found(result) -> list[tuple[str, str, str]]:
    report = json.loads(result.stdout)
    return [(v["policy"], v["urn"].rsplit("::", 1)[-1], v["message"]) for v in report["violations"]]


def resources_of(state: dict) -> list[dict]:
    return state["deployment"]["resources"]


def first(state: dict, type_: str) -> dict:
    return next(r for r in resources_of(state) if r["type"] == type_)


def test_the_real_exports_are_all_here():
    assert len(FILES) == 13, "../shared/real-exports must hold the 13 engine-written exports"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_real_export_is_checked_without_an_error(path):
    checkpoint = parse(path.read_text(), path.name)
    report = check_state(checkpoint, None, {})
    assert report.errors == ()
    assert report.evaluated > 10
    # A secret wrapper is never judged as if it were the value.
    assert not any(SECRET_SIG in f.message or SECRET_VALUE in f.message for f in report.findings)
    # Skipped rules say why; the account baseline is its own, advisory section.
    assert any(n.startswith("skipped aws-tags-environment: it needs") for n in report.notices)
    baseline = [f for f in report.findings if f.section == "account-baseline"]
    assert baseline and {f.level for f in baseline} == {"advisory"}


def test_findings_on_real_exports_are_true_of_the_resource():
    iam = check(load("aws-iam-user-6.78.0-stack.json"))
    assert iam.exit_code == 1
    assert found(iam) == [
        ("aws-iam-no-users", "awsUserResource", "User 'awsUserResource' creates long-lived IAM user credentials"),
        ("aws-iam-policy-no-service-wildcard", "awsUserPolicyResource", "statement '' allows whole services: ['s3:*']"),
        ("aws-iam-policy-scoped-resources", "awsUserPolicyResource", "statement '' grants ['s3:*'] on Resource '*'"),
    ]  # fmt: skip
    oidc = found(check(load("eks-oidc-iam-sa-3.0.0-stack.json")))
    assert (
        "aws-iam-no-admin-managed-policy",
        "s3",
        "attaches the AWS-managed AmazonS3FullAccess, which is not on the allow-list",
    ) in oidc
    lb = found(check(load("awsx-ts-lb-attach-ec2.json")))
    assert ("aws-ec2-security-group-no-all-protocols-open", "lb", "all protocols open to ['0.0.0.0/0', '::/0']") in lb  # fmt: skip
    # The web security group admits only port 80: nothing risky.
    assert not [f for f in lb if f[0] == "aws-ec2-security-group-no-risky-ports-open"]


def test_a_ciphertext_pod_spec_is_unknown_never_a_pass():
    result = check(load("eks-encryption-provider-1.0.4-state.json"))
    report = json.loads(result.stdout)
    nginx = [
        v for v in report["violations"]
        if v["urn"].endswith("::nginx") and v["policy"] != "k8s-workload-not-default-namespace"
    ]  # fmt: skip
    assert len(nginx) == 8 and {v["level"] for v in nginx} == {"unknown"}
    assert "k8s-workload-no-privileged" in {v["policy"] for v in nginx}
    assert all("encrypted secret in the state (ciphertext)" in v["message"] for v in nginx)
    assert result.exit_code == 1  # mandatory rules left undecided


def test_wrapped_compliant_tags_are_no_false_failure():
    """eks-cluster 1.0.4 holds every tagsAll as ciphertext: what the resource and provider
    declare decides when it is enough; it is unknown only when it is not."""
    state = load("eks-cluster-1.0.4-state.json")
    checkpoint = parse(json.dumps(state), "export")
    config = {"aws-tags-environment": {"environment": "p-it-runner-cluster-a739a3e4", "requiredTags": ["Name"]}}  # fmt: skip
    report = check_state(checkpoint, "p-it-runner-cluster-a739a3e4", config)
    tags = [f for f in report.findings if f.policy == "aws-tags-environment"]
    vpc = first(state, "aws:ec2/vpc:Vpc")
    assert "tagsAll" in vpc["inputs"] and SECRET_SIG in vpc["inputs"]["tagsAll"]
    assert not [f for f in tags if f.urn == vpc["urn"]], tags


def test_an_admin_policy_behind_a_secret_is_never_a_pass():
    state = load("aws-iam-user-6.78.0-stack.json")
    policy = first(state, "aws:iam/policy:Policy")
    policy["inputs"]["policy"] = {SECRET_SIG: SECRET_VALUE, "ciphertext": "v1:AAAA"}
    hidden = check(state)
    assert hidden.exit_code == 1
    levels = {v["policy"]: v["level"] for v in json.loads(hidden.stdout)["violations"]}
    assert levels["aws-iam-policy-no-admin"] == "unknown"
    # With --show-secrets the plaintext is the value's JSON text: decoded, then judged.
    policy["inputs"]["policy"] = {SECRET_SIG: SECRET_VALUE, "plaintext": json.dumps(ADMIN)}
    shown = found(check(state))
    assert ("aws-iam-policy-no-admin", "awsUserPolicyResource", "statement '' allows Action '*' on Resource '*'") in shown  # fmt: skip


def test_an_old_copy_awaiting_deletion_is_reported_as_itself():
    state = load("awsx-ts-ecr-repo.json")
    repository = first(state, "aws:ecr/repository:Repository")
    old = copy.deepcopy(repository)
    old["delete"] = True
    old["inputs"]["imageScanningConfiguration"] = {"scanOnPush": False}
    repository["inputs"]["imageScanningConfiguration"] = {"scanOnPush": True}
    resources_of(state).append(old)
    report = json.loads(check(state).stdout)
    scans = [
        v for v in report["violations"]
        if v["policy"] == "aws-ecr-repository-hygiene" and "scan" in v["message"]
    ]  # fmt: skip
    assert [v.get("copy") for v in scans] == [OLD_COPY]
    assert f"{OLD_COPY}: {repository['urn']}" in report["notices"]


def test_pending_replacement_is_reported_and_read_resources_are_not_judged_as_owned():
    state = load("awsx-ts-lb-attach-ec2.json")
    subnet = first(state, "aws:ec2/subnet:Subnet")
    subnet["pendingReplacement"] = True
    group = next(r for r in resources_of(state) if r["urn"].endswith("::lb"))
    group["external"] = True
    report = json.loads(check(state).stdout)
    assert f"pending replacement: {subnet['urn']}" in report["notices"]
    assert f"1 read resources (external) not judged as owned: {group['urn']}" in report["notices"]
    assert not [v for v in report["violations"] if v["urn"] == group["urn"]]


def test_an_interrupted_update_makes_the_result_untrustworthy():
    state = load("aws-iam-user-6.78.0-stack.json")
    user = first(state, "aws:iam/user:User")
    state["deployment"]["pending_operations"] = [{"type": "updating", "resource": user}]
    first(state, "aws:iam/policy:Policy")["initErrors"] = ["creating: AccessDenied"]
    result = check(state)
    assert result.exit_code == 1
    incomplete = [f for f in found(result) if f[0] == STATE_POLICY]
    assert incomplete == [
        ("pulumi-state-complete", "awsUserPolicyResource", "resource failed to initialize: creating: AccessDenied (run `pulumi refresh`, then check again)"),
        ("pulumi-state-complete", "iam-user-test", f"interrupted update left a pending operation: updating {user['urn']} (run `pulumi refresh`, then check again)"),
    ]  # fmt: skip


def test_env_must_name_the_exported_stack():
    result = check(load("aws-iam-user-6.78.0-stack.json"), "--env", "prod")
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        "mlplat: error: stdin: the state is of stack 'test'; expected 'prod' (--env prod), or "
        "leave --env out to check it as any team's stack"
    ]


@pytest.mark.parametrize("version", [2, 5])
def test_a_checkpoint_version_the_engine_never_wrote_is_refused(version):
    state = load("aws-iam-user-6.78.0-stack.json")
    state["version"] = version
    result = check(state)
    assert result.exit_code == 2
    assert (
        f"stdin: version: got {version}; expected a checkpoint version of [3, 4]" in result.output
    )
