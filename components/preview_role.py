"""The CI preview role: what a pull request's `pulumi preview` runs as. It reads, never writes.

A preview runs the change's own code (the stack program, `make setup`), so whoever can open a
branch controls what runs with this role. It may therefore do what reading the stack needs and
nothing more: read the state bucket's objects (a preview of the S3 backend takes no lock and
writes nothing: pulumi's `diyBackend.Preview` applies as a dry run, where `Update` locks),
decrypt with the state key (the state and its
Pulumi secrets: a preview cannot run without them, so a same-repository branch *can* read the
state's secrets; the README's threat model says why that is accepted and how it is gated), and
the read calls (`Describe*`, `Get*`, `List*`) the deploy role makes to refresh and diff, on the
same resources. Data-plane reads (objects, log events, secret values) are left out.

Its trust admits only the pull-request workflow's preview job, in the GitHub environment
`preview-<env>` (whose reviewers gate staging's and prod's previews), through GitHub's customized
OIDC subject (`SUBJECT_CLAIMS`).
"""

from __future__ import annotations

import fnmatch
import json
from typing import Any

import pulumi
import pulumi_aws as aws

from components import policy_documents as docs
from components.args import arg, component_args
from components.arns import partition
from components.deploy_role import (
    STATE_KEY_TAG,
    DeployScope,
    deploy_policies,
    github_trust,
    inside_scope,
    preview_subject,
)

# Reads of data rather than of configuration: never granted to code nobody has reviewed.
DATA_READS = [
    "s3:GetObject*",
    "logs:GetLogEvents",
    "logs:FilterLogEvents",
    "logs:GetQueryResults",
    "secretsmanager:GetSecretValue",
    "ssm:GetParameter*",
    "kms:GetPublicKey",
    "ecr:GetDownloadUrlForLayer",
    "ecr:BatchGetImage",
    "ecr:GetAuthorizationToken",
]
READ_VERBS = ("Describe", "Get", "List", "View")


def is_read(action: str) -> bool:
    """A configuration read: `<service>:Describe…/Get…/List…/View…`, not a data read."""
    verb = action.split(":", 1)[-1]
    return verb.startswith(READ_VERBS) and not any(
        fnmatch.fnmatchcase(action.lower(), d.lower()) for d in DATA_READS
    )


@component_args
class PreviewRoleArgs:
    scope: DeployScope = arg("what the deploy role deploys: the preview reads the same")
    role_name: str = arg("the role's name (its policies are `<role>-reads-<n>`), inside the scope")
    github_repository: str = arg("`owner/name` of the repository whose pull requests preview")
    github_environment: str = arg("the environment previewed (its `preview-<env>` gate)")
    oidc_provider_arn: pulumi.Input[str] = arg("GitHub's OIDC provider (the deploy role's)")
    permissions_boundary_arn: pulumi.Input[str] = arg("the environment's permission boundary")


# IAM's limit on a managed policy, in characters without white space.
POLICY_LIMIT = 6144


def preview_policies(scope: DeployScope) -> list[dict[str, Any]]:
    """The reads of `preview_statements`, split into documents under IAM's size limit."""
    documents: list[list[dict[str, Any]]] = [[]]
    for statement in preview_statements(scope):
        if len(json.dumps(docs.document(*documents[-1], statement), separators=(",", ":"))) > (
            POLICY_LIMIT
        ):
            documents.append([])
        documents[-1].append(statement)
    return [docs.document(*statements) for statements in documents]


def preview_statements(scope: DeployScope) -> list[dict[str, Any]]:
    """The deploy role's reads, on the same resources, plus the state."""
    ((key, value),) = STATE_KEY_TAG.items()
    s3 = f"arn:{partition(scope.region)}:s3"
    statements: list[dict[str, Any]] = [
        docs.allow(["s3:ListBucket"], [f"{s3}:::{scope.state_bucket}"], sid="StateBucket"),
        docs.allow(["s3:GetObject"], [f"{s3}:::{scope.state_bucket}/*"], sid="StateObjects"),
        docs.allow(
            ["kms:Decrypt", "kms:DescribeKey"],
            [f"arn:{partition(scope.region)}:kms:{scope.region}:{scope.account_id}:key/*"],
            sid="StateAndSecretsKeyOnly",
            conditions={"StringEquals": {f"aws:ResourceTag/{key}": value}},
        ),
    ]
    reads: dict[tuple[str, ...], set[str]] = {}
    for document in deploy_policies(scope).values():
        for statement in document["Statement"]:
            if statement["Effect"] != "Allow" or statement.get("Condition"):
                continue  # conditioned grants are writes confined by their condition
            if "Resource" not in statement:
                continue  # a NotResource grant is never a read of one thing
            actions = {a for a in statement["Action"] if is_read(a)}
            if actions:
                reads.setdefault(tuple(statement["Resource"]), set()).update(actions)
    for number, (resources, actions) in enumerate(sorted(reads.items()), start=1):
        statements.append(docs.allow(sorted(actions), list(resources), sid=f"Reads{number}"))
    return statements


class PreviewRole(pulumi.ComponentResource):
    """The read-only role pull requests' previews assume, and its one policy."""

    def __init__(
        self, name: str, args: PreviewRoleArgs, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__("mlplat:iam:PreviewRole", name, None, opts)
        if problems := inside_scope(args.role_name, args.scope):
            raise ValueError(f"PreviewRole {name}: " + "; ".join(problems))
        child = pulumi.ResourceOptions(parent=self)
        scope = args.scope
        self.role = aws.iam.Role(
            f"{name}-preview",
            name=args.role_name,
            description=f"CI: `pulumi preview` of pull requests to {args.github_repository} "
            f"(GitHub environment preview-{args.github_environment}); reads only",
            assume_role_policy=github_trust(
                args.oidc_provider_arn,
                subject=preview_subject(args.github_repository, args.github_environment),
            ),
            permissions_boundary=args.permissions_boundary_arn,
            opts=child,
        )
        self.policy_arns = []
        for number, document in enumerate(preview_policies(scope), start=1):
            policy = aws.iam.Policy(
                f"{name}-preview-reads-{number}",
                name=f"{args.role_name}-reads-{number}",
                description="CI preview role: the state and the platform's configuration, read "
                "only",
                policy=docs.to_json(document),
                opts=child,
            )
            aws.iam.RolePolicyAttachment(
                f"{name}-preview-reads-{number}",
                role=self.role.name,
                policy_arn=policy.arn,
                opts=child,
            )
            self.policy_arns.append(policy.arn)
        self.role_arn = self.role.arn
        self.register_outputs({"role_arn": self.role.arn, "policy_arns": self.policy_arns})
