"""Small readers rules share: IAM documents, ARNs, tags, environment facts from config."""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from policies.framework import Props, of_types

# Config properties that carry the environment's facts; every rule that needs them declares them
# in its schema, and `mlplat` fills them from the environment files.
ENVIRONMENT = {"type": "string", "description": "this stack's environment name"}
ACCOUNT_ID = {"type": "string", "description": "this environment's AWS account id"}
OTHER_ENVIRONMENTS = {
    "type": "object",
    "description": "the other environments: name -> {accountId, vpcCidr}",
    "default": {},
}
PROMOTION_READERS = {
    "type": "array",
    "items": {"type": "string"},
    "description": "promotion roles of the environments promoting from this one (generated)",
    "default": [],
}
VPC_CIDR = {"type": "string", "description": "this environment's VPC range"}
REQUIRED_TAGS = {
    "type": "array",
    "items": {"type": "string"},
    "default": ["env", "owner-team", "cost-centre"],
}


def as_list(value: Any) -> list[Any]:
    """IAM allows a string or a list in most places."""
    if value is None:
        return []
    if isinstance(value, str) or not isinstance(value, Sequence):
        return [value]
    return list(value)


def document(value: Any) -> Mapping[str, Any] | None:
    """A policy document from a prop that holds JSON text (or, rarely, an object)."""
    if isinstance(value, Mapping):
        return value
    if isinstance(value, str) and value.strip():
        try:
            parsed = json.loads(value)
        except ValueError:
            return None
        return parsed if isinstance(parsed, Mapping) else None
    return None


def statements(value: Any) -> Iterator[Mapping[str, Any]]:
    doc = document(value)
    if doc is None:
        return
    for statement in as_list(doc.get("Statement")):
        if isinstance(statement, Mapping):
            yield statement


def allows(statement: Mapping[str, Any]) -> bool:
    return statement.get("Effect") == "Allow"


def actions(statement: Mapping[str, Any]) -> list[str]:
    return [str(a) for a in as_list(statement.get("Action"))]


def resources(statement: Mapping[str, Any]) -> list[str]:
    return [str(r) for r in as_list(statement.get("Resource"))]


def action_matches(action: str, pattern: str) -> bool:
    """Whether an IAM action (possibly wildcarded) covers `pattern` (case-insensitive)."""
    return fnmatch.fnmatchcase(pattern.lower(), action.lower()) or fnmatch.fnmatchcase(
        action.lower(), pattern.lower()
    )


def principals(statement: Mapping[str, Any]) -> list[str]:
    """Every principal of a statement, flattened: '*' or ARNs, account ids, service names."""
    principal = statement.get("Principal")
    if principal == "*":
        return ["*"]
    if not isinstance(principal, Mapping):
        return []
    return [str(p) for values in principal.values() for p in as_list(values)]


def aws_principal_accounts(statement: Mapping[str, Any]) -> list[str]:
    """Account ids named by the AWS principals of a statement ('*' kept as '*')."""
    principal = statement.get("Principal")
    if principal == "*":
        return ["*"]
    if not isinstance(principal, Mapping):
        return []
    found = []
    for value in as_list(principal.get("AWS")):
        value = str(value)
        if value == "*":
            found.append("*")
        elif value.isdigit():
            found.append(value)
        else:
            account = arn_account(value)
            if account:
                found.append(account)
    return found


def arn_account(arn: Any) -> str:
    """The account id of an ARN, or '' when there is none (S3 buckets, non-ARNs)."""
    if not isinstance(arn, str) or not arn.startswith("arn:"):
        return ""
    parts = arn.split(":", 5)
    return parts[4] if len(parts) > 4 else ""


def has_condition_key(statement: Mapping[str, Any], *keys: str) -> bool:
    condition = statement.get("Condition")
    if not isinstance(condition, Mapping):
        return False
    wanted = {k.lower() for k in keys}
    return any(
        isinstance(block, Mapping) and any(str(k).lower() in wanted for k in block)
        for block in condition.values()
    )


def tags_of(props: Props, provider_props: Props) -> Mapping[str, Any]:
    """The tags AWS will hold: `tagsAll` where the provider computed it, else the provider's
    default tags merged under the resource's own."""
    tags_all = props.get("tagsAll")
    if isinstance(tags_all, Mapping):
        return tags_all
    defaults: Any = provider_props.get("defaultTags") or {}
    if isinstance(defaults, str):
        defaults = document(defaults) or {}
    merged = dict(defaults.get("tags") or {}) if isinstance(defaults, Mapping) else {}
    own = props.get("tags")
    if isinstance(own, Mapping):
        merged.update(own)
    return merged


def promotion_read(
    statement: Mapping[str, Any], readers: Sequence[str], read_actions: Sequence[str]
) -> bool:
    """The one sanctioned cross-environment grant: an Allow whose principals are the accounts of
    named promotion roles, narrowed to exactly those roles by `aws:PrincipalArn`, for reads."""
    condition = statement.get("Condition") or {}
    arn_equals = condition.get("ArnEquals") if isinstance(condition, Mapping) else None
    named = {str(a) for a in as_list((arn_equals or {}).get("aws:PrincipalArn"))}
    allowed = {a.lower() for a in read_actions}
    return (
        bool(readers)
        and bool(named)
        and named <= set(readers)
        and set(aws_principal_accounts(statement)) <= {arn_account(r) for r in readers}
        and all(action.lower() in allowed for action in actions(statement))
    )


def other_accounts(config: Mapping[str, Any]) -> dict[str, str]:
    """account id -> environment name, for every other environment."""
    others = config.get("otherEnvironments") or {}
    return {
        str(facts.get("accountId")): name
        for name, facts in others.items()
        if isinstance(facts, Mapping) and facts.get("accountId")
    }


OPEN_TO_WORLD = ("0.0.0.0/0", "::/0")


def ingress_rules(type_: str, props: Props) -> Iterator[tuple[str, int, int, list[str]]]:
    """(protocol, from_port, to_port, sources) for every ingress rule a security-group resource
    declares, across the three ways pulumi-aws can express one."""
    if type_ == "aws:ec2/securityGroup:SecurityGroup":
        for rule in as_list(props.get("ingress")):
            yield (
                str(rule.get("protocol")),
                int(rule.get("fromPort") or 0),
                int(rule.get("toPort") or 0),
                [*as_list(rule.get("cidrBlocks")), *as_list(rule.get("ipv6CidrBlocks"))],
            )
    elif type_ == "aws:ec2/securityGroupRule:SecurityGroupRule":
        if props.get("type") == "ingress":
            yield (
                str(props.get("protocol")),
                int(props.get("fromPort") or 0),
                int(props.get("toPort") or 0),
                [*as_list(props.get("cidrBlocks")), *as_list(props.get("ipv6CidrBlocks"))],
            )
    elif type_ == "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule":
        yield (
            str(props.get("ipProtocol")),
            int(props.get("fromPort") or 0),
            int(props.get("toPort") or 0),
            [s for s in (props.get("cidrIpv4"), props.get("cidrIpv6")) if s],
        )


SECURITY_GROUP_TYPES = [
    "aws:ec2/securityGroup:SecurityGroup",
    "aws:ec2/securityGroupRule:SecurityGroupRule",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
]


def all_protocols(protocol: str) -> bool:
    return protocol in ("-1", "all")


# --- S3: both token generations of every bucket resource (pulumi-aws v7 keeps both) -------------

BUCKETS = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")


def s3_side(module: str, class_name: str) -> tuple[str, str]:
    """Both tokens of a bucket side resource, e.g. ("bucketVersioning", "BucketVersioning")."""
    return (f"aws:s3/{module}:{class_name}", f"aws:s3/{module}V2:{class_name}V2")


def attached(resources: Sequence[Any], bucket: Any, types: Sequence[str]) -> list[Any]:
    """Side resources of `types` whose `bucket` was computed from this bucket."""
    return [r for r in of_types(resources, *types) if r.refers_to("bucket", bucket)]


def data_class(bucket: Any) -> str:
    """The bucket's `mlplat.io/data-class` tag (audit-logs, access-logs, models, ...)."""
    return str(tags_of(bucket.props, bucket.provider_props).get("mlplat.io/data-class") or "")


# --- Kubernetes workloads -------------------------------------------------------------------

POD_SPEC_PATHS: dict[str, tuple[str, ...]] = {
    "kubernetes:core/v1:Pod": ("spec",),
    "kubernetes:apps/v1:Deployment": ("spec", "template", "spec"),
    "kubernetes:apps/v1:StatefulSet": ("spec", "template", "spec"),
    "kubernetes:apps/v1:DaemonSet": ("spec", "template", "spec"),
    "kubernetes:apps/v1:ReplicaSet": ("spec", "template", "spec"),
    "kubernetes:batch/v1:Job": ("spec", "template", "spec"),
    "kubernetes:batch/v1:CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
}
WORKLOADS = list(POD_SPEC_PATHS)
# KServe's serving runtimes carry the containers every InferenceService on them runs: the
# container rules hold them to the same bar.
SERVING_RUNTIMES = [
    "kubernetes:serving.kserve.io/v1alpha1:ClusterServingRuntime",
    "kubernetes:serving.kserve.io/v1alpha1:ServingRuntime",
]
POD_SPEC_PATHS.update(dict.fromkeys(SERVING_RUNTIMES, ("spec",)))
CONTAINER_HOSTS = [*WORKLOADS, *SERVING_RUNTIMES]


def pod_spec(type_: str, props: Props) -> Mapping[str, Any]:
    spec: Any = props
    for key in POD_SPEC_PATHS[type_]:
        spec = spec.get(key) if isinstance(spec, Mapping) else None
    return spec if isinstance(spec, Mapping) else {}


def containers(spec: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    for key in ("initContainers", "containers", "ephemeralContainers"):
        for container in as_list(spec.get(key)):
            if isinstance(container, Mapping):
                yield container


def namespace_of(props: Props) -> str:
    return str((props.get("metadata") or {}).get("namespace") or "")


HELM = ("kubernetes:helm.sh/v3:Release", "kubernetes:helm.sh/v4:Chart")


def chart_name(props: Props) -> str:
    """`gpu-operator` from `gpu-operator`, `nvidia/gpu-operator` or `oci://…/gpu-operator`."""
    return str(props.get("chart") or "").rstrip("/").rsplit("/", 1)[-1]


def strings(value: Any) -> Iterator[str]:
    """Every string inside a value (nested mappings and lists)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for key in value:
            yield from strings(value[key])
    elif isinstance(value, Sequence):
        for item in value:
            yield from strings(item)


# --- permission boundaries --------------------------------------------------------------------

BOUNDARY_TAG = ("mlplat.io/policy-kind", "permissions-boundary")


def is_permissions_boundary(props: Props) -> bool:
    """A policy marked as a permission boundary (the boundary rule keeps the mark honest: such a
    policy is never attached as a grant)."""
    tags = tags_of(props, {})
    return tags.get(BOUNDARY_TAG[0]) == BOUNDARY_TAG[1]


def granted_statements(props: Props) -> Iterator[Mapping[str, Any]]:
    """The statements a policy grants; a permission boundary grants nothing (it caps)."""
    if is_permissions_boundary(props):
        from policies.framework import NotApplicable

        raise NotApplicable("a permission boundary caps permissions; it grants none")
    return statements(props.get("policy"))
