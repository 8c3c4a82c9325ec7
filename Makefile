# Two commands a newcomer needs: `make plan` and `make test`. Both set everything up first, on a
# machine with nothing but Python 3.11+: uv is installed into .tools/ if it is not on PATH, and uv
# builds .venv/ from the lock file.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

UV_VERSION := 0.13.8
UV := $(or $(shell command -v uv 2>/dev/null),$(CURDIR)/.tools/bin/uv)
VENV := .venv
BIN := $(VENV)/bin
# Where upstream's kustomize trees, CRDs and charts are cached (README, "Upstream cache"); this
# repository's CI has them beside the checkout.
export MLPLAT_UPSTREAM ?= $(or $(wildcard $(CURDIR)/../shared/upstream),$(HOME)/.cache/mlplat/upstream)

.PHONY: help setup plan test lint typecheck bench generate clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(CURDIR)/.tools/bin/uv:
	@echo "installing uv $(UV_VERSION) into .tools/ (first run only)"
	python3 -m venv .tools
	.tools/bin/python -m pip install --quiet "uv==$(UV_VERSION)"

# Bytecode compiled once at install: pulumi-aws alone is 120 MB of Python, and every new process
# (each `mlplat` run, each test subprocess) would otherwise compile what it imports.
$(VENV)/.synced: pyproject.toml uv.lock | $(UV)
	@echo "installing the pinned toolchain into $(VENV)/ from uv.lock (first run: about a minute)"
	$(UV) sync --frozen --compile-bytecode
	@touch $@

setup: $(VENV)/.synced  ## install the pinned toolchain into .venv

plan: setup  ## synthesize, render, draw and check dev, staging and prod offline; print the summaries
	$(BIN)/mlplat synth --all
	$(BIN)/mlplat render --all
	$(BIN)/mlplat draw --all
	$(BIN)/mlplat check --all

lint: setup  ## ruff lint and format check; zizmor on the workflows (offline, medium and above)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/zizmor --offline --quiet --config .github/zizmor.yml --min-severity medium .github/workflows

typecheck: setup  ## mypy on components/, stacks/, mlplat/, policies/
	$(BIN)/mypy

test: lint typecheck  ## lint, types, then every test layer
	$(BIN)/pytest

bench: setup  ## timing benchmarks (printed, never asserted)
	$(BIN)/python benchmarks/synth.py
	$(BIN)/python benchmarks/check.py
	$(BIN)/python benchmarks/cost.py
	$(BIN)/python benchmarks/render.py
	$(BIN)/python benchmarks/plan.py

generate: setup  ## regenerate README tables, environments/policy.<env>.json, manifests/ overlays
	$(BIN)/python -m mlplat.readme
	$(BIN)/python -m stacks.overlays
	$(BIN)/mlplat policy-config --all
	$(BIN)/mlplat synth prod --out build
	$(BIN)/mlplat draw prod --out build
	cp build/prod/architecture.svg build/prod/architecture.png docs/

clean:  ## remove build output and caches (keeps .venv)
	rm -rf build .pytest_cache .ruff_cache .mypy_cache
