"""The architecture picture: drawn from the state, grouped by tier, deterministic, current."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from PIL import Image
from typer.testing import CliRunner

from mlplat.architecture import svg, tiers
from mlplat.cli import app

DOCS = Path(__file__).resolve().parents[2] / "docs"


@pytest.fixture(scope="module")
def prod(tmp_path_factory):
    out = tmp_path_factory.mktemp("build")
    result = CliRunner().invoke(app, ["synth", "prod", "--out", str(out)])
    assert result.exit_code == 0, result.output
    drawn = CliRunner().invoke(app, ["draw", "prod", "--out", str(out)])
    assert drawn.exit_code == 0, drawn.output
    return out / "prod"


def test_tiers_and_their_boxes_come_from_the_state(prod):
    import json

    resources = json.loads((prod / "state.json").read_text())["deployment"]["resources"]
    drawn = {tier.name: {box.title: box.lines for box in tier.boxes} for tier in tiers(resources)}
    assert list(drawn) == [
        "Public subnets",
        "Private subnets",
        "Intra subnets (no route out)",
        "In the cluster",
        "Account-wide",
    ]
    assert drawn["Public subnets"]["NAT gateways"] == ("3 gateways", "3 subnets")
    assert drawn["Private subnets"]["Karpenter pool gpu-training"] == ("g6e", "0-8 GPUs")
    assert drawn["Intra subnets (no route out)"]["RDS mlplat-prod-mlflow"][1] == "multi-AZ"
    assert drawn["In the cluster"]["Kubeflow 26.03"][0] == "22 kustomizations"
    # Each team's Kueue queue: nominal + borrowable GPUs per pool, serving's nominal only.
    assert drawn["In the cluster"]["GPU queue team-recommendations"] == (
        "cohort mlplat-prod, weight 1",
        "GPUs training 4+4, inference 4",
    )
    assert drawn["In the cluster"]["kube-prometheus-stack"] == (
        "chart 88.5.3",
        "namespace monitoring",
    )
    assert drawn["Account-wide"]["S3 buckets"] == ("3 buckets", "access-logs, audit-logs, models")


def test_the_svg_is_well_formed_and_the_png_matches_its_size(prod):
    root = ET.fromstring((prod / "architecture.svg").read_text())
    width, height = int(root.attrib["width"]), int(root.attrib["height"])
    with Image.open(prod / "architecture.png") as image:
        assert image.size == (width, height)
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert "Account-wide" in texts and "mlplat prod: what one pulumi up builds" in texts


def test_the_readmes_picture_is_current(prod):
    assert (DOCS / "architecture.svg").read_text() == (prod / "architecture.svg").read_text(), (
        "run `make generate`"
    )


def test_drawing_escapes_text():
    from mlplat.architecture import Box, Tier

    text = svg("dev", [Tier("a<b", "#fff", (Box("x&y", ("<script>",)),))])
    assert "a&lt;b" in text and "x&amp;y" in text and "&lt;script&gt;" in text


def test_a_missing_state_exits_2(tmp_path):
    result = CliRunner().invoke(app, ["draw", "dev", "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "state.json: missing; run `mlplat synth dev` first" in result.output
