"""Adapts every rule to pulumi-policy's ResourceValidationPolicy / StackValidationPolicy."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

from policies import facts
from policies.framework import (
    UPSTREAM_WAIVERS,
    Ctx,
    NotApplicable,
    Resource,
    ResourceRule,
    StackRule,
    Undecided,
    UnknownValueError,
    context,
    upstream_waiver,
)
from policies.rules import all_rules

# Every rule accepts the reason a lowered level or loosened setting carries (see environments/).
WAIVER_REASON = {"type": "string", "description": "why this environment loosens the rule"}
UPSTREAM = {
    "type": "object",
    "additionalProperties": {"type": "string"},
    "description": "Directory resource name -> why upstream's objects it renders may fail it",
}


def metadata(rule: ResourceRule | StackRule) -> dict[str, Any]:
    """What every policy carries: name, control, level, config schema, severity, remediation."""
    return {
        "name": rule.name,
        "description": f"[{rule.control}] {rule.description}",
        "enforcement_level": EnforcementLevel.MANDATORY,
        "config_schema": schema(rule),
        "severity": Severity(rule.severity),
        "remediation_steps": rule.remediation,
        "tags": [rule.control],
    }


def schema(rule: ResourceRule | StackRule) -> PolicyConfigSchema:
    properties = {name: dict(schema) for name, schema in rule.config_schema.items()}
    return PolicyConfigSchema(
        properties={**properties, "waiverReason": WAIVER_REASON, UPSTREAM_WAIVERS: UPSTREAM}
    )


def resource_policy(rule: ResourceRule) -> ResourceValidationPolicy | StackValidationPolicy:
    if rule.stack_context:
        return stack_context_policy(rule)

    def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
        if not rule.applies(args.resource_type):
            return
        config = rule.configured(args.get_config())
        if waived := upstream_waiver(config, args.opts.parent, args.name):
            args.not_applicable(f"waived for upstream's objects of {args.opts.parent}: {waived}")
            return
        ctx = Ctx(
            config=config,
            urn=args.urn,
            name=args.name,
            type=args.resource_type,
            protect=bool(args.opts.protect),
            provider_props=args.provider.props if args.provider else {},
        )
        try:
            for message in rule.evaluate(args.props, ctx):
                report(message, None)
        except NotApplicable as reason:
            args.not_applicable(str(reason))

    return ResourceValidationPolicy(validate=validate, **metadata(rule))


def stack_context_policy(rule: ResourceRule) -> StackValidationPolicy:
    """A resource rule whose Ctx needs the stack (is this policy used as a boundary?): each
    resource is judged on its own, as a resource policy would, and reported under its URN."""

    def validate(args: StackValidationArgs, report: ReportViolation) -> None:
        resources = stack_resources(args)
        boundaries = facts.boundary_urns(resources)
        config = rule.configured(args.get_config())
        undecided = []
        for resource in resources:
            if not rule.applies(resource.type) or upstream_waiver(
                config, resource.parent, resource.name
            ):
                continue
            try:
                for message in rule.evaluate(resource.props, context(resource, config, boundaries)):
                    report(message, resource.urn)
            except NotApplicable:
                continue
            except UnknownValueError as unknown:
                undecided.append((resource.urn, Undecided(unknown.message)))
        raise_undecided(undecided)

    return StackValidationPolicy(validate=validate, **metadata(rule))


def raise_undecided(undecided: Sequence[tuple[str, str]]) -> None:
    """Reports unknowns like any unknown during preview (the SDK's advisory diagnostic), after
    every decided violation has been reported."""
    if undecided:
        error = UnknownValueError(UNKNOWN_STRING_VALUE, [])
        error.message = "; ".join(f"{urn}: {message}" for urn, message in undecided)
        raise error


def stack_resources(args: StackValidationArgs) -> list[Resource]:
    return [
        Resource(
            urn=r.urn,
            type=r.resource_type,
            name=r.name,
            props=r.props,
            protect=bool(r.opts.protect),
            parent=r.parent.urn if r.parent else "",
            dependencies=[d.urn for d in r.dependencies],
            property_dependencies={
                prop: [d.urn for d in deps] for prop, deps in r.property_dependencies.items()
            },
            provider_props=r.provider.props if r.provider else {},
        )
        for r in args.resources
    ]


def stack_policy(rule: StackRule) -> StackValidationPolicy:
    def validate(args: StackValidationArgs, report: ReportViolation) -> None:
        resources = stack_resources(args)
        try:
            found = rule.evaluate(resources, rule.configured(args.get_config()))
        except NotApplicable as reason:
            args.not_applicable(str(reason))
            return
        # Upstream's objects a waiver covers are judged advisory by `mlplat check`, which lists
        # them with the reason; the pack does not fail the update on them.
        by_urn = {r.urn: r for r in resources}
        config = rule.configured(args.get_config())
        found = [
            (u, m)
            for u, m in found
            if not (u in by_urn and upstream_waiver(config, by_urn[u].parent, by_urn[u].name))
        ]
        undecided = [(urn, m) for urn, m in found if isinstance(m, Undecided)]
        for urn, message in found:
            if not isinstance(message, Undecided):
                report(message, urn or None)
        raise_undecided(undecided)

    return StackValidationPolicy(validate=validate, **metadata(rule))


def policies() -> list[Policy]:
    return [
        resource_policy(rule) if isinstance(rule, ResourceRule) else stack_policy(rule)
        for rule in all_rules()
    ]
