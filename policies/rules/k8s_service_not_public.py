from policies.framework import Ctx, Findings, Props, resource_rule

SCHEME = "service.beta.kubernetes.io/aws-load-balancer-scheme"
ALB_SCHEME = "alb.ingress.kubernetes.io/scheme"


@resource_rule(
    name="k8s-service-not-public",
    control="K8S-08",
    types=["kubernetes:core/v1:Service", "kubernetes:networking.k8s.io/v1:Ingress"],
    description="No Service or Ingress gets an internet-facing load balancer.",
    severity="critical",
    remediation=f"Annotate `{SCHEME}: internal` (Services) or `{ALB_SCHEME}: internal` "
    "(Ingresses); publish through the authenticated gateway.",
)
def check(props: Props, ctx: Ctx) -> Findings:
    annotations = (props.get("metadata") or {}).get("annotations") or {}
    if ctx.type == "kubernetes:core/v1:Service":
        if (props.get("spec") or {}).get("type") != "LoadBalancer":
            return
        scheme = annotations.get(SCHEME)
        if scheme != "internal":
            yield f"LoadBalancer Service with scheme {scheme or 'unset (internet-facing)'}"
        return
    # The AWS Load Balancer Controller makes an Ingress internal unless told otherwise.
    scheme = annotations.get(ALB_SCHEME)
    if scheme == "internet-facing":
        yield "Ingress with an internet-facing ALB"


RULE = check
