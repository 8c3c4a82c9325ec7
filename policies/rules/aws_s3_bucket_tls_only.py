from collections.abc import Mapping, Sequence
from typing import Any

from policies import facts
from policies.framework import Config, Findings, Resource, StackFindings, each, of_types, stack_rule

POLICY = ("aws:s3/bucketPolicy:BucketPolicy",)


def denies_plain_http(statement: Mapping[str, Any]) -> bool:
    if statement.get("Effect") != "Deny" or "*" not in facts.principals(statement):
        return False
    condition = statement.get("Condition") or {}
    secure = (condition.get("Bool") or {}).get("aws:SecureTransport")
    return str(secure).lower() == "false"


@stack_rule(
    name="aws-s3-bucket-tls-only",
    types=[*facts.BUCKETS, *POLICY],
    control="S3-03",
    description="Every bucket's policy denies requests not made over TLS.",
    severity="high",
    remediation="Add a Deny for Principal '*' with Condition Bool aws:SecureTransport=false.",
)
def check(resources: Sequence[Resource], config: Config) -> StackFindings:
    yield from each(of_types(resources, *facts.BUCKETS), lambda bucket: _bucket(resources, bucket))


def _bucket(resources: Sequence[Resource], bucket: Resource) -> Findings:
    documents = [p.props.get("policy") for p in facts.attached(resources, bucket, POLICY)]
    documents.append(bucket.props.get("policy"))
    if not any(denies_plain_http(s) for d in documents for s in facts.statements(d)):
        yield "no policy statement denies aws:SecureTransport=false"


RULE = check
