from policies import facts
from policies.framework import (
    Ctx,
    Findings,
    NotApplicable,
    Props,
    UnknownValueError,
    resource_rule,
)

# Kubeflow's example Dex config: user@example.com / 12341234 (kubeflow/kubeflow #6291).
DEMO_EMAIL = "user@example.com"
DEMO_HASH = "$2y$12$4K/VkmDd1q1Orb3xAt82zu8gk7Ad6ReFR4LCP9UeYE90NLiN9Df72"
REMOTE = ("kubernetes:kustomize/v2:Directory", "kubernetes:yaml/v2:ConfigFile")
# Folders of kubeflow/manifests that ship credentials anyone can read: Dex with the demo user,
# oauth2-proxy with a literal client and cookie secret, the demo user's profile.
DEMO_FOLDERS = ("common/dex", "common/oauth2-proxy", "common/user-namespace")


@resource_rule(
    name="kubeflow-dex-no-demo-user",
    control="K8S-10",
    types=["kubernetes:core/v1:ConfigMap", "kubernetes:core/v1:Secret", *facts.HELM, *REMOTE],
    description="Kubeflow's demo credentials (the Dex user user@example.com / 12341234, "
    "upstream oauth2-proxy's literal secrets) never exist.",
    severity="critical",
    remediation="Log in through the environment's OIDC issuer (`kubeflow.oidc`); leave "
    "common/dex, common/oauth2-proxy and common/user-namespace out of the upstream manifests.",
)
def check(props: Props, ctx: Ctx) -> Findings:
    if ctx.type in REMOTE:
        source = str(props.get("directory") or props.get("file") or "")
        if "kubeflow/manifests" in source:
            path = source.split("//", 2)[-1].split("?", 1)[0]
            for folder in DEMO_FOLDERS:
                if path == folder or path.startswith(f"{folder}/"):
                    yield f"installs {folder} from kubeflow/manifests, with its demo credentials"
        return
    metadata = props.get("metadata") or {}
    identity = f"{metadata.get('namespace') or ''}/{metadata.get('name') or ''}".lower()
    try:
        content = " ".join(
            facts.strings({k: props.get(k) for k in ("data", "stringData", "values") if k in props})
        )
    except UnknownValueError:
        # An encrypted or computed object can hold Dex's config only if it is Dex's: then its
        # verdict is unknown; any other (a generated password) cannot be the demo user.
        if "dex" in identity or identity.startswith("auth/"):
            raise
        raise NotApplicable("its contents are a secret and it is no Dex config") from None
    if DEMO_EMAIL in content or DEMO_HASH in content:
        yield "contains Kubeflow's demo Dex credentials"


RULE = check
