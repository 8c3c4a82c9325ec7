"""Small readers rules share: IAM documents, ARNs, tags, environment facts from config."""

from __future__ import annotations

import fnmatch
import ipaddress
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from policies.framework import NotApplicable, Props, UnknownValueError, of_types

# Config properties that carry the environment's facts; every rule that needs them declares them
# in its schema, and `mlplat` fills them from the environment files.
ENVIRONMENT = {"type": "string", "description": "this stack's environment name"}
ACCOUNT_ID = {"type": "string", "description": "this environment's AWS account id"}
# For rules that are stricter without it (any team's stack), rather than skipped.
OPTIONAL_ACCOUNT_ID = {**ACCOUNT_ID, "default": ""}
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
ORGANIZATION_ID = {
    "type": "string",
    "description": "this environment's AWS organization",
    "default": "",
}
NAME_PREFIX = {
    "type": "string",
    "description": "the prefix of every role and policy the environment creates (`mlplat-<env>`)",
    "default": "",
}
# Without an environment, its own ranges are the private ones: anything else is the internet.
PRIVATE_RANGES = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7"]
OWN_RANGES = {
    "type": "array",
    "items": {"type": "string"},
    "description": "the environment's own address ranges; every other source is the internet",
    "default": PRIVATE_RANGES,
}
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


# pulumi-aws (the Terraform bridge) reads a string where a boolean or a number is expected with
# Go's strconv: these are the spellings it accepts.
TRUE_STRINGS = {"1", "t", "T", "TRUE", "true", "True"}
FALSE_STRINGS = {"0", "f", "F", "FALSE", "false", "False"}


def true(value: Any) -> bool:
    """Whether the provider reads `value` as true (`True`, `"true"`, `"1"`, ...)."""
    return value is True or (isinstance(value, str) and value in TRUE_STRINGS)


def false(value: Any) -> bool:
    """Whether the provider reads `value` as false; absent (None) is neither."""
    return value is False or (isinstance(value, str) and value in FALSE_STRINGS)


def number(value: Any, default: int = 0) -> int:
    """An integer as the provider reads it (`22`, `"22"`, `22.0`); absent is `default`.
    A value it cannot read is -1, which no port or limit range contains."""
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return int(value)
    try:
        return int(float(value)) if isinstance(value, (int, float, str)) else -1
    except ValueError:
        return -1


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
    action, pattern = action.lower(), pattern.lower()
    if action == pattern:
        return True
    if not any(c in action or c in pattern for c in "*?["):
        return False  # two plain actions that differ (the common case, decided without fnmatch)
    return fnmatch.fnmatchcase(pattern, action) or fnmatch.fnmatchcase(action, pattern)


def granted_actions(statement: Mapping[str, Any], candidates: Sequence[str]) -> list[str]:
    """The candidates an Allow statement grants, sorted."""
    if not allows(statement):
        return []
    if "NotAction" in statement:
        listed = [str(a).lower() for a in as_list(statement.get("NotAction"))]
        return sorted(
            c for c in candidates if not any(fnmatch.fnmatchcase(c.lower(), n) for n in listed)
        )
    granted = actions(statement)  # read once: every candidate is matched against them
    return sorted({c for c in candidates if any(action_matches(g, c) for g in granted)})


def grants_everything(statement: Mapping[str, Any]) -> bool:
    """Every action: `*`, a pattern that matches any action (`*:*`, `*?`), or a `NotAction`."""
    if not allows(statement):
        return False
    if "NotAction" in statement:
        return True
    return any(_matches_any_action(a) for a in actions(statement))


def _matches_any_action(pattern: str) -> bool:
    # A pattern that matches two unrelated made-up actions matches every action.
    return all(fnmatch.fnmatchcase(probe, pattern.lower()) for probe in ("zz0:qq1", "a-b:c", "x:y"))


def wildcard_services(statement: Mapping[str, Any]) -> list[str]:
    """Whole services or everything an Allow statement grants: `*`, `s3:*`, `i*:*`, NotAction."""
    if not allows(statement):
        return []
    if "NotAction" in statement:
        return ["NotAction (every action it does not list)"]
    return sorted(a for a in actions(statement) if _whole_service(a))


def _whole_service(pattern: str) -> bool:
    # A pattern that matches two made-up actions of its service matches the whole service.
    service = pattern.split(":", 1)[0].lower()
    return _matches_any_action(pattern) or all(
        fnmatch.fnmatchcase(f"{service}:{probe}", pattern.lower()) for probe in ("zzqq0", "a-b")
    )


def on_every_resource(statement: Mapping[str, Any]) -> bool:
    """`Resource: "*"` or its equivalents: a pattern that matches any ARN, or a `NotResource`."""
    if "NotResource" in statement:
        return True
    return any(_matches_any_arn(r) for r in resources(statement))


def _matches_any_arn(pattern: str) -> bool:
    return all(
        fnmatch.fnmatchcase(probe, pattern)
        for probe in ("arn:aws:s3:::zz-bucket/key", "arn:aws:kms:eu-west-1:000000000000:key/x")
    )


def within_prefix(resource: str, account_id: str, name_prefix: str) -> bool:
    """Whether an IAM resource ARN stays within the environment's own roles and policies:
    no wildcard at all, or this account's `role/<prefix>-…` / `policy/<prefix>-…` with the
    wildcard only after the prefix."""
    if not any(c in resource for c in "*?"):
        return resource.startswith("arn:")
    if not (account_id and name_prefix):
        return False
    for kind in ("role", "policy"):
        head = f"arn:aws:iam::{account_id}:{kind}/{name_prefix}-"
        if resource.startswith(head) and not any(c in head for c in "*?"):
            return True
    return False


def principals(statement: Mapping[str, Any]) -> list[str]:
    """Every principal of a statement, flattened: '*' or ARNs, account ids, service names. An
    Allow with `NotPrincipal` admits everyone it does not list: '*'."""
    if "NotPrincipal" in statement:
        return ["*"] if allows(statement) else []
    principal = statement.get("Principal")
    if principal == "*":
        return ["*"]
    if not isinstance(principal, Mapping):
        return []
    return [str(p) for values in principal.values() for p in as_list(values)]


def aws_principal_accounts(statement: Mapping[str, Any]) -> list[str]:
    """Account ids named by the AWS principals of a statement ('*' kept as '*'; `NotPrincipal`
    and wildcarded ARNs admit anyone: '*')."""
    if "NotPrincipal" in statement:
        return ["*"] if allows(statement) else []
    principal = statement.get("Principal")
    if principal == "*":
        return ["*"]
    if not isinstance(principal, Mapping):
        return []
    found = []
    for value in as_list(principal.get("AWS")):
        value = str(value)
        if value == "*" or any(c in arn_account(value) for c in "*?"):
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


# Condition keys that can confine a `*` principal, and which environment fact their value must name.
CONFINING_KEYS = {
    "aws:principalaccount": "account",
    "aws:sourceaccount": "account",
    "aws:sourceowner": "account",
    "kms:calleraccount": "account",
    "aws:principalorgid": "organization",
    "aws:principalarn": "arn",
    "aws:sourcearn": "arn",
    "aws:sourcevpce": "endpoint",
    "aws:sourcevpc": "endpoint",
}
POSITIVE_OPERATORS = {
    "stringequals", "stringequalsignorecase", "stringlike", "arnequals", "arnlike",
}  # fmt: skip


def confined(statement: Mapping[str, Any], config: Mapping[str, Any]) -> bool:
    """Whether a condition confines the statement to this environment: a positive operator
    (not `IfExists`, not `ForAllValues`, which an absent key satisfies) on a confining key, every
    value naming this environment's account, organization or own principals. A wildcard never
    confines, nor a VPC endpoint id (whose it is cannot be told offline); without the
    environment's facts nothing confines."""
    condition = statement.get("Condition")
    if not isinstance(condition, Mapping):
        return False
    account = str(config.get("accountId") or "")
    organization = str(config.get("organizationId") or "")
    for operator, block in condition.items():
        name = str(operator).lower()
        if name.startswith("forallvalues:") or name.endswith("ifexists"):
            continue
        name = name.removeprefix("foranyvalue:")
        if name not in POSITIVE_OPERATORS or not isinstance(block, Mapping):
            continue
        for key, values in block.items():
            kind = CONFINING_KEYS.get(str(key).lower())
            names = [str(v) for v in as_list(values)]
            if kind and names and all(_names_own(kind, v, account, organization) for v in names):
                return True
    return False


def named_principals(statement: Mapping[str, Any]) -> bool:
    """Whether a condition narrows the statement to principals named one by one: a positive
    operator on `aws:PrincipalArn` whose every value is an ARN without a wildcard."""
    condition = statement.get("Condition")
    if not isinstance(condition, Mapping):
        return False
    for operator, block in condition.items():
        name = str(operator).lower().removeprefix("foranyvalue:")
        if name not in POSITIVE_OPERATORS or not isinstance(block, Mapping):
            continue
        for key, values in block.items():
            arns = [str(v) for v in as_list(values)]
            if (
                str(key).lower() == "aws:principalarn"
                and arns
                and all(v.startswith("arn:") and not any(c in v for c in "*?") for v in arns)
            ):
                return True
    return False


def exposed(document: Any, config: Mapping[str, Any]) -> Iterator[str]:
    """What a resource policy (bucket, queue, topic) opens beyond the environment: anyone
    (`*`, `NotPrincipal`, a wildcard account) not confined to it, or another account's root
    not narrowed to principals named one by one."""
    own = config.get("accountId")
    for statement in statements(document):
        if not allows(statement) or confined(statement, config):
            continue
        for account in aws_principal_accounts(statement):
            if account == "*":
                yield f"statement {statement.get('Sid', '')!r} allows anyone"
            elif own and account != own and not named_principals(statement):
                yield f"statement {statement.get('Sid', '')!r} allows account {account}"


def _names_own(kind: str, value: str, account: str, organization: str) -> bool:
    if kind == "endpoint":
        # Which endpoints are this environment's is not known before they exist (their ids are
        # outputs), and a foreign endpoint's id confines to a foreign network: none counts.
        return False
    if kind == "account":
        return bool(account) and value == account
    if kind == "organization":
        return bool(organization) and value == organization
    return bool(account) and arn_account(value) == account  # an ARN of this account


def subject_environment(subject: str) -> str | None:
    """The GitHub environment a GitHub Actions OIDC `sub` names (default or customized form:
    `repo:o/r:environment:prod` or `repo:o/r:environment:prod:job_workflow_ref:…`)."""
    parts = subject.split(":")
    for index in range(len(parts) - 1):
        if parts[index] == "environment" and index >= 2 and parts[0] == "repo":
            name = parts[index + 1]
            return name if name and not any(c in name for c in "*?") else None
    return None


def pinned_subject(subject: str) -> bool:
    """Whether an OIDC subject names one thing: no wildcard, except a pull request's number in
    `refs/pull/*/merge` (GitHub alone creates those refs, one per pull request)."""
    return not any(c in subject.replace("refs/pull/*/merge", "refs/pull/N/merge") for c in "*?")


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


def public_sources(sources: Sequence[Any], own_ranges: Sequence[str]) -> list[str]:
    """The sources outside the environment's own ranges: the internet, however it is split
    (`0.0.0.0/1` + `128.0.0.0/1`, a public /32, `::/0`). A source that is no CIDR is named too."""
    own = [ipaddress.ip_network(r, strict=False) for r in own_ranges]
    found = []
    for source in sources:
        try:
            network = ipaddress.ip_network(str(source).strip(), strict=False)
        except ValueError:
            found.append(str(source))
            continue
        if not any(_within(network, o) for o in own):
            found.append(str(source))
    return found


def covers(outer: str, inner: str) -> bool:
    """Whether CIDR `outer` contains all of `inner` (False for anything that is no CIDR)."""
    try:
        a, b = ipaddress.ip_network(outer, strict=False), ipaddress.ip_network(inner, strict=False)
    except ValueError:
        return False
    return _within(b, a)


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _within(inner: Network, outer: Network) -> bool:
    """Containment within one IP version (a v4 range never contains a v6 one, nor back)."""
    if isinstance(inner, ipaddress.IPv4Network) and isinstance(outer, ipaddress.IPv4Network):
        return inner.subnet_of(outer)
    if isinstance(inner, ipaddress.IPv6Network) and isinstance(outer, ipaddress.IPv6Network):
        return inner.subnet_of(outer)
    return False


def ingress_rules(type_: str, props: Props) -> Iterator[tuple[str, int, int, list[str]]]:
    """(protocol, from_port, to_port, sources) for every ingress rule a security-group resource
    declares, across the three ways pulumi-aws can express one."""
    if type_ == "aws:ec2/securityGroup:SecurityGroup":
        for rule in as_list(props.get("ingress")):
            if not isinstance(rule, Mapping):
                continue
            yield (
                str(rule.get("protocol")),
                number(rule.get("fromPort")),
                number(rule.get("toPort")),
                [*as_list(rule.get("cidrBlocks")), *as_list(rule.get("ipv6CidrBlocks"))],
            )
    elif type_ == "aws:ec2/securityGroupRule:SecurityGroupRule":
        if props.get("type") == "ingress":
            yield (
                str(props.get("protocol")),
                number(props.get("fromPort")),
                number(props.get("toPort")),
                [*as_list(props.get("cidrBlocks")), *as_list(props.get("ipv6CidrBlocks"))],
            )
    elif type_ == "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule":
        yield (
            str(props.get("ipProtocol")),
            number(props.get("fromPort")),
            number(props.get("toPort")),
            [s for s in (props.get("cidrIpv4"), props.get("cidrIpv6")) if s],
        )


SECURITY_GROUP_TYPES = [
    "aws:ec2/securityGroup:SecurityGroup",
    "aws:ec2/securityGroupRule:SecurityGroupRule",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
]


def all_protocols(protocol: str) -> bool:
    return protocol.lower() in ("-1", "all")


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

# Where each kind holds its pod templates ("[]": every item of a list, "*": every value of a map).
TEMPLATE = ("spec", "template", "spec")
POD_SPEC_PATHS: dict[str, tuple[tuple[str, ...], ...]] = {
    "kubernetes:core/v1:Pod": (("spec",),),
    "kubernetes:apps/v1:Deployment": (TEMPLATE,),
    "kubernetes:apps/v1:StatefulSet": (TEMPLATE,),
    "kubernetes:apps/v1:DaemonSet": (TEMPLATE,),
    "kubernetes:apps/v1:ReplicaSet": (TEMPLATE,),
    "kubernetes:batch/v1:Job": (TEMPLATE,),
    "kubernetes:batch/v1:CronJob": (("spec", "jobTemplate", *TEMPLATE),),
}
WORKLOADS = list(POD_SPEC_PATHS)
# Custom resources that embed pod specs, at the paths of their CRDs in the pinned Kubeflow 1.11
# manifests (KServe 0.15, Notebooks, Trainer v2) and of JobSet and the v1 training operator:
# KServe's serving runtimes carry the containers every InferenceService on them runs.
SERVING_RUNTIMES = [
    "kubernetes:serving.kserve.io/v1alpha1:ClusterServingRuntime",
    "kubernetes:serving.kserve.io/v1alpha1:ServingRuntime",
]
EMBEDDED_POD_SPECS: dict[str, tuple[tuple[str, ...], ...]] = {
    **dict.fromkeys(SERVING_RUNTIMES, (("spec",), ("spec", "workerSpec"))),
    "kubernetes:serving.kserve.io/v1beta1:InferenceService": (
        ("spec", "predictor"),
        ("spec", "predictor", "workerSpec"),
        ("spec", "transformer"),
        ("spec", "explainer"),
    ),
    **{f"kubernetes:kubeflow.org/{v}:Notebook": (TEMPLATE,) for v in ("v1", "v1beta1", "v1alpha1")},
    "kubernetes:trainer.kubeflow.org/v1alpha1:TrainJob": (
        ("spec", "podTemplateOverrides", "[]", "spec"),
    ),
    **dict.fromkeys(
        [
            "kubernetes:trainer.kubeflow.org/v1alpha1:TrainingRuntime",
            "kubernetes:trainer.kubeflow.org/v1alpha1:ClusterTrainingRuntime",
        ],
        (("spec", "template", "spec", "replicatedJobs", "[]", "template", *TEMPLATE),),
    ),
    "kubernetes:jobset.x-k8s.io/v1alpha2:JobSet": (
        ("spec", "replicatedJobs", "[]", "template", *TEMPLATE),
    ),
    **{
        f"kubernetes:kubeflow.org/v1:{kind}": (("spec", replicas, "*", "template", "spec"),)
        for kind, replicas in (
            ("PyTorchJob", "pytorchReplicaSpecs"),
            ("TFJob", "tfReplicaSpecs"),
            ("MPIJob", "mpiReplicaSpecs"),
            ("XGBoostJob", "xgbReplicaSpecs"),
            ("PaddleJob", "paddleReplicaSpecs"),
            ("JAXJob", "jaxReplicaSpecs"),
        )
    },
}
POD_SPEC_PATHS.update(EMBEDDED_POD_SPECS)
CONTAINER_HOSTS = list(POD_SPEC_PATHS)
# Kinds whose pods run as the account their template names (a serving runtime's pods run as
# the InferenceService's).
POD_OWNERS = [t for t in CONTAINER_HOSTS if t not in SERVING_RUNTIMES]
# A KServe predictor's model server is declared under its framework's key: an overlay that KServe
# merges onto its serving runtime's container. What it sets is judged; what it leaves out comes
# from the runtime, which is judged as itself.
MODEL_OVERLAYS = (
    "model", "sklearn", "xgboost", "tensorflow", "pytorch", "triton", "onnx", "huggingface",
    "lightgbm", "paddle", "pmml",
)  # fmt: skip


def pod_specs(type_: str, props: Props) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """(where, pod spec) for every pod template of a resource; `where` is "" for the kind's main
    template (its first, when that is one object), else its path ("spec.transformer: ")."""
    for number, path in enumerate(POD_SPEC_PATHS[type_]):
        main = number == 0 and not any(k in ("[]", "*") for k in path)
        for where, spec in _descend(props, path, []):
            if isinstance(spec, Mapping):
                yield ("" if main else ".".join(where) + ": "), spec


def _descend(value: Any, path: Sequence[str], where: list[str]) -> Iterator[tuple[list[str], Any]]:
    if not path:
        yield where, value
        return
    key, rest = path[0], path[1:]
    if key == "[]":
        for index, item in enumerate(as_list(value) if not isinstance(value, Mapping) else []):
            yield from _descend(item, rest, [*where[:-1], f"{where[-1]}[{index}]"])
    elif key == "*":
        if isinstance(value, Mapping):
            for name in value:
                yield from _descend(value[name], rest, [*where, str(name)])
    elif isinstance(value, Mapping) and value.get(key) is not None:
        yield from _descend(value.get(key), rest, [*where, key])


def containers(spec: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    for key in ("initContainers", "containers", "ephemeralContainers"):
        for container in as_list(spec.get(key)):
            if isinstance(container, Mapping):
                yield container


def overlays(spec: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """A predictor's model-server overlays, named by their key (`model`, `sklearn`, ...)."""
    for key in MODEL_OVERLAYS:
        container = spec.get(key)
        if isinstance(container, Mapping):
            yield {"name": key, **container}


def namespace_of(props: Props) -> str:
    return str((props.get("metadata") or {}).get("namespace") or "")


HELM = ("kubernetes:helm.sh/v3:Release", "kubernetes:helm.sh/v4:Chart")
EC2_NODE_CLASS = "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass"


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


# --- permission boundaries and the documents that grant -------------------------------------

BOUNDARY_TAG = ("mlplat.io/policy-kind", "permissions-boundary")
# Every place an identity policy document can live: standalone and inline policies.
GRANT_TYPES = [
    "aws:iam/policy:Policy",
    "aws:iam/rolePolicy:RolePolicy",
    "aws:iam/userPolicy:UserPolicy",
    "aws:iam/groupPolicy:GroupPolicy",
    "aws:iam/role:Role",  # its inlinePolicies
]
ATTACHMENTS = (
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    "aws:iam/groupPolicyAttachment:GroupPolicyAttachment",
    "aws:iam/userPolicyAttachment:UserPolicyAttachment",
    "aws:iam/policyAttachment:PolicyAttachment",
)
BOUNDARY_HOLDERS = ("aws:iam/role:Role", "aws:iam/user:User")


def is_permissions_boundary(props: Props) -> bool:
    """A policy that claims, by its tag, to be the environment's boundary. The claim names which
    boundary roles must carry; it never exempts the policy from the grant rules (`boundary_urns`
    decides that, by use)."""
    tags = tags_of(props, {})
    return tags.get(BOUNDARY_TAG[0]) == BOUNDARY_TAG[1]


def boundary_urns(resources: Sequence[Any]) -> set[str]:
    """The policies used as a permission boundary by a role or user, and never attached as a
    grant: those cap and grant nothing. A tag alone makes no policy a boundary."""
    policies = list(of_types(resources, "aws:iam/policy:Policy"))
    holders = list(of_types(resources, *BOUNDARY_HOLDERS))
    # Indexed once: a stack has hundreds of roles and policies.
    used_urns = {u for h in holders for u in h.property_dependencies.get("permissionsBoundary", ())}
    used_arns = {arn for h in holders if isinstance(arn := _boundary_arn(h), str)}
    granted = {
        u
        for a in of_types(resources, *ATTACHMENTS)
        for u in a.property_dependencies.get("policyArn", ())
    }
    granted |= {u for h in holders for u in h.property_dependencies.get("managedPolicyArns", ())}
    return {
        p.urn
        for p in policies
        if (p.urn in used_urns or _named_by(p, used_arns)) and p.urn not in granted
    }


def _boundary_arn(holder: Any) -> Any:
    try:
        return holder.props.get("permissionsBoundary")
    except UnknownValueError:
        return None


def _named_by(policy: Any, arns: set[str]) -> bool:
    """Whether a boundary ARN names the policy (when no dependency links them)."""
    try:
        name = policy.props.get("name")
    except UnknownValueError:
        return False
    return isinstance(name, str) and any(arn.endswith(f":policy/{name}") for arn in arns)


def granted_statements(props: Props, ctx: Any) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """(where, statement) for every statement a granting document holds: the policy's own, or each
    inline policy of a role (`where` names it). A policy used as a boundary grants nothing."""
    if ctx.type == "aws:iam/role:Role":
        for index, inline in enumerate(as_list(props.get("inlinePolicies"))):
            if isinstance(inline, Mapping):
                label = f"inline policy {inline.get('name') or index!r}: "
                for statement in statements(inline.get("policy")):
                    yield label, statement
        return
    if ctx.used_as_boundary:
        raise NotApplicable("a permission boundary caps permissions; it grants none")
    for statement in statements(props.get("policy")):
        yield "", statement


# Type tokens and facts that several rules share (a rule never imports another rule).
TRAIL = "aws:cloudtrail/trail:Trail"
EKS_CLUSTER = "aws:eks/cluster:Cluster"
GUARDDUTY_FEATURES = ("EKS_AUDIT_LOGS", "RUNTIME_MONITORING")
RDS_INSTANCES = ["aws:rds/instance:Instance", "aws:rds/clusterInstance:ClusterInstance"]
RDS_DATABASES = [*RDS_INSTANCES, "aws:rds/cluster:Cluster"]
PUBLIC_ACCESS_FLAGS = (
    "blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets",
)  # fmt: skip
S3_VERSIONING = s3_side("bucketVersioning", "BucketVersioning")
NODE_POOL = "kubernetes:karpenter.sh/v1:NodePool"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
GPU_FAMILY = re.compile(r"^(g\d|gr\d|p\d)")
IMDS_TYPES = [
    "aws:ec2/launchTemplate:LaunchTemplate",
    "aws:ec2/instance:Instance",
    "aws:ec2/instanceMetadataDefaults:InstanceMetadataDefaults",
    NODE_GROUP,
    EC2_NODE_CLASS,
]
# What Karpenter applies to an EC2NodeClass that leaves metadataOptions out (karpenter.sh v1).
KARPENTER_METADATA_DEFAULTS = {
    "httpEndpoint": "enabled",
    "httpPutResponseHopLimit": 1,
    "httpTokens": "required",
}


def instance_metadata(props: Props, type_: str) -> Props:
    """The instance metadata options each kind sets, as the service will apply them."""
    if type_ == "aws:ec2/instanceMetadataDefaults:InstanceMetadataDefaults":
        return props
    if type_ == EC2_NODE_CLASS:
        given = (props.get("spec") or {}).get("metadataOptions") or {}
        return {**KARPENTER_METADATA_DEFAULTS, **given}
    if type_ == NODE_GROUP:
        if props.get("launchTemplate"):
            raise NotApplicable("its launch template carries the metadata options")
        return {}  # EKS's own launch template: the AMI's defaults (hop limit 2)
    return props.get("metadataOptions") or {}


# Kueue (kueue.x-k8s.io, v1beta2 as deployed; v1beta1 read too) and what it is checked against.
GPU_RESOURCE = "nvidia.com/gpu"
TEAM_LABEL = "mlplat.io/team"
NAMESPACE = "kubernetes:core/v1:Namespace"
RESOURCE_QUOTA = "kubernetes:core/v1:ResourceQuota"
BUDGET = "aws:budgets/budget:Budget"


def kueue(kind: str) -> list[str]:
    return [f"kubernetes:kueue.x-k8s.io/{version}:{kind}" for version in ("v1beta2", "v1beta1")]


CLUSTER_QUEUES = kueue("ClusterQueue")
RESOURCE_FLAVORS = kueue("ResourceFlavor")
LOCAL_QUEUES = kueue("LocalQueue")


def metadata_name(props: Props) -> str:
    return str((props.get("metadata") or {}).get("name") or "")


def cohort(spec: Props) -> str:
    """The queue's cohort (`cohortName` in v1beta2, `cohort` in v1beta1); a queue without one
    shares with nobody: its own name stands for it."""
    return str(spec.get("cohortName") or spec.get("cohort") or "")


def gpu_quotas(spec: Props) -> dict[str, tuple[int, int | None]]:
    """flavor -> (nominal GPUs, borrowing limit or None where Kueue sets no limit)."""
    quotas: dict[str, tuple[int, int | None]] = {}
    for group in as_list(spec.get("resourceGroups")):
        for flavor in as_list(group.get("flavors")):
            for resource in as_list(flavor.get("resources")):
                if resource.get("name") == GPU_RESOURCE:
                    borrowing = resource.get("borrowingLimit")
                    quotas[str(flavor.get("name"))] = (
                        number(resource.get("nominalQuota")),
                        None if borrowing is None else number(borrowing),
                    )
    return quotas


def queue_namespace(spec: Props) -> str | None:
    """The one namespace a ClusterQueue admits from, or None where its selector is anything
    but that namespace's name (an empty selector admits every namespace)."""
    selector = spec.get("namespaceSelector") or {}
    labels = selector.get("matchLabels") or {}
    if selector.get("matchExpressions") or set(labels) != {"kubernetes.io/metadata.name"}:
        return None
    return str(labels["kubernetes.io/metadata.name"])


def nodepool_gpu_limit(props: Props) -> int | None:
    """A NodePool's `nvidia.com/gpu` limit, or None: no limit."""
    limit = ((props.get("spec") or {}).get("limits") or {}).get(GPU_RESOURCE)
    return None if limit is None else number(limit)


def nodepool_offers(props: Props, labels: Mapping[str, Any]) -> bool:
    """Whether every node this NodePool makes carries these labels: its template's labels, or
    a requirement allowing that value alone."""
    template = (props.get("spec") or {}).get("template") or {}
    given = (template.get("metadata") or {}).get("labels") or {}
    requirements = {
        str(r.get("key")): [str(v) for v in as_list(r.get("values"))]
        for r in as_list((template.get("spec") or {}).get("requirements"))
        if r.get("operator") == "In"
    }
    return all(
        given.get(key) == value or requirements.get(key) == [str(value)]
        for key, value in labels.items()
    )
