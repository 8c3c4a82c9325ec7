import re

from policies import facts
from policies.framework import Ctx, Findings, Props, resource_rule

EXACT_VERSION = re.compile(r"^v?\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?$")
PINNED_REF = re.compile(r"^(v?\d+\.\d+(\.\d+)?([-+][0-9A-Za-z.-]+)?|[0-9a-f]{40})$")
MOVING = ("main", "master", "HEAD", "latest", "develop")
REMOTE = ("kubernetes:kustomize/v2:Directory", "kubernetes:yaml/v2:ConfigFile")


@resource_rule(
    name="helm-chart-pinned",
    control="FIN-03",
    types=[*facts.HELM, *REMOTE],
    description="Every Helm chart and remote manifest is pinned to an exact version or commit.",
    severity="medium",
    remediation="Set the chart `version` to an exact release (from the catalog); reference "
    "remote kustomizations as `...?ref=<tag or commit>`.",
)
def check(props: Props, ctx: Ctx) -> Findings:
    if ctx.type in facts.HELM:
        version = str(props.get("version") or "")
        if not EXACT_VERSION.match(version):
            yield f"chart {facts.chart_name(props)!r} version {version or 'unset'} is not exact"
        return
    source = str(props.get("directory") or props.get("file") or "")
    if not source.startswith(("http://", "https://", "git::", "github.com/")):
        return  # a file in this repository is pinned by the commit
    ref = source.split("?ref=", 1)[1] if "?ref=" in source else ""
    segments = source.split("/")
    if ref:
        if not PINNED_REF.match(ref):
            yield f"remote {source!r} follows {ref!r}, not a tag or commit"
    elif any(m in segments for m in MOVING) or not any(PINNED_REF.match(s) for s in segments):
        yield f"remote {source!r} is not pinned to a tag or commit"


RULE = check
