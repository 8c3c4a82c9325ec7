"""The one catalog of pinned platform versions. Every component takes its versions from here;
an environment may move one ahead (dev first) to rehearse an upgrade."""

from __future__ import annotations

# EKS standard support until 2027-03-27 (released on EKS 2026-01-28).
KUBERNETES_VERSION = "1.35"
# The versions in EKS standard support (EKS user guide, "Kubernetes version lifecycle"): 1.34
# until 2026-12-02, 1.35 until 2027-03-27, 1.36. The pack's aws-eks-cluster-supported-version
# takes its default from here, through the generated `policies/catalog.py`.
EKS_STANDARD_SUPPORT = ("1.34", "1.35", "1.36")

# EKS managed add-ons, versions published for Kubernetes 1.35.
ADDON_VERSIONS: dict[str, str] = {
    "vpc-cni": "v1.21.1-eksbuild.3",
    "coredns": "v1.13.2-eksbuild.1",
    "kube-proxy": "v1.35.0-eksbuild.2",
    "aws-ebs-csi-driver": "v1.57.1-eksbuild.1",
    "eks-pod-identity-agent": "v1.3.10-eksbuild.3",
}

# Karpenter's chart (oci://public.ecr.aws/karpenter/karpenter); 1.14 runs on EKS 1.35.
KARPENTER_VERSION = "1.14.1"
# The EKS-optimized AL2023 release Karpenter nodes boot (the alias picks the NVIDIA variant for
# GPU instances); pinned so a new AMI rolls out only when this changes.
AMI_ALIAS = "al2023@v20260903"
# Kueue's chart (oci://registry.k8s.io/kueue/charts/kueue): v0.19.2 is the newest release
# upstream (tag 2026-08-20, commit 8eab6877); its CRDs serve v1beta2 as the storage version.
KUEUE_VERSION = "0.19.2"
# NVIDIA device plugin chart (https://nvidia.github.io/k8s-device-plugin).
NVIDIA_DEVICE_PLUGIN_VERSION = "0.19.3"
# AWS EFA device plugin chart (https://aws.github.io/eks-charts): exposes
# `vpc.amazonaws.com/efa` on nodes of pools with `efa: true`. Chart v0.5.20 deploys the plugin
# image v0.5.13 (its appVersion, per the repository's index); chart v0.5.30 is the one that
# deploys image v0.5.20.
EFA_DEVICE_PLUGIN_VERSION = "v0.5.20"
# GPU instance types with an Elastic Fabric Adapter: the GPU entries of that chart's
# `supportedInstanceLabels` (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/efa.html).
EFA_GPU_INSTANCE_TYPES = frozenset(
    {
        *(f"g4dn.{size}" for size in ("8xlarge", "12xlarge", "16xlarge", "metal")),
        *(
            f"{family}.{size}"
            for family in ("g5", "g6", "g6e")
            for size in ("8xlarge", "12xlarge", "16xlarge", "24xlarge", "48xlarge")
        ),
        "gr6.8xlarge",
        "p3dn.24xlarge",
        "p4d.24xlarge",
        "p4de.24xlarge",
        "p5.48xlarge",
        "p5e.48xlarge",
        "p5en.48xlarge",
    }
)
# RDS for PostgreSQL (MLflow's backend store): the major version only. Minor versions are AWS's
# to apply (`auto_minor_version_upgrade`, RDS-06): a pinned minor would make the first `pulumi up`
# after AWS upgrades the instance fail, trying to downgrade it. The provider accepts a prefix of
# the running version when auto minor upgrades are on.
POSTGRES_VERSION = "17"
# MLflow tracking server: the `-full` image (boto3, psycopg) of the current release.
MLFLOW_IMAGE = "ghcr.io/mlflow/mlflow:v3.18.0-full"
# Kubeflow AI reference platform 26.03, from the upstream manifests at this tag (commit d68ebc7f);
# what it renders pins KServe v0.16.0, Pipelines 2.16.0, Trainer v2.1.0 (JobSet v0.10.1),
# Istio 1.28.0, cert-manager v1.19.4, notebooks/dashboard v1.10.0 (tests/synthesis/test_render.py
# reads them from the rendered objects). Its Pipelines run under Pod Security `restricted`.
# Kubernetes 1.35 is ours to prove in dev.
KUBEFLOW_VERSION = "26.03"
KUBEFLOW_MANIFESTS = "https://github.com/kubeflow/manifests"
# Kubeflow's login proxy, replacing upstream's (which ships literal secrets and `:latest`):
# v7.12 added `--cookie-secret-file`, so neither secret has to sit in an environment variable.
OAUTH2_PROXY_IMAGE = "quay.io/oauth2-proxy/oauth2-proxy:v7.15.3"
# vLLM's OpenAI-compatible server (PyPI vllm 0.33.0, 2026-11-02), the LLM serving runtime.
VLLM_IMAGE = "vllm/vllm-openai:v0.33.0"
# kube-prometheus-stack (https://prometheus-community.github.io/helm-charts): Prometheus
# operator v0.93.1 (its appVersion; the CRDs of ../shared/upstream/crds/prometheus-operator),
# Prometheus, Alertmanager, Grafana, kube-state-metrics. 91.2.1, pinned before, was never
# published; 88.5.3 is the version in the upstream cache.
KUBE_PROMETHEUS_STACK_VERSION = "88.5.3"
# NVIDIA DCGM exporter chart (https://nvidia.github.io/dcgm-exporter/helm-charts) and its image
# (DCGM 4.5.3, exporter 4.8.2; NVIDIA/dcgm-exporter#656, 2026-05).
DCGM_EXPORTER_VERSION = "4.8.2"
DCGM_EXPORTER_IMAGE_TAG = "4.5.3-4.8.2-ubuntu22.04"
# AWS for Fluent Bit chart (https://aws.github.io/eks-charts): 0.2.0 is the newest in the
# repository's index (0.2.1, pinned before, does not exist); it deploys its appVersion, AWS for
# Fluent Bit 3.2.1. Ships container logs to CloudWatch Logs.
FLUENT_BIT_CHART_VERSION = "0.2.0"
