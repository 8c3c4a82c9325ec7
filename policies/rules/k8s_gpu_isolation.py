from collections.abc import Mapping
from typing import Any

from policies import facts
from policies.framework import Ctx, Findings, NotApplicable, Props, resource_rule


def _env(component: Mapping[str, Any]) -> dict[str, str]:
    return {str(e.get("name")): str(e.get("value")) for e in facts.as_list(component.get("env"))}


@resource_rule(
    name="k8s-gpu-isolation",
    control="K8S-09",
    types=list(facts.HELM),
    description="GPU device plugins hand GPUs to containers as volume mounts, so an "
    "unprivileged pod cannot claim every GPU through NVIDIA_VISIBLE_DEVICES.",
    severity="high",
    remediation="gpu-operator: devicePlugin.env DEVICE_LIST_STRATEGY=volume-mounts and "
    "toolkit.env ACCEPT_NVIDIA_VISIBLE_DEVICES_ENVVAR_WHEN_UNPRIVILEGED=false; "
    "nvidia-device-plugin: deviceListStrategy=volume-mounts (and the node's container toolkit "
    "configured to match).",
)
def check(props: Props, ctx: Ctx) -> Findings:
    chart = facts.chart_name(props)
    values = props.get("values") or {}
    if chart == "gpu-operator":
        if _env(values.get("devicePlugin") or {}).get("DEVICE_LIST_STRATEGY") != "volume-mounts":
            yield "devicePlugin does not set DEVICE_LIST_STRATEGY=volume-mounts"
        toolkit = _env(values.get("toolkit") or {})
        if toolkit.get("ACCEPT_NVIDIA_VISIBLE_DEVICES_ENVVAR_WHEN_UNPRIVILEGED") != "false":
            yield "toolkit still accepts NVIDIA_VISIBLE_DEVICES from unprivileged pods"
    elif chart == "nvidia-device-plugin":
        strategy = values.get("deviceListStrategy")
        if strategy != "volume-mounts":
            yield f"deviceListStrategy is {strategy or 'unset (envvar)'}, not volume-mounts"
    else:
        raise NotApplicable(f"{chart or 'this chart'} is not a GPU device plugin")


RULE = check
