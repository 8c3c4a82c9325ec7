"""The apply order derived from objects: small, hand-made states."""

from __future__ import annotations

from mlplat.apply_order import DEPENDS_ON, order_problems, plural, selects

DIRECTORY = "kubernetes:kustomize/v2:Directory"


def urn(name: str, kind: str = DIRECTORY) -> str:
    return f"urn:pulumi:dev::mlplat::{kind}::{name}"


def resource(name: str, *after: str, kind: str = DIRECTORY, inputs: dict | None = None) -> dict:
    return {"urn": urn(name, kind), "type": kind, "dependencies": [urn(a) for a in after], "inputs": inputs or {}}  # fmt: skip


def obj(kind: str, name: str, namespace: str = "", api: str = "v1", **extra) -> dict:
    metadata = {"name": name, **({"namespace": namespace} if namespace else {}), **extra.pop("metadata", {})}  # fmt: skip
    return {"apiVersion": api, "kind": kind, "metadata": metadata, **extra}


CRD = obj(
    "CustomResourceDefinition", "widgets.example.io", api="apiextensions.k8s.io/v1",
    spec={"group": "example.io", "scope": "Cluster", "names": {"kind": "Widget", "plural": "widgets"}, "versions": [{"name": "v1", "served": True}]},
)  # fmt: skip
SERVICE = obj("Service", "hook", "system", spec={"selector": {"app": "hook"}})
DEPLOYMENT = obj("Deployment", "hook", "system", api="apps/v1", spec={"template": {"metadata": {"labels": {"app": "hook"}}}})  # fmt: skip
WEBHOOK = obj(
    "ValidatingWebhookConfiguration", "hook", api="admissionregistration.k8s.io/v1",
    webhooks=[{"name": "hook.example.io", "clientConfig": {"service": {"namespace": "system", "name": "hook"}},
               "rules": [{"apiGroups": ["example.io"], "apiVersions": ["*"], "operations": ["CREATE"], "resources": ["widgets"]}]}],
)  # fmt: skip


def test_selectors_and_plurals():
    assert selects(None, {}) and selects({}, {"a": "b"})
    assert selects({"matchLabels": {"a": "b"}}, {"a": "b"}) and not selects({"matchLabels": {"a": "b"}}, {})  # fmt: skip
    assert not selects({"matchExpressions": [{"key": "x", "operator": "NotIn", "values": ["1"]}]}, {"x": "1"})  # fmt: skip
    assert selects({"matchExpressions": [{"key": "x", "operator": "DoesNotExist"}]}, {})
    assert [plural(k) for k in ("Pod", "NetworkPolicy", "Ingress", "Gateway")] == ["pods", "networkpolicies", "ingresses", "gateways"]  # fmt: skip


def test_namespace_crd_and_version_requirements():
    resources = [resource("base"), resource("app")]
    rendered = {
        urn("base"): [obj("Namespace", "team"), CRD],
        urn("app"): [
            obj("ConfigMap", "c", "team"),
            obj("Widget", "w", api="example.io/v2"),
            obj("Gadget", "g", api="example.io/v1"),
        ],
    }
    assert order_problems(resources, rendered) == [
        "app: ConfigMap team/c needs namespace team, which base creates, but does not wait for it",
        "app: Gadget g: no CRD for example.io/Gadget in what the program applies",
        "app: Widget w: the CRD widgets.example.io (base) does not serve example.io/v2 (serves v1)",
    ]
    rendered[urn("app")] = [
        obj("ConfigMap", "c", "team"),
        obj("Widget", "w", "team", api="example.io/v1"),
    ]
    assert order_problems([resource("base"), resource("app", "base")], rendered) == []
    # The same objects in one Directory: the provider orders CRD and Namespace first itself.
    assert order_problems([resource("all")], {urn("all"): [*rendered[urn("base")], *rendered[urn("app")]]}) == []  # fmt: skip


def test_a_webhook_in_the_same_directory_needs_an_explicit_wait():
    widget = obj("Widget", "w", api="example.io/v1")
    everything = [CRD, SERVICE, DEPLOYMENT, WEBHOOK, obj("Namespace", "system")]
    problems = order_problems([resource("all")], {urn("all"): [*everything, widget]})
    assert problems == [
        "all: Widget w is admitted by webhook hook.example.io (all, failurePolicy Fail) but does not wait for Deployment system/hook to serve it",
        "all: Widget w is admitted by webhook hook.example.io (all, failurePolicy Fail) but does not wait for Service system/hook to serve it",
    ]
    waits = obj("Widget", "w", api="example.io/v1", metadata={"annotations": {DEPENDS_ON: "apps/namespaces/system/Deployment/hook,/namespaces/system/Service/hook"}})  # fmt: skip
    assert order_problems([resource("all")], {urn("all"): [*everything, waits]}) == []
    # A later Directory waiting for this one is served; one that does not wait is not.
    assert order_problems([resource("all"), resource("later", "all")], {urn("all"): everything, urn("later"): [widget]}) == []  # fmt: skip
    assert (
        len(
            order_problems(
                [resource("all"), resource("later")],
                {urn("all"): everything, urn("later"): [widget]},
            )
        )
        == 3
    )  # fmt: skip (webhook twice, CRD)
    # A webhook that ignores failures, or does not match, blocks nothing.
    ignoring = {**WEBHOOK, "webhooks": [{**WEBHOOK["webhooks"][0], "failurePolicy": "Ignore"}]}
    assert order_problems([resource("all")], {urn("all"): [CRD, SERVICE, DEPLOYMENT, ignoring, obj("Namespace", "system"), widget]}) == []  # fmt: skip
    subresource_only = {**WEBHOOK, "webhooks": [{**WEBHOOK["webhooks"][0], "rules": [{**WEBHOOK["webhooks"][0]["rules"][0], "resources": ["widgets/status"]}]}]}  # fmt: skip
    assert order_problems([resource("all")], {urn("all"): [CRD, SERVICE, DEPLOYMENT, subresource_only, obj("Namespace", "system"), widget]}) == []  # fmt: skip


def test_children_wait_for_what_their_parent_waits_for():
    component = {"urn": urn("c", "mlplat:x:X"), "type": "mlplat:x:X", "dependencies": [urn("base")]}
    child = {**resource("child"), "parent": component["urn"]}
    rendered = {
        urn("base"): [obj("Namespace", "team")],
        urn("child"): [obj("ConfigMap", "c", "team")],
    }
    assert order_problems([resource("base"), component, child], rendered) == []
    assert (
        order_problems([resource("base"), {**component, "dependencies": []}, child], rendered) != []
    )


def pod(kind: str, name: str, spec: dict, annotations: dict | None = None) -> dict:
    template = {"template": {"spec": spec}}
    body = {"jobTemplate": {"spec": template}} if kind == "CronJob" else template
    api = "batch/v1" if kind in ("Job", "CronJob") else "apps/v1"
    return obj(kind, name, "team", api=api, spec=body, metadata={"annotations": annotations or {}})


def test_a_workload_waiting_for_a_secret_nothing_creates_is_caught():
    # kube-prometheus-stack's operator mounts a Secret only a Helm hook creates; the provider
    # runs no hooks, so the pod never starts and `pulumi up` waits until it times out.
    needs = {
        "volume": {"volumes": [{"name": "tls", "secret": {"secretName": "tls"}}]},
        "projected": {"volumes": [{"name": "p", "projected": {"sources": [{"secret": {"name": "projected"}}]}}]},
        "env": {"containers": [{"name": "c", "env": [{"name": "X", "valueFrom": {"secretKeyRef": {"name": "env", "key": "k"}}}]}]},
        "envFrom": {"initContainers": [{"name": "i", "envFrom": [{"secretRef": {"name": "env-from"}}]}]},
    }  # fmt: skip
    rendered = {urn("app"): [obj("Namespace", "team"), pod("Deployment", "volume", needs["volume"]), pod("CronJob", "projected", needs["projected"]), pod("StatefulSet", "env", needs["env"]), pod("Job", "env-from", needs["envFrom"])]}  # fmt: skip
    assert order_problems([resource("app")], rendered) == [
        f"app: {kind} team/{name} needs Secret team/{secret}, which nothing the program applies creates, and the provider waits for it to be ready"
        for kind, name, secret in [("CronJob", "projected", "projected"), ("Deployment", "volume", "tls"), ("Job", "env-from", "env-from"), ("StatefulSet", "env", "env")]
    ]  # fmt: skip


def test_a_secret_that_is_created_optional_or_not_awaited_passes():
    certificate = obj("Certificate", "tls", "team", api="cert-manager.io/v1", spec={"secretName": "tls"})  # fmt: skip
    cert_crd = obj("CustomResourceDefinition", "certificates.cert-manager.io", api="apiextensions.k8s.io/v1", spec={"group": "cert-manager.io", "scope": "Namespaced", "names": {"kind": "Certificate", "plural": "certificates"}, "versions": [{"name": "v1", "served": True}]})  # fmt: skip

    def mounts(name: str, **extra) -> dict:
        return {"volumes": [{"name": "v", "secret": {"secretName": name, **extra}}]}

    rendered = {
        urn("app"): [
            obj("Namespace", "team"), cert_crd, certificate, obj("Secret", "made", "team"),
            pod("Deployment", "by-cert-manager", mounts("tls")),
            pod("Deployment", "by-the-program", mounts("made")),
            pod("Deployment", "optional", mounts("absent", optional=True)),
            pod("Deployment", "outside", mounts("absent"), {"pulumi.com/skipAwait": "true"}),
            # A Secret of another namespace does not count.
            obj("Namespace", "other"), obj("Secret", "elsewhere", "other"),
            pod("Deployment", "elsewhere", mounts("elsewhere")),
        ]
    }  # fmt: skip
    assert order_problems([resource("app")], rendered) == [
        "app: Deployment team/elsewhere needs Secret team/elsewhere, which nothing the program applies creates, and the provider waits for it to be ready"
    ]  # fmt: skip
