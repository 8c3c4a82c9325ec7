"""What must exist before what on the cluster, derived from the objects a state applies, and
checked against the order the program gives the provider.

An object is applied by one Pulumi resource: a Directory or Chart that renders it, or one of the
program's own Kubernetes resources. Before an object is created,
- its Namespace must exist,
- the CRD of its kind must exist and serve its version,
- every webhook with `failurePolicy: Fail` that admits it must be served: the webhook's Service
  and the Deployment behind it ready;
- and, for a workload the provider waits for, every Secret its pods need must be created by
  something the program applies.
The provider orders what one resource applies by cli-utils' graph (a CRD before its kind, a
Namespace before what lives in it, and `config.kubernetes.io/depends-on`) and waits for a
Deployment to be ready and a Service to have endpoints before what depends on them; it orders
resources by `dependsOn`. A requirement holds when the object needing it is applied by a resource
that waits for the one providing it, or by the same resource along that graph. Webhooks are not
in the graph: a webhook in the same Directory as what it admits needs an explicit depends-on.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

DEPENDS_ON = "config.kubernetes.io/depends-on"
PULUMI_PACKAGES = ("kubernetes:kustomize/", "kubernetes:helm.sh/", "kubernetes:yaml/")
# API groups the API server serves itself (no CRD).
BUILT_IN_GROUPS = frozenset(
    {
        "",
        "admissionregistration.k8s.io",
        "apiextensions.k8s.io",
        "apiregistration.k8s.io",
        "apps",
        "authentication.k8s.io",
        "authorization.k8s.io",
        "autoscaling",
        "batch",
        "certificates.k8s.io",
        "coordination.k8s.io",
        "discovery.k8s.io",
        "events.k8s.io",
        "flowcontrol.apiserver.k8s.io",
        "networking.k8s.io",
        "node.k8s.io",
        "policy",
        "rbac.authorization.k8s.io",
        "resource.k8s.io",
        "scheduling.k8s.io",
        "storage.k8s.io",
    }
)
SKIP_AWAIT = "pulumi.com/skipAwait"
WORKLOADS = frozenset({"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob"})
# Namespaces every cluster has before anything is applied.
PRESENT_NAMESPACES = frozenset({"default", "kube-system", "kube-public", "kube-node-lease"})


@dataclass(frozen=True)
class Applied:
    """One object and the Pulumi resource that applies it."""

    applier: str  # URN
    obj: Mapping[str, Any]
    grouped: bool  # inside a Directory or Chart: ordered by cli-utils' graph within it

    @property
    def group_version(self) -> tuple[str, str]:
        api = str(self.obj.get("apiVersion") or "")
        group, _, version = api.rpartition("/")
        return group, version

    @property
    def kind(self) -> str:
        return str(self.obj.get("kind") or "")

    @property
    def name(self) -> str:
        return str((self.obj.get("metadata") or {}).get("name") or "")

    @property
    def namespace(self) -> str:
        return str((self.obj.get("metadata") or {}).get("namespace") or "")

    @property
    def labels(self) -> Mapping[str, str]:
        return (self.obj.get("metadata") or {}).get("labels") or {}

    @property
    def ref(self) -> str:
        """cli-utils' object reference, as `config.kubernetes.io/depends-on` spells it."""
        group = self.group_version[0]
        if self.namespace:
            return f"{group}/namespaces/{self.namespace}/{self.kind}/{self.name}"
        return f"{group}/{self.kind}/{self.name}"

    def describe(self) -> str:
        where = f"{self.namespace}/" if self.namespace else ""
        return f"{_short(self.applier)}: {self.kind} {where}{self.name}"


def applied_objects(
    resources: Sequence[Mapping[str, Any]], rendered: Mapping[str, Sequence[Mapping[str, Any]]]
) -> list[Applied]:
    """Every object the state applies: what each Directory or Chart renders, and the program's
    own Kubernetes resources (their inputs are the object)."""
    objects = [Applied(urn, o, True) for urn, items in rendered.items() for o in items]
    for resource in resources:
        kind = str(resource.get("type") or "")
        if not kind.startswith("kubernetes:") or kind.startswith(PULUMI_PACKAGES):
            continue
        if kind.startswith("pulumi:providers:"):
            continue
        inputs = resource.get("inputs") or {}
        if inputs.get("kind"):
            objects.append(Applied(str(resource["urn"]), inputs, False))
    return objects


def ancestors(resources: Sequence[Mapping[str, Any]]) -> dict[str, set[str]]:
    """URN -> every resource it waits for: its `dependsOn` and inputs' resources, and its parent
    (the SDK registers a child only once its parent's URN has resolved, which waits for the
    parent's own `dependsOn`), each transitively."""
    depends = {
        str(r["urn"]): {*(r.get("dependencies") or ()), *([r["parent"]] if r.get("parent") else [])}
        for r in resources
    }
    closed: dict[str, set[str]] = {}
    for urn in depends:
        seen: set[str] = set()
        stack = list(depends[urn])
        while stack:
            current = stack.pop()
            if current not in seen:
                seen.add(current)
                stack.extend(closed.get(current, depends.get(current, ())))
        closed[urn] = seen
    return closed


def in_group_graph(objects: Iterable[Applied]) -> dict[tuple[str, str], set[str]]:
    """(applier, ref) -> refs it waits for inside its Directory or Chart (cli-utils' edges)."""
    by_applier: dict[str, list[Applied]] = {}
    for item in objects:
        if item.grouped:
            by_applier.setdefault(item.applier, []).append(item)
    graph: dict[tuple[str, str], set[str]] = {}
    for applier, items in by_applier.items():
        crds = {
            (str(_spec(o).get("group")), str((_spec(o).get("names") or {}).get("kind"))): o.ref
            for o in items
            if o.kind == "CustomResourceDefinition"
        }
        namespaces = {
            o.name: o.ref for o in items if o.kind == "Namespace" and not o.group_version[0]
        }
        for o in items:
            edges = {
                ref.strip()
                for ref in str(
                    ((o.obj.get("metadata") or {}).get("annotations") or {}).get(DEPENDS_ON) or ""
                ).split(",")
                if ref.strip()
            }
            if (crd := crds.get((o.group_version[0], o.kind))) is not None:
                edges.add(crd)
            if o.namespace and o.namespace in namespaces:
                edges.add(namespaces[o.namespace])
            graph[(applier, o.ref)] = edges
    return graph


def _reaches(
    graph: Mapping[tuple[str, str], set[str]], applier: str, start: str, goal: str
) -> bool:
    seen: set[str] = set()
    stack = [start]
    while stack:
        current = stack.pop()
        if current == goal:
            return True
        if current not in seen:
            seen.add(current)
            stack.extend(graph.get((applier, current), ()))
    return False


@dataclass(frozen=True)
class Webhook:
    configuration: Applied
    hook: Mapping[str, Any]

    @property
    def service(self) -> tuple[str, str] | None:
        return webhook_service(self.hook)

    def admits(self, item: Applied, plural: str, namespace_labels: Mapping[str, str]) -> bool:
        """Whether the API server sends `item`'s creation to this webhook (rules, scope,
        namespace and object selectors; matchConditions are taken to match)."""
        group, version = item.group_version
        for rule in self.hook.get("rules") or ():
            if not ({"CREATE", "*"} & set(rule.get("operations") or ())):
                continue
            if not _matches(rule.get("apiGroups"), group):
                continue
            if not _matches(rule.get("apiVersions"), version):
                continue
            # `*` is every resource, `*/*` every resource and subresource; `x/*` only x's
            # subresources.
            if not ({plural, "*", "*/*"} & set(rule.get("resources") or ())):
                continue
            scope = rule.get("scope") or "*"
            if scope == "Namespaced" and not item.namespace:
                continue
            if scope == "Cluster" and item.namespace:
                continue
            break
        else:
            return False
        in_namespace = item.namespace or item.kind == "Namespace"
        if in_namespace and not selects(self.hook.get("namespaceSelector"), namespace_labels):
            return False
        return selects(self.hook.get("objectSelector"), item.labels)


def _matches(values: Iterable[str] | None, value: str) -> bool:
    values = set(values or ())
    return "*" in values or value in values


def selects(selector: Mapping[str, Any] | None, labels: Mapping[str, str]) -> bool:
    """A Kubernetes label selector (an empty or missing one selects everything)."""
    if not selector:
        return True
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions") or ():
        key, operator = expression.get("key"), expression.get("operator")
        values = set(expression.get("values") or ())
        present = key in labels
        if operator == "In" and not (present and labels[key] in values):
            return False
        if operator == "NotIn" and present and labels[key] in values:
            return False
        if operator == "Exists" and not present:
            return False
        if operator == "DoesNotExist" and present:
            return False
    return True


def plural(kind: str) -> str:
    """The resource name of a built-in kind (CRDs say theirs)."""
    lower = kind.lower()
    if lower.endswith("y") and not lower.endswith(("ay", "ey", "oy")):
        return lower[:-1] + "ies"
    if lower.endswith(("s", "x", "ch")):
        return lower + "es"
    return lower + "s"


def _cluster_scoped_cleared(
    objects: list[Applied], chart_crds: Mapping[str, Sequence[Mapping[str, Any]]] | None
) -> list[Applied]:
    """kustomize's `namespace:` also stamps custom resources of cluster-scoped kinds (it knows
    only built-in scopes); the API server ignores it, and so does this check."""
    crds = [o.obj for o in objects if o.kind == "CustomResourceDefinition"]
    crds += [c for cs in (chart_crds or {}).values() for c in cs]
    cluster = {
        (
            str((c.get("spec") or {}).get("group")),
            str(((c.get("spec") or {}).get("names") or {}).get("kind")),
        )
        for c in crds
        if (c.get("spec") or {}).get("scope") == "Cluster"
    }
    cleared = []
    for o in objects:
        if o.namespace and (o.group_version[0], o.kind) in cluster:
            metadata = {k: v for k, v in (o.obj.get("metadata") or {}).items() if k != "namespace"}
            o = Applied(o.applier, {**o.obj, "metadata": metadata}, o.grouped)
        cleared.append(o)
    return cleared


def _pod_spec(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    """The pod spec of a Pod, of a workload's template, or of a CronJob's job template."""
    spec = obj.get("spec") or {}
    if obj.get("kind") == "Pod":
        return spec
    if obj.get("kind") == "CronJob":
        spec = (spec.get("jobTemplate") or {}).get("spec") or {}
    return ((spec.get("template") or {}).get("spec") or {}) if obj.get("kind") in WORKLOADS else {}


def _required_secrets(obj: Mapping[str, Any]) -> set[str]:
    """Secrets a pod cannot start without: volumes (projected too), env and envFrom, unless
    marked optional."""
    spec = _pod_spec(obj)
    refs: list[Mapping[str, Any]] = []
    for volume in spec.get("volumes") or ():
        if secret := volume.get("secret"):
            refs.append({"name": secret.get("secretName"), "optional": secret.get("optional")})
        refs += [
            s["secret"]
            for s in (volume.get("projected") or {}).get("sources") or ()
            if s.get("secret")
        ]
    for container in [*(spec.get("initContainers") or ()), *(spec.get("containers") or ())]:
        refs += [
            e["valueFrom"]["secretKeyRef"]
            for e in container.get("env") or ()
            if (e.get("valueFrom") or {}).get("secretKeyRef")
        ]
        refs += [e["secretRef"] for e in container.get("envFrom") or () if e.get("secretRef")]
    return {str(r.get("name")) for r in refs if r.get("name") and not r.get("optional")}


def _spec(item: Applied) -> Mapping[str, Any]:
    return item.obj.get("spec") or {}


def _short(urn: str) -> str:
    return urn.rsplit("::", 1)[-1]


def order_problems(
    resources: Sequence[Mapping[str, Any]],
    rendered: Mapping[str, Sequence[Mapping[str, Any]]],
    chart_crds: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
) -> list[str]:
    """Every requirement the program's order does not meet, one sentence each. `chart_crds`:
    Chart URN -> the CRDs it installs (its templates are not rendered offline)."""
    return _Order(resources, rendered, chart_crds or {}).problems()


class _Order:
    def __init__(
        self,
        resources: Sequence[Mapping[str, Any]],
        rendered: Mapping[str, Sequence[Mapping[str, Any]]],
        chart_crds: Mapping[str, Sequence[Mapping[str, Any]]],
    ):
        self.objects = _cluster_scoped_cleared(applied_objects(resources, rendered), chart_crds)
        charts = [Applied(u, c, True) for u, cs in chart_crds.items() for c in cs]
        self.providers = [*self.objects, *charts]
        self.waits = ancestors(resources)
        self.graph = in_group_graph(self.objects)
        self.namespaces = {
            o.name: o for o in self.providers if o.kind == "Namespace" and not o.group_version[0]
        }
        self.crds: dict[tuple[str, str], Applied] = {}
        self.plurals: dict[tuple[str, str], str] = {}
        for o in self.providers:
            if o.kind == "CustomResourceDefinition":
                names = _spec(o).get("names") or {}
                key = (str(_spec(o).get("group")), str(names.get("kind")))
                self.crds[key] = o
                self.plurals[key] = str(names.get("plural"))

    def before(self, need: Applied, have: Applied) -> bool:
        """Whether `need` is applied only once `have` exists (and is ready)."""
        if have.applier == need.applier:
            return not need.grouped or _reaches(self.graph, need.applier, need.ref, have.ref)
        return have.applier in self.waits.get(need.applier, set())

    def problems(self) -> list[str]:
        problems = self._unknown_references()
        for o in self.objects:
            problems += self._namespace(o) + self._crd(o)
        problems += self._webhooks() + self._secrets()
        return sorted(set(problems))

    def _secrets(self) -> list[str]:
        """A workload the provider waits for (no `pulumi.com/skipAwait`) that needs a Secret
        nothing the program applies creates never gets ready: its pods wait for the Secret
        (a Helm hook's, say, which the provider never runs) and `pulumi up` times out."""
        made = {(o.namespace, o.name) for o in self.objects if o.kind == "Secret"}
        made |= {  # cert-manager writes a Certificate's key pair into its Secret
            (o.namespace, str(_spec(o).get("secretName")))
            for o in self.objects
            if o.kind == "Certificate" and o.group_version[0] == "cert-manager.io"
        }
        return [
            f"{o.describe()} needs Secret {o.namespace}/{secret}, which nothing the program "
            "applies creates, and the provider waits for it to be ready"
            for o in self.objects
            if (o.obj.get("metadata") or {}).get("annotations", {}).get(SKIP_AWAIT) != "true"
            for secret in sorted(_required_secrets(o.obj))
            if (o.namespace, secret) not in made
        ]

    def _unknown_references(self) -> list[str]:
        applied: dict[str, set[str]] = {}
        for o in self.objects:
            applied.setdefault(o.applier, set()).add(o.ref)
        return [
            f"{_short(applier)}: {ref} has {DEPENDS_ON} {edge}, which {_short(applier)} "
            "does not apply (the provider refuses it)"
            for (applier, ref), edges in self.graph.items()
            for edge in sorted(edges - applied[applier])
        ]

    def _namespace(self, o: Applied) -> list[str]:
        if not o.namespace or o.kind == "Namespace":
            return []
        creator = self.namespaces.get(o.namespace)
        if creator is None:
            if o.namespace in PRESENT_NAMESPACES:
                return []
            return [
                f"{o.describe()} lives in namespace {o.namespace}, which nothing the program "
                "applies creates"
            ]
        if self.before(o, creator):
            return []
        return [
            f"{o.describe()} needs namespace {o.namespace}, which {_short(creator.applier)} "
            "creates, but does not wait for it"
        ]

    def _crd(self, o: Applied) -> list[str]:
        group, version = o.group_version
        if group in BUILT_IN_GROUPS:
            return []
        crd = self.crds.get((group, o.kind))
        if crd is None:
            return [f"{o.describe()}: no CRD for {group}/{o.kind} in what the program applies"]
        served = sorted(
            str(v.get("name")) for v in _spec(crd).get("versions") or () if v.get("served")
        )
        if version not in served:
            return [
                f"{o.describe()}: the CRD {crd.name} ({_short(crd.applier)}) does not serve "
                f"{group}/{version} (serves {', '.join(served)})"
            ]
        if self.before(o, crd):
            return []
        return [
            f"{o.describe()} needs the CRD {crd.name}, which {_short(crd.applier)} installs, "
            "but does not wait for it"
        ]

    def _webhooks(self) -> list[str]:
        services = {
            (o.namespace, o.name): o
            for o in self.providers
            if o.kind == "Service" and not o.group_version[0]
        }
        problems = []
        for webhook in self._failing_webhooks():
            name, config = webhook.hook.get("name"), webhook.configuration
            service = services.get(webhook.service or ("", ""))
            if service is None:
                problems.append(
                    f"{config.describe()}: webhook {name} calls service "
                    f"{'/'.join(webhook.service or ())}, which nothing the program applies creates"
                )
                continue
            serving = [service, *self._backends(service)]
            for o in self.objects:
                if not self._admitted(webhook, o) or (o.applier == config.applier and o in serving):
                    continue
                if config.applier != o.applier and self.before(config, o):
                    continue  # created before the webhook exists
                problems += [
                    f"{o.describe()} is admitted by webhook {name} ({_short(config.applier)}, "
                    f"failurePolicy Fail) but does not wait for {needed.kind} "
                    f"{needed.namespace}/{needed.name} to serve it"
                    for needed in serving
                    if not self.before(o, needed)
                ]
        return problems

    def _failing_webhooks(self) -> list[Webhook]:
        """Webhooks that refuse what they cannot reach (`failurePolicy: Fail`, the default)."""
        return [
            Webhook(o, hook)
            for o in self.objects
            if o.group_version[0] == "admissionregistration.k8s.io"
            and o.kind in ("MutatingWebhookConfiguration", "ValidatingWebhookConfiguration")
            for hook in o.obj.get("webhooks") or ()
            if webhook_service(hook) and (hook.get("failurePolicy") or "Fail") == "Fail"
        ]

    def _backends(self, service: Applied) -> list[Applied]:
        selector = _spec(service).get("selector") or {}
        return [
            o
            for o in self.providers
            if o.kind in ("Deployment", "StatefulSet", "DaemonSet")
            and o.namespace == service.namespace
            and selector
            and selects({"matchLabels": selector}, _pod_labels(o))
        ]

    def _admitted(self, webhook: Webhook, o: Applied) -> bool:
        resource = self.plurals.get((o.group_version[0], o.kind)) or plural(o.kind)
        namespace = self.namespaces.get(o.namespace) if o.namespace else None
        if o.kind == "Namespace":
            namespace = o
        labels = {
            **(namespace.labels if namespace else {}),
            "kubernetes.io/metadata.name": o.namespace or o.name,
        }
        return webhook.admits(o, resource, labels)


def _pod_labels(workload: Applied) -> Mapping[str, str]:
    return ((_spec(workload).get("template") or {}).get("metadata") or {}).get("labels") or {}


def webhook_service(hook: Mapping[str, Any]) -> tuple[str, str] | None:
    service = (hook.get("clientConfig") or {}).get("service")
    if not service:
        return None
    return str(service.get("namespace") or ""), str(service.get("name") or "")
