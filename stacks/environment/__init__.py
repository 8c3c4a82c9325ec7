"""The environment as typed config: read `environments/Pulumi.<env>.yaml` once, validate, report
every problem at once.

The file is the Pulumi stack config file itself (`stackConfigDir: environments`), so `pulumi up`
and offline synthesis read the same bytes. The whole environment lives under one structured key,
`mlplat:environment`; sibling files are read for the checks that span environments (disjoint
CIDRs, distinct accounts).

- `models`: the schema, field by field, and Problem/SpecError;
- `cross_checks`: the checks that relate fields, or this environment to its siblings;
- `loading`: files to a validated spec.
"""

from stacks.environment.loading import (
    environment_file,
    known_environments,
    load_environment,
    parse_stack_file,
    promotion_source,
    promotion_targets,
    validate_environment,
)
from stacks.environment.models import (
    ENVIRONMENT_KEY,
    EnvironmentSpec,
    GpuPoolSpec,
    Problem,
    ServedModelSpec,
    SpecError,
    SystemNodesSpec,
    TeamSpec,
)

__all__ = [
    "ENVIRONMENT_KEY",
    "EnvironmentSpec",
    "GpuPoolSpec",
    "Problem",
    "ServedModelSpec",
    "SpecError",
    "SystemNodesSpec",
    "TeamSpec",
    "environment_file",
    "known_environments",
    "load_environment",
    "parse_stack_file",
    "promotion_source",
    "promotion_targets",
    "validate_environment",
]
