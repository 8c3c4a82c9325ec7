"""The one catalog of pinned platform versions. Every component takes its versions from here;
an environment may move one ahead (dev first) to rehearse an upgrade."""

from __future__ import annotations

# EKS standard support until 2027-03-27 (released on EKS 2026-01-28).
KUBERNETES_VERSION = "1.35"
