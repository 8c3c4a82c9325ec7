"""The architecture picture of an environment, drawn from its synthesized state: its components
and main resources, grouped by where they run (public, private and intra subnets, inside the
cluster, account-wide). One layout, written as SVG and PNG; both deterministic.
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from PIL import Image, ImageDraw, ImageFont

from mlplat import state
from mlplat.chart_values import chart_name


@dataclass(frozen=True)
class Box:
    title: str
    lines: tuple[str, ...]


@dataclass(frozen=True)
class Tier:
    name: str
    colour: str
    boxes: tuple[Box, ...]


def _of(resources: Sequence[Mapping[str, Any]], type_: str) -> list[Mapping[str, Any]]:
    return [r for r in resources if r.get("type") == type_]


def _inputs(resource: Mapping[str, Any]) -> Mapping[str, Any]:
    return resource.get("inputs") or {}


def _tags(resource: Mapping[str, Any]) -> Mapping[str, str]:
    return _inputs(resource).get("tags") or {}


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def tiers(resources: Sequence[Mapping[str, Any]]) -> list[Tier]:
    """What to draw, read from the state."""
    subnets = Counter(
        str(_tags(s).get("mlplat.io/tier") or _tags(s).get("tier") or "")
        for s in _of(resources, "aws:ec2/subnet:Subnet")
    )
    nats = len(_of(resources, "aws:ec2/natGateway:NatGateway"))
    endpoints = _of(resources, "aws:ec2/vpcEndpoint:VpcEndpoint")
    interface = sum(1 for e in endpoints if _inputs(e).get("vpcEndpointType") == "Interface")
    public = Tier(
        "Public subnets",
        "#fde2e1",
        (
            Box("Internet gateway", ("egress only, through NAT",)),
            Box("NAT gateways", (_plural(nats, "gateway"), _plural(subnets["public"], "subnet"))),
        ),
    )
    clusters = _of(resources, "aws:eks/cluster:Cluster")
    cluster_boxes = [
        Box(
            f"EKS {_inputs(c).get('name')}",
            (
                f"Kubernetes {_inputs(c).get('version')}, private API",
                "secrets encrypted (KMS)",
            ),
        )
        for c in clusters
    ]
    for group in _of(resources, "aws:eks/nodeGroup:NodeGroup"):
        scaling = _inputs(group).get("scalingConfig") or {}
        cluster_boxes.append(
            Box(
                "System nodes",
                (
                    ", ".join(_inputs(group).get("instanceTypes") or []),
                    f"{scaling.get('minSize')}-{scaling.get('maxSize')} nodes, CriticalAddonsOnly",
                ),
            )
        )
    for pool in _of(resources, "kubernetes:karpenter.sh/v1:NodePool"):
        spec = _inputs(pool).get("spec") or {}
        limits = spec.get("limits") or {}
        requirements = (spec.get("template") or {}).get("spec", {}).get("requirements") or []
        chosen = {
            r.get("key"): list(r.get("values") or [])
            for r in requirements
            if r.get("operator") == "In"
        }
        families = chosen.get("karpenter.k8s.aws/instance-family") or sorted(
            {t.split(".")[0] for t in chosen.get("node.kubernetes.io/instance-type", [])}
        )
        gpus = limits.get("nvidia.com/gpu")
        cluster_boxes.append(
            Box(
                f"Karpenter pool {(_inputs(pool).get('metadata') or {}).get('name')}",
                (
                    ", ".join(families or []),
                    f"0-{gpus} GPUs" if gpus else f"0-{limits.get('cpu')} vCPUs",
                ),
            )
        )
    cluster_boxes.append(
        Box(
            "Interface endpoints",
            (_plural(interface, "endpoint"), _plural(subnets["private"], "private subnet")),
        )
    )
    private = Tier("Private subnets", "#e1ecfd", tuple(cluster_boxes))
    databases = [
        Box(
            f"RDS {_inputs(d).get('identifier')}",
            (
                f"{_inputs(d).get('engine')} {_inputs(d).get('engineVersion')}, "
                f"{_inputs(d).get('instanceClass')}",
                "multi-AZ" if _inputs(d).get("multiAz") else "single AZ",
            ),
        )
        for d in _of(resources, "aws:rds/instance:Instance")
    ]
    intra = Tier(
        "Intra subnets (no route out)",
        "#e6f4e1",
        (*databases, Box("Subnets", (_plural(subnets["intra"], "intra subnet"),))),
    )
    directories = _of(resources, "kubernetes:kustomize/v2:Directory")
    version = next(
        (
            str(_inputs(d).get("directory")).rsplit("?ref=", 1)[-1]
            for d in directories
            if "?ref=" in str(_inputs(d).get("directory"))
        ),
        "",
    )
    profiles = _of(resources, "kubernetes:kubeflow.org/v1:Profile")
    services = _of(resources, "kubernetes:serving.kserve.io/v1beta1:InferenceService")
    charts = [
        Box(
            chart_name(_inputs(c).get("chart")),
            (f"chart {_inputs(c).get('version')}", f"namespace {_inputs(c).get('namespace')}"),
        )
        for c in sorted(
            _of(resources, "kubernetes:helm.sh/v4:Chart"),
            key=lambda c: str(_inputs(c).get("chart")),
        )
    ]
    in_cluster = Tier(
        "In the cluster",
        "#f1e6fa",
        (
            Box(
                f"Kubeflow {version}",
                (_plural(len(directories), "kustomization"), "login: OIDC via oauth2-proxy"),
            ),
            Box("Teams", (_plural(len(profiles), "Profile"), "restricted, default-deny")),
            *_gpu_queues(resources),
            Box("Serving (KServe)", (_plural(len(services), "InferenceService"), "vLLM, canary")),
            Box("MLflow", ("tracking server", "artifacts in the registry")),
            *charts,
        ),
    )
    buckets = Counter(
        str(_tags(b).get("mlplat.io/data-class") or "other")
        for b in _of(resources, "aws:s3/bucket:Bucket")
    )
    roles = len(_of(resources, "aws:iam/role:Role"))
    account = Tier(
        "Account-wide",
        "#fbf3d6",
        (
            Box(
                "KMS keys",
                (_plural(len(_of(resources, "aws:kms/key:Key")), "key"), "rotated yearly"),
            ),
            Box(
                "S3 buckets", (_plural(sum(buckets.values()), "bucket"), ", ".join(sorted(buckets)))
            ),
            Box(
                "Audit",
                (
                    _plural(len(_of(resources, "aws:cloudtrail/trail:Trail")), "trail")
                    + ", Config, Security Hub",
                    "GuardDuty, Access Analyzer",
                ),
            ),
            Box(
                "Alarms and budgets",
                (
                    _plural(len(_of(resources, "aws:cloudwatch/metricAlarm:MetricAlarm")), "alarm"),
                    _plural(len(_of(resources, "aws:budgets/budget:Budget")), "budget"),
                ),
            ),
            Box("IAM", (_plural(roles, "role"), "every one bounded")),
        ),
    )
    return [public, private, intra, in_cluster, account]


def _count(value: Any) -> str:
    """A count as the state holds it (the engine sends numbers as doubles)."""
    return str(int(value)) if isinstance(value, int | float) and float(value).is_integer() else "?"


def _gpu_queues(resources: Sequence[Mapping[str, Any]]) -> list[Box]:
    """A box per team's Kueue ClusterQueue: its cohort and fair-sharing weight, then its GPUs
    per pool, nominal + borrowable."""
    boxes = []
    for queue in _of(resources, "kubernetes:kueue.x-k8s.io/v1beta2:ClusterQueue"):
        spec = _inputs(queue).get("spec") or {}
        shares = []
        for group in spec.get("resourceGroups") or []:
            for flavor in group.get("flavors") or []:
                for quota in flavor.get("resources") or []:
                    nominal, borrowing = quota.get("nominalQuota"), quota.get("borrowingLimit")
                    if nominal or borrowing:
                        extra = f"+{_count(borrowing)}" if borrowing else ""
                        shares.append(f"{flavor.get('name')} {_count(nominal)}{extra}")
        weight = (spec.get("fairSharing") or {}).get("weight", 1)
        boxes.append(
            Box(
                f"GPU queue {(_inputs(queue).get('metadata') or {}).get('name')}",
                (
                    f"cohort {spec.get('cohortName')}, weight {_count(weight)}",
                    "GPUs " + (", ".join(shares) or "none"),
                ),
            )
        )
    return boxes


# --- layout and drawing --------------------------------------------------------------------------

WIDTH, MARGIN, BOX_W, BOX_H, GAP, HEADER = 1500, 24, 270, 78, 14, 34
PER_ROW = (WIDTH - 2 * MARGIN + GAP) // (BOX_W + GAP)


def _layout(
    environment: str, drawn: Sequence[Tier]
) -> tuple[int, list[tuple[str, Any, tuple[int, int, int, int]]]]:
    """(height, [(kind, item, (x, y, w, h))]) for tiers and boxes."""
    shapes: list[tuple[str, Any, tuple[int, int, int, int]]] = []
    y = MARGIN + 40
    for tier in drawn:
        rows = max(1, -(-len(tier.boxes) // PER_ROW))
        height = HEADER + rows * (BOX_H + GAP) + GAP
        shapes.append(("tier", tier, (MARGIN, y, WIDTH - 2 * MARGIN, height)))
        for index, box in enumerate(tier.boxes):
            column, row = index % PER_ROW, index // PER_ROW
            x = MARGIN + GAP + column * (BOX_W + GAP)
            shapes.append(("box", box, (x, y + HEADER + row * (BOX_H + GAP), BOX_W, BOX_H)))
        y += height + GAP
    return y + MARGIN, shapes


def svg(environment: str, drawn: Sequence[Tier]) -> str:
    height, shapes = _layout(environment, drawn)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" font-family="Helvetica, Arial, sans-serif">',
        f'<rect width="{WIDTH}" height="{height}" fill="#ffffff"/>',
        f'<text x="{MARGIN}" y="{MARGIN + 18}" font-size="22" font-weight="bold">'
        f"mlplat {escape(environment)}: what one pulumi up builds</text>",
    ]
    for kind, item, (x, y, w, h) in shapes:
        if kind == "tier":
            parts += [
                f'<rect x="{x}" y="{y}" width="{w}" height="{h}" rx="8" fill="{item.colour}" '
                'stroke="#888888"/>',
                f'<text x="{x + 10}" y="{y + 22}" font-size="15" font-weight="bold">'
                f"{escape(item.name)}</text>",
            ]
        else:
            parts += [
                f'<rect x="{x}" y="{y}" width="{w}" height="{h}" rx="5" fill="#ffffff" '
                'stroke="#444444"/>',
                f'<text x="{x + 8}" y="{y + 20}" font-size="13" font-weight="bold">'
                f"{escape(item.title)}</text>",
                *(
                    f'<text x="{x + 8}" y="{y + 40 + 16 * i}" font-size="11">{escape(line)}</text>'
                    for i, line in enumerate(item.lines[:2])
                ),
            ]
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def png(environment: str, drawn: Sequence[Tier]) -> bytes:
    height, shapes = _layout(environment, drawn)
    image = Image.new("RGB", (WIDTH, height), "#ffffff")
    draw = ImageDraw.Draw(image)
    title, bold, small = (ImageFont.load_default(size=s) for s in (22, 14, 11))
    draw.text(
        (MARGIN, MARGIN),
        f"mlplat {environment}: what one pulumi up builds",
        fill="#000000",
        font=title,
    )
    for kind, item, (x, y, w, h) in shapes:
        if kind == "tier":
            draw.rounded_rectangle((x, y, x + w, y + h), 8, fill=item.colour, outline="#888888")
            draw.text((x + 10, y + 8), item.name, fill="#000000", font=bold)
        else:
            draw.rounded_rectangle((x, y, x + w, y + h), 5, fill="#ffffff", outline="#444444")
            draw.text((x + 8, y + 6), item.title, fill="#000000", font=bold)
            for i, line in enumerate(item.lines[:2]):
                draw.text((x + 8, y + 30 + 16 * i), line, fill="#222222", font=small)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def drawing(environment: str, build_dir: Path) -> dict[Path, bytes]:
    """build/<env>/architecture.svg and .png, drawn from build/<env>/state.json (not written)."""
    directory = build_dir / environment
    checkpoint = state.read(directory / "state.json")
    drawn = tiers([r for r in checkpoint.resources if not r["delete"]])
    return {
        directory / "architecture.svg": svg(environment, drawn).encode("utf-8"),
        directory / "architecture.png": png(environment, drawn),
    }
