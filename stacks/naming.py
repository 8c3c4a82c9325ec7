"""Every physical name of an environment, in one place. The CI deploy role's scope is these
prefixes (IAM roles and policies, queues, event rules: `<prefix>-*`; buckets:
`<prefix>-*-<account>`), so the names and the scope that covers them cannot drift apart
(tests/synthesis/test_deploy_scope.py proves every role the program creates is inside it)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Names:
    environment: str
    account_id: str = ""  # only bucket names need it (they are global)

    @property
    def prefix(self) -> str:
        return f"mlplat-{self.environment}"

    @property
    def cluster(self) -> str:
        return self.prefix

    def role(self, purpose: str) -> str:
        """An IAM role (or policy) of the environment: `mlplat-<env>-<purpose>`."""
        return f"{self.prefix}-{purpose}"

    @property
    def deploy_role(self) -> str:
        return self.role("deploy")

    @property
    def preview_role(self) -> str:
        return self.role("preview")

    @property
    def promotion_role(self) -> str:
        return self.role("promotion")

    def bucket(self, purpose: str) -> str:
        """Bucket names are global: `mlplat-<env>-<purpose>-<account>`."""
        if not self.account_id:
            raise ValueError(f"{self.prefix}: a bucket name needs the account")
        return f"{self.prefix}-{purpose}-{self.account_id}"

    @property
    def state_bucket(self) -> str:
        """The Pulumi state bucket `mlplat bootstrap` creates."""
        return self.bucket("pulumi-state")

    @property
    def key_alias_prefix(self) -> str:
        """KMS aliases are `alias/<env>-<purpose>`: named by environment before the prefix
        existed, and kept, since scripts and people look keys up by these names."""
        return f"alias/{self.environment}-"

    @property
    def flow_log_group(self) -> str:
        """The VPC's flow-log group (named by environment before the prefix existed: renaming a
        log group replaces it and loses its history)."""
        return f"/aws/vpc/{self.environment}/flow-logs"

    @property
    def gpu_cohort(self) -> str:
        """The Kueue cohort every team queue of the environment borrows and lends in."""
        return self.prefix

    @property
    def alarm_topic(self) -> str:
        return f"{self.prefix}-alarms"

    @property
    def tracking_database(self) -> str:
        return f"{self.prefix}-mlflow"
