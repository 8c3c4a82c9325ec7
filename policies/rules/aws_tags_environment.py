import json

from policies import facts
from policies.framework import Ctx, Findings, NotApplicable, Props, UnknownValueError, resource_rule


@resource_rule(
    name="aws-tags-environment",
    control="ENV-05",
    types=["aws:*", "pulumi:providers:aws"],
    description="Every taggable resource carries the mandatory tags, and `env` names this stack's "
    "environment.",
    severity="medium",
    remediation="Set the tags in the provider's default_tags (the stack program does) and never "
    "override `env` on a resource.",
    config_schema={"environment": facts.ENVIRONMENT, "requiredTags": facts.REQUIRED_TAGS},
)
def check(props: Props, ctx: Ctx) -> Findings:
    if ctx.type == "pulumi:providers:aws":
        raw = props.get("defaultTags")
        defaults = json.loads(raw) if isinstance(raw, str) else raw or {}
        tags = dict(defaults.get("tags") or {})
        where = "provider defaultTags"
    elif "tags" in props or "tagsAll" in props:
        where = "tags"
        try:
            tags = dict(facts.tags_of(props, ctx.provider_props))
        except UnknownValueError:
            # tagsAll unknown (a secret in an export, or computed): it holds at least what the
            # resource and its provider declare, so those decide when they suffice.
            tags = dict(facts.tags_of({"tags": props.get("tags")}, ctx.provider_props))
            env = ctx.config.get("environment")
            if any(not str(tags.get(t) or "").strip() for t in ctx.config["requiredTags"]) or (
                env is not None and "env" in tags and tags["env"] != env
            ):
                raise
    else:
        raise NotApplicable("resource type has no tags")
    missing = [t for t in ctx.config["requiredTags"] if not str(tags.get(t) or "").strip()]
    if missing:
        yield f"{where} lack {missing}"
    env = ctx.config.get("environment")
    if env is None:
        yield "policy config has no environment: the `env` tag cannot be checked"
    elif "env" in tags and tags["env"] != env:
        yield f"{where} say env={tags['env']!r} in the {env} stack"


RULE = check
