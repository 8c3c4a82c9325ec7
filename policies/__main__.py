"""The CrossGuard policy pack. The only place a PolicyPack is built (building it starts a server).

pulumi preview --policy-pack policies --policy-pack-config environments/policy.<env>.json
"""

from __future__ import annotations

import sys
from pathlib import Path

# The pack runs as a script from this folder; make `policies.*` importable from the repository.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pulumi_policy import PolicyPack

from policies.crossguard import policies

PolicyPack(name="mlplat", policies=policies(), enforcement_level=None)
