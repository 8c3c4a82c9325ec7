"""`mlplat pr-comment`: steps from two states, dangers flagged, the summary never trimmed."""

from __future__ import annotations

from typer.testing import CliRunner

from mlplat.cli import app
from mlplat.pr_comment import (
    MARKER,
    EnvironmentChange,
    Step,
    diff_states,
    preview_steps,
    render,
)

BUCKET = "aws:s3/bucket:Bucket"


def res(name: str, type_: str = BUCKET, protect: bool = False, **inputs) -> dict:
    return {
        "urn": f"urn:pulumi:prod::mlplat::{type_}::{name}",
        "type": type_,
        "custom": True,
        "protect": protect,
        "inputs": inputs,
    }


def test_diff_names_creates_updates_replacements_and_deletes():
    base = [
        res("models", bucket="a", tags={"x": "1"}),
        res("logs", bucket="b"),
        res("audit", bucket="c", protect=True),
    ]
    head = [
        res("models", bucket="a", tags={"x": "2"}),  # tags: in place
        res("logs", bucket="renamed"),  # the bucket's name: a new bucket
        res("new", bucket="d"),
    ]
    steps = {(s.op, s.urn.rsplit("::", 1)[1]) for s in diff_states(base, head)}
    assert steps == {
        ("update", "models"),
        ("replace", "logs"),
        ("create", "new"),
        ("delete", "audit"),
    }
    (deleted,) = [s for s in diff_states(base, head) if s.op == "delete"]
    assert deleted.stateful and deleted.protected


def test_preview_steps_are_counted_by_the_stack_in_their_urns():
    preview = {
        "steps": [
            {"op": "same", "urn": "urn:pulumi:dev::mlplat::aws:s3/bucket:Bucket::a"},
            {"op": "update", "urn": "urn:pulumi:dev::mlplat::aws:s3/bucket:Bucket::b"},
            {
                "op": "create-replacement",
                "urn": "urn:pulumi:staging::mlplat::aws:kms/key:Key::k",
                "oldState": {"type": "aws:kms/key:Key", "protect": True},
            },
        ]
    }
    steps = preview_steps(preview)
    assert [s.op for s in steps["dev"]] == ["update"]
    (key,) = steps["staging"]
    assert (key.op, key.stateful, key.protected) == ("replace", True, True)


def test_the_comment_fits_githubs_limit_and_keeps_its_summary():
    steps = [
        Step("delete", f"urn:pulumi:prod::mlplat::{BUCKET}::b{i}", BUCKET, True, False)
        for i in range(3000)
    ]
    change = EnvironmentChange("prod", steps)
    text = render([change], limit=20000)
    assert len(text) <= 20000
    assert text.startswith(MARKER)
    assert "| ✅ `prod` | 0 | 0 | 3000 | 0 |" in text
    assert "details trimmed to fit GitHub's comment limit" in text
    assert "3000 stateful or protected resource(s) deleted or replaced" in text
    assert len(render([change])) <= 65536


def test_cli_without_a_head_build_exits_2(tmp_path):
    result = CliRunner().invoke(
        app, ["pr-comment", "--base", str(tmp_path), "--head", str(tmp_path / "none")]
    )
    assert result.exit_code == 2
    assert "no <env>/state.json; run `mlplat synth --all" in result.output
