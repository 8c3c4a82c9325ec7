"""`mlplat preflight`: read-only checks of account, AZs, GPU offerings and quotas."""

from __future__ import annotations

from mlplat.preflight import run


def by_name(checks):
    return {check.name: check for check in checks}


def test_passes_account_region_and_azs_and_names_pools_without_offerings(aws):
    session, spec = aws
    checks = by_name(run(session, spec))
    assert checks["account"].status == "pass"
    assert checks["region"].status == "pass"
    assert checks["availability zones"].status == "pass"
    # moto's offering data has g5 in eu-west-1 and no g6: the check reads the offerings.
    assert checks["pool gpu-dev"].status == "pass"
    assert checks["pool inference-dev"].status == "fail"
    assert "none offered in ['eu-west-1a', 'eu-west-1b', 'eu-west-1c']" in (
        checks["pool inference-dev"].detail
    )


def test_a_quota_the_api_does_not_answer_is_unknown_not_passed(aws):
    session, spec = aws
    quota = by_name(run(session, spec))["spot G/VT vCPU quota"]
    assert quota.status == "unknown"
    assert quota.detail.startswith("not answered")


def test_another_accounts_credentials_stop_every_other_check(aws):
    session, _ = aws
    from stacks.environment import load_environment

    checks = run(session, load_environment("staging"))
    assert [(c.name, c.status) for c in checks] == [("account", "fail")]
    assert "staging is 444455556666" in checks[0].detail


def test_an_unknown_az_fails(aws):
    session, spec = aws
    moved = spec.model_copy(
        update={"availability_zones": ["eu-west-1a", "eu-west-1b", "eu-west-1z"]}
    )
    check = by_name(run(session, moved))["availability zones"]
    assert check.status == "fail"
    assert "['eu-west-1z']" in check.detail


def test_addon_versions_are_checked_where_eks_answers(aws):
    session, spec = aws
    checks = by_name(run(session, spec))
    # moto does not implement DescribeAddonVersions: unknown, never a pass.
    assert checks["add-on vpc-cni"].status == "unknown"
    assert {name for name in checks if name.startswith("add-on ")} == {
        "add-on aws-ebs-csi-driver",
        "add-on coredns",
        "add-on eks-pod-identity-agent",
        "add-on kube-proxy",
        "add-on vpc-cni",
    }


def test_a_pinned_addon_eks_does_not_offer_fails(aws, monkeypatch):
    import botocore.client

    session, spec = aws
    original = botocore.client.BaseClient._make_api_call

    def answer(self, operation, params):
        if operation == "DescribeAddonVersions":
            return {"addons": [{"addonVersions": [{"addonVersion": "v0.0.1-eksbuild.1"}]}]}
        return original(self, operation, params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", answer)
    check = by_name(run(session, spec))["add-on coredns"]
    assert check.status == "fail"
    assert check.detail == "v1.13.2-eksbuild.1 is not offered for Kubernetes 1.35"


def test_standard_quotas_hold_the_system_nodes_at_their_maximum_and_the_general_pool(
    aws, monkeypatch
):
    """dev: four spot system nodes of 4 vCPUs, and a 64-vCPU general pool that may use spot or
    on-demand capacity. moto does not answer Service Quotas here, so a stub does."""
    import boto3
    from botocore.stub import Stubber

    session, spec = aws
    quotas = boto3.client("service-quotas", region_name=spec.region)
    stub = Stubber(quotas)
    for code, value in (("L-3819A6DF", 64.0), ("L-1216C47A", 128.0), ("L-34B43A08", 50.0)):
        stub.add_response(
            "get_service_quota",
            {"Quota": {"QuotaCode": code, "Value": value}},
            {"ServiceCode": "ec2", "QuotaCode": code},
        )
    real_client = session.client

    def client(name, **kwargs):
        return quotas if name == "service-quotas" else real_client(name, **kwargs)

    monkeypatch.setattr(session, "client", client)
    with stub:
        checks = by_name(run(session, spec))
    on_demand, spot = checks["on-demand standard vCPU quota"], checks["spot standard vCPU quota"]
    assert on_demand.status == "pass"
    assert on_demand.detail == "128 vCPUs; the environment may need up to 64"
    assert spot.status == "fail"
    assert spot.detail == "50 vCPUs; the environment may need up to 80"
    stub.assert_no_pending_responses()
