"""Reading checkpoints: versions, secrets, nulls, lifecycle markers and malformed shapes."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

from mlplat.state import SECRET_SIG, SECRET_VALUE, StateError, parse

STACK = "urn:pulumi:prod::mlplat::pulumi:pulumi:Stack::mlplat-prod"
POLICY = "urn:pulumi:prod::mlplat::aws:iam/policy:Policy::p"


def export(*resources: dict, version: int = 3, **deployment) -> str:
    return json.dumps(
        {
            "version": version,
            "deployment": {"manifest": {}, "resources": list(resources), **deployment},
        }
    )


def resource(urn: str = POLICY, **fields) -> dict:
    return {"urn": urn, "type": urn.split("::")[2], "custom": True, **fields}


def secret(**form) -> dict:
    return {SECRET_SIG: SECRET_VALUE, **form}


@pytest.mark.parametrize("version", [3, 4])
def test_checkpoint_versions_3_and_4_are_read(version):
    checkpoint = parse(export(resource(STACK), version=version), "s.json")
    assert checkpoint.version == version and checkpoint.stack == "prod"


@pytest.mark.parametrize("version", [1, 2, 5, "3", None, True])
def test_any_other_version_is_refused_with_its_value(version):
    with pytest.raises(StateError) as error:
        parse(json.dumps({"version": version, "deployment": {"resources": []}}), "s.json")
    assert str(error.value) == (
        f"s.json: version: got {json.dumps(version)}; expected a checkpoint version of [3, 4]"
    )


def test_plaintext_secrets_are_decoded_and_ciphertext_is_unknown_with_its_path():
    admin = {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    checkpoint = parse(
        export(
            resource(
                inputs={
                    "policy": secret(plaintext=json.dumps(json.dumps(admin))),
                    "tags": {"env": secret(ciphertext="v1:abc")},
                }
            )
        ),
        "s.json",
    )
    (policy,) = checkpoint.resources
    assert json.loads(policy["inputs"]["policy"]) == admin
    assert policy["inputs"]["tags"] == {"env": UNKNOWN_STRING_VALUE}
    assert checkpoint.secret_inputs == {0: ("tags.env",)}


def test_a_secret_without_a_value_is_refused():
    with pytest.raises(StateError, match=r"inputs\.policy: got .*expected a secret with"):
        parse(export(resource(inputs={"policy": secret()})), "s.json")


def test_null_lists_and_maps_of_old_engines_read_as_empty():
    (policy,) = parse(
        export(
            resource(
                inputs=None, outputs=None, dependencies=None, propertyDependencies={"policy": None}
            )
        ),
        "s.json",
    ).resources
    assert policy["inputs"] == {} and policy["outputs"] == {}
    assert policy["dependencies"] == [] and policy["propertyDependencies"] == {"policy": []}


def test_lifecycle_markers_and_an_unfinished_update_are_kept():
    checkpoint = parse(
        export(
            resource(delete=True),
            resource(pendingReplacement=True),
            resource("urn:pulumi:prod::mlplat::aws:ec2/vpc:Vpc::read", external=True),
            resource("urn:pulumi:prod::mlplat::aws:s3/bucket:Bucket::b", initErrors=["timeout"]),
            pending_operations=[{"type": "creating", "resource": resource()}],
        ),
        "s.json",
    )
    old, pending, read, failed = checkpoint.resources
    assert old["delete"] and not old["pendingReplacement"]
    assert pending["pendingReplacement"] and read["external"]
    assert checkpoint.pending_operations == (f"creating {POLICY}",)
    assert checkpoint.init_errors == ((failed["urn"], "timeout"),)


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("x", 'deployment.resources[0]: got "x"; expected a resource object'),
        (
            {"type": "t"},
            "deployment.resources[0].urn: got null; expected the resource's urn (text)",
        ),
        (
            resource(dependencies="urn:x"),
            'deployment.resources[0].dependencies: got "urn:x"; expected a list of URNs or null',
        ),
        (resource(inputs=[]), "deployment.resources[0].inputs: got []; expected an object"),
        (
            resource(protect="yes"),
            'deployment.resources[0].protect: got "yes"; expected true, false',
        ),
        (
            {"urn": "vpc", "type": "aws:ec2/vpc:Vpc"},
            'deployment.resources[0].urn: got "vpc"; expected urn:pulumi:<stack>::<project>::',
        ),
    ],
)
def test_malformed_shapes_name_the_field_the_value_and_what_is_expected(entry, message):
    with pytest.raises(StateError) as error:
        parse(export(entry), "s.json")
    assert str(error.value).startswith(f"s.json: {message}")


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=20,
)
FIELDS = st.sampled_from(
    ["urn", "type", "inputs", "outputs", "dependencies", "propertyDependencies", "protect",
     "delete", "external", "parent", "provider", "initErrors"]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(FIELDS, JSON, max_size=6),
    st.one_of(JSON, st.just(3), st.just(4)),
    JSON,
)
def test_any_structurally_wrong_export_is_read_or_refused_never_a_crash(fields, version, pending):
    entry = {"urn": POLICY, "type": "aws:iam/policy:Policy", **fields}
    text = json.dumps(
        {"version": version, "deployment": {"resources": [entry], "pending_operations": pending}}
    )
    try:
        parse(text, "s.json")
    except StateError as error:
        message = str(error)
    else:
        message = "s.json"
    assert message.startswith("s.json")
