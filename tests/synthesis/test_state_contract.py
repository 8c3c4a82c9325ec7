"""Each environment synthesizes to a state file in the shape of `pulumi stack export`."""

from __future__ import annotations

import json
import re

import pytest

from mlplat.synth import synthesize

ENVIRONMENTS = ("dev", "staging", "prod")
ACCOUNTS = {"dev": "111122223333", "staging": "444455556666", "prod": "777788889999"}
REQUIRED_TAGS = {"env", "owner-team", "cost-centre"}
# What holds data of record: three keys, the registry and access-log buckets, MLflow's database.
STATEFUL_TYPES = {
    "aws:kms/key:Key",
    "aws:s3/bucket:Bucket",
    "aws:rds/instance:Instance",
    "aws:cloudtrail/trail:Trail",
}


@pytest.fixture(scope="module", params=ENVIRONMENTS)
def synthesized(request):
    return request.param, synthesize(request.param).state


def test_checkpoint_shape(synthesized):
    env, state = synthesized
    assert state["version"] == 3
    assert set(state["deployment"]["manifest"]) == {"time", "magic", "version"}
    resources = state["deployment"]["resources"]
    stack = resources[0]
    assert stack["type"] == "pulumi:pulumi:Stack"
    assert stack["urn"] == f"urn:pulumi:{env}::mlplat::pulumi:pulumi:Stack::mlplat-{env}"
    assert stack["outputs"]["environment"] == env
    for resource in resources:
        assert set(resource) <= {
            "urn", "custom", "type", "id", "inputs", "outputs", "parent", "protect",
            "retainOnDelete", "dependencies", "propertyDependencies", "provider",
        }  # fmt: skip
        assert resource["custom"] == ("id" in resource)
    json.dumps(state)  # serializable as-is


def test_urns_parents_dependencies_and_providers_resolve_in_order(synthesized):
    env, state = synthesized
    resources = state["deployment"]["resources"]
    seen: dict[str, dict] = {}
    stack_urn = resources[0]["urn"]
    urn_shape = re.compile(rf"^urn:pulumi:{env}::mlplat::(?P<chain>[^:].*)::(?P<name>[^:]+)$")
    for resource in resources:
        match = urn_shape.match(resource["urn"])
        assert match, resource["urn"]
        chain = match["chain"]
        if resource is not resources[0]:
            parent = seen[resource["parent"]]  # parents come first
            if parent["urn"] == stack_urn:
                assert chain == resource["type"]
            else:
                parent_chain = parent["urn"].split("::")[2]
                assert chain == f"{parent_chain}${resource['type']}"
        for dependency in resource.get("dependencies", []):
            assert dependency in seen
        for deps in resource.get("propertyDependencies", {}).values():
            assert set(deps) <= set(resource["dependencies"])
        if resource["custom"] and not resource["type"].startswith("pulumi:providers:"):
            provider_urn, provider_id = resource["provider"].rsplit("::", 1)
            assert seen[provider_urn]["id"] == provider_id
            package = resource["type"].split(":", 1)[0]
            assert seen[provider_urn]["type"] == f"pulumi:providers:{package}"
        seen[resource["urn"]] = resource


AUDITORS = {"arn:aws:iam::999988887777:role/InfoSecAudit"}  # the security account, by design
# The promotion path, staging -> prod: staging names prod's promotion role (and its account's
# root, narrowed to that role); prod's role names staging's keys, through S3 only.
PROMOTION = {
    "dev": set(),
    "staging": {
        f"arn:aws:iam::{ACCOUNTS['prod']}:root",
        f"arn:aws:iam::{ACCOUNTS['prod']}:role/mlplat-prod-promotion",
    },
    "prod": {f"arn:aws:kms:eu-west-1:{ACCOUNTS['staging']}:key/*"},
}


def test_every_arn_is_in_the_environment_account_and_region(synthesized):
    env, state = synthesized
    text = json.dumps(state["deployment"]["resources"]).replace('\\"', '"')
    arns = set(re.findall(r'"(arn:aws:[^"]+)"', text))
    assert arns
    # AWS-managed policies (account "aws"), policy patterns over any account ("*") or AWS-owned
    # resources (""), InfoSec's role in the security account, and the promotion path, by design.
    foreign = {a for a in arns if a.split(":")[4] not in (ACCOUNTS[env], "aws", "*", "")}
    assert foreign == AUDITORS | PROMOTION[env]
    for arn in arns - foreign:
        _, _, service, region, account, _ = arn.split(":", 5)
        assert account in (ACCOUNTS[env], "aws", "*", ""), arn
        assert region in ("eu-west-1", "")
        # Global services, or AWS-owned.
        assert region or service in ("iam", "s3", "budgets", "ce") or account == "aws"


def test_provider_is_pinned_to_the_account_and_tags_every_taggable_resource(synthesized):
    env, state = synthesized
    resources = state["deployment"]["resources"]
    (provider,) = [r for r in resources if r["type"] == "pulumi:providers:aws"]
    assert json.loads(provider["inputs"]["allowedAccountIds"]) == [ACCOUNTS[env]]
    assert provider["inputs"]["region"] == "eu-west-1"
    default_tags = json.loads(provider["inputs"]["defaultTags"])["tags"]
    assert default_tags["env"] == env
    assert set(default_tags) >= REQUIRED_TAGS
    taggable = [r for r in resources if "tagsAll" in r["inputs"]]
    assert len(taggable) > 30
    for resource in taggable:
        assert resource["inputs"]["tagsAll"]["env"] == env
        assert resource["outputs"]["tagsAll"] == resource["inputs"]["tagsAll"]


def test_stateful_resources_are_protected_outside_dev(synthesized):
    env, state = synthesized
    stateful = [r for r in state["deployment"]["resources"] if r["type"] in STATEFUL_TYPES]
    # Three keys; the access-log, registry and audit buckets; MLflow's database; the trail.
    assert len(stateful) == 8
    assert all(r.get("protect", False) is (env != "dev") for r in stateful)


def test_nat_strategy_follows_the_environment(synthesized):
    env, state = synthesized
    nats = [
        r for r in state["deployment"]["resources"] if r["type"] == "aws:ec2/natGateway:NatGateway"
    ]
    assert len(nats) == (1 if env == "dev" else 3)


def test_models_cross_environments_only_by_promotion_from_staging_to_prod(synthesized):
    env, state = synthesized
    resources = state["deployment"]["resources"]
    promoter = f"arn:aws:iam::{ACCOUNTS['prod']}:role/mlplat-prod-promotion"
    roles = [r for r in resources if r["type"] == "mlplat:registry:PromotionRole"]
    assert len(roles) == (env == "prod")
    policies = [
        r["inputs"]["policy"]
        for r in resources
        if r["type"] == "aws:s3/bucketPolicy:BucketPolicy" and "models" in r["urn"]
    ]
    (models,) = policies
    assert (promoter in models) is (env == "staging")
    others = [a for name, a in ACCOUNTS.items() if name != env]
    granted = [p for p in policies if any(a in p for a in others)]
    assert granted == ([models] if env == "staging" else [])
