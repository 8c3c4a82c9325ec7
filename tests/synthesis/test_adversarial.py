"""Bypass attempts on prod's own synthesized state, the way a careless or hostile engineer would
try them: another encoding, another resource kind, a secret, a confining-looking condition. Each
must be caught (a mandatory finding) or, where a secret hides the value, left undecided: never a
pass. Then hypothesis properties over generated IAM documents and CIDR sets."""

from __future__ import annotations

import copy
import ipaddress
import json
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlplat.check import check_state
from mlplat.policy_config import generate
from mlplat.state import SECRET_SIG, SECRET_VALUE, parse
from mlplat.synth import synthesize
from policies.engine import run_resource_rule
from policies.framework import Ctx
from policies.rules import all_rules

ACCOUNT, DEV_ACCOUNT = "777788889999", "111122223333"
CIPHERTEXT = {SECRET_SIG: SECRET_VALUE, "ciphertext": "v1:AAAA"}
RULES = {rule.name: rule for rule in all_rules()}


@pytest.fixture(scope="module")
def prod() -> dict:
    return json.loads(json.dumps(synthesize("prod").state))


@pytest.fixture(scope="module")
def config() -> dict:
    return json.loads(generate("prod"))


def doc(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def of(state: dict, type_: str, name: str | None = None) -> dict:
    return next(
        r
        for r in state["deployment"]["resources"]
        if r["type"] == type_ and (name is None or r["urn"].endswith(f"::{name}"))
    )


def added(state: dict, type_: str, name: str, inputs: dict, deps: dict | None = None) -> None:
    stack = state["deployment"]["resources"][0]["urn"].split("::")[0]
    state["deployment"]["resources"].append(
        {
            "urn": f"{stack}::mlplat::{type_}::{name}",
            "custom": True,
            "type": type_,
            "inputs": inputs,
            "propertyDependencies": deps or {},
        }
    )


# --- the mutations, by control family ----------------------------------------------------------


def s3_public_by_wildcard_account(s):
    policy = of(s, "aws:s3/bucketPolicy:BucketPolicy", "prod-models")
    document = json.loads(policy["inputs"]["policy"])
    document["Statement"].append({"Sid": "Share", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*", "Condition": {"StringLike": {"aws:PrincipalAccount": "*"}}})  # fmt: skip
    policy["inputs"]["policy"] = json.dumps(document)


def s3_public_by_foreign_org(s):
    policy = of(s, "aws:s3/bucketPolicy:BucketPolicy", "prod-models")
    document = json.loads(policy["inputs"]["policy"])
    document["Statement"].append({"Sid": "Share", "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "s3:GetObject", "Resource": "*", "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-attacker00"}}})  # fmt: skip
    policy["inputs"]["policy"] = json.dumps(document)


def s3_public_by_not_principal(s):
    policy = of(s, "aws:s3/bucketPolicy:BucketPolicy", "prod-models")
    document = json.loads(policy["inputs"]["policy"])
    document["Statement"].append({"Sid": "Share", "Effect": "Allow", "NotPrincipal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "s3:GetObject", "Resource": "*"})  # fmt: skip
    policy["inputs"]["policy"] = json.dumps(document)


def s3_public_behind_a_foreign_endpoint(s):
    policy = of(s, "aws:s3/bucketPolicy:BucketPolicy", "prod-models")
    document = json.loads(policy["inputs"]["policy"])
    document["Statement"].append({"Sid": "Share", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*", "Condition": {"StringEquals": {"aws:SourceVpce": "vpce-0attacker0000000"}}})  # fmt: skip
    policy["inputs"]["policy"] = json.dumps(document)


def s3_block_flag_as_string(s):
    of(s, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")["inputs"]["blockPublicPolicy"] = "false"  # fmt: skip


def s3_bucket_v2_without_controls(s):
    added(s, "aws:s3/bucketV2:BucketV2", "prod-shadow", {"bucket": "mlplat-prod-shadow"})


def s3_block_secret(s):
    of(s, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")["inputs"]["blockPublicAcls"] = CIPHERTEXT  # fmt: skip


def iam_not_action(s):
    of(s, "aws:iam/rolePolicy:RolePolicy")["inputs"]["policy"] = doc({"Effect": "Allow", "NotAction": "iam:CreateUser", "Resource": "*"})  # fmt: skip


def iam_admin_inline_on_a_role(s):
    role = of(s, "aws:iam/role:Role", "prod-trail-delivery")
    role["inputs"]["inlinePolicies"] = [{"name": "ops", "policy": doc({"Effect": "Allow", "Action": "*", "Resource": "*"})}]  # fmt: skip


def iam_admin_policy_wearing_the_boundary_tag(s):
    added(s, "aws:iam/policy:Policy", "prod-helper", {"name": "mlplat-prod-helper", "policy": doc({"Effect": "Allow", "Action": "*", "Resource": "*"}), "tags": {"mlplat.io/policy-kind": "permissions-boundary"}})  # fmt: skip


def iam_pass_any_role(s):
    of(s, "aws:iam/rolePolicy:RolePolicy")["inputs"]["policy"] = doc({"Effect": "Allow", "Action": ["iam:PassRole", "iam:AttachRolePolicy"], "Resource": f"arn:aws:iam::{ACCOUNT}:role/*", "Condition": {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}}})  # fmt: skip


def iam_broad_managed_policy(s):
    of(s, "aws:iam/rolePolicyAttachment:RolePolicyAttachment")["inputs"]["policyArn"] = "arn:aws:iam::aws:policy/AmazonEC2FullAccess"  # fmt: skip


def iam_action_in_another_case(s):
    of(s, "aws:iam/rolePolicy:RolePolicy")["inputs"]["policy"] = doc({"Effect": "Allow", "Action": "*:*", "Resource": ["arn:*"]})  # fmt: skip


def iam_trust_anyone_with_a_wildcard_account(s):
    role = of(s, "aws:iam/role:Role", "prod-trail-delivery")
    role["inputs"]["assumeRolePolicy"] = doc({"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole", "Condition": {"StringLike": {"aws:PrincipalAccount": "*"}}})  # fmt: skip


def kms_caller_account_of_another(s):
    key = of(s, "aws:kms/key:Key", "prod-cluster")
    document = json.loads(key["inputs"]["policy"])
    document["Statement"].append({"Sid": "Use", "Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*", "Condition": {"StringEquals": {"kms:CallerAccount": DEV_ACCOUNT}}})  # fmt: skip
    key["inputs"]["policy"] = json.dumps(document)


def kms_wildcard_account_root(s):
    key = of(s, "aws:kms/key:Key", "prod-cluster")
    document = json.loads(key["inputs"]["policy"])
    document["Statement"].append({"Sid": "Use", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::*:root"}, "Action": "kms:Decrypt", "Resource": "*"})  # fmt: skip
    key["inputs"]["policy"] = json.dumps(document)


def kms_rotation_as_string(s):
    of(s, "aws:kms/key:Key", "prod-cluster")["inputs"]["enableKeyRotation"] = "false"


def ct_single_region_as_string(s):
    of(s, "aws:cloudtrail/trail:Trail")["inputs"]["isMultiRegionTrail"] = "False"


def ct_logging_off_as_string(s):
    of(s, "aws:cloudtrail/trail:Trail")["inputs"]["enableLogging"] = "0"


def ct_validation_secret(s):
    of(s, "aws:cloudtrail/trail:Trail")["inputs"]["enableLogFileValidation"] = CIPHERTEXT


def cw_retention_as_string(s):
    of(s, "aws:cloudwatch/logGroup:LogGroup", "prod-trail")["inputs"]["retentionInDays"] = "7"


def cw_alarm_actions_off_as_string(s):
    of(s, "aws:cloudwatch/metricAlarm:MetricAlarm")["inputs"]["actionsEnabled"] = "false"


def cw_log_group_without_key(s):
    added(s, "aws:cloudwatch/logGroup:LogGroup", "prod-shadow", {"name": "/shadow", "retentionInDays": 365, "tags": {"env": "prod", "owner-team": "x", "cost-centre": "y"}})  # fmt: skip


def det_guardduty_off_as_string(s):
    of(s, "aws:guardduty/detector:Detector")["inputs"]["enable"] = "false"


def det_recorder_partial_as_string(s):
    of(s, "aws:cfg/recorder:Recorder")["inputs"]["recordingGroup"]["allSupported"] = "false"


def det_recorder_secret(s):
    of(s, "aws:cfg/recorder:Recorder")["inputs"]["recordingGroup"] = CIPHERTEXT


def eks_node_class_two_hops(s):
    node_class = of(s, "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass")
    node_class["inputs"]["spec"]["metadataOptions"]["httpPutResponseHopLimit"] = 2


def eks_launch_template_hops_as_string(s):
    of(s, "aws:ec2/launchTemplate:LaunchTemplate")["inputs"]["metadataOptions"]["httpPutResponseHopLimit"] = "2"  # fmt: skip


def eks_node_class_public_ip(s):
    of(s, "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass")["inputs"]["spec"]["associatePublicIPAddress"] = True  # fmt: skip


def eks_node_class_unencrypted_volume(s):
    node_class = of(s, "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass")
    node_class["inputs"]["spec"]["blockDeviceMappings"][0]["ebs"]["encrypted"] = "false"


def eks_public_endpoint_as_string(s):
    of(s, "aws:eks/cluster:Cluster")["inputs"]["vpcConfig"]["endpointPublicAccess"] = "true"


def _ssh(sources: list[str], **extra) -> dict:
    return {"type": "ingress", "protocol": "tcp", "fromPort": 22, "toPort": 22, "cidrBlocks": sources, **extra}  # fmt: skip


def net_ssh_from_two_halves(s):
    added(s, "aws:ec2/securityGroupRule:SecurityGroupRule", "prod-ssh", _ssh(["0.0.0.0/1", "128.0.0.0/1"]))  # fmt: skip


def net_ssh_from_an_ipv6_half(s):
    added(s, "aws:ec2/securityGroupRule:SecurityGroupRule", "prod-ssh", {**_ssh([]), "ipv6CidrBlocks": ["::/1"]})  # fmt: skip


def net_ssh_ports_as_strings(s):
    added(s, "aws:ec2/securityGroupRule:SecurityGroupRule", "prod-ssh", {**_ssh(["198.51.100.0/24"]), "fromPort": "22", "toPort": "22"})  # fmt: skip


def net_all_protocols_on_the_vpc_kind(s):
    added(s, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "prod-all", {"ipProtocol": "-1", "cidrIpv4": "0.0.0.0/0"})  # fmt: skip


def net_subnet_public_ip_as_string(s):
    of(s, "aws:ec2/subnet:Subnet")["inputs"]["mapPublicIpOnLaunch"] = "true"


def rds_public_as_string(s):
    of(s, "aws:rds/instance:Instance")["inputs"]["publiclyAccessible"] = "true"


def rds_public_secret(s):
    of(s, "aws:rds/instance:Instance")["inputs"]["publiclyAccessible"] = CIPHERTEXT


def rds_unencrypted_as_string(s):
    of(s, "aws:rds/instance:Instance")["inputs"]["storageEncrypted"] = "false"


def rds_backups_as_string(s):
    of(s, "aws:rds/instance:Instance")["inputs"]["backupRetentionPeriod"] = "1"


def k8s_privileged_inference_service(s):
    predictor = of(s, "kubernetes:serving.kserve.io/v1beta1:InferenceService")["inputs"]["spec"]["predictor"]  # fmt: skip
    predictor["hostPID"] = True
    predictor["model"]["securityContext"] = {"privileged": True}


def k8s_host_network_as_string(s):
    deployment = of(s, "kubernetes:apps/v1:Deployment", "prod-oauth2-proxy")
    deployment["inputs"]["spec"]["template"]["spec"]["hostNetwork"] = "true"


def k8s_root_uid_as_string(s):
    deployment = of(s, "kubernetes:apps/v1:Deployment", "prod-oauth2-proxy")
    deployment["inputs"]["spec"]["template"]["spec"]["containers"][0]["securityContext"]["runAsUser"] = "0"  # fmt: skip


def k8s_privileged_notebook(s):
    added(s, "kubernetes:kubeflow.org/v1:Notebook", "prod-nb", {"metadata": {"name": "nb", "namespace": "team-recommendations"}, "spec": {"template": {"spec": {"serviceAccountName": "default-editor", "containers": [{"name": "nb", "image": "x@sha256:" + "a" * 64, "securityContext": {"privileged": True}}]}}}})  # fmt: skip


def k8s_model_overlay_adds_capabilities(s):
    predictor = of(s, "kubernetes:serving.kserve.io/v1beta1:InferenceService")["inputs"]["spec"]["predictor"]  # fmt: skip
    predictor["model"]["securityContext"] = {"capabilities": {"add": ["SYS_ADMIN"]}}


def env_trust_dev_behind_own_org(s):
    role = of(s, "aws:iam/role:Role", "prod-trail-delivery")
    role["inputs"]["assumeRolePolicy"] = doc({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{DEV_ACCOUNT}:root"}, "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}})  # fmt: skip


def env_dev_key_on_a_prod_log_group(s):
    of(s, "aws:cloudwatch/logGroup:LogGroup", "prod-trail")["inputs"]["kmsKeyId"] = f"arn:aws:kms:eu-west-1:{DEV_ACCOUNT}:key/1"  # fmt: skip


def env_dev_admin_on_the_prod_cluster(s):
    of(s, "aws:eks/accessEntry:AccessEntry")["inputs"]["principalArn"] = f"arn:aws:iam::{DEV_ACCOUNT}:role/PlatformAdmin"  # fmt: skip


def fin_gpu_pool_untainted_and_unbounded(s):
    pool = next(
        r for r in s["deployment"]["resources"]
        if r["type"] == "kubernetes:karpenter.sh/v1:NodePool" and (r["inputs"]["spec"]["template"]["spec"].get("taints"))
    )  # fmt: skip
    template = pool["inputs"]["spec"]["template"]["spec"]
    template.pop("taints")
    pool["inputs"]["spec"]["limits"].pop("nvidia.com/gpu")


KUEUE = "kubernetes:kueue.x-k8s.io/v1beta2:"


def fin_team_quota_raised_past_its_queue(s):
    """The namespace ceiling lifted, so GPU pods that slip past Kueue are bounded by nothing."""
    quota = of(s, "kubernetes:core/v1:ResourceQuota", "prod-fraud-models-quota")
    quota["inputs"]["spec"]["hard"]["requests.nvidia.com/gpu"] = "64"


def fin_second_queue_in_the_cohort(s):
    """A queue added beside the teams', its guarantee a string the provider would coerce."""
    queue = copy.deepcopy(of(s, f"{KUEUE}ClusterQueue", "prod-fraud-models"))
    flavors = queue["inputs"]["spec"]["resourceGroups"][0]["flavors"]
    flavors[0]["resources"][0]["nominalQuota"] = "4"
    queue["inputs"]["metadata"]["name"] = "team-shadow"
    added(s, queue["type"], "prod-shadow", queue["inputs"])


def fin_queue_borrows_without_limit(s):
    queue = of(s, f"{KUEUE}ClusterQueue", "prod-recommendations")
    queue["inputs"]["spec"]["resourceGroups"][0]["flavors"][0]["resources"][0].pop("borrowingLimit")


def fin_team_local_queue_dropped(s):
    local = of(s, f"{KUEUE}LocalQueue", "prod-fraud-models-default")
    s["deployment"]["resources"].remove(local)


def serving_quota(s, team):
    queue = of(s, f"{KUEUE}ClusterQueue", f"prod-{team}")
    (flavor,) = (
        f
        for f in queue["inputs"]["spec"]["resourceGroups"][0]["flavors"]
        if f["name"] == "inference"
    )
    return flavor["resources"][0]


def fin_serving_gpus_lent(s):
    """Serving's guarantee lent out: a borrower's serving pods could never be reclaimed."""
    serving_quota(s, "fraud-models").pop("lendingLimit")


def fin_serving_gpus_lent_by_an_unlabelled_flavor(s):
    """The flavor drops its workload label, the lending limit is a string: the pool decides."""
    flavor = of(s, f"{KUEUE}ResourceFlavor", "prod-flavor-inference")
    flavor["inputs"]["spec"]["nodeLabels"].pop("mlplat.io/workload")
    serving_quota(s, "recommendations")["lendingLimit"] = "2"


def fin_serving_flavor_open_to_any_gpu_pod(s):
    """The taint that reserves serving's flavor dropped: unplaced GPU pods spill onto it."""
    flavor = of(s, f"{KUEUE}ResourceFlavor", "prod-flavor-inference")
    flavor["inputs"]["spec"].pop("nodeTaints")


ADMISSION = "kubernetes:admissionregistration.k8s.io/v1:"


def fin_serving_priority_policy_audits_only(s):
    """The policy stays, its binding only audits: training labelled serving is admitted."""
    binding = of(s, f"{ADMISSION}ValidatingAdmissionPolicyBinding", "prod-serving-priority-binding")
    binding["inputs"]["spec"]["validationActions"] = ["Audit"]


def fin_children_policy_bound_to_one_team(s):
    """Bound to one team's namespace: the other team's hand-made Job pods escape the queue."""
    binding = of(s, f"{ADMISSION}ValidatingAdmissionPolicyBinding", "prod-children-binding")
    binding["inputs"]["spec"]["matchResources"]["namespaceSelector"] = {
        "matchLabels": {"mlplat.io/team": "fraud-models"}
    }


def fin_team_budget_cut_below_its_guarantee(s):
    budget = of(s, "aws:budgets/budget:Budget", "prod-team-recommendations")
    budget["inputs"]["limitAmount"] = "2000"


def res_public_topic(s):
    topic = of(s, "aws:sns/topicPolicy:TopicPolicy")
    document = json.loads(topic["inputs"]["policy"])
    document["Statement"].append({"Sid": "Any", "Effect": "Allow", "Principal": "*", "Action": "sns:Subscribe", "Resource": "*", "Condition": {"StringEqualsIfExists": {"aws:SourceAccount": ACCOUNT}}})  # fmt: skip
    topic["inputs"]["policy"] = json.dumps(document)


BYPASSES: list[tuple[str, Callable[[dict], None], str, str]] = [
    ("S3", s3_public_by_wildcard_account, "aws-s3-bucket-policy-not-public", "mandatory"),
    ("S3", s3_public_by_foreign_org, "aws-s3-bucket-policy-not-public", "mandatory"),
    ("S3", s3_public_by_not_principal, "aws-s3-bucket-policy-not-public", "mandatory"),
    ("S3", s3_public_behind_a_foreign_endpoint, "aws-s3-bucket-policy-not-public", "mandatory"),
    ("S3", s3_block_flag_as_string, "aws-s3-bucket-public-access-blocked", "mandatory"),
    ("S3", s3_bucket_v2_without_controls, "aws-s3-bucket-public-access-blocked", "mandatory"),
    ("S3", s3_block_secret, "aws-s3-bucket-public-access-blocked", "unknown"),
    ("IAM", iam_not_action, "aws-iam-policy-no-admin", "mandatory"),
    ("IAM", iam_admin_inline_on_a_role, "aws-iam-policy-no-admin", "mandatory"),
    ("IAM", iam_admin_policy_wearing_the_boundary_tag, "aws-iam-policy-no-admin", "mandatory"),
    ("IAM", iam_pass_any_role, "aws-iam-policy-no-privilege-escalation", "mandatory"),
    ("IAM", iam_broad_managed_policy, "aws-iam-no-admin-managed-policy", "mandatory"),
    ("IAM", iam_action_in_another_case, "aws-iam-policy-no-admin", "mandatory"),
    ("IAM", iam_trust_anyone_with_a_wildcard_account, "aws-iam-role-trust-restricted", "mandatory"),
    ("KMS", kms_caller_account_of_another, "aws-kms-key-policy-not-public", "mandatory"),
    ("KMS", kms_wildcard_account_root, "aws-kms-key-policy-not-public", "mandatory"),
    ("KMS", kms_rotation_as_string, "aws-kms-key-rotation", "mandatory"),
    ("CT", ct_single_region_as_string, "aws-cloudtrail-trail-multi-region", "mandatory"),
    ("CT", ct_logging_off_as_string, "aws-cloudtrail-trail-multi-region", "mandatory"),
    ("CT", ct_validation_secret, "aws-cloudtrail-log-validation", "unknown"),
    ("CW", cw_retention_as_string, "aws-cloudwatch-log-group-retention", "mandatory"),
    ("CW", cw_alarm_actions_off_as_string, "aws-cloudwatch-alarm-actions", "mandatory"),
    ("CW", cw_log_group_without_key, "aws-cloudwatch-log-group-encrypted", "mandatory"),
    ("DET", det_guardduty_off_as_string, "aws-guardduty-eks-protection", "mandatory"),
    ("DET", det_recorder_partial_as_string, "aws-config-recorder-all-resources", "mandatory"),
    ("DET", det_recorder_secret, "aws-config-recorder-all-resources", "unknown"),
    ("EKS", eks_node_class_two_hops, "aws-ec2-imds-hop-limit", "mandatory"),
    ("EKS", eks_launch_template_hops_as_string, "aws-ec2-imds-hop-limit", "mandatory"),
    ("EKS", eks_node_class_public_ip, "aws-ec2-launch-template-no-public-ip", "mandatory"),
    ("EKS", eks_node_class_unencrypted_volume, "aws-ec2-ebs-encrypted", "mandatory"),
    ("EKS", eks_public_endpoint_as_string, "aws-eks-cluster-endpoint-private", "mandatory"),
    ("NET", net_ssh_from_two_halves, "aws-ec2-security-group-no-risky-ports-open", "mandatory"),
    ("NET", net_ssh_from_an_ipv6_half, "aws-ec2-security-group-no-risky-ports-open", "mandatory"),
    ("NET", net_ssh_ports_as_strings, "aws-ec2-security-group-no-risky-ports-open", "mandatory"),
    (
        "NET",
        net_all_protocols_on_the_vpc_kind,
        "aws-ec2-security-group-no-all-protocols-open",
        "mandatory",
    ),
    ("NET", net_subnet_public_ip_as_string, "aws-ec2-subnet-no-public-ip", "mandatory"),
    ("RDS", rds_public_as_string, "aws-rds-not-public", "mandatory"),
    ("RDS", rds_public_secret, "aws-rds-not-public", "unknown"),
    ("RDS", rds_unencrypted_as_string, "aws-rds-encrypted-cmk", "mandatory"),
    ("RDS", rds_backups_as_string, "aws-rds-backups-multi-az", "mandatory"),
    ("K8S", k8s_privileged_inference_service, "k8s-workload-no-privileged", "mandatory"),
    ("K8S", k8s_host_network_as_string, "k8s-workload-no-privileged", "mandatory"),
    ("K8S", k8s_root_uid_as_string, "k8s-workload-non-root", "mandatory"),
    ("K8S", k8s_privileged_notebook, "k8s-workload-no-privileged", "mandatory"),
    ("K8S", k8s_model_overlay_adds_capabilities, "k8s-workload-drop-capabilities", "mandatory"),
    ("ENV", env_trust_dev_behind_own_org, "aws-iam-trust-same-environment", "mandatory"),
    ("ENV", env_dev_key_on_a_prod_log_group, "aws-kms-same-environment", "mandatory"),
    ("ENV", env_dev_admin_on_the_prod_cluster, "aws-eks-access-same-environment", "mandatory"),
    ("RES", res_public_topic, "aws-messaging-policy-not-public", "mandatory"),
    ("FIN", fin_gpu_pool_untainted_and_unbounded, "karpenter-nodepool-gpu-limit", "mandatory"),
    ("FIN", fin_team_quota_raised_past_its_queue, "kueue-team-quota-ceiling", "mandatory"),
    ("FIN", fin_second_queue_in_the_cohort, "kueue-cohort-within-pool-limits", "mandatory"),
    ("FIN", fin_queue_borrows_without_limit, "kueue-team-quota-ceiling", "mandatory"),
    ("FIN", fin_team_local_queue_dropped, "kueue-queues-cover-teams-and-pools", "mandatory"),
    ("FIN", fin_team_budget_cut_below_its_guarantee, "kueue-team-gpu-budget", "mandatory"),
    ("FIN", fin_serving_gpus_lent, "kueue-serving-gpus-never-lent", "mandatory"),
    ("FIN", fin_serving_flavor_open_to_any_gpu_pod, "kueue-serving-gpus-never-lent", "mandatory"),
    (
        "FIN",
        fin_serving_priority_policy_audits_only,
        "kueue-admission-policies-enforced",
        "mandatory",
    ),
    (
        "FIN",
        fin_children_policy_bound_to_one_team,
        "kueue-admission-policies-enforced",
        "mandatory",
    ),
    (
        "FIN",
        fin_serving_gpus_lent_by_an_unlabelled_flavor,
        "kueue-serving-gpus-never-lent",
        "mandatory",
    ),
]


def test_every_family_has_three_bypass_attempts():
    families = {family for family, *_ in BYPASSES}
    assert families >= {"S3", "IAM", "KMS", "CT", "CW", "DET", "EKS", "NET", "RDS", "K8S", "ENV"}
    for family in families - {"RES", "FIN"}:
        assert sum(f == family for f, *_ in BYPASSES) >= 3, family


def test_the_unchanged_state_passes(prod, config):
    report = check_state(parse(json.dumps(prod), "prod"), "prod", config)
    assert report.verdict == "PASS", [f for f in report.findings if f.level != "advisory"]


@pytest.mark.parametrize(
    ("family", "mutate", "policy", "level"), BYPASSES, ids=[m.__name__ for _, m, _, _ in BYPASSES]
)
def test_a_bypass_attempt_is_caught(prod, config, family, mutate, policy, level):
    state = copy.deepcopy(prod)
    mutate(state)
    report = check_state(parse(json.dumps(state), "prod"), "prod", config)
    levels = {f.level for f in report.findings if f.policy == policy}
    assert level in levels, (policy, [(f.policy, f.level, f.message) for f in report.findings])
    assert report.verdict != "PASS"
    assert report.errors == ()


def test_one_unknown_bucket_hides_no_other_bucket(prod, config):
    state = copy.deepcopy(prod)
    blocks = [r for r in state["deployment"]["resources"] if r["type"].endswith("PublicAccessBlock:BucketPublicAccessBlock")]  # fmt: skip
    blocks[0]["inputs"]["blockPublicAcls"] = CIPHERTEXT
    state["deployment"]["resources"].remove(blocks[1])
    report = check_state(parse(json.dumps(state), "prod"), "prod", config)
    found = [(f.level, f.message) for f in report.findings if f.policy == "aws-s3-bucket-public-access-blocked"]  # fmt: skip
    assert ("mandatory", "bucket has no public access block") in found
    assert any(level == "unknown" for level, _ in found)


# --- properties --------------------------------------------------------------------------------


def judge(rule_name: str, policy_text: str, config: dict | None = None):
    rule = RULES[rule_name]
    ctx = Ctx(config=rule.configured(config or {}), type="aws:iam/policy:Policy", urn="u")
    return run_resource_rule(rule, {"policy": policy_text}, ctx)


def cased(text: str) -> st.SearchStrategy[str]:
    return st.lists(st.booleans(), min_size=len(text), max_size=len(text)).map(
        lambda upper: "".join(
            c.upper() if u else c.lower() for c, u in zip(text, upper, strict=True)
        )
    )


EVERYTHING = st.one_of(
    st.just("*"),
    st.just("*:*"),
    st.just("*?"),
    st.builds(lambda n: "*" * n, st.integers(1, 3)),
)
NOISE = st.fixed_dictionaries(
    {
        "Effect": st.just("Allow"),
        "Action": st.just("s3:GetObject"),
        "Resource": st.just("arn:aws:s3:::b/*"),
    }
)
EVERY_RESOURCE = st.sampled_from(["*", ["*"], "arn:*", "arn:aws:*", ["arn:aws:s3:::b", "*"]])
CONDITION = st.one_of(
    st.none(),
    st.fixed_dictionaries({"StringEquals": st.dictionaries(st.sampled_from(["aws:RequestedRegion", "aws:PrincipalTag/team", "iam:PassedToService"]), st.text(min_size=1, max_size=8), min_size=1)}),
)  # fmt: skip


def statement(action_key: str, actions, resource, condition) -> dict:
    found = {"Effect": "Allow", action_key: actions}
    found["Resource" if not isinstance(resource, dict) else "NotResource"] = (
        resource if not isinstance(resource, dict) else resource["not"]
    )
    if condition:
        found["Condition"] = condition
    return found


@settings(max_examples=200, deadline=None)
@given(
    st.one_of(
        EVERYTHING.map(lambda a: ("Action", a)),
        st.lists(EVERYTHING, min_size=1, max_size=3).map(lambda a: ("Action", a)),
        st.lists(st.sampled_from(["iam:CreateUser", "s3:GetObject"]), min_size=1).map(lambda a: ("NotAction", a)),
    ),
    st.one_of(EVERY_RESOURCE, st.just({"not": ["arn:aws:s3:::b"]})),
    st.lists(NOISE, max_size=2),
    st.booleans(),
)  # fmt: skip
def test_any_document_granting_everything_is_flagged(action, resource, noise, as_object):
    key, actions = action
    statements = [*noise, statement(key, actions, resource, None)]
    text = json.dumps({"Version": "2012-10-17", "Statement": statements if len(statements) > 1 or not as_object else statements[0]})  # fmt: skip
    assert judge("aws-iam-policy-no-admin", text).status == "fail", text


ESCALATION = ["iam:PassRole", "iam:AttachRolePolicy", "iam:PutRolePolicy", "iam:CreatePolicyVersion", "sts:AssumeRole", "iam:UpdateAssumeRolePolicy"]  # fmt: skip
BROAD = st.sampled_from(["*", "arn:aws:iam::*:role/*", f"arn:aws:iam::{ACCOUNT}:role/*", f"arn:aws:iam::{ACCOUNT}:*", f"arn:aws:iam::{ACCOUNT}:role/mlplat-*", "arn:aws:iam::*:*"])  # fmt: skip


def spelled(action: str) -> st.SearchStrategy[str]:
    """An action as IAM accepts it: any case, or a wildcard that still covers it."""
    service, name = action.split(":")
    return st.one_of(
        cased(action),
        st.integers(1, len(name)).map(lambda n: f"{service}:{name[:n]}*"),
        st.integers(0, len(name) - 1).map(lambda n: f"{service}:*{name[n:]}"),
        st.just(f"{service}:*"),
    )


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(ESCALATION).flatmap(spelled), BROAD, CONDITION, st.lists(NOISE, max_size=2))
def test_any_escalation_beyond_the_environments_roles_is_flagged(
    action, resource, condition, noise
):
    text = doc(*noise, statement("Action", [action], resource, condition))
    config = {"accountId": ACCOUNT, "namePrefix": "mlplat-prod"}
    assert judge("aws-iam-policy-no-privilege-escalation", text, config).status == "fail", text


@settings(max_examples=100, deadline=None)
@given(
    st.sampled_from(ESCALATION).flatmap(spelled), st.text("abcdefghij-", min_size=1, max_size=10)
)
def test_escalation_within_the_environments_own_roles_is_allowed(action, name):
    text = doc(
        statement("Action", [action], f"arn:aws:iam::{ACCOUNT}:role/mlplat-prod-{name}*", None)
    )
    config = {"accountId": ACCOUNT, "namePrefix": "mlplat-prod"}
    assert judge("aws-iam-policy-no-privilege-escalation", text, config).status == "pass", text


OWN = ipaddress.ip_network("10.30.0.0/16")


def outside(network: ipaddress.IPv4Network | ipaddress.IPv6Network) -> bool:
    return not (network.version == 4 and network.subnet_of(OWN))


NETWORKS = st.one_of(
    st.builds(lambda a, p: ipaddress.ip_network((a, p), strict=False), st.integers(0, 2**32 - 1), st.integers(0, 32)),
    st.builds(lambda a, p: ipaddress.ip_network((a, p), strict=False), st.integers(0, 2**128 - 1), st.integers(0, 128)),
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(NETWORKS, min_size=1, max_size=4))
def test_ssh_from_any_source_outside_the_environment_is_flagged(networks):
    rule = RULES["aws-ec2-security-group-no-risky-ports-open"]
    props = {
        "type": "ingress",
        "protocol": "tcp",
        "fromPort": 22,
        "toPort": 22,
        "cidrBlocks": [str(n) for n in networks if n.version == 4],
        "ipv6CidrBlocks": [str(n) for n in networks if n.version == 6],
    }
    ctx = Ctx(
        config=rule.configured({"ownRanges": [str(OWN)]}),
        type="aws:ec2/securityGroupRule:SecurityGroupRule",
        urn="u",
    )
    status = run_resource_rule(rule, props, ctx).status
    assert status == ("fail" if any(outside(n) for n in networks) else "pass"), props
