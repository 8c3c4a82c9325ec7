"""The one catalog of pinned platform versions. Every component takes its versions from here;
an environment may move one ahead (dev first) to rehearse an upgrade."""

from __future__ import annotations

# EKS standard support until 2027-03-27 (released on EKS 2026-01-28).
KUBERNETES_VERSION = "1.35"

# EKS managed add-ons, versions published for Kubernetes 1.35.
ADDON_VERSIONS: dict[str, str] = {
    "vpc-cni": "v1.21.1-eksbuild.3",
    "coredns": "v1.13.2-eksbuild.1",
    "kube-proxy": "v1.35.0-eksbuild.2",
    "aws-ebs-csi-driver": "v1.57.1-eksbuild.1",
    "eks-pod-identity-agent": "v1.3.10-eksbuild.3",
}
