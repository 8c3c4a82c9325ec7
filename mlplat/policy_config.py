"""The CrossGuard policy config of an environment, generated from the environment files.

`environments/policy.<env>.json` is what `pulumi preview --policy-pack-config` reads and what
`mlplat check` applies. It is generated, never edited: the facts (account, CIDRs, the other
environments) come from the environment files, and every loosening from the environment's
`policy_waivers`, each with its reason. Everything not waived is mandatory at its secure default.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from components.pricing import load_prices
from policies.framework import UPSTREAM_WAIVERS, ResourceRule, StackRule
from policies.rules import all_rules
from stacks.environment import ENVIRONMENT_KEY, EnvironmentSpec, Problem, SpecError, loading
from stacks.environment.cross_checks import gpu_month_usd

Rule = ResourceRule | StackRule
# Waivers of checkov checks name them `checkov-<id>`; mlplat check applies them, the pack never
# sees them.
CHECKOV_WAIVER = re.compile(r"^checkov-CKV2?_[A-Z0-9_]+$")


def policy_config_file(name: str) -> Path:
    return loading.ENVIRONMENTS_DIR / f"policy.{name}.json"


def facts(spec: EnvironmentSpec, siblings: list[EnvironmentSpec]) -> dict[str, Any]:
    """Config values every rule may declare, filled from the environment files."""
    return {
        "environment": spec.name,
        "accountId": spec.account_id,
        "vpcCidr": spec.network.vpc_cidr,
        "ownRanges": [spec.network.vpc_cidr],
        "namePrefix": spec.name_prefix,
        "organizationId": spec.security.organization_id,
        "requiredTags": ["env", "owner-team", "cost-centre"],
        "clusterAdminPrincipals": [
            *spec.cluster.admin_role_arns,
            f"arn:aws:iam::{spec.account_id}:role/{spec.deploy_role_name}",
        ],
        "promotionReaders": [
            other.promotion_role_arn
            for other in siblings
            if other.registry.promote_from == spec.name
        ],
        "gpuMonthUsd": gpu_prices(spec),
        "gpuBudgetReasons": {
            team.name: team.budget_below_gpu_cost_reason
            for team in spec.teams
            if team.budget_below_gpu_cost_reason
        },
        "otherEnvironments": {
            other.name: {"accountId": other.account_id, "vpcCidr": other.network.vpc_cidr}
            for other in siblings
        },
    }


def gpu_prices(spec: EnvironmentSpec) -> dict[str, float]:
    """Pool -> a GPU's month at its lowest GPU-hour price (what the budget rule prices with)."""
    prices = load_prices(spec.region)
    months = {pool.name: gpu_month_usd(pool.model_dump(), prices) for pool in spec.gpu.pools}
    return {name: round(month, 2) for name, month in months.items() if month is not None}


def build(spec: EnvironmentSpec, siblings: list[EnvironmentSpec]) -> dict[str, Any]:
    """{"all": "mandatory", <rule>: {"enforcementLevel", <settings>...}} for one environment."""
    rules = {rule.name: rule for rule in all_rules()}
    problems = []
    for name, waiver in sorted(spec.policy_waivers.items()):
        path = f"{ENVIRONMENT_KEY}.policy_waivers.{name}"
        if CHECKOV_WAIVER.match(name):
            if waiver.settings or waiver.level != "advisory":
                problems.append(Problem(path, name, "a checkov waiver with `level: advisory` only"))
            continue
        if name not in rules:
            problems.append(Problem(path, name, f"the name of a rule (one of {len(rules)})"))
            continue
        unknown = sorted(set(waiver.settings) - set(rules[name].config_schema))
        if unknown:
            problems.append(
                Problem(
                    f"{path}.settings",
                    unknown,
                    f"settings of {name}: {sorted(rules[name].config_schema)}",
                )
            )
    problems += _upstream_problems(spec, rules)
    if problems:
        raise SpecError(str(loading.environment_file(spec.name)), problems)

    known = facts(spec, siblings)
    config: dict[str, Any] = {"all": "mandatory"}
    for rule in rules.values():
        entry: dict[str, Any] = {"enforcementLevel": "mandatory"}
        entry.update({k: known[k] for k in rule.config_schema if k in known})
        if rule.name in spec.policy_waivers:
            waiver = spec.policy_waivers[rule.name]
            entry["enforcementLevel"] = waiver.level or "mandatory"
            entry.update(waiver.settings)
            entry["waiverReason"] = waiver.reason
        upstream = {
            directory: reason
            for (directory, policy), reason in upstream_waivers(spec).items()
            if policy == rule.name
        }
        if upstream:
            entry[UPSTREAM_WAIVERS] = upstream
        config[rule.name] = entry
    return config


def upstream_waivers(spec: EnvironmentSpec) -> dict[tuple[str, str], str]:
    """(the Directory's resource name, or `<directory>:<namespace>/<name>` for one object it
    renders, policy) -> why upstream's objects may fail it."""
    return {
        (f"{spec.name}-{component}" + (f":{target}" if target else ""), policy): waiver.reason
        for component, waivers in spec.upstream_waivers.items()
        for waiver in waivers
        for target in waiver.objects or [""]
        for policy in waiver.policies
    }


# The program's Helm charts by resource name (after `<env>-`): what `mlplat render` renders where
# the upstream cache holds a chart whole (tests/synthesis/test_chart_values.py keeps it true).
UPSTREAM_CHARTS = (
    "chart", "dcgm-exporter", "device-plugin", "efa-device-plugin", "fluent-bit",
    "kube-prometheus-stack", "kueue",
)  # fmt: skip


def upstream_components() -> list[str]:
    """What renders upstream's objects: the Kubeflow components and the charts."""
    from components.kubeflow import STAGES

    return sorted({c for _, stage in STAGES for c, _ in stage} | set(UPSTREAM_CHARTS))


def _upstream_problems(spec: EnvironmentSpec, rules: dict[str, Rule]) -> list[Problem]:
    components = upstream_components()
    problems = []
    for component, waivers in sorted(spec.upstream_waivers.items()):
        path = f"{ENVIRONMENT_KEY}.upstream_waivers.{component}"
        if component not in components:
            expected = f"a Kubeflow component or a chart: {components}"
            problems.append(Problem(path, component, expected))
        seen: set[str] = set()
        for number, waiver in enumerate(waivers):
            for index, policy in enumerate(waiver.policies):
                where = f"{path}[{number}].policies[{index}]"
                if policy not in rules and not CHECKOV_WAIVER.match(policy):
                    expected = f"the name of a rule (one of {len(rules)}) or checkov-<id>"
                    problems.append(Problem(where, policy, expected))
                elif waiver.objects and policy.startswith("checkov-"):
                    scoped = "a rule of the pack (checkov waivers cover the whole component)"
                    problems.append(Problem(where, policy, scoped))
                elif policy in seen:
                    once = "each policy in one waiver of the component"
                    problems.append(Problem(where, policy, once))
                seen.add(policy)
    return problems


def checkov_waivers(spec: EnvironmentSpec) -> dict[str, str]:
    """`checkov-<id>` -> the reason this environment runs that checkov check as advisory."""
    return {n: w.reason for n, w in spec.policy_waivers.items() if CHECKOV_WAIVER.match(n)}


def render(config: dict[str, Any]) -> str:
    return json.dumps(config, indent=2, sort_keys=True) + "\n"


def generate(name: str) -> str:
    """The policy config text of one environment (validated against its siblings)."""
    specs = {n: loading.load_environment(n) for n in loading.known_environments()}
    spec = specs[name] if name in specs else loading.load_environment(name)
    return render(build(spec, [s for n, s in specs.items() if n != name]))
