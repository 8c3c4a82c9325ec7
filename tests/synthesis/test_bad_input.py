"""Every command answers bad input with exit 2 and one message naming the file, the field, the
value and what is expected: never a traceback, never a partial write."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.console import Console
from typer.testing import CliRunner

from mlplat import tools
from mlplat.check import Finding, Report
from mlplat.cli import app
from mlplat.report import markdown, text
from stacks.environment import loading

ROOT = Path(__file__).resolve().parents[2]


def mlplat(*args: str, stdin: str | None = None):
    return CliRunner().invoke(app, list(args), input=stdin)


def refused(result, *fragments: str) -> None:
    """Exit 2, one message, no traceback."""
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.output.startswith("mlplat: error: ")
    for fragment in fragments:
        assert fragment in result.output, result.output


@pytest.fixture
def env_dir(tmp_path, monkeypatch) -> Path:
    envs = tmp_path / "environments"
    shutil.copytree(ROOT / "environments", envs)
    monkeypatch.setattr(loading, "ENVIRONMENTS_DIR", envs)
    return envs


def test_an_invalid_sibling_environment_is_named_as_itself(env_dir, tmp_path):
    prod = env_dir / "Pulumi.prod.yaml"
    prod.write_text(prod.read_text().replace("vpc_cidr: 10.30.0.0/16", "vpc_cidr: notacidr"))
    for args in (
        ["synth", "dev", "--out", str(tmp_path / "out")],
        ["check", "dev", "--no-linters"],
        ["policy-config", "dev"],
    ):
        refused(mlplat(*args), f"{prod}: invalid environment", "vpc_cidr: got 'notacidr'")
    assert not (tmp_path / "out").exists()


def test_an_alias_bomb_and_an_oversized_file_are_refused_with_their_limit(env_dir):
    bomb = "".join(
        f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9 if i else ['x'] * 9)}]\n" for i in range(6)
    )
    (env_dir / "Pulumi.dev.yaml").write_text(bomb)
    refused(mlplat("cost", "dev"), "more than 16 aliases")
    (env_dir / "Pulumi.dev.yaml").write_text("config: {}\n" + "#" * (1024 * 1024))
    refused(mlplat("cost", "dev"), "expected at most 1048576")


@pytest.mark.parametrize("kind", ["file", "dangling link"])
def test_an_output_path_that_cannot_be_a_folder_is_refused_before_any_work(tmp_path, kind):
    target = tmp_path / "out"
    if kind == "file":
        target.write_text("x")
    else:
        target.symlink_to(tmp_path / "nowhere")
    expected = "is a file" if kind == "file" else "is a link to nothing"
    refused(mlplat("synth", "dev", "--out", str(target)), f"{target} {expected}")
    refused(mlplat("draw", "dev", "--out", str(target)), expected)


def test_a_rule_that_cannot_read_a_value_is_named_and_the_others_still_run():
    state = {
        "version": 3,
        "deployment": {
            "resources": [
                {
                    "urn": "urn:pulumi:t::p::kubernetes:apps/v1:Deployment::d",
                    "type": "kubernetes:apps/v1:Deployment",
                    "inputs": {"spec": {"template": {"spec": {"volumes": [1]}}}},
                },
                {
                    "urn": "urn:pulumi:t::p::aws:kms/key:Key::k",
                    "type": "aws:kms/key:Key",
                    "inputs": {"enableKeyRotation": False},
                },
            ]
        },
    }
    result = mlplat("check", "--state", "-", "--no-linters", "--format", "json", stdin=json.dumps(state))  # fmt: skip
    assert result.exit_code == 2
    report = json.loads(result.stdout.split("mlplat: error")[0])
    assert "aws-kms-key-rotation" in {v["policy"] for v in report["violations"]}
    assert report["errors"] == [
        "rule k8s-workload-no-privileged could not judge on "
        "urn:pulumi:t::p::kubernetes:apps/v1:Deployment::d: AttributeError: 'int' object has no "
        "attribute 'get' (a value of a shape the provider would not accept)"
    ]


def test_linters_that_cannot_be_installed_are_one_message(monkeypatch, tmp_path):
    monkeypatch.setattr(tools, "TOOLS_HOME", tmp_path / "linters")  # none built yet
    monkeypatch.setattr(tools, "uv", lambda: str(tmp_path / "no-uv"))
    export = ROOT.parent / "shared" / "real-exports" / "aws-iam-user-6.78.0-stack.json"
    refused(mlplat("check", "--state", str(export)), "checkov could not start", "--no-linters")


def test_unreachable_aws_endpoints_are_one_message(monkeypatch):
    for key, value in {
        "AWS_ACCESS_KEY_ID": "x",
        "AWS_SECRET_ACCESS_KEY": "y",
        "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
        "AWS_MAX_ATTEMPTS": "1",
    }.items():
        monkeypatch.setenv(key, value)
    refused(mlplat("bootstrap", "dev"), "Could not connect to the endpoint URL")
    preflight = mlplat("preflight", "dev")
    assert (
        preflight.exit_code == 1 and "FAIL" in preflight.stdout
    )  # answered: the account check failed


def test_user_text_is_printed_literally_never_as_markup():
    reason = "[bold red]waived[/] [/oops] <!-- hidden --> |x| **y**"
    finding = Finding("p", "C-1", "advisory", "urn:pulumi:s::p::aws:s3/bucket:Bucket::[b]", "t", "m [/x]", waiver_reason=reason)  # fmt: skip
    report = Report("dev", 1, (finding,), 1, 0)
    console = Console(record=True, width=400)
    console.print(text([report]))
    shown = console.export_text()
    assert "[bold red]waived[/] [/oops]" in shown and "m [/x]" in shown and "Bucket/[b]" in shown
    rendered = markdown([report])
    assert "<!--" not in rendered and "\\<\\!--" in rendered and "\\|x\\|" in rendered


STATES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=6),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=12,
)
RESOURCE = st.fixed_dictionaries(
    {
        "urn": st.sampled_from(["urn:pulumi:prod::mlplat::aws:s3/bucket:Bucket::b", "urn:pulumi:prod::mlplat::kubernetes:apps/v1:Deployment::d", "x"]),
        "type": st.sampled_from(["aws:s3/bucket:Bucket", "kubernetes:apps/v1:Deployment", "aws:iam/role:Role", "pulumi:providers:aws"]),
    },
    optional={"inputs": STATES, "dependencies": STATES, "propertyDependencies": STATES, "delete": STATES, "provider": STATES},
)  # fmt: skip


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(RESOURCE, max_size=3), st.sampled_from([3, 4, 5]))
def test_any_state_is_checked_costed_or_refused_never_a_crash(tmp_path, resources, version):
    text_ = json.dumps({"version": version, "deployment": {"resources": resources}})
    result = mlplat("check", "--state", "-", "--no-linters", stdin=text_)
    assert result.exit_code in (0, 1, 2), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    build = tmp_path / "fuzz"
    (build / "prod").mkdir(parents=True, exist_ok=True)
    (build / "prod" / "state.json").write_text(text_)
    for args in (["cost", "prod", "--out", str(build)], ["draw", "prod", "--out", str(build)], ["pr-comment", "--base", str(build), "--head", str(build), "--no-linters"]):  # fmt: skip
        result = mlplat(*args)
        assert result.exception is None or isinstance(result.exception, SystemExit), (args, result.exception)  # fmt: skip


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(STATES)
def test_any_preview_document_is_folded_in_or_refused_never_a_crash(tmp_path, document):
    preview = tmp_path / "preview.json"
    preview.write_text(json.dumps({"steps": document} if isinstance(document, list) else document))
    build = ROOT / "build"
    if not (build / "prod" / "state.json").is_file():
        build = tmp_path / "empty"
        (build / "prod").mkdir(parents=True, exist_ok=True)
        (build / "prod" / "state.json").write_text(
            '{"version": 3, "deployment": {"resources": []}}'
        )
    result = mlplat("pr-comment", "--base", str(build), "--head", str(build), "--preview-json", str(preview), "--no-linters")  # fmt: skip
    assert result.exit_code in (0, 2), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception


@settings(max_examples=200, deadline=None)
@given(
    st.text(max_size=300),
    st.sampled_from(["", "config:\n  mlplat:environment: ", "a: &x [1]\nb: "]),
)
def test_any_environment_text_is_a_spec_or_one_spec_error(text_, head):
    from stacks.environment import SpecError, parse_stack_file

    try:
        parse_stack_file(head + text_, "Pulumi.x.yaml")
        message = "Pulumi.x.yaml"
    except SpecError as error:
        message = str(error)
    assert message.startswith("Pulumi.x.yaml")
