"""Entry point for the Pulumi CLI (`main: stacks/` in Pulumi.yaml)."""

from stacks.program import main

main()
