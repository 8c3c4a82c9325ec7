"""ARNs in the partition of the environment's region: `aws`, `aws-cn`, `aws-us-gov`, ... (from
botocore's bundled endpoint data, offline). A literal `arn:aws:` would be wrong outside the
commercial partition, where the same program must run."""

from __future__ import annotations

from functools import cache


@cache
def partition(region: str) -> str:
    import botocore.session

    return str(botocore.session.get_session().get_partition_for_region(region))


def aws_managed_policy(region: str, path: str) -> str:
    """An AWS-managed IAM policy (`SecurityAudit`, `service-role/AmazonEBSCSIDriverPolicy`)."""
    return f"arn:{partition(region)}:iam::aws:policy/{path}"
