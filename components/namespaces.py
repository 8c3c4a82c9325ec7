"""What every namespace the platform creates shares: Pod Security labels, a default-deny
NetworkPolicy, and the few egress rules any workload with a Pod Identity role needs."""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

net, meta = k8s.networking.v1, k8s.meta.v1

# The EKS Pod Identity agent's link-local address: where a pod gets its AWS credentials.
POD_IDENTITY_AGENT = "169.254.170.23/32"


def pod_security(level: str) -> dict[str, str]:
    """Enforce, audit and warn at one Pod Security Standards level."""
    return {f"pod-security.kubernetes.io/{mode}": level for mode in ("enforce", "audit", "warn")}


def default_deny(name: str, namespace: str, opts: pulumi.ResourceOptions) -> net.NetworkPolicy:
    return net.NetworkPolicy(
        name,
        metadata=meta.ObjectMetaArgs(name="default-deny", namespace=namespace),
        spec=net.NetworkPolicySpecArgs(
            pod_selector=meta.LabelSelectorArgs(), policy_types=["Ingress", "Egress"]
        ),
        opts=opts,
    )


def ports(*numbers: int, protocol: str = "TCP") -> list[net.NetworkPolicyPortArgs]:
    return [net.NetworkPolicyPortArgs(protocol=protocol, port=n) for n in numbers]


def namespace_peer(name: str) -> net.NetworkPolicyPeerArgs:
    return net.NetworkPolicyPeerArgs(
        namespace_selector=meta.LabelSelectorArgs(
            match_labels={"kubernetes.io/metadata.name": name}
        )
    )


def to_cidr(cidr: str, *numbers: int) -> net.NetworkPolicyEgressRuleArgs:
    return net.NetworkPolicyEgressRuleArgs(
        to=[net.NetworkPolicyPeerArgs(ip_block=net.IPBlockArgs(cidr=cidr))], ports=ports(*numbers)
    )


def dns_egress() -> net.NetworkPolicyEgressRuleArgs:
    return net.NetworkPolicyEgressRuleArgs(
        to=[namespace_peer("kube-system")], ports=[*ports(53, protocol="UDP"), *ports(53)]
    )


def workload_egress() -> list[net.NetworkPolicyEgressRuleArgs]:
    """DNS, AWS over HTTPS (S3's gateway endpoint answers on public ranges), and the Pod
    Identity agent."""
    return [dns_egress(), to_cidr("0.0.0.0/0", 443), to_cidr(POD_IDENTITY_AGENT, 80)]


# A chart's pod securityContext value: the runtime's default syscall filter.
RUNTIME_DEFAULT_SECCOMP = {"seccompProfile": {"type": "RuntimeDefault"}}


def restricted_container(user: int) -> k8s.core.v1.SecurityContextArgs:
    """What Pod Security `restricted` demands of a container, plus a read-only root."""
    return k8s.core.v1.SecurityContextArgs(
        allow_privilege_escalation=False,
        read_only_root_filesystem=True,
        run_as_non_root=True,
        run_as_user=user,
        run_as_group=user,
        capabilities=k8s.core.v1.CapabilitiesArgs(drop=["ALL"]),
        seccomp_profile=k8s.core.v1.SeccompProfileArgs(type="RuntimeDefault"),
    )


def restricted_container_fields(user: int) -> dict[str, object]:
    """The same, as the plain mapping a custom resource's spec takes."""
    return {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "runAsNonRoot": True,
        "runAsUser": user,
        "runAsGroup": user,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def restricted_pod() -> k8s.core.v1.PodSecurityContextArgs:
    return k8s.core.v1.PodSecurityContextArgs(
        run_as_non_root=True,
        seccomp_profile=k8s.core.v1.SeccompProfileArgs(type="RuntimeDefault"),
    )
