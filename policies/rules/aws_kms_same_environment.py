import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from policies import facts
from policies.framework import Ctx, Findings, Props, UnknownValueError, resource_rule

# Property names that hold a KMS key reference, anywhere in a resource's inputs.
KEY_PROPERTY = re.compile(r"^(kms.*key.*|keyArn|kmsMasterKeyId|encryptionKey)$", re.IGNORECASE)


def key_references(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """(property path, value) of every key reference; an unknown value matters only where it
    sits in a key property, so unknowns elsewhere are stepped over."""
    if isinstance(value, Mapping):
        items = [(str(key), f"{path}.{key}" if path else str(key)) for key in value]
        for key, where in items:
            is_key = bool(KEY_PROPERTY.match(key))
            try:
                child = value[key]
            except UnknownValueError:
                if is_key:
                    raise
                continue
            if is_key and isinstance(child, str):
                yield where, child
            else:
                yield from key_references(child, where)
    elif isinstance(value, Sequence) and not isinstance(value, str):
        for index in range(len(value)):
            try:
                child = value[index]
            except UnknownValueError:
                continue
            yield from key_references(child, f"{path}[{index}]")


@resource_rule(
    name="aws-kms-same-environment",
    control="ENV-04",
    types=["aws:*"],
    description="Keys are never shared across environments: every key reference is this "
    "environment's account or alias, and key policies grant no other environment.",
    severity="critical",
    remediation="Use the environment's own keys (alias/<env>-<purpose>).",
    config_schema={
        "environment": facts.ENVIRONMENT,
        "accountId": facts.ACCOUNT_ID,
        "otherEnvironments": facts.OTHER_ENVIRONMENTS,
        "promotionReaders": facts.PROMOTION_READERS,
    },
)
def check(props: Props, ctx: Ctx) -> Findings:
    own, env = ctx.config.get("accountId"), ctx.config.get("environment")
    others = facts.other_accounts(ctx.config)
    if ctx.type == "aws:kms/alias:Alias":
        name = str(props.get("name") or "")
        if env and not name.startswith(f"alias/{env}-"):
            yield f"alias {name!r} is not prefixed with alias/{env}-"
    for where, reference in key_references(props):
        account = facts.arn_account(reference)
        if account and own and account != own:
            yield f"{where} uses a key of account {account} ({others.get(account, 'foreign')})"
        elif reference.startswith("alias/") and env and not reference.startswith(f"alias/{env}-"):
            yield f"{where} uses alias {reference!r}, not one of this environment's"
    if ctx.type in ("aws:kms/key:Key", "aws:kms/keyPolicy:KeyPolicy"):
        for statement in facts.statements(props.get("policy")):
            if facts.promotion_read(statement, ctx.config["promotionReaders"], ["kms:Decrypt"]):
                continue  # the next environment's promotion role decrypts approved models
            for account in facts.aws_principal_accounts(statement):
                if account in others:
                    yield f"key policy grants environment {others[account]} (account {account})"


RULE = check
