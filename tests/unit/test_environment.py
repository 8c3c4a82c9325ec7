"""The environment spec: every problem named with its field, value and what is expected."""

from __future__ import annotations

import copy
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stacks import environment as env
from stacks.environment import SpecError, load_environment, parse_stack_file, validate_environment

REAL = Path(__file__).resolve().parents[2] / "environments"


@pytest.fixture
def env_dir(tmp_path: Path) -> Path:
    for path in REAL.glob("Pulumi.*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    return tmp_path


def edit(env_dir: Path, name: str, change) -> None:
    path = env_dir / f"Pulumi.{name}.yaml"
    document = yaml.safe_load(path.read_text())
    change(document["config"]["mlplat:environment"], document)
    path.write_text(yaml.safe_dump(document))


def problems_of(env_dir: Path, name: str = "dev") -> list[str]:
    with pytest.raises(SpecError) as caught:
        load_environment(name, env_dir)
    return [str(p) for p in caught.value.problems]


def test_the_shipped_environments_are_valid():
    specs = [load_environment(name) for name in ("dev", "staging", "prod")]
    assert [s.name for s in specs] == ["dev", "staging", "prod"]
    assert len({s.account_id for s in specs}) == 3
    assert specs[0].network.nat == "single"
    assert specs[2].network.nat == "one_per_az"
    assert not specs[0].protection.stateful_resources
    assert specs[1].protection.stateful_resources
    assert specs[2].protection.stateful_resources
    assert specs[2].logs.retention_days == 365


def test_environments_are_listed_in_promotion_order():
    assert env.known_environments() == ["dev", "staging", "prod"]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda e, d: e["network"].update(vpc_cidr="10.0.0.0/33"),
            "mlplat:environment.network.vpc_cidr: got '10.0.0.0/33'; expected an IPv4 network",
        ),
        (
            lambda e, d: e["network"].update(vpc_cidr="10.0.0.1/16"),
            "with no host bits",
        ),
        (
            lambda e, d: e["network"].update(vpc_cidr="8.8.0.0/16"),
            "got '8.8.0.0/16'; expected a private (RFC 1918) range",
        ),
        (
            lambda e, d: e["network"].update(nat="two"),
            "mlplat:environment.network.nat: got 'two'; expected 'single' or 'one_per_az'",
        ),
        (
            lambda e, d: e.update(account_id=111122223333),
            "mlplat:environment.account_id: got 111122223333; expected a valid string (quote it",
        ),
        (
            lambda e, d: e.update(account_id="12345"),
            "mlplat:environment.account_id: got '12345'; expected a 12-digit AWS account id",
        ),
        (
            lambda e, d: e.update(region="eu-middle-9"),
            "mlplat:environment.region: got 'eu-middle-9'; expected an AWS region where EKS",
        ),
        (
            lambda e, d: e["logs"].update(retention_days=42),
            "mlplat:environment.logs.retention_days: got 42; expected one of CloudWatch's",
        ),
        (
            lambda e, d: e["tags"].pop("cost-centre"),
            "missing ['cost-centre']",
        ),
        (
            lambda e, d: e["tags"].update(env="prod"),
            "mlplat:environment.tags.env: got 'prod'; expected the environment name 'dev'",
        ),
        (
            lambda e, d: e.update(availability_zones=["eu-west-1a", "eu-west-1a", "eu-west-1b"]),
            "mlplat:environment.availability_zones: got ['eu-west-1a', 'eu-west-1a', 'eu-west-1b']"
            "; expected three distinct AZs of eu-west-1",
        ),
        (
            lambda e, d: e.update(availability_zones=["us-east-1a", "eu-west-1b", "eu-west-1c"]),
            "expected three distinct AZs of eu-west-1",
        ),
        (
            lambda e, d: e["network"]["subnet_prefix_lengths"].update(private=17),
            "'private': 17, 'public': 22}; expected subnets that fit the VPC (3 AZs x",
        ),
        (
            lambda e, d: e["protection"].pop("reason"),
            "expected a written `reason` when stateful_resources is false",
        ),
        (
            lambda e, d: e["network"].update(vpc_cidrr="10.0.0.0/16"),
            "mlplat:environment.network.vpc_cidrr: got '10.0.0.0/16'; expected no such key",
        ),
        (
            lambda e, d: e.pop("logs"),
            "mlplat:environment.logs: got '(missing)'; expected a value: this key is required",
        ),
        (
            lambda e, d: e["security"].update(organization_id="acme"),
            "mlplat:environment.security.organization_id: got 'acme'; "
            "expected an AWS Organization id",
        ),
        (
            lambda e, d: e["security"].update(audit_principal_arns=["arn:aws:iam::1:user/bob"]),
            "expected IAM role ARNs (arn:<partition>:iam::<account>:role/<name>)",
        ),
        (
            lambda e, d: e["cluster"].update(admin_role_arns=["arn:aws:iam::777788889999:role/X"]),
            "mlplat:environment.cluster.admin_role_arns[0]: got "
            "'arn:aws:iam::777788889999:role/X'; expected a role of this environment's account",
        ),
        (
            lambda e, d: e["cluster"]["admin_role_arns"].append(
                "arn:aws:iam::111122223333:role/mlplat-dev-deploy"
            ),
            "mlplat:environment.cluster.admin_role_arns[1]: got "
            "'arn:aws:iam::111122223333:role/mlplat-dev-deploy'; expected people's roles only: "
            "the stack creates the CI deploy role and its access entry",
        ),
        (
            lambda e, d: e["ci"].update(github_repository="https://github.com/o/r"),
            "mlplat:environment.ci.github_repository: got 'https://github.com/o/r'; "
            "expected a GitHub repository as owner/name, like my-org/mlplat",
        ),
        (
            lambda e, d: e.pop("ci"),
            "mlplat:environment.ci: got '(missing)'; expected a value: this key is required",
        ),
        (
            lambda e, d: e["gpu"]["pools"][0].update(
                instance_families=[], instance_types=["g5.xlarge"], efa=True
            ),
            "expected instance families or types with an EFA size when efa is true (g5, g6, g6e "
            "8xlarge and up, p4d, p5...); none of ['g5.xlarge'] has one",
        ),
        (
            lambda e, d: e["registry"].update(object_lock={"mode": "GOVERNANCE", "days": 0}),
            "mlplat:environment.registry.object_lock.days: got 0; expected greater than or equal to 1",
        ),
        (
            lambda e, d: e["mlflow"]["database"].update(instance_class="r7g.large"),
            "mlplat:environment.mlflow.database.instance_class: got 'r7g.large'; expected an RDS "
            "instance class like db.t4g.medium",
        ),
        (
            lambda e, d: e["mlflow"]["database"].update(backup_retention_days=1),
            "mlplat:environment.mlflow.database.backup_retention_days: got 1; expected greater "
            "than or equal to 7",
        ),
        (
            lambda e, d: e["teams"][0].update(owners=["fraud-lead"]),
            "mlplat:environment.teams[0].owners: got ['fraud-lead']; expected owners' e-mail "
            "addresses (their OIDC identity); bad ['fraud-lead']",
        ),
        (
            lambda e, d: e["teams"][0]["gpus"].update({"gpu-prod": {"nominal": 1}}),
            "mlplat:environment.teams[0].gpus.gpu-prod: got 'gpu-prod'; expected the name of one "
            "of this environment's GPU pools ['gpu-dev', 'inference-dev']",
        ),
        (
            # The cohort cannot keep every guarantee at once: 3 nominal GPUs in a pool of 2.
            lambda e, d: e["teams"][1]["gpus"].update({"inference-dev": {"nominal": 3}}),
            "mlplat:environment.gpu.pools[1].gpu_limit: got 2; expected at least the teams' "
            "nominal GPUs in the pool, 3 (recommendations 3)",
        ),
        (
            lambda e, d: e["teams"][1]["gpus"].update(
                {"inference-dev": {"nominal": 1, "borrowing_limit": 2}}
            ),
            "mlplat:environment.teams[1].gpus.inference-dev.borrowing_limit: got 2; expected at "
            "most 1: nominal plus borrowing within the pool's gpu_limit 2",
        ),
        (
            # Serving's GPUs are never lent: a borrower's serving could not be reclaimed.
            lambda e, d: e["teams"][1]["gpus"].update(
                {"inference-dev": {"nominal": 1, "borrowing_limit": 1}}
            ),
            "mlplat:environment.teams[1].gpus.inference-dev.borrowing_limit: got 1; expected 0: "
            "inference pools lend nothing, so a team serves on its nominal GPUs",
        ),
        (
            lambda e, d: e["teams"][1]["gpus"].update(
                {"inference-dev": {"nominal": 1, "lending_limit": 1}}
            ),
            "mlplat:environment.teams[1].gpus.inference-dev.lending_limit: got 1; expected 0 or "
            "unset: a team's serving GPUs are never lent",
        ),
        (
            lambda e, d: e["teams"][0]["gpus"].update(
                {"gpu-dev": {"nominal": 1, "lending_limit": 2}}
            ),
            "mlplat:environment.teams[0].gpus.gpu-dev: got {'lending_limit': 2, 'nominal': 1}; "
            "expected lending_limit at most nominal (1)",
        ),
        (
            lambda e, d: e["teams"][0].update(monthly_budget_usd=200),
            "mlplat:environment.teams[0].monthly_budget_usd: got 200; expected at least $261, "
            "what its nominal GPUs cost for a month at the pools' lowest GPU-hour price "
            "(gpu-dev $261, price table of ",
        ),
        (
            lambda e, d: e["teams"][1].update(name="fraud-models"),
            "mlplat:environment.teams[1].name: got 'fraud-models'; expected a name no other "
            "team has",
        ),
        (
            lambda e, d: e["teams"][0].update(memory_quota="lots"),
            "mlplat:environment.teams[0].memory_quota: got 'lots'; expected a Kubernetes quantity",
        ),
        (
            lambda e, d: e["compute"].update(instance_families=["m7i", "g6"]),
            "mlplat:environment.compute.instance_families: got ['m7i', 'g6']; expected CPU "
            "instance families that EC2 offers (no GPU family); bad ['g6']",
        ),
        (
            lambda e, d: e["cluster"]["system_nodes"].update(instance_types=["m7i.huge"]),
            "EC2 instance types (botocore's EC2 model); unknown ['m7i.huge']",
        ),
        (
            lambda e, d: e["cluster"]["system_nodes"].update(
                capacity_type="spot", instance_types=["m7i.xlarge"]
            ),
            "mlplat:environment.cluster.system_nodes.instance_types: got ['m7i.xlarge']; expected at "
            "least two instance types with capacity_type spot, so that one reclaimed type does not "
            "take every system node",
        ),
        (
            lambda e, d: e["cluster"]["system_nodes"].update(capacity_type="reserved"),
            "mlplat:environment.cluster.system_nodes.capacity_type: got 'reserved'; expected "
            "'on-demand' or 'spot'",
        ),
        (
            lambda e, d: e["gpu"]["pools"][0].update(gpu_limit=16),
            "mlplat:environment.gpu.pools[0].gpu_limit: got 16; expected at most the environment's ceiling 4",
        ),
        (
            lambda e, d: e["gpu"]["pools"][0].update(instance_families=["m7i"]),
            "GPU instance families that EC2 offers (g*, p*); not GPU or unknown ['m7i']",
        ),
        (
            lambda e, d: e["gpu"]["pools"][0].update(instance_types=["g6.xlarge"]),
            "instance_families or instance_types (choose one)",
        ),
        (
            lambda e, d: e["gpu"]["pools"][0].update(capacity_types=["on-demand"]),
            "mlplat:environment.gpu.pools[0].capacity_types: got ['on-demand']; expected ['spot'] (gpu.spot is required here)",
        ),
        (
            lambda e, d: e["gpu"].update(spot="with-reason"),
            "mlplat:environment.gpu.pools[0].spot_reason: got None; expected a written reason for spot capacity here",
        ),
        (
            lambda e, d: e["gpu"]["pools"].append(dict(e["gpu"]["pools"][0])),
            "mlplat:environment.gpu.pools[2].name: got 'gpu-dev'; expected a name no other pool uses",
        ),
        (
            lambda e, d: e.update(name="dev"),
            "mlplat:environment.name: got 'dev'; expected no `name`",
        ),
        (
            lambda e, d: e["kubeflow"]["oidc"].update(issuer_url="http://dex.auth:5556/dex"),
            "mlplat:environment.kubeflow.oidc.issuer_url: got 'http://dex.auth:5556/dex'; "
            "expected the issuer's https URL",
        ),
        (
            lambda e, d: e["kubeflow"]["oidc"].update(email_domains=["*"]),
            "mlplat:environment.kubeflow.oidc.email_domains: got ['*']; expected e-mail domains",
        ),
        (
            lambda e, d: e["kubeflow"].update(notebook_idle_minutes=0),
            "mlplat:environment.kubeflow.notebook_idle_minutes: got 0;",
        ),
        (
            lambda e, d: e.pop("kubeflow"),
            "mlplat:environment.kubeflow: got '(missing)'",
        ),
        (
            lambda e, d: e["audit"].update(
                retention_days=400, object_lock={"mode": "GOVERNANCE", "days": 400}
            ),
            "mlplat:environment.audit: got",
        ),
        (
            lambda e, d: e["audit"].update(retention_days=30),
            "mlplat:environment.audit.retention_days: got 30;",
        ),
        (
            lambda e, d: e["notifications"].update(emails=["oncall"]),
            "mlplat:environment.notifications.emails: got ['oncall']; expected e-mail addresses",
        ),
        (
            lambda e, d: e["serving"]["models"][0].update(team="nobody"),
            "mlplat:environment.serving.models[0].team: got 'nobody'; expected one of this "
            "environment's teams ['fraud-models', 'recommendations']",
        ),
        (
            lambda e, d: e["serving"]["models"][0].update(gpus=3),
            "mlplat:environment.serving.models[0].gpus: got 3; expected at most team "
            "'recommendations''s nominal GPUs on inference pools, 1 (serving runs on guaranteed "
            "capacity)",
        ),
        (
            lambda e, d: e["serving"]["models"][0].update(min_replicas=3),
            "mlplat:environment.serving.models[0]: got",
        ),
        (
            lambda e, d: e["gpu"].update(pools=e["gpu"]["pools"][:1]),
            "mlplat:environment.gpu.pools: got ['gpu-dev']; expected a pool with "
            "`workload: inference`",
        ),
        (
            lambda e, d: d["config"].update({"mlplat:enviroment": {}}),
            "config.mlplat:enviroment: got '(present)'; expected only",
        ),
        (
            lambda e, d: d.update(backend="s3://x"),
            "backend: got '(present)'; expected only the keys",
        ),
    ],
)
def test_each_problem_names_field_value_and_expectation(env_dir, change, expected):
    edit(env_dir, "dev", change)
    problems = problems_of(env_dir)
    assert any(expected in p for p in problems), problems


def test_every_problem_is_reported_at_once(env_dir):
    def break_three(e, d):
        e["network"]["nat"] = "two"
        e["logs"]["retention_days"] = 42
        e["account_id"] = "1"

    edit(env_dir, "dev", break_three)
    problems = problems_of(env_dir)
    assert len(problems) == 3
    message = str(SpecError("f.yaml", [env.Problem("a", 1, "b"), env.Problem("c", 2, "d")]))
    assert (
        message == "f.yaml: invalid environment (2 problems):\n"
        "  - a: got 1; expected b\n"
        "  - c: got 2; expected d"
    )


def test_relational_problems_are_reported_alongside_field_problems(env_dir):
    def break_two(e, d):
        e["network"]["nat"] = "sometimes"
        e["network"]["vpc_cidr"] = "10.20.0.0/16"  # staging's

    edit(env_dir, "dev", break_two)
    assert problems_of(env_dir) == [
        "mlplat:environment.network.nat: got 'sometimes'; expected 'single' or 'one_per_az'",
        "mlplat:environment.network.vpc_cidr: got '10.20.0.0/16'; expected a range disjoint "
        "from staging's 10.20.0.0/16",
    ]


def test_cidrs_must_be_disjoint_across_environments(env_dir):
    edit(env_dir, "staging", lambda e, d: e["network"].update(vpc_cidr="10.10.0.0/17"))
    problems = problems_of(env_dir, "dev")
    assert problems == [
        "mlplat:environment.network.vpc_cidr: got '10.10.0.0/16'; expected a range disjoint "
        "from staging's 10.10.0.0/17"
    ]


def test_accounts_must_be_distinct_across_environments(env_dir):
    def reuse_devs_account(e, d):
        e["account_id"] = "111122223333"
        e["cluster"]["admin_role_arns"] = ["arn:aws:iam::111122223333:role/PlatformAdmin"]

    edit(env_dir, "prod", reuse_devs_account)
    problems = problems_of(env_dir, "prod")
    assert problems == [
        "mlplat:environment.account_id: got '111122223333'; expected an account not used by dev"
    ]


def test_a_broken_sibling_does_not_hide_this_environment(env_dir):
    (env_dir / "Pulumi.staging.yaml").write_text("config: [")
    assert load_environment("dev", env_dir).name == "dev"


def test_unknown_environment_lists_the_known_ones(env_dir):
    with pytest.raises(SpecError) as caught:
        load_environment("qa", env_dir)
    assert "unknown environment" in str(caught.value)
    assert "got 'qa'; expected one of ['dev', 'staging', 'prod']" in str(caught.value)


def test_malformed_yaml_names_the_line(env_dir):
    (env_dir / "Pulumi.dev.yaml").write_text("config:\n  mlplat:environment: {a: [1, 2}\n")
    problems = problems_of(env_dir)
    assert len(problems) == 1
    assert "(file): got" in problems[0]
    assert "expected valid YAML at line 2" in problems[0]


def test_an_empty_file_is_refused(env_dir):
    (env_dir / "Pulumi.dev.yaml").write_text("")
    assert problems_of(env_dir) == ["(file): got None; expected a mapping with a `config:` key"]


# --- fuzzing: nothing but SpecError ever escapes the loader ----------------------------------

VALID = parse_stack_file((REAL / "Pulumi.dev.yaml").read_text(), "dev")

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)


def paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    found = [prefix]
    if isinstance(value, dict):
        for key, child in value.items():
            found += paths(child, (*prefix, key))
    return found


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_fuzz_any_value_anywhere_gives_a_spec_error_or_a_spec(data):
    raw = copy.deepcopy(VALID)
    path = data.draw(st.sampled_from(paths(raw)))
    replacement = data.draw(json_values)
    if not path:
        raw = replacement
    else:
        parent = raw
        for key in path[:-1]:
            parent = parent[key]
        parent[path[-1]] = replacement
    try:
        if not isinstance(raw, dict):
            raise SpecError("fuzz", [])
        validate_environment("dev", raw, {}, "fuzz")
    except SpecError:
        pass


@settings(max_examples=300)
@given(text=st.text(max_size=200))
def test_fuzz_any_text_gives_a_spec_error_or_a_mapping(text):
    try:
        raw = parse_stack_file(text, "fuzz")
        validate_environment("dev", raw, {}, "fuzz")
    except SpecError:
        pass


@settings(max_examples=200)
@given(
    text=st.builds(
        lambda head, tail: head + tail,
        st.just("config:\n  mlplat:environment:\n    "),
        st.text(alphabet="abcdefghijklmnopqrstuvwxyz_:-[]{},'\"0123456789 \n./", max_size=120),
    )
)
def test_fuzz_yaml_shaped_text_gives_a_spec_error(text):
    try:
        raw = parse_stack_file(text, "fuzz")
        validate_environment("dev", raw, {}, "fuzz")
    except SpecError:
        pass


def test_protected_environments_lock_registry_versions(env_dir):
    edit(env_dir, "staging", lambda e, d: e["registry"].pop("object_lock"))
    assert problems_of(env_dir, "staging") == [
        "mlplat:environment.registry.object_lock: got '(missing)'; expected a mode (GOVERNANCE "
        "or COMPLIANCE) and days where stateful resources are protected: registry versions of "
        "record are write-once"
    ]


def test_promotion_names_another_environment(env_dir):
    edit(env_dir, "prod", lambda e, d: e["registry"].update(promote_from="qa"))
    assert problems_of(env_dir, "prod") == [
        "mlplat:environment.registry.promote_from: got 'qa'; expected another environment's "
        "name, one of ['dev', 'staging']"
    ]


def test_promotion_peers_are_found_both_ways(env_dir):
    from stacks.environment import promotion_source, promotion_targets

    staging, prod = load_environment("staging", env_dir), load_environment("prod", env_dir)
    assert promotion_source(prod, env_dir).name == "staging"
    assert [t.name for t in promotion_targets(staging, env_dir)] == ["prod"]
    assert promotion_source(staging, env_dir) is None
    assert promotion_targets(prod, env_dir) == []
