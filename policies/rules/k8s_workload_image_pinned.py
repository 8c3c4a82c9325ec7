import re

from policies import facts
from policies.framework import Ctx, Findings, Props, resource_rule

DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")


def tag_of(image: str) -> str:
    """The tag of an image reference ('' when there is none); a registry port is not a tag."""
    name = image.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    return last.split(":", 1)[1] if ":" in last else ""


@resource_rule(
    name="k8s-workload-image-pinned",
    control="K8S-07",
    types=facts.CONTAINER_HOSTS,
    description="Every image is pinned: a version tag at least, never `latest` or untagged.",
    severity="medium",
    remediation="Reference images by version tag and digest (`repo:1.2.3@sha256:...`).",
    config_schema={"requireDigest": {"type": "boolean", "default": False}},
)
def check(props: Props, ctx: Ctx) -> Findings:
    for where, spec in facts.pod_specs(ctx.type, props):
        yield from (where + message for message in _judge(spec, ctx))


def _judge(spec: Props, ctx: Ctx) -> Findings:
    # An overlay without an image runs its runtime's (judged as the runtime).
    overlays = [o for o in facts.overlays(spec) if o.get("image")]
    for container in [*facts.containers(spec), *overlays]:
        image = str(container.get("image") or "")
        name = container.get("name")
        if DIGEST.search(image):
            continue
        if ctx.config["requireDigest"]:
            yield f"container {name!r} image {image!r} has no digest"
        elif tag_of(image) in ("", "latest"):
            yield f"container {name!r} image {image!r} is not pinned to a version"


RULE = check
