"""ARNs in the partition of the environment's region: `aws`, `aws-cn`, `aws-us-gov`, ... (from
botocore's bundled endpoint data, offline). A literal `arn:aws:` would be wrong outside the
commercial partition, where the same program must run."""

from __future__ import annotations

import re
from functools import cache


@cache
def partition(region: str) -> str:
    import botocore.session

    return str(botocore.session.get_session().get_partition_for_region(region))


def aws_managed_policy(region: str, path: str) -> str:
    """An AWS-managed IAM policy (`SecurityAudit`, `service-role/AmazonEBSCSIDriverPolicy`)."""
    return f"arn:{partition(region)}:iam::aws:policy/{path}"


def arn_problems(
    field: str, value: str, *, service: str, region: str, account_id: str, resource: str
) -> list[str]:
    """A caller's existing resource (bring your own), checked before anything is declared: an
    ARN of `service` in this partition, region (empty for IAM) and account, whose resource part
    matches the regular expression `resource`. One message naming the field, the value and what
    is expected, or none."""
    expected = (
        f"arn:{partition(region)}:{service}:{region if service != 'iam' else ''}:{account_id}:"
    )
    if value.startswith(expected) and re.fullmatch(resource, value[len(expected) :]):
        return []
    return [f"{field}: got {value!r}; expected {expected}{resource} (regular expression)"]


def key_problems(field: str, value: object, *, region: str, account_id: str) -> list[str]:
    """A KMS key given as a string (a key the caller already has) is this environment's: a key
    of another region or account would fail at `pulumi up` or leave data outside it. A key
    created in the same program (an Output) is the program's own and is not checked here."""
    if not isinstance(value, str):
        return []
    return arn_problems(
        field, value, service="kms", region=region, account_id=account_id, resource=r"key/[\w-]+"
    )
