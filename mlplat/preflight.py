"""`mlplat preflight ENV`: can this account hold this environment? Read-only boto3 checks: the
caller's account, the region and AZs, the GPU instance types of every pool offered in those
AZs, the EC2 vCPU quotas the system nodes and the pools' limits need, and the catalog's EKS
add-on versions offered for the cluster's Kubernetes version, where the API answers.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from components.catalog import ADDON_VERSIONS
from stacks.environment import EnvironmentSpec

Status = Literal["pass", "fail", "unknown"]
# EC2 vCPU quotas, on-demand and spot: the G and VT families (GPU pools), and the standard
# families A, C, D, H, I, M, R, T, Z (the system nodes and the general pool).
GPU_QUOTAS = {"on-demand": "L-DB2E81BA", "spot": "L-3819A6DF"}
STANDARD_QUOTAS = {"on-demand": "L-1216C47A", "spot": "L-34B43A08"}


@dataclass(frozen=True)
class Check:
    name: str
    status: Status
    detail: str


def _families(pool: object) -> list[str]:
    families = list(getattr(pool, "instance_families", None) or [])
    types = list(getattr(pool, "instance_types", None) or [])
    return families or sorted({t.split(".")[0] for t in types})


def gpu_types(ec2: Any, families: Iterable[str]) -> dict[str, float]:
    """Instance type -> vCPUs per GPU, for every type of these families with a GPU."""
    found: dict[str, float] = {}
    paginator = ec2.get_paginator("describe_instance_types")
    wanted = [f"{family}.*" for family in families]
    for page in paginator.paginate(Filters=[{"Name": "instance-type", "Values": wanted}]):
        for item in page["InstanceTypes"]:
            gpus = sum(g.get("Count", 0) for g in (item.get("GpuInfo") or {}).get("Gpus", []))
            if gpus:
                found[item["InstanceType"]] = item["VCpuInfo"]["DefaultVCpus"] / gpus
    return found


def offered(ec2: Any, types: Iterable[str], azs: Iterable[str]) -> dict[str, set[str]]:
    """AZ -> the instance types offered there, of those asked."""
    result: dict[str, set[str]] = {az: set() for az in azs}
    paginator = ec2.get_paginator("describe_instance_type_offerings")
    for page in paginator.paginate(
        LocationType="availability-zone",
        Filters=[
            {"Name": "instance-type", "Values": sorted(types)},
            {"Name": "location", "Values": sorted(result)},
        ],
    ):
        for offering in page["InstanceTypeOfferings"]:
            result.setdefault(offering["Location"], set()).add(offering["InstanceType"])
    return result


def run(session: boto3.Session, spec: EnvironmentSpec) -> list[Check]:
    checks: list[Check] = []
    try:
        account = str(session.client("sts").get_caller_identity()["Account"])
    except (BotoCoreError, ClientError) as error:
        return [Check("account", "fail", f"cannot tell the credentials' account ({error})")]
    if account != spec.account_id:
        return [
            Check(
                "account",
                "fail",
                f"credentials of {account}; {spec.name} is {spec.account_id}: nothing else checked",
            )
        ]
    checks.append(Check("account", "pass", f"credentials of {account}, {spec.name}'s account"))
    ec2 = session.client("ec2", region_name=spec.region)
    try:
        zones = {
            z["ZoneName"]: z["State"]
            for z in ec2.describe_availability_zones(AllAvailabilityZones=False)[
                "AvailabilityZones"
            ]
        }
    except ClientError as error:
        return [*checks, Check("region", "fail", f"{spec.region}: {error}")]
    checks.append(Check("region", "pass", f"{spec.region} answers"))
    missing = [az for az in spec.availability_zones if zones.get(az) != "available"]
    checks.append(
        Check(
            "availability zones",
            "fail" if missing else "pass",
            f"not available: {missing}" if missing else ", ".join(spec.availability_zones),
        )
    )
    needs: dict[str, float] = {"on-demand": 0.0, "spot": 0.0}
    for pool in spec.gpu.pools:
        types = gpu_types(ec2, _families(pool))
        if pool.instance_types:
            types = {t: v for t, v in types.items() if t in set(pool.instance_types)}
        where = offered(ec2, types, spec.availability_zones)
        nowhere = sorted(set(types) - set().union(*where.values()))
        thin = [az for az, here in where.items() if not here]
        if not types:
            checks.append(
                Check(f"pool {pool.name}", "fail", f"no GPU instance type of {_families(pool)}")
            )
            continue
        status: Status = "fail" if thin else "pass"
        detail = f"{len(types)} GPU types of {_families(pool)}; " + (
            f"none offered in {thin}" if thin else "offered in every AZ"
        )
        if nowhere:
            detail += f"; offered in none of them: {nowhere}"
        checks.append(Check(f"pool {pool.name}", status, detail))
        # The pool at its GPU limit on its most vCPU-hungry type: what the quota must hold.
        vcpus = max(types.values()) * pool.gpu_limit
        for capacity in pool.capacity_types:
            needs[capacity] += vcpus
    checks += _quota_checks(session, spec, "G/VT", GPU_QUOTAS, needs)
    checks += _standard_quota_checks(session, ec2, spec)
    checks += _addon_checks(session, spec)
    return checks


def _standard_quota_checks(session: boto3.Session, ec2: Any, spec: EnvironmentSpec) -> list[Check]:
    """The system nodes at their maximum size on their largest type, plus the general pool at
    its vCPU limit under each capacity type it may use."""
    nodes = spec.cluster.system_nodes
    try:
        described = ec2.describe_instance_types(InstanceTypes=list(nodes.instance_types))
        largest = max(t["VCpuInfo"]["DefaultVCpus"] for t in described["InstanceTypes"])
    except (BotoCoreError, ClientError, KeyError, ValueError) as error:
        return [Check("standard vCPU quota", "unknown", f"not answered ({error})")]
    needs = {"on-demand": 0.0, "spot": 0.0}
    needs[nodes.capacity_type] += float(nodes.max_size * largest)
    for capacity in spec.compute.capacity_types:
        needs[capacity] += float(spec.compute.cpu_limit)
    return _quota_checks(session, spec, "standard", STANDARD_QUOTAS, needs)


def _addon_checks(session: boto3.Session, spec: EnvironmentSpec) -> list[Check]:
    """Each pinned add-on version is one EKS offers for the cluster's Kubernetes version."""
    version = spec.cluster.kubernetes_version
    eks = session.client("eks", region_name=spec.region)
    checks = []
    for addon, pinned in sorted(ADDON_VERSIONS.items()):
        try:
            pages = eks.get_paginator("describe_addon_versions").paginate(
                addonName=addon, kubernetesVersion=version
            )
            offered = {
                v["addonVersion"]
                for page in pages
                for info in page["addons"]
                for v in info["addonVersions"]
            }
        except (BotoCoreError, ClientError) as error:
            checks.append(Check(f"add-on {addon}", "unknown", f"not answered ({error})"))
            continue
        checks.append(
            Check(
                f"add-on {addon}",
                "pass" if pinned in offered else "fail",
                f"{pinned} {'is' if pinned in offered else 'is not'} offered for Kubernetes "
                f"{version}",
            )
        )
    return checks


def _quota_checks(
    session: boto3.Session,
    spec: EnvironmentSpec,
    families: str,
    codes: dict[str, str],
    needs: dict[str, float],
) -> list[Check]:
    quotas = session.client("service-quotas", region_name=spec.region)
    checks = []
    for capacity, code in codes.items():
        need = needs.get(capacity, 0.0)
        if not need:
            continue
        try:
            value = float(
                quotas.get_service_quota(ServiceCode="ec2", QuotaCode=code)["Quota"]["Value"]
            )
        except (BotoCoreError, ClientError) as error:
            checks.append(
                Check(f"{capacity} {families} vCPU quota", "unknown", f"not answered ({error})")
            )
            continue
        checks.append(
            Check(
                f"{capacity} {families} vCPU quota",
                "pass" if value >= need else "fail",
                f"{value:.0f} vCPUs; the environment may need up to {need:.0f}",
            )
        )
    return checks
