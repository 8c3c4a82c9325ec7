"""Every IAM policy and trust document in a state, linted by parliament (offline, pinned, in its
own environment like checkov: it still imports pkg_resources, which the project's setuptools no
longer ships).
"""

from __future__ import annotations

import fnmatch
import json
import re
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from mlplat.tools import LinterError, run, tool

PARLIAMENT_VERSION = "1.6.4"
Kind = Literal["identity", "trust", "resource"]

# Where documents live: type -> [(prop, kind)].
DOCUMENTS: dict[str, list[tuple[str, Kind]]] = {
    "aws:iam/policy:Policy": [("policy", "identity")],
    "aws:iam/rolePolicy:RolePolicy": [("policy", "identity")],
    "aws:iam/userPolicy:UserPolicy": [("policy", "identity")],
    "aws:iam/groupPolicy:GroupPolicy": [("policy", "identity")],
    "aws:iam/role:Role": [("assumeRolePolicy", "trust")],
    "aws:kms/key:Key": [("policy", "resource")],
    "aws:kms/keyPolicy:KeyPolicy": [("policy", "resource")],
    "aws:s3/bucketPolicy:BucketPolicy": [("policy", "resource")],
    "aws:ecr/repositoryPolicy:RepositoryPolicy": [("policy", "resource")],
    "aws:sqs/queuePolicy:QueuePolicy": [("policy", "resource")],
    "aws:sns/topicPolicy:TopicPolicy": [("policy", "resource")],
}

# parliament reads every document as an identity policy. For the others, some findings are about
# that reading, not about the document, and are dropped here (and only here): (issue, detail).
NOT_APPLICABLE: dict[Kind, list[tuple[str, re.Pattern[str]]]] = {
    "trust": [
        # A trust policy has a Principal and no Resource by definition.
        ("MALFORMED", re.compile(r"Statement contains neither Resource nor NotResource")),
        # parliament 1.6.4 knows SAML and four web identity providers, not IAM OIDC providers
        # (GitHub Actions, EKS): the rule aws-iam-oidc-trust-pinned checks those trusts.
        ("UNKNOWN_FEDERATION_SOURCE", re.compile(r"arn:aws:iam::\d{12}:oidc-provider/[^/*]+")),
    ],
    # In a key, bucket or queue policy `Resource: "*"` means the resource the policy is on.
    "resource": [("RESOURCE_STAR", re.compile(r".*", re.DOTALL))],
}


@dataclass(frozen=True)
class IamFinding:
    urn: str
    prop: str
    issue: str
    severity: str
    detail: str


def documents(resources: Sequence[Mapping[str, Any]]) -> list[tuple[str, str, Kind, str]]:
    """(urn, prop, kind, JSON text) of every policy document held as a string."""
    found = []
    for resource in resources:
        for prop, kind in DOCUMENTS.get(resource["type"], []):
            text = (resource.get("inputs") or {}).get(prop)
            if isinstance(text, str) and text.strip().startswith("{"):
                found.append((resource["urn"], prop, kind, text))
    return found


def _ignored(kind: Kind, issue: str, detail: str) -> bool:
    return any(
        issue == known and pattern.fullmatch(detail)
        for known, pattern in NOT_APPLICABLE.get(kind, [])
    )


def _uncovered(document_text: str, mismatches: list[dict[str, str]]) -> list[dict[str, str]]:
    """The RESOURCE_MISMATCH items no Allow statement of the document covers.

    parliament judges each statement alone; AWS evaluates each resource of a request against
    every statement. A policy that splits an action across statements (Karpenter's upstream
    RunInstances: images and subnets unconditioned, instances only with the cluster's tags)
    grants exactly what it must, so only a format missing from the whole document is a finding.
    """
    statements = _statements(document_text)
    granted = [
        (
            [str(a) for a in _as_list(st.get("Action"))],
            [str(r) for r in _as_list(st.get("Resource"))],
        )
        for st in statements
        if st.get("Effect") == "Allow"
    ]
    return [
        item
        for item in mismatches
        if not any(
            any(fnmatch.fnmatchcase(item["action"].lower(), a.lower()) for a in actions)
            and any(fnmatch.fnmatchcase(r, item["required_format"]) for r in resources)
            for actions, resources in granted
        )
    ]


ESCALATION = re.compile(r"Possible resource policy privilege escalation on (\S+) due to s3:(\w+) ")


def _escalation_closed(document_text: str, detail: str) -> bool:
    """parliament warns that a principal who may edit a bucket's policy but not read (or write,
    delete) its objects could grant itself that access. An explicit Deny of that object access in
    the same document closes the path: an explicit Deny wins over any bucket policy grant."""
    match = ESCALATION.match(detail)
    if not match:
        return False
    bucket, privilege = match.groups()
    objects = f"{bucket}/*"
    for st in _statements(document_text):
        if st.get("Effect") != "Deny" or st.get("Condition"):
            continue
        actions = [str(a) for a in _as_list(st.get("Action"))]
        if not any(fnmatch.fnmatchcase(f"s3:{privilege}".lower(), a.lower()) for a in actions):
            continue
        if "Resource" in st:
            covered = any(fnmatch.fnmatchcase(objects, str(r)) for r in _as_list(st["Resource"]))
        else:  # NotResource: denied unless excluded; an exclusion never spans the whole pattern
            covered = not any(
                fnmatch.fnmatchcase(objects, str(r)) for r in _as_list(st.get("NotResource"))
            )
        if covered:
            return True
    return False


def _granting(docs: Sequence[tuple[str, str, Kind, str]], detail: str) -> list[int]:
    """Documents with an Allow of the finding's bucket privilege on the resource it names."""
    match = re.search(r"on (\S+) due to s3:\w+ not being allowed, but does allow s3:(\w+)", detail)
    if not match:
        return []
    resource, privilege = match.groups()
    found = []
    for index, (_, _, _, text) in enumerate(docs):
        for st in _statements(text):
            if st.get("Effect") != "Allow":
                continue
            actions = [str(a).lower() for a in _as_list(st.get("Action"))]
            if resource in [str(r) for r in _as_list(st.get("Resource"))] and any(
                fnmatch.fnmatchcase(f"s3:{privilege}".lower(), a) for a in actions
            ):
                found.append(index)
                break
    return found


def _statements(document_text: str) -> list[dict[str, Any]]:
    """The document's statements (none if it does not parse)."""
    try:
        document = json.loads(document_text)
    except ValueError:
        return []
    found = document.get("Statement") if isinstance(document, dict) else None
    return [st for st in _as_list(found) if isinstance(st, dict)]


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [] if value is None else [value]


def lint(resources: Sequence[Mapping[str, Any]]) -> tuple[int, list[IamFinding]]:
    """(documents linted, findings of LOW severity and above)."""
    docs = documents(resources)
    if not docs:
        return 0, []
    with tempfile.TemporaryDirectory(prefix="mlplat-iam-") as scratch:
        for index, (_, _, _, text) in enumerate(docs):
            (Path(scratch) / f"{index}.json").write_text(text)
        completed = run(
            tool(
                "parliament", "--directory", scratch, "--include_policy_extension", "json",
                "--json", "--minimum_severity", "LOW",
            ),
            "parliament",
        )  # fmt: skip
    # parliament exits 1 when it reports findings; only unparseable output is a failure.
    findings: list[IamFinding] = []
    escalations: set[IamFinding] = set()
    for line in completed.stdout.splitlines():
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError:
            raise LinterError(
                f"parliament {PARLIAMENT_VERSION} could not run: {completed.stderr.strip()[-600:]}"
            ) from None
        detail = record.get("detail")
        if record["issue"] == "RESOURCE_POLICY_PRIVILEGE_ESCALATION":
            # parliament 1.6.4 files this cross-statement finding under the wrong document in
            # directory mode: it is attributed here to the documents that grant the bucket
            # privilege on the resource it names.
            for index in _granting(docs, str(detail)):
                urn, prop, kind, text = docs[index]
                if not _escalation_closed(text, str(detail)):
                    escalations.add(
                        IamFinding(urn, prop, record["issue"], record["severity"], str(detail))
                    )
            continue
        index = int(Path(record["location"]["filepath"]).stem)
        urn, prop, kind, text = docs[index]
        if record["issue"] == "RESOURCE_MISMATCH" and isinstance(detail, list):
            detail = _uncovered(text, detail)
            if not detail:
                continue
        detail_text = detail if isinstance(detail, str) else json.dumps(detail)
        if _ignored(kind, record["issue"], detail_text):
            continue
        findings.append(IamFinding(urn, prop, record["issue"], record["severity"], detail_text))
    if completed.returncode not in (0, 1):
        raise LinterError(
            f"parliament {PARLIAMENT_VERSION} could not run (exit {completed.returncode}): "
            f"{completed.stderr.strip()[-600:]}"
        )
    return len(docs), findings + sorted(escalations, key=lambda f: (f.urn, f.detail))
