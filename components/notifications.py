"""The environment's alarm topic: encrypted, TLS-only, published to by this account's alarms,
budgets and cost anomaly alerts (and by Alertmanager through its role), e-mailing on-call.
Audit, CostControls and Observability receive its ARN."""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_aws as aws

from components import policy_documents as docs
from components.args import arg, component_args


@component_args
class NotificationsArgs:
    topic_name: str = arg("`mlplat-<env>-alarms`")
    account_id: str = arg("the environment's account: only its services publish")
    key_arn: pulumi.Input[str] = arg("encrypts the topic (the environment's logs key)")
    emails: Sequence[str] = arg("who the topic e-mails", default=())


def topic_policy(topic_arn: str, account_id: str) -> str:
    """Only this account's alarms, budgets and cost anomaly alerts publish."""
    return docs.to_json(
        docs.document(
            docs.allow(
                ["sns:Publish"],
                [topic_arn],
                sid="AccountServicesPublish",
                principal={
                    "Service": [
                        "budgets.amazonaws.com",
                        "cloudwatch.amazonaws.com",
                        "costalerts.amazonaws.com",
                    ]
                },
                conditions={"StringEquals": {"aws:SourceAccount": account_id}},
            ),
            docs.deny(
                ["sns:Publish", "sns:Subscribe"],
                [topic_arn],
                sid="TlsOnly",
                principal={"AWS": "*"},
                conditions={"Bool": {"aws:SecureTransport": "false"}},
            ),
        )
    )


class Notifications(pulumi.ComponentResource):
    """The topic, its policy and one e-mail subscription per address.

    `moved_from`: the component that held these before (Audit, up to 0.16), so a deployed stack
    moves them instead of replacing them."""

    def __init__(
        self,
        name: str,
        args: NotificationsArgs,
        opts: pulumi.ResourceOptions | None = None,
        *,
        moved_from: Sequence[pulumi.Input[str]] = (),
    ):
        super().__init__("mlplat:notifications:Notifications", name, None, opts)
        child = pulumi.ResourceOptions(
            parent=self, aliases=[pulumi.Alias(parent=urn) for urn in moved_from]
        )
        self.topic = aws.sns.Topic(
            f"{name}-alarms",
            name=args.topic_name,
            kms_master_key_id=args.key_arn,
            opts=child,
        )
        aws.sns.TopicPolicy(
            f"{name}-alarms",
            arn=self.topic.arn,
            policy=self.topic.arn.apply(lambda topic: topic_policy(topic, args.account_id)),
            opts=child,
        )
        for email in args.emails:
            aws.sns.TopicSubscription(
                f"{name}-alarms-{email}",
                topic=self.topic.arn,
                protocol="email",
                endpoint=email,
                opts=child,
            )
        self.topic_arn = self.topic.arn
        self.register_outputs({"topic_arn": self.topic.arn, "topic_name": self.topic.name})
