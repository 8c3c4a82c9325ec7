"""CpuPool: the general-purpose Karpenter pool, under the recording mock."""

from __future__ import annotations

from collections import Counter

import pytest

from components.catalog import AMI_ALIAS
from components.cpu_pool import CpuPool, CpuPoolArgs
from tests.components.builders import STORAGE_KEY, kubernetes
from tests.recording import record


@pytest.fixture(scope="module")
def pool():
    def build():
        CpuPool(
            "cpu",
            CpuPoolArgs(
                cluster_name="mlplat-prod",
                node_role_name="mlplat-prod-karpenter-node",
                storage_key_arn=STORAGE_KEY,
                ami_alias=AMI_ALIAS,
                instance_families=["m7i", "c7i"],
                capacity_types=["on-demand"],
                cpu_limit=256,
                kubernetes_provider=kubernetes(),
            ),
        )

    return record(build)


def test_children(pool):
    component = pool.one("mlplat:karpenter:CpuPool")
    assert pool.child_types(component.urn) == Counter(
        {
            "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass": 1,
            "kubernetes:karpenter.sh/v1:NodePool": 1,
        }
    )


def test_pool_is_cpu_only_bounded_and_consolidated(pool):
    spec = pool.one("kubernetes:karpenter.sh/v1:NodePool").inputs["spec"]
    requirements = {r["key"]: r["values"] for r in spec["template"]["spec"]["requirements"]}
    assert requirements["karpenter.k8s.aws/instance-family"] == ["m7i", "c7i"]
    assert requirements["karpenter.sh/capacity-type"] == ["on-demand"]
    assert spec["limits"] == {"cpu": 256}
    assert "taints" not in spec["template"]["spec"]
    assert spec["disruption"]["consolidationPolicy"] == "WhenEmptyOrUnderutilized"
    assert spec["template"]["spec"]["expireAfter"] == "720h"


def test_node_class_is_hardened_without_the_gpu_toolkit(pool):
    spec = pool.one("kubernetes:karpenter.k8s.aws/v1:EC2NodeClass").inputs["spec"]
    assert spec["amiSelectorTerms"] == [{"alias": AMI_ALIAS}]
    assert spec["metadataOptions"]["httpTokens"] == "required"
    assert spec["metadataOptions"]["httpPutResponseHopLimit"] == 1
    (root,) = spec["blockDeviceMappings"]
    assert (root["ebs"]["encrypted"], root["ebs"]["kmsKeyID"]) == (True, STORAGE_KEY)
    assert "userData" not in spec
