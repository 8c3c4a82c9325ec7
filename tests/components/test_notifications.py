"""Notifications: the environment's alarm topic, encrypted and TLS-only, that only this
account's alarms, budgets and cost anomaly alerts publish to, e-mailing on-call."""

from __future__ import annotations

from collections import Counter

import pytest

from components.notifications import Notifications, NotificationsArgs
from tests.components.builders import LOGS_KEY
from tests.recording import ACCOUNT, policy, record

ARGS = NotificationsArgs(
    topic_name="mlplat-prod-alarms",
    account_id=ACCOUNT,
    key_arn=LOGS_KEY,
    emails=["oncall@example.com", "secops@example.com"],
)
AUDIT = "urn:pulumi:test::mlplat::mlplat:audit:Audit::prod"


@pytest.fixture(scope="module")
def notifications():
    return record(lambda: Notifications("prod", ARGS, moved_from=[AUDIT]))


def test_children(notifications):
    component = notifications.one("mlplat:notifications:Notifications")
    assert notifications.child_types(component.urn) == Counter(
        {
            "aws:sns/topic:Topic": 1,
            "aws:sns/topicPolicy:TopicPolicy": 1,
            "aws:sns/topicSubscription:TopicSubscription": 2,
        }
    )


def test_the_topic_is_encrypted_tls_only_and_published_to_by_this_account_only(notifications):
    topic = notifications.one("aws:sns/topic:Topic")
    assert (topic.inputs["name"], topic.inputs["kmsMasterKeyId"]) == (
        "mlplat-prod-alarms",
        LOGS_KEY,
    )
    publish, tls = policy(notifications.one("aws:sns/topicPolicy:TopicPolicy"), "policy")[
        "Statement"
    ]
    assert publish["Principal"] == {
        "Service": ["budgets.amazonaws.com", "cloudwatch.amazonaws.com", "costalerts.amazonaws.com"]
    }
    assert publish["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}}
    assert tls["Effect"] == "Deny" and tls["Condition"]["Bool"] == {"aws:SecureTransport": "false"}
    subscriptions = notifications.of_type("aws:sns/topicSubscription:TopicSubscription")
    assert sorted((s.inputs["protocol"], s.inputs["endpoint"]) for s in subscriptions) == [
        ("email", "oncall@example.com"),
        ("email", "secops@example.com"),
    ]


def test_children_moved_from_audit_name_their_old_urns(notifications):
    for child in notifications.records:
        if child.custom:
            old = child.urn.replace("mlplat:notifications:Notifications$", "mlplat:audit:Audit$")
            assert child.aliases == [old]


def test_without_a_move_nothing_is_aliased():
    fresh = record(lambda: Notifications("prod", ARGS))
    assert all(r.aliases == [] for r in fresh.records)
