"""checkov over Pulumi: a state file as checkov's `terraform_plan` JSON, and its findings back.

checkov cannot read Pulumi. pulumi-aws is generated from the Terraform AWS provider, so each
resource maps to a Terraform type with the same attributes in camelCase, and MaxItems=1 blocks
flattened to objects. The adapter undoes both, and writes what Pulumi knows as a dependency
(`propertyDependencies`) the way a real plan shows a value unknown before apply: absent from
`planned_values`, present as a `configuration` reference. checkov's graph checks then link a
bucket to its encryption, versioning and public-access-block resources.

checkov pins old boto3 and packaging, so it runs in its own environment, installed from its
hash-locked requirements (`mlplat/locks/checkov.txt`, `mlplat/tools.py`), never in the project's.
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from mlplat.digest_cache import digest, load, store, tree_digest
from mlplat.tools import LinterError, run, tool
from policies.facts import boundary_urns
from policies.framework import Resource

CHECKOV_VERSION = "3.3.30"
CHECKOV_LOCK = Path(__file__).resolve().parent / "locks" / "checkov.txt"
SKIPS_FILE = Path(__file__).resolve().parent.parent / "policies" / "checkov" / "skips.yaml"

# Terraform type for pulumi-aws types whose name does not follow the module+class convention.
TERRAFORM_TYPES: dict[str, str] = {
    "aws:rds/instance:Instance": "aws_db_instance",
    "aws:rds/cluster:Cluster": "aws_rds_cluster",
    "aws:rds/clusterInstance:ClusterInstance": "aws_rds_cluster_instance",
    "aws:rds/parameterGroup:ParameterGroup": "aws_db_parameter_group",
    "aws:rds/subnetGroup:SubnetGroup": "aws_db_subnet_group",
    "aws:cloudtrail/trail:Trail": "aws_cloudtrail",
    "aws:cfg/recorder:Recorder": "aws_config_configuration_recorder",
    "aws:ec2/flowLog:FlowLog": "aws_flow_log",
    "aws:ebs/encryptionByDefault:EncryptionByDefault": "aws_ebs_encryption_by_default",
    "aws:ebs/volume:Volume": "aws_ebs_volume",
    "aws:guardduty/detector:Detector": "aws_guardduty_detector",
    "aws:ec2/instanceMetadataDefaults:InstanceMetadataDefaults": (
        "aws_ec2_instance_metadata_defaults"
    ),
    "aws:ec2/vpcBlockPublicAccessOptions:VpcBlockPublicAccessOptions": (
        "aws_vpc_block_public_access_options"
    ),
    "aws:ec2transitgateway/transitGateway:TransitGateway": "aws_ec2_transit_gateway",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": (
        "aws_vpc_security_group_ingress_rule"
    ),
}
# Modules whose Terraform types drop the module name (aws_vpc, not aws_ec2_vpc).
UNPREFIXED_MODULES = {"ec2"}
# Repeated blocks pulumi-aws names in the plural (`rules`) and Terraform in the singular (`rule`).
SINGULAR_BLOCKS: dict[str, dict[str, str]] = {
    "aws_s3_bucket_server_side_encryption_configuration": {"rules": "rule"},
    "aws_s3_bucket_lifecycle_configuration": {"rules": "rule"},
    "aws_db_parameter_group": {"parameters": "parameter"},
}
# Attributes that are maps in Terraform (not blocks): kept as objects.
MAP_ATTRIBUTES = {"tags", "tags_all", "variables", "labels", "annotations", "parameters_map"}


def snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def terraform_type(pulumi_type: str) -> str | None:
    """`aws:s3/bucketVersioningV2:BucketVersioningV2` -> `aws_s3_bucket_versioning`."""
    if pulumi_type in TERRAFORM_TYPES:
        return TERRAFORM_TYPES[pulumi_type]
    parts = pulumi_type.split(":")
    if len(parts) != 3 or parts[0] != "aws":
        return None
    module, class_name = parts[1].split("/", 1)[0], re.sub(r"V2$", "", parts[2])
    prefix = "" if module in UNPREFIXED_MODULES else f"{module}_"
    return f"aws_{prefix}{snake(class_name)}"


def to_blocks(value: Any, key: str = "") -> Any:
    """camelCase keys to snake_case at every depth, and objects (MaxItems=1 blocks that
    pulumi-aws flattens) back into one-element lists; map attributes (tags) stay objects."""
    if isinstance(value, Mapping):
        if key in MAP_ATTRIBUTES:
            return dict(value)
        return [{snake(k): to_blocks(v, snake(k)) for k, v in value.items()}]
    if isinstance(value, list):
        return [item for v in value for item in _flatten_block(to_blocks(v, key), v)]
    return value


def _flatten_block(converted: Any, original: Any) -> list[Any]:
    """A list of blocks stays a list of blocks (not a list of one-element lists)."""
    return (
        converted if isinstance(original, Mapping) and isinstance(converted, list) else [converted]
    )


def _values(inputs: Mapping[str, Any], tf_type: str = "") -> dict[str, Any]:
    renames = SINGULAR_BLOCKS.get(tf_type, {})
    values = {snake(key): to_blocks(value, snake(key)) for key, value in inputs.items()}
    return {renames.get(key, key): value for key, value in values.items()}


@dataclass(frozen=True)
class Plan:
    document: dict[str, Any]
    addresses: dict[str, str]  # terraform address -> pulumi URN
    unmapped: tuple[str, ...]  # pulumi types with no terraform equivalent (not exported)
    # Resources deliberately not shown to checkov, with why (URN -> reason).
    withheld: tuple[tuple[str, str], ...] = ()


# checkov reads every aws_iam_policy as a grant, so a permission boundary ("Allow * within this
# account and region", plus its Denies) fails its admin checks. A boundary caps and grants
# nothing; the pack's `aws-iam-permissions-boundary` rule checks it instead, and that it is never
# attached as a grant.
BOUNDARY_WITHHELD = "permission boundary: a cap, checked by aws-iam-permissions-boundary"


def to_terraform_plan(resources: Sequence[Mapping[str, Any]]) -> Plan:
    by_urn = {r["urn"]: r for r in resources}
    addresses: dict[str, str] = {}
    address_of: dict[str, str] = {}
    taken: set[str] = set()
    unmapped = set()
    withheld = []
    # A boundary by use (a role carries it, nothing attaches it), as the pack decides it.
    boundaries = boundary_urns(
        [
            Resource(
                urn=r["urn"],
                type=r["type"],
                name="",
                props=r.get("inputs") or {},
                property_dependencies=r.get("propertyDependencies") or {},
            )
            for r in resources
        ]
    )
    for resource in resources:
        if not resource.get("custom") or resource["type"].startswith("pulumi:"):
            continue
        if resource["urn"] in boundaries:
            withheld.append((resource["urn"], BOUNDARY_WITHHELD))
            continue
        tf_type = terraform_type(resource["type"])
        if tf_type is None:
            if resource["type"].startswith("aws:"):  # Kubernetes objects go to checkov as YAML
                unmapped.add(resource["type"])
            continue
        base = re.sub(r"[^A-Za-z0-9_]", "_", resource["urn"].rsplit("::", 1)[-1])
        name, n = base, 2
        while f"{tf_type}.{name}" in taken:
            name, n = f"{base}_{n}", n + 1
        address = f"{tf_type}.{name}"
        taken.add(address)
        addresses[address] = resource["urn"]
        address_of[resource["urn"]] = address

    planned, configured, changes = [], [], []
    for address, urn in addresses.items():
        resource = by_urn[urn]
        tf_type, name = address.split(".", 1)
        inputs = dict(resource.get("inputs") or {})
        expressions = {}
        for prop, dependencies in (resource.get("propertyDependencies") or {}).items():
            targets = [address_of[d] for d in dependencies if d in address_of]
            if not (targets and prop in inputs):
                continue
            expressions[snake(prop)] = {
                "references": [f"{targets[0]}.id", targets[0], *targets[1:]]
            }
            if not isinstance(inputs[prop], (dict, list)):
                # A value computed from another resource is unknown before apply in a real plan:
                # a reference, not a value. A block keeps its known fields beside the reference.
                inputs.pop(prop)
        values = _values(inputs, tf_type)
        common = {"address": address, "mode": "managed", "type": tf_type, "name": name}
        provider = "registry.terraform.io/hashicorp/aws"
        planned.append({**common, "provider_name": provider, "schema_version": 0, "values": values})
        configured.append({**common, "provider_config_key": "aws", "expressions": expressions})
        changes.append(
            {
                **common,
                "provider_name": provider,
                "change": {"actions": ["create"], "before": None, "after": values},
            }
        )
    document = {
        "format_version": "1.2",
        "terraform_version": "1.9.8",
        "planned_values": {"root_module": {"resources": planned}},
        "resource_changes": changes,
        "configuration": {"root_module": {"resources": configured}},
    }
    return Plan(document, addresses, tuple(sorted(unmapped)), tuple(withheld))


# --- running checkov ----------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckovResult:
    passed: int
    failed: tuple[dict[str, Any], ...]  # check_id, check_name, resource, file, target, guideline
    skipped: int


def skipped_checks() -> dict[str, str]:
    """check id -> the written reason it does not apply to this platform."""
    document = yaml.safe_load(SKIPS_FILE.read_text(encoding="utf-8")) or {}
    return {str(k): str(v) for k, v in (document.get("skip") or {}).items()}


def checkov_command(*arguments: str) -> list[str]:
    return tool("checkov", *arguments)


def run_checkov(paths: Sequence[tuple[str, Path]]) -> CheckovResult:
    """Runs pinned checkov once over (framework, path) targets; JSON results merged."""
    skips = skipped_checks()
    passed = skipped = 0
    failed: list[dict[str, Any]] = []
    for framework, path in paths:
        if path.is_dir() and not any(path.iterdir()):
            continue
        flag = "-d" if path.is_dir() else "-f"
        arguments = [
            flag,
            str(path),
            "--framework",
            framework,
            "-o",
            "json",
            "--quiet",
            "--compact",
        ]
        if skips:
            arguments += ["--skip-check", ",".join(sorted(skips))]
        # The same files, checks and checkov give the same report: reused when warm.
        # (the path itself is left out of the key: the plan file is a new temporary each run)
        options = [a for a in arguments if a != str(path)]
        key = digest(CHECKOV_VERSION, *options, tree_digest([path]), CHECKOV_LOCK.read_bytes())
        reports = load("checkov", key)
        if reports is None:
            completed = run(checkov_command(*arguments, "--soft-fail"), "checkov")
            try:
                reports = json.loads(completed.stdout or "[]")
            except ValueError:
                reports = None
            if completed.returncode != 0 or reports is None:
                raise LinterError(
                    f"checkov {CHECKOV_VERSION} could not run (exit {completed.returncode}): "
                    f"{completed.stderr.strip()[-600:]}"
                )
            store("checkov", key, reports)
        for report in reports if isinstance(reports, list) else [reports]:
            results = report.get("results") or {}
            summary = report.get("summary") or {}
            passed += int(summary.get("passed") or 0)
            skipped += int(summary.get("skipped") or 0)
            for check in results.get("failed_checks") or []:
                failed.append(
                    {
                        "check_id": check.get("check_id"),
                        "check_name": check.get("check_name"),
                        "resource": check.get("resource"),
                        "guideline": check.get("guideline"),
                        "file": check.get("file_path"),
                        "target": str(path),  # which of the targets it was found in
                    }
                )
    return CheckovResult(passed, tuple(failed), skipped)


def rendered_dir(k8s_dir: Path) -> Path:
    """Where `mlplat render` writes what the kustomizations build, beside the program's own."""
    return k8s_dir.parent / "rendered"


def check_state(
    resources: Sequence[Mapping[str, Any]], k8s_dir: Path | None
) -> tuple[CheckovResult, Plan]:
    plan = to_terraform_plan(resources)
    with tempfile.TemporaryDirectory(prefix="mlplat-checkov-") as scratch:
        plan_file = Path(scratch) / "tfplan.json"
        plan_file.write_text(json.dumps(plan.document))
        targets: list[tuple[str, Path]] = [("terraform_plan", plan_file)]
        for objects in (k8s_dir, rendered_dir(k8s_dir) if k8s_dir else None):
            if objects is not None and objects.is_dir():
                targets.append(("kubernetes", objects))
        return run_checkov(targets), plan
