"""Adapts every rule to pulumi-policy's ResourceValidationPolicy / StackValidationPolicy."""

from __future__ import annotations

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

from policies.framework import Ctx, NotApplicable, Resource, ResourceRule, StackRule
from policies.rules import all_rules

# Every rule accepts the reason a lowered level or loosened setting carries (see environments/).
WAIVER_REASON = {"type": "string", "description": "why this environment loosens the rule"}


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
    return PolicyConfigSchema(properties={**properties, "waiverReason": WAIVER_REASON})


def resource_policy(rule: ResourceRule) -> ResourceValidationPolicy:
    def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
        if not rule.applies(args.resource_type):
            return
        ctx = Ctx(
            config=rule.configured(args.get_config()),
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


def stack_policy(rule: StackRule) -> StackValidationPolicy:
    def validate(args: StackValidationArgs, report: ReportViolation) -> None:
        resources = [
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
        try:
            for urn, message in rule.evaluate(resources, rule.configured(args.get_config())):
                report(message, urn or None)
        except NotApplicable as reason:
            args.not_applicable(str(reason))

    return StackValidationPolicy(validate=validate, **metadata(rule))


def policies() -> list[Policy]:
    return [
        resource_policy(rule) if isinstance(rule, ResourceRule) else stack_policy(rule)
        for rule in all_rules()
    ]
