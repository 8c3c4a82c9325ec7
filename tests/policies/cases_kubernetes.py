"""Kubernetes workload and FinOps rule fixtures."""

import copy

from tests.policies.cases import UNKNOWN_BOOL, UNKNOWN_NUMBER, UNKNOWN_STRING, Case, changed

DEPLOY = "kubernetes:apps/v1:Deployment"
DIGEST = "sha256:" + "a" * 64
CONTAINER = {
    "name": "server",
    "image": f"ghcr.io/mlflow/mlflow:v3.1.0@{DIGEST}",
    "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}},
    "resources": {
        "limits": {"cpu": "1", "memory": "2Gi"},
        "requests": {"cpu": "500m", "memory": "1Gi"},
    },
}
POD = {
    "serviceAccountName": "mlflow",
    "securityContext": {
        "runAsNonRoot": True,
        "runAsUser": 1000,
        "seccompProfile": {"type": "RuntimeDefault"},
    },
    "containers": [CONTAINER],
}
DEPLOYMENT = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "mlflow", "namespace": "mlflow"},
    "spec": {"template": {"spec": POD}},
}


def pod(**changes):
    result = copy.deepcopy(DEPLOYMENT)
    result["spec"]["template"]["spec"].update(changes)
    return result


def container(**changes):
    return pod(containers=[{**copy.deepcopy(CONTAINER), **changes}])


def security(**changes):
    return container(securityContext={**CONTAINER["securityContext"], **changes})


NS = "kubernetes:core/v1:Namespace"
KUSTOMIZE = "kubernetes:kustomize/v2:Directory"
KUBEFLOW = "https://github.com/kubeflow/manifests"
RESTRICTED = {
    "metadata": {"name": "team-a", "labels": {"pod-security.kubernetes.io/enforce": "restricted"}}
}
GPU_OPERATOR = {
    "chart": "gpu-operator",
    "version": "v25.10.0",
    "repositoryOpts": {"repo": "https://helm.ngc.nvidia.com/nvidia"},
    "values": {
        "devicePlugin": {"env": [{"name": "DEVICE_LIST_STRATEGY", "value": "volume-mounts"}]},
        "toolkit": {
            "env": [
                {"name": "ACCEPT_NVIDIA_VISIBLE_DEVICES_ENVVAR_WHEN_UNPRIVILEGED", "value": "false"}
            ]
        },
    },
}
CHART = "kubernetes:helm.sh/v4:Chart"
NODEPOOL_TYPE = "kubernetes:karpenter.sh/v1:NodePool"
NODEPOOL = {
    "spec": {
        "template": {
            "spec": {
                "taints": [{"key": "nvidia.com/gpu", "value": "true", "effect": "NoSchedule"}],
                "requirements": [
                    {
                        "key": "karpenter.k8s.aws/instance-family",
                        "operator": "In",
                        "values": ["g6", "g6e"],
                    },
                    {"key": "karpenter.sh/capacity-type", "operator": "In", "values": ["spot"]},
                ],
            }
        },
        "limits": {"nvidia.com/gpu": 4, "cpu": 64},
        "disruption": {"consolidationPolicy": "WhenEmptyOrUnderutilized", "consolidateAfter": "5m"},
    }
}
CPU_NODEPOOL = {
    "spec": {
        "template": {
            "spec": {
                "requirements": [{"key": "karpenter.k8s.aws/instance-family", "values": ["m7i"]}]
            }
        }
    }
}


def nodepool(**spec_changes):
    result = copy.deepcopy(NODEPOOL)
    result["spec"].update(spec_changes)
    return result


CASES = [
    Case(
        rule="k8s-namespace-pod-security",
        type=NS,
        passing=RESTRICTED,
        config={"namespaceLevels": {"gpu-operator": "privileged"}},
        failing=[
            (
                "unlabelled",
                {"metadata": {"name": "team-a"}},
                ["namespace 'team-a' enforces nothing; expected ['restricted']"],
            ),
            (
                "baseline without exemption",
                {
                    "metadata": {
                        "name": "team-a",
                        "labels": {"pod-security.kubernetes.io/enforce": "baseline"},
                    }
                },
                ["namespace 'team-a' enforces baseline; expected ['restricted']"],
            ),
        ],
        not_applicable=(DEPLOY, DEPLOYMENT),
        unknown={
            "metadata": {
                "name": "team-a",
                "labels": {"pod-security.kubernetes.io/enforce": UNKNOWN_STRING},
            }
        },
    ),
    Case(
        rule="k8s-workload-no-privileged",
        type=DEPLOY,
        passing=DEPLOYMENT,
        failing=[
            ("host network", pod(hostNetwork=True), ["hostNetwork is true"]),
            (
                "host path",
                pod(volumes=[{"name": "root", "hostPath": {"path": "/"}}]),
                ["volume 'root' mounts host path /"],
            ),
            ("privileged", security(privileged=True), ["container 'server' is privileged"]),
            ("host network as a string", pod(hostNetwork="true"), ["hostNetwork is true"]),
            (
                "a privileged, host-namespace InferenceService",
                {
                    "spec": {
                        "predictor": {
                            "hostPID": True,
                            "model": {"securityContext": {"privileged": True}},
                        },
                        "transformer": {
                            "containers": [{"name": "t", "securityContext": {"privileged": True}}]
                        },
                    }
                },
                [
                    "hostPID is true",
                    "container 'model' is privileged",
                    "spec.transformer: container 't' is privileged",
                ],
                "kubernetes:serving.kserve.io/v1beta1:InferenceService",
            ),
            (
                "a privileged notebook",
                {
                    "spec": {
                        "template": {
                            "spec": {
                                "containers": [
                                    {"name": "nb", "securityContext": {"privileged": True}}
                                ]
                            }
                        }
                    }
                },
                ["container 'nb' is privileged"],
                "kubernetes:kubeflow.org/v1:Notebook",
            ),
            (
                "a training runtime on the host network",
                {
                    "spec": {
                        "template": {
                            "spec": {
                                "replicatedJobs": [
                                    {
                                        "name": "node",
                                        "template": {
                                            "spec": {
                                                "template": {
                                                    "spec": {"hostNetwork": True, "containers": []}
                                                }
                                            }
                                        },
                                    }
                                ]
                            }
                        }
                    }
                },
                [
                    "spec.template.spec.replicatedJobs[0].template.spec.template.spec: hostNetwork is true"
                ],
                "kubernetes:trainer.kubeflow.org/v1alpha1:ClusterTrainingRuntime",
            ),
            (
                "a train job whose pod override mounts the host",
                {
                    "spec": {
                        "podTemplateOverrides": [
                            {
                                "targetJobs": [{"name": "node"}],
                                "spec": {"volumes": [{"name": "h", "hostPath": {"path": "/var"}}]},
                            }
                        ]
                    }
                },
                ["spec.podTemplateOverrides[0].spec: volume 'h' mounts host path /var"],
                "kubernetes:trainer.kubeflow.org/v1alpha1:TrainJob",
            ),
        ],
        not_applicable=(NS, RESTRICTED),
        unknown=pod(hostPID=UNKNOWN_BOOL),
    ),
    Case(
        rule="k8s-workload-non-root",
        type=DEPLOY,
        passing=DEPLOYMENT,
        failing=[
            (
                "escalation",
                security(allowPrivilegeEscalation=True),
                ["container 'server' may escalate privileges"],
            ),
            (
                "root",
                pod(
                    securityContext={
                        "runAsUser": 0,
                        "runAsNonRoot": True,
                        "seccompProfile": {"type": "RuntimeDefault"},
                    }
                ),
                ["container 'server' runs as UID 0"],
            ),
            ("unset", pod(securityContext={}), ["container 'server' does not set runAsNonRoot"]),
            (
                "root as a string",
                pod(
                    securityContext={
                        "runAsUser": "0",
                        "runAsNonRoot": "true",
                        "seccompProfile": {"type": "RuntimeDefault"},
                    }
                ),
                ["container 'server' runs as UID 0"],
            ),
        ],
        not_applicable=(NS, RESTRICTED),
        unknown=security(allowPrivilegeEscalation=UNKNOWN_BOOL),
    ),
    Case(
        rule="k8s-workload-drop-capabilities",
        type=DEPLOY,
        passing=DEPLOYMENT,
        failing=[
            (
                "keeps all",
                security(capabilities={}),
                ["container 'server' does not drop ALL capabilities"],
            ),
            (
                "adds net admin",
                security(capabilities={"drop": ["ALL"], "add": ["NET_ADMIN", "NET_BIND_SERVICE"]}),
                ["container 'server' adds capabilities ['NET_ADMIN']"],
            ),
        ],
        not_applicable=(NS, RESTRICTED),
        unknown=security(capabilities={"drop": UNKNOWN_STRING}),
    ),
    Case(
        rule="k8s-workload-seccomp",
        type=DEPLOY,
        passing=DEPLOYMENT,
        failing=[
            (
                "unconfined",
                pod(securityContext={"runAsNonRoot": True}),
                ["container 'server' runs Unconfined seccomp"],
            ),
        ],
        not_applicable=(NS, RESTRICTED),
        unknown=pod(securityContext={"seccompProfile": {"type": UNKNOWN_STRING}}),
    ),
    Case(
        rule="k8s-rbac-least-privilege",
        type="kubernetes:rbac.authorization.k8s.io/v1:Role",
        passing={"rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]}]},
        failing=[
            (
                "wildcards",
                {"rules": [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["get"]}]},
                ["rules[0].resources is '*'", "rules[0].apiGroups is '*'"],
            ),
            (
                "cluster admin",
                {
                    "roleRef": {"kind": "ClusterRole", "name": "cluster-admin"},
                    "subjects": [{"kind": "Group", "name": "team-a"}],
                },
                ["binds cluster-admin to ['team-a']"],
                "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding",
            ),
        ],
        not_applicable=(NS, RESTRICTED),
        unknown={"rules": [{"verbs": UNKNOWN_STRING}]},
    ),
    Case(
        rule="k8s-service-account-token",
        type="kubernetes:core/v1:ServiceAccount",
        passing={"metadata": {"name": "mlflow"}, "automountServiceAccountToken": False},
        failing=[
            (
                "automount",
                {"metadata": {"name": "mlflow"}},
                ["automountServiceAccountToken is not false"],
            ),
            (
                "default sa",
                pod(serviceAccountName=None),
                ["runs as the namespace's default service account"],
                DEPLOY,
            ),
        ],
        not_applicable=(NS, RESTRICTED),
        unknown={"automountServiceAccountToken": UNKNOWN_BOOL},
    ),
    Case(
        rule="k8s-workload-image-pinned",
        type=DEPLOY,
        passing=DEPLOYMENT,
        failing=[
            (
                "latest",
                container(image="ghcr.io/mlflow/mlflow:latest"),
                [
                    "container 'server' image 'ghcr.io/mlflow/mlflow:latest' is not pinned to a version"
                ],
            ),
            (
                "untagged",
                container(image="registry:5000/mlflow"),
                ["container 'server' image 'registry:5000/mlflow' is not pinned to a version"],
            ),
        ],
        not_applicable=(NS, RESTRICTED),
        unknown=container(image=UNKNOWN_STRING),
    ),
    Case(
        rule="k8s-workload-resource-limits",
        type=DEPLOY,
        passing=DEPLOYMENT,
        failing=[
            (
                "no limits",
                container(resources={}),
                ["container 'server' has no cpu or memory limit"],
            ),
            (
                "gpu request only",
                container(
                    resources={
                        "limits": {"cpu": "4", "memory": "16Gi"},
                        "requests": {"nvidia.com/gpu": 1},
                    }
                ),
                ["container 'server' requests GPUs without a GPU limit"],
            ),
        ],
        not_applicable=(NS, RESTRICTED),
        unknown=container(resources={"limits": UNKNOWN_STRING}),
    ),
    Case(
        rule="k8s-workload-no-secret-env",
        type=DEPLOY,
        passing=DEPLOYMENT,
        failing=[
            (
                "secret env",
                container(
                    env=[
                        {
                            "name": "DB_PASSWORD",
                            "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}},
                        }
                    ]
                ),
                ["container 'server' reads secret into env 'DB_PASSWORD'"],
            ),
            (
                "env from",
                container(envFrom=[{"secretRef": {"name": "db"}}]),
                ["container 'server' loads a whole secret into its environment"],
            ),
        ],
        not_applicable=(NS, RESTRICTED),
        unknown=container(env=UNKNOWN_STRING),
    ),
    Case(
        rule="k8s-workload-not-default-namespace",
        type=DEPLOY,
        passing=DEPLOYMENT,
        failing=[
            (
                "default",
                changed(DEPLOYMENT, metadata={"name": "mlflow"}),
                ["in the default namespace"],
            )
        ],
        not_applicable=(NS, RESTRICTED),
        unknown=changed(DEPLOYMENT, metadata={"namespace": UNKNOWN_STRING}),
    ),
    Case(
        rule="k8s-service-not-public",
        type="kubernetes:core/v1:Service",
        passing={
            "metadata": {
                "annotations": {"service.beta.kubernetes.io/aws-load-balancer-scheme": "internal"}
            },
            "spec": {"type": "LoadBalancer"},
        },
        failing=[
            (
                "default scheme",
                {"spec": {"type": "LoadBalancer"}},
                ["LoadBalancer Service with scheme unset (internet-facing)"],
            ),
            (
                "public alb",
                {
                    "metadata": {
                        "annotations": {"alb.ingress.kubernetes.io/scheme": "internet-facing"}
                    }
                },
                ["Ingress with an internet-facing ALB"],
                "kubernetes:networking.k8s.io/v1:Ingress",
            ),
        ],
        not_applicable=(NS, RESTRICTED),
        unknown={"spec": {"type": UNKNOWN_STRING}},
    ),
    Case(
        rule="k8s-gpu-isolation",
        type=CHART,
        passing=GPU_OPERATOR,
        failing=[
            (
                "defaults",
                changed(GPU_OPERATOR, values={}),
                [
                    "devicePlugin does not set DEVICE_LIST_STRATEGY=volume-mounts",
                    "toolkit still accepts NVIDIA_VISIBLE_DEVICES from unprivileged pods",
                ],
            ),
            (
                "device plugin envvar",
                {"chart": "nvidia-device-plugin", "version": "0.18.0", "values": {}},
                ["deviceListStrategy is unset (envvar), not volume-mounts"],
                "kubernetes:helm.sh/v3:Release",
            ),
        ],
        not_applicable=(CHART, {"chart": "kube-prometheus-stack", "version": "79.0.0"}),
        unknown=changed(GPU_OPERATOR, values=UNKNOWN_STRING),
    ),
    Case(
        rule="kubeflow-dex-no-demo-user",
        type="kubernetes:core/v1:ConfigMap",
        passing={
            "metadata": {"name": "dex", "namespace": "auth"},
            "data": {"config.yaml": "connectors: [{type: oidc}]"},
        },
        failing=[
            (
                "demo user",
                {"data": {"config.yaml": "staticPasswords:\n- email: user@example.com\n  hash: x"}},
                ["contains Kubeflow's demo Dex credentials"],
            ),
            (
                "upstream dex",
                {"directory": f"{KUBEFLOW}//common/dex/overlays/oauth2-proxy?ref=v1.11.0"},
                ["installs common/dex from kubeflow/manifests, with its demo credentials"],
                KUSTOMIZE,
            ),
            (
                "upstream oauth2-proxy",
                {"directory": f"{KUBEFLOW}//common/oauth2-proxy/overlays/m2m-dex-only?ref=v1.11.0"},
                ["installs common/oauth2-proxy from kubeflow/manifests, with its demo credentials"],
                KUSTOMIZE,
            ),
            (
                "demo profile",
                {"directory": f"{KUBEFLOW}//common/user-namespace/base?ref=v1.11.0"},
                [
                    "installs common/user-namespace from kubeflow/manifests, with its demo "
                    "credentials"
                ],
                KUSTOMIZE,
            ),
        ],
        not_applicable=(NS, RESTRICTED),
        unknown={"metadata": {"name": "dex", "namespace": "auth"}, "data": UNKNOWN_STRING},
    ),
    Case(
        rule="karpenter-nodepool-gpu-limit",
        type=NODEPOOL_TYPE,
        passing=NODEPOOL,
        failing=[
            (
                "unbounded",
                nodepool(limits={"cpu": 64}, disruption={}),
                [
                    "no limits['nvidia.com/gpu']: the pool can grow without bound",
                    "no disruption.consolidationPolicy: idle GPU nodes are never removed",
                ],
            ),
            (
                "over ceiling",
                nodepool(limits={"nvidia.com/gpu": 64}),
                ["GPU limit 64 exceeds the environment's ceiling 8"],
            ),
            (
                "warm node group",
                {
                    "instanceTypes": ["g6.xlarge"],
                    "scalingConfig": {"minSize": 2, "maxSize": 4},
                    "taints": [{"key": "nvidia.com/gpu", "value": "true", "effect": "NO_SCHEDULE"}],
                },
                ["GPU node group keeps 2 nodes running; at most 0"],
                "aws:eks/nodeGroup:NodeGroup",
            ),
            (
                "untainted node group",
                {"instanceTypes": ["p5.48xlarge"], "scalingConfig": {"minSize": 0, "maxSize": 1}},
                [
                    "no nvidia.com/gpu NoSchedule taint: any pod can land on a GPU node and keep it awake"
                ],
                "aws:eks/nodeGroup:NodeGroup",
            ),
            (
                "a GPU pool chosen by category, unbounded and untainted",
                {
                    "spec": {
                        "template": {
                            "spec": {
                                "requirements": [
                                    {
                                        "key": "karpenter.k8s.aws/instance-category",
                                        "operator": "In",
                                        "values": ["c", "p"],
                                    }
                                ]
                            }
                        },
                        "disruption": {"consolidationPolicy": "WhenEmpty"},
                    }
                },
                [
                    "no limits['nvidia.com/gpu']: the pool can grow without bound",
                    "no nvidia.com/gpu NoSchedule taint: any pod can land on a GPU node and keep it awake",
                ],
            ),
        ],
        not_applicable=(NODEPOOL_TYPE, CPU_NODEPOOL),
        unknown=nodepool(limits={"nvidia.com/gpu": UNKNOWN_NUMBER}),
    ),
    Case(
        rule="gpu-instance-families-allowed",
        type=NODEPOOL_TYPE,
        passing=NODEPOOL,
        failing=[
            (
                "p5 in nodepool",
                nodepool(
                    template={
                        "spec": {
                            "requirements": [
                                {
                                    "key": "node.kubernetes.io/instance-type",
                                    "values": ["p5.48xlarge", "g6.xlarge"],
                                }
                            ]
                        }
                    }
                ),
                ["GPU families ['p5'] are not allowed here (['g5', 'g6', 'g6e'])"],
            ),
            (
                "node group",
                {"instanceTypes": ["p4d.24xlarge"]},
                ["GPU families ['p4d'] are not allowed here (['g5', 'g6', 'g6e'])"],
                "aws:eks/nodeGroup:NodeGroup",
            ),
        ],
        not_applicable=("kubernetes:core/v1:Namespace", RESTRICTED),
        unknown=nodepool(
            template={
                "spec": {
                    "requirements": [
                        {"key": "karpenter.k8s.aws/instance-family", "values": UNKNOWN_STRING}
                    ]
                }
            }
        ),
    ),
    Case(
        rule="helm-chart-pinned",
        type=CHART,
        passing=GPU_OPERATOR,
        failing=[
            (
                "range",
                changed(GPU_OPERATOR, version="^25.0.0"),
                ["chart 'gpu-operator' version ^25.0.0 is not exact"],
            ),
            (
                "unset",
                changed(GPU_OPERATOR, version=None),
                ["chart 'gpu-operator' version unset is not exact"],
            ),
            (
                "kustomize on main",
                {"directory": "https://github.com/kubeflow/manifests//example?ref=master"},
                [
                    "remote 'https://github.com/kubeflow/manifests//example?ref=master' follows 'master', not a tag or commit"
                ],
                "kubernetes:kustomize/v2:Directory",
            ),
            (
                "raw file on main",
                {"file": "https://raw.githubusercontent.com/kubeflow/manifests/main/x.yaml"},
                [
                    "remote 'https://raw.githubusercontent.com/kubeflow/manifests/main/x.yaml' is not pinned to a tag or commit"
                ],
                "kubernetes:yaml/v2:ConfigFile",
            ),
        ],
        not_applicable=(NS, RESTRICTED),
        unknown=changed(GPU_OPERATOR, version=UNKNOWN_STRING),
    ),
]
