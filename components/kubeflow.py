"""Kubeflow from the upstream manifests at a pinned release tag, without the parts upstream
ships for demos: no Dex (its static user@example.com), no upstream oauth2-proxy (literal client
and cookie secrets, a `:latest` image), no example user's profile.

People log in through our own oauth2-proxy against the environment's OIDC issuer; Istio's
gateway sends every browser request without a token to it, verifies the issuer's JWTs, and
hands Kubeflow the e-mail claim as `kubeflow-userid`. Upstream Deployments and StatefulSets run
on the system nodes (a transform, components/placement.py). Notebook culling is set by a generated
kustomize overlay (`make generate`), the only upstream setting that lives in a hashed ConfigMap.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pulumi
import pulumi_kubernetes as k8s
import yaml

from components.args import arg, component_args
from components.catalog import KUBEFLOW_MANIFESTS
from components.namespaces import (
    default_deny,
    dns_egress,
    namespace_peer,
    pod_security,
    ports,
    restricted_container,
    restricted_pod,
    to_cidr,
)
from components.placement import on_platform_nodes, platform_affinity, platform_tolerations

NOTEBOOK_CONTROLLER = "applications/jupyter/notebook-controller/upstream/overlays/kubeflow"
# Upstream kustomizations in the order of upstream's `example/kustomization.yaml`, in stages that
# each wait for the one before (a Directory completes when its Deployments are ready):
# - namespaces, CRDs and cert-manager first: Istio's install puts Sidecars in `kubeflow`, and the
#   provider gives up on a missing namespace after about 30 s, so that namespace cannot come later;
#   Kubeflow's ClusterIssuer, in cert-manager's own kustomization since 26.03, waits inside it for
#   cert-manager's webhook (`WEBHOOK_WAITS`);
# - then Istio, whose CRDs the first stage installed;
# - then the mesh, then the applications.
# Left out on purpose: common/dex, common/oauth2-proxy and common/user-namespace (above); Katib
# and Spark are optional upstream and not deployed.
STAGES: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    (
        "foundation",
        (
            # cert-manager, Kubeflow's self-signed ClusterIssuer and their NetworkPolicies.
            ("cert-manager", "common/cert-manager/overlays/kubeflow"),
            ("istio-crds", "common/istio/istio-crds/base"),
            ("istio-namespace", "common/istio/istio-namespace/base"),
            # `kubeflow` and `kubeflow-system`, with upstream's NetworkPolicies for both.
            ("kubeflow-namespace", "common/kubeflow-namespace/base"),
        ),
    ),
    (
        "istio",
        # Istio with the `oauth2-proxy` ext-authz provider (our service, same name).
        (("istio", "common/istio/istio-install/overlays/oauth2-proxy"),),
    ),
    (
        "mesh",
        (
            ("knative-serving", "common/knative/knative-serving/overlays/gateways"),
            ("cluster-local-gateway", "common/istio/cluster-local-gateway/base"),
            ("kubeflow-roles", "common/kubeflow-roles/base"),
            ("kubeflow-istio-resources", "common/istio/kubeflow-istio-resources/base"),
        ),
    ),
    (
        "applications",
        (
            # Pipeline definitions in the database; Pod Security `restricted` for its pods.
            ("pipelines", "applications/pipeline/overlays"),
            ("central-dashboard", "applications/centraldashboard/overlays/oauth2-proxy"),
            ("admission-webhook", "applications/admission-webhook/upstream/overlays/cert-manager"),
            ("jupyter-web-app", "applications/jupyter/jupyter-web-app/upstream/overlays/istio"),
            # Profiles and KFAM with Pod Security labels on the namespaces they create.
            ("profiles", "applications/profiles/pss"),
            ("pvc-viewer", "applications/pvcviewer-controller/upstream/base"),
            ("volumes-web-app", "applications/volumes-web-app/upstream/overlays/istio"),
            (
                "tensorboard-controller",
                "applications/tensorboard/tensorboard-controller/upstream/overlays/kubeflow",
            ),
            (
                "tensorboards-web-app",
                "applications/tensorboard/tensorboards-web-app/upstream/overlays/istio",
            ),
            ("trainer", "applications/trainer/overlays"),
            ("kserve", "applications/kserve/kserve"),
            ("models-web-app", "applications/kserve/models-web-app/overlays/kubeflow"),
            ("notebook-controller", NOTEBOOK_CONTROLLER),
        ),
    ),
)
# Custom resources that a Directory's own webhook admits (`failurePolicy: Fail`), and what serves
# that webhook. The provider applies a Directory's objects in parallel, ordered only by cli-utils'
# graph (CRD before kind, Namespace before contents, `config.kubernetes.io/depends-on`), and waits
# for a Deployment to be ready and a Service to have endpoints before what depends on them. So each
# such resource gets a depends-on annotation, set by a generated overlay (`make generate`), and
# `mlplat render` proves from the rendered objects that no admitted object is left out.
WEBHOOK_WAITS: dict[str, tuple[tuple[str, str], tuple[str, ...]]] = {  # (apiVersion, kind)
    "cert-manager": (
        ("cert-manager.io/v1", "ClusterIssuer"),
        (
            "apps/namespaces/cert-manager/Deployment/cert-manager-webhook",
            "/namespaces/cert-manager/Service/cert-manager-webhook",
            # It injects the webhook's CA into the webhook configurations.
            "apps/namespaces/cert-manager/Deployment/cert-manager-cainjector",
        ),
    ),
    "knative-serving": (
        ("networking.internal.knative.dev/v1alpha1", "Certificate"),
        (
            "apps/namespaces/knative-serving/Deployment/webhook",
            "/namespaces/knative-serving/Service/webhook",
        ),
    ),
    "kserve": (
        ("serving.kserve.io/v1alpha1", "ClusterServingRuntime"),
        (
            "apps/namespaces/kubeflow/Deployment/kserve-controller-manager",
            "/namespaces/kubeflow/Service/kserve-webhook-server-service",
        ),
    ),
    "trainer": (
        ("trainer.kubeflow.org/v1alpha1", "ClusterTrainingRuntime"),
        (
            "apps/namespaces/kubeflow-system/Deployment/kubeflow-trainer-controller-manager",
            "/namespaces/kubeflow-system/Service/kubeflow-trainer-controller-manager",
        ),
    ),
}
# Who creates a TrainJob's JobSet and a JobSet's Jobs: the Trainer's controllers, as Kubeflow's
# trainer kustomization deploys them (both in kubeflow-system; tests/synthesis/test_render.py
# reads them from the rendered tree).
TRAINER_CONTROLLER = "system:serviceaccount:kubeflow-system:kubeflow-trainer-controller-manager"
JOBSET_CONTROLLER = "system:serviceaccount:kubeflow-system:jobset-controller-manager"
# Components deployed from a generated local overlay instead of their upstream folder.
OVERLAID = ("notebook-controller", *WEBHOOK_WAITS)
# Its ConfigMap, as named once upstream's `namePrefix: notebook-controller-` has applied.
NOTEBOOK_CONFIG = "notebook-controller-config"
# Minutes between the notebook controller's idleness checks.
IDLENESS_CHECK_MINUTES = 5

OAUTH2_PROXY = "oauth2-proxy"  # namespace, service and provider name Istio's mesh config uses
OAUTH2_PROXY_PORT = 4180
# Created by an operator from the identity provider's console (README), never by this program:
# keys `client-secret` and `cookie-secret` (32 random bytes).
CREDENTIALS_SECRET = "oauth2-proxy-credentials"
ISTIO_NAMESPACE = "istio-system"
GATEWAY_SELECTOR = {"app": "istio-ingressgateway"}
LOGIN_PATHS = ["/oauth2/*"]
USER_HEADER, GROUPS_HEADER = "kubeflow-userid", "kubeflow-groups"
# The provider's (cli-utils') explicit order inside one Directory.
DEPENDS_ON = "config.kubernetes.io/depends-on"


@component_args
class Oidc:
    issuer_url: str
    client_id: str
    email_domains: Sequence[str]


@component_args
class KubeflowArgs:
    version: str = arg("the kubeflow/manifests release tag (catalog)")
    oidc: Oidc = arg("the environment's identity provider and client")
    overlays: Mapping[str, str] = arg(
        "component -> the generated local kustomization deployed instead of its upstream folder "
        "(`make generate`): notebook culling and the webhook waits; one for each of `OVERLAID`"
    )
    oauth2_proxy_image: str = arg("the login proxy's image, pinned (catalog)")
    oauth2_proxy_replicas: int = arg("login proxy replicas", default=2)
    kubernetes_provider: pulumi.ProviderResource = arg("the cluster's Kubernetes provider")


def upstream(path: str, version: str) -> str:
    """A kustomize remote target: the folder `path` of kubeflow/manifests at tag `version`."""
    return f"{KUBEFLOW_MANIFESTS}//{path}?ref={version}"


def validate_kubeflow_args(args: KubeflowArgs) -> list[str]:
    problems = []
    missing = sorted(set(OVERLAID) - set(args.overlays))
    if missing:
        problems.append(
            f"overlays: missing {missing}; expected one local kustomization for each of "
            f"{list(OVERLAID)} (`make generate`)"
        )
    unknown = sorted(set(args.overlays) - set(OVERLAID))
    if unknown:
        problems.append(f"overlays: got {unknown}; expected only {list(OVERLAID)}")
    if args.oauth2_proxy_replicas < 1:
        problems.append(
            f"oauth2_proxy_replicas: got {args.oauth2_proxy_replicas}; expected >= 1 "
            "(every login goes through it)"
        )
    return problems


def webhook_wait_overlay(component: str, path: str, version: str) -> str:
    """Upstream's `path` at `version`, with every resource its own webhook admits made to wait
    for that webhook's Deployment and Service (`WEBHOOK_WAITS`)."""
    (api_version, kind), serving = WEBHOOK_WAITS[component]
    group, _, api = api_version.rpartition("/")
    kustomization = {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": [upstream(path, version)],
        "patches": [
            {
                "target": {"group": group, "version": api, "kind": kind},
                "patch": yaml.safe_dump(
                    {
                        "apiVersion": api_version,
                        "kind": kind,
                        "metadata": {
                            "name": "every-target",
                            "annotations": {DEPENDS_ON: ",".join(serving)},
                        },
                    },
                    sort_keys=False,
                    width=1000,
                ),
            }
        ],
    }
    header = (
        f"# Generated by `make generate` (components/kubeflow.py, WEBHOOK_WAITS[{component!r}]): "
        f"{kind} waits for its webhook. Do not edit.\n"
    )
    return header + yaml.dump(kustomization, Dumper=_BlockStrings, sort_keys=False, width=1000)


class _BlockStrings(yaml.SafeDumper):
    """Multi-line strings as `|` blocks, so a generated patch reads as YAML."""


_BlockStrings.add_representer(
    str,
    lambda dumper, text: dumper.represent_scalar(
        "tag:yaml.org,2002:str", text, style="|" if "\n" in text else None
    ),
)


def notebook_controller_overlay(idle_minutes: int, version: str, environment: str) -> str:
    """The notebook controller at `version` with culling on, merged into its ConfigMap. One
    level above upstream's overlay the ConfigMap already carries the base's `namePrefix`:
    `notebook-controller-config` (merging `config`, as upstream's overlay itself does, fails the
    build: "ConfigMap config in namespace kubeflow does not exist")."""
    kustomization = {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": [upstream(NOTEBOOK_CONTROLLER, version)],
        "configMapGenerator": [
            {
                "name": NOTEBOOK_CONFIG,
                "namespace": "kubeflow",
                "behavior": "merge",
                "literals": [
                    "ENABLE_CULLING=true",
                    f"CULL_IDLE_TIME={idle_minutes}",
                    f"IDLENESS_CHECK_PERIOD={IDLENESS_CHECK_MINUTES}",
                ],
            }
        ],
    }
    header = (
        f"# Generated by `make generate` from environments/Pulumi.{environment}.yaml "
        "(kubeflow.notebook_idle_minutes). Do not edit.\n"
    )
    return header + yaml.safe_dump(kustomization, sort_keys=False)


def oauth2_proxy_config(oidc: Oidc) -> str:
    """oauth2-proxy as Istio's ext-authz check (a static 200 upstream), against the
    environment's issuer; secrets are files, never in this config."""
    domains = ", ".join(f'"{d}"' for d in oidc.email_domains)
    return "\n".join(
        [
            'provider = "oidc"',
            f'oidc_issuer_url = "{oidc.issuer_url}"',
            f'client_id = "{oidc.client_id}"',
            'client_secret_file = "/etc/oauth2-proxy/secrets/client-secret"',
            'cookie_secret_file = "/etc/oauth2-proxy/secrets/cookie-secret"',
            'scope = "openid email profile groups"',
            f"email_domains = [ {domains} ]",
            'upstreams = [ "static://200" ]',
            # Background API calls get a 401, not a login redirect (upstream's list).
            'api_routes = [ "/api/", "/apis/", "^/ml_metadata" ]',
            "set_authorization_header = true",
            "set_xauthrequest = true",
            'cookie_name = "oauth2_proxy_kubeflow"',
            "cookie_secure = true",
            'cookie_samesite = "lax"',
            'cookie_expire = "12h"',
            'code_challenge_method = "S256"',
            'redirect_url = "/oauth2/callback"',
            "relative_redirect_url = true",
            "skip_provider_button = true",
            "",
        ]
    )


class Kubeflow(pulumi.ComponentResource):
    """Upstream Kubeflow in stages, the login proxy, and the gateway's authentication."""

    def __init__(self, name: str, args: KubeflowArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("mlplat:kubeflow:Kubeflow", name, None, opts)
        problems = validate_kubeflow_args(args)
        if problems:
            raise ValueError(f"Kubeflow {name}: " + "; ".join(problems))
        on_cluster = pulumi.ResourceOptions(parent=self, provider=args.kubernetes_provider)
        # Upstream's services onto the system nodes (components/placement.py).
        upstream_opts = pulumi.ResourceOptions.merge(
            on_cluster, pulumi.ResourceOptions(transforms=[on_platform_nodes])
        )
        previous: list[pulumi.Resource] = []
        self.stages: dict[str, list[pulumi.Resource]] = {}
        for stage, components in STAGES:
            after = pulumi.ResourceOptions.merge(
                upstream_opts, pulumi.ResourceOptions(depends_on=previous)
            )
            installed: list[pulumi.Resource] = [
                k8s.kustomize.v2.Directory(
                    f"{name}-{component}",
                    directory=args.overlays.get(component) or upstream(path, args.version),
                    opts=after,
                )
                for component, path in components
            ]
            self.stages[stage] = installed
            previous = installed
        self.installed: list[pulumi.Resource] = [r for rs in self.stages.values() for r in rs]

        self.login_namespace = login_namespace = self._login_proxy(name, args, on_cluster)
        # Istio's CRDs and its validating webhook (istiod) serve once its stage is done.
        after_istio = pulumi.ResourceOptions.merge(
            on_cluster,
            pulumi.ResourceOptions(depends_on=[*self.stages["istio"], login_namespace]),
        )
        self._gateway_authentication(name, args.oidc, after_istio)
        self.register_outputs(
            {
                "version": args.version,
                "issuer": args.oidc.issuer_url,
                "components": [
                    component for _, components in STAGES for component, _ in components
                ],
                "login_namespace": login_namespace.metadata.name,
            }
        )

    def _login_proxy(
        self, name: str, args: KubeflowArgs, on_cluster: pulumi.ResourceOptions
    ) -> k8s.core.v1.Namespace:
        namespace = k8s.core.v1.Namespace(
            f"{name}-oauth2-proxy",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=OAUTH2_PROXY, labels=pod_security("restricted")
            ),
            opts=on_cluster,
        )
        inside = pulumi.ResourceOptions.merge(
            on_cluster, pulumi.ResourceOptions(depends_on=[namespace])
        )
        net = k8s.networking.v1
        default_deny(f"{name}-oauth2-proxy-default-deny", OAUTH2_PROXY, inside)
        k8s.networking.v1.NetworkPolicy(
            f"{name}-oauth2-proxy-allow",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=OAUTH2_PROXY, namespace=OAUTH2_PROXY),
            spec=net.NetworkPolicySpecArgs(
                pod_selector=k8s.meta.v1.LabelSelectorArgs(),
                policy_types=["Ingress", "Egress"],
                # Only the gateway asks it; it asks only DNS and the issuer (HTTPS).
                ingress=[
                    net.NetworkPolicyIngressRuleArgs(
                        from_=[namespace_peer(ISTIO_NAMESPACE)], ports=ports(OAUTH2_PROXY_PORT)
                    )
                ],
                egress=[dns_egress(), to_cidr("0.0.0.0/0", 443)],
            ),
            opts=inside,
        )
        k8s.core.v1.ServiceAccount(
            f"{name}-oauth2-proxy-service-account",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=OAUTH2_PROXY, namespace=OAUTH2_PROXY),
            automount_service_account_token=False,
            opts=inside,
        )
        k8s.core.v1.ConfigMap(
            f"{name}-oauth2-proxy-config",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=OAUTH2_PROXY, namespace=OAUTH2_PROXY),
            data={"oauth2_proxy.cfg": oauth2_proxy_config(args.oidc)},
            opts=inside,
        )
        labels = {"app.kubernetes.io/name": OAUTH2_PROXY}
        probe = k8s.core.v1.HTTPGetActionArgs(path="/ping", port=OAUTH2_PROXY_PORT)
        mount = k8s.core.v1.VolumeMountArgs
        k8s.apps.v1.Deployment(
            f"{name}-oauth2-proxy",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=OAUTH2_PROXY,
                namespace=OAUTH2_PROXY,
                # Its credentials come from outside Pulumi (see CREDENTIALS_SECRET): `pulumi up`
                # does not wait on pods that start only once an operator has created them.
                annotations={"pulumi.com/skipAwait": "true"},
            ),
            spec=k8s.apps.v1.DeploymentSpecArgs(
                replicas=args.oauth2_proxy_replicas,
                selector=k8s.meta.v1.LabelSelectorArgs(match_labels=labels),
                template=k8s.core.v1.PodTemplateSpecArgs(
                    metadata=k8s.meta.v1.ObjectMetaArgs(labels=labels),
                    spec=k8s.core.v1.PodSpecArgs(
                        service_account_name=OAUTH2_PROXY,
                        automount_service_account_token=False,
                        security_context=restricted_pod(),
                        tolerations=platform_tolerations(),
                        affinity=platform_affinity(),
                        containers=[
                            k8s.core.v1.ContainerArgs(
                                name=OAUTH2_PROXY,
                                image=args.oauth2_proxy_image,
                                image_pull_policy="Always",
                                args=[
                                    f"--http-address=0.0.0.0:{OAUTH2_PROXY_PORT}",
                                    "--config=/etc/oauth2-proxy/oauth2_proxy.cfg",
                                ],
                                ports=[
                                    k8s.core.v1.ContainerPortArgs(
                                        name="http", container_port=OAUTH2_PROXY_PORT
                                    )
                                ],
                                resources=k8s.core.v1.ResourceRequirementsArgs(
                                    requests={"cpu": "50m", "memory": "64Mi"},
                                    limits={"cpu": "500m", "memory": "256Mi"},
                                ),
                                # The image's distroless `nonroot` user.
                                security_context=restricted_container(65532),
                                readiness_probe=k8s.core.v1.ProbeArgs(http_get=probe),
                                liveness_probe=k8s.core.v1.ProbeArgs(
                                    http_get=probe, period_seconds=20
                                ),
                                volume_mounts=[
                                    mount(
                                        name="config",
                                        mount_path="/etc/oauth2-proxy/oauth2_proxy.cfg",
                                        sub_path="oauth2_proxy.cfg",
                                        read_only=True,
                                    ),
                                    mount(
                                        name="credentials",
                                        mount_path="/etc/oauth2-proxy/secrets",
                                        read_only=True,
                                    ),
                                ],
                            )
                        ],
                        volumes=[
                            k8s.core.v1.VolumeArgs(
                                name="config",
                                config_map=k8s.core.v1.ConfigMapVolumeSourceArgs(name=OAUTH2_PROXY),
                            ),
                            k8s.core.v1.VolumeArgs(
                                name="credentials",
                                secret=k8s.core.v1.SecretVolumeSourceArgs(
                                    secret_name=CREDENTIALS_SECRET, default_mode=0o400
                                ),
                            ),
                        ],
                    ),
                ),
            ),
            opts=inside,
        )
        k8s.core.v1.Service(
            f"{name}-oauth2-proxy-service",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=OAUTH2_PROXY, namespace=OAUTH2_PROXY),
            spec=k8s.core.v1.ServiceSpecArgs(
                type="ClusterIP",
                selector=labels,
                ports=[k8s.core.v1.ServicePortArgs(name="http", port=80, target_port="http")],
            ),
            opts=inside,
        )
        return namespace

    def _gateway_authentication(self, name: str, oidc: Oidc, opts: pulumi.ResourceOptions) -> None:
        """The gateway trusts the issuer's JWTs, sends requests without one to oauth2-proxy,
        and refuses anything still unauthenticated (login paths aside)."""
        custom = k8s.apiextensions.CustomResource
        meta = k8s.meta.v1.ObjectMetaArgs
        custom(
            f"{name}-issuer-jwt",
            api_version="security.istio.io/v1",
            kind="RequestAuthentication",
            metadata=meta(name="oidc-issuer-jwt", namespace=ISTIO_NAMESPACE),
            spec={
                "selector": {"matchLabels": GATEWAY_SELECTOR},
                "jwtRules": [
                    {
                        "issuer": oidc.issuer_url,
                        # Kubeflow's components pass the token on to each other.
                        "forwardOriginalToken": True,
                        "outputClaimToHeaders": [
                            {"header": USER_HEADER, "claim": "email"},
                            {"header": GROUPS_HEADER, "claim": "groups"},
                        ],
                    }
                ],
            },
            opts=opts,
        )
        custom(
            f"{name}-login",
            api_version="security.istio.io/v1",
            kind="AuthorizationPolicy",
            metadata=meta(name="istio-ingressgateway-oauth2-proxy", namespace=ISTIO_NAMESPACE),
            spec={
                "action": "CUSTOM",
                "provider": {"name": OAUTH2_PROXY},
                "selector": {"matchLabels": GATEWAY_SELECTOR},
                "rules": [
                    {
                        "when": [{"key": "request.headers[authorization]", "notValues": ["*"]}],
                        "to": [{"operation": {"notPaths": LOGIN_PATHS}}],
                    }
                ],
            },
            opts=opts,
        )
        custom(
            f"{name}-require-jwt",
            api_version="security.istio.io/v1",
            kind="AuthorizationPolicy",
            metadata=meta(name="istio-ingressgateway-require-jwt", namespace=ISTIO_NAMESPACE),
            spec={
                "action": "DENY",
                "selector": {"matchLabels": GATEWAY_SELECTOR},
                "rules": [
                    {
                        "from": [{"source": {"notRequestPrincipals": ["*"]}}],
                        "to": [{"operation": {"notPaths": LOGIN_PATHS}}],
                    }
                ],
            },
            opts=opts,
        )
        custom(
            f"{name}-login-route",
            api_version="networking.istio.io/v1",
            kind="VirtualService",
            metadata=meta(name=OAUTH2_PROXY, namespace=OAUTH2_PROXY),
            spec={
                "gateways": ["kubeflow/kubeflow-gateway"],
                "hosts": ["*"],
                "http": [
                    {
                        "match": [{"uri": {"prefix": "/oauth2/"}}],
                        "route": [
                            {
                                "destination": {
                                    "host": f"{OAUTH2_PROXY}.{OAUTH2_PROXY}.svc.cluster.local",
                                    "port": {"number": 80},
                                }
                            }
                        ],
                    }
                ],
            },
            opts=opts,
        )
