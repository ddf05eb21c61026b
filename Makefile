# The documented commands. `make local` and `make test` are all a fresh machine needs.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Lambda runs python3.13; use it for the venv when the machine has it (pyenv or PATH).
# (pyenv shims answer `command -v` even when the version is not selected, so try each one.)
PYTHON ?= $(shell for p in $$HOME/.pyenv/versions/3.13*/bin/python3.13 python3.13 python3; do \
	"$$p" -c 'import sys; assert sys.version_info >= (3, 11)' 2>/dev/null && { command -v "$$p"; break; }; done)
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
# The venv first on PATH: `sam build` finds python3.13 there, and tools resolve to pinned versions.
export PATH := $(BIN):$(PATH)
export AWS_DEFAULT_REGION ?= us-east-1
export SAM_CLI_TELEMETRY := 0
export AWS_SAM_STACK_NAME ?= local
# Offline tools (sam validate, cfn-lint) need some credentials; never real ones here.
LINT_ENV := AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_SESSION_TOKEN=

.PHONY: help venv security reliability conformance local local-detach local-stop lint format typecheck validate unit unit-app unit-localcloud integration test build bench soak diagrams demo lock clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

$(VENV)/.installed: requirements-dev.txt constraints.txt localcloud/pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -r requirements-dev.txt -c constraints.txt
	$(BIN)/python -m pip install -q --disable-pip-version-check -e ./localcloud -c constraints.txt
	@touch $@

venv: $(VENV)/.installed  ## create .venv with the pinned tools

.venv-checkov/.installed: requirements-security.txt constraints-security.txt
	@test -x .venv-checkov/bin/python || $(PYTHON) -m venv .venv-checkov
	.venv-checkov/bin/python -m pip install -q --disable-pip-version-check -r requirements-security.txt -c constraints-security.txt
	@touch $@

local: venv  ## deploy template.yaml on the local cloud and stay up (Ctrl-C stops)
	$(BIN)/python -m localcloud up --stack-name $(AWS_SAM_STACK_NAME)

local-detach: venv  ## start the local cloud in the background and wait until it is ready
	$(BIN)/python -m localcloud up --stack-name $(AWS_SAM_STACK_NAME) --detach

local-stop: venv  ## stop a detached local cloud
	$(BIN)/python -m localcloud stop

format: venv  ## apply ruff formatting and safe fixes
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

typecheck: venv  ## mypy --strict on every system under src/, localcloud, stackclient, bench, img
	$(BIN)/mypy

validate: venv  ## sam validate --lint (cfn-lint) on template.yaml
	$(LINT_ENV) $(BIN)/sam validate --lint --template-file template.yaml

security: .venv-checkov/.installed  ## checkov on the template (skips are justified inline)
	BC_SKIP_MAPPING=TRUE .venv-checkov/bin/checkov --file template.yaml --framework cloudformation \
		--compact --quiet --skip-download

# mypy is most of lint's CPU and runs on one core: validate and security share the other.
lint: venv  ## ruff, mypy, sam validate --lint, checkov
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(MAKE) --no-print-directory -j2 --output-sync=target typecheck validate security

# Two pytest processes on purpose: `mock_aws` resets moto's in-process backends when it exits,
# and the local-cloud tests run moto servers in-process, so the two must not share a process.
# tests/unit runs in random order: each test sets and restores the state it uses. The seed is
# printed first (pytest-randomly's own header is hidden by -q); RANDOMLY_SEED=N replays an order.
# The local cloud's tests go by file (module fixtures deploy once per file) on three workers for
# two cores: the pip tests (a fresh venv, a project's requirements.txt) wait on the package index
# and the disk, not the CPU, for most of the run, and would hold one of two workers throughout.
unit: unit-app unit-localcloud  ## unit tests (moto) in random order, then the local cloud's own tests

unit-app: venv
	@seed=$${RANDOMLY_SEED:-$$((RANDOM * 32768 + RANDOM))}; \
	echo "tests/unit in random order; replay it with RANDOMLY_SEED=$$seed make unit-app"; \
	$(BIN)/pytest -q -n 2 -p randomly --randomly-seed=$$seed tests/unit  # one line per fuzz property

unit-localcloud: venv
	$(BIN)/pytest -q -n 3 --dist loadfile -c localcloud/pyproject.toml --rootdir localcloud localcloud/tests \
		--ignore localcloud/tests/conformance

# Tests go to either worker as it frees up; the outbox readers take turns through the
# `outbox_turn` file lock (tests/integration/conftest.py), not xdist groups, which this
# pytest-xdist ignores.
integration: venv  ## integration suite against a freshly started local cloud
	$(BIN)/python -m localcloud run --stack-name $(AWS_SAM_STACK_NAME) -- \
		$(BIN)/pytest -q -n 2 --dist load tests/integration

# Its own pytest process: it runs a local cloud (moto) in-process. A hang must fail, not stall CI:
# a scenario running past the faulthandler timeout dumps every thread's stack (how the moto race
# behind one 40-minute CI hang would have shown itself), and `timeout` ends the run.
RELIABILITY = $(BIN)/pytest -q -p no:logging -o faulthandler_timeout=240 tests/reliability -s
reliability: venv  ## fault-injection scenarios on an in-process local cloud (~2 min)
	timeout 900 $(RELIABILITY)

soak: venv  ## the same scenarios at soak size (5000 records, 500 messages, 60 s API load; ~7 min)
	SOAK_RECORDS=5000 SOAK_MESSAGES=500 API_LOAD_SECONDS=60 timeout 1800 $(RELIABILITY)

# The AWS SDK for JavaScript v3 the conformance suite drives, exactly as its lockfile pins it.
CONFORMANCE_JS := localcloud/tests/conformance/js
$(CONFORMANCE_JS)/node_modules/.package-lock.json: $(CONFORMANCE_JS)/package-lock.json
	cd $(CONFORMANCE_JS) && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# Its own pytest process: one in-process local cloud (moto) for the session, stock clients at it.
conformance: venv $(CONFORMANCE_JS)/node_modules/.package-lock.json  ## stock clients (AWS CLI, SAM CLI, JS SDK v3, awscurl, requests-aws4auth) against a fresh local cloud
	timeout 900 $(BIN)/pytest -q -p no:logging -c localcloud/pyproject.toml --rootdir localcloud \
		localcloud/tests/conformance

# Every stage at once, each printed whole when it ends: most of the suites' wall time is waiting
# (pip, timeouts, batching windows, subprocesses starting), which a neighbour's CPU fills. Their
# waits are bounded for a loaded machine (CI's is), so they pass beside each other.
test: venv  ## everything CI runs
	$(MAKE) --no-print-directory -j7 --output-sync=target lint build unit-app unit-localcloud \
		integration reliability conformance

build: venv  ## sam build (no Docker; python3.13 from the venv)
	$(LINT_ENV) $(BIN)/sam build

diagrams: venv  ## render the README diagrams (img/*.png) from img/generate.py
	@command -v dot >/dev/null || { \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then apt-get install -y -qq graphviz; \
		else echo "Graphviz 'dot' not found: install Graphviz: apt-get install graphviz / brew install graphviz" >&2; exit 1; fi; }
	$(BIN)/python img/generate.py

bench: venv  ## benchmarks: ratios against baselines measured in the same run (~22 min on 2 cores)
	$(BIN)/python -m bench.run_all

DEMO_ARGS ?= --records 1000 --messages 50
demo: venv  ## send records and inbox messages to the stack AWS_SAM_STACK_NAME names, show latency
	$(BIN)/python -m stackclient demo $(DEMO_ARGS)

lock:  ## re-resolve constraints.txt from requirements-dev.txt
	rm -rf /tmp/lock-venv && $(PYTHON) -m venv /tmp/lock-venv
	/tmp/lock-venv/bin/pip install -q -r requirements-dev.txt
	( echo '# Full pinned set resolved from requirements-dev.txt (pip freeze); refresh with `make lock`.'; /tmp/lock-venv/bin/pip freeze ) > constraints.txt

clean:
	rm -rf .aws-sam .localcloud .pytest_cache .mypy_cache .ruff_cache
