# Harbor Bank support desk. `make` lists the targets.
# The two a newcomer needs: `make demo` (run the desk) and `make test` (run the tests).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# A CPU build of PyTorch; point PIP_EXTRA_INDEX_URL at a CPU wheel index on machines without one.
TORCH ?= torch==2.13.0
STAMP := $(VENV)/.installed

.DEFAULT_GOAL := help

.PHONY: help
help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet "$(TORCH)"
	@echo "Installing the desk (llama-cpp-python compiles once, about 5 minutes on 2 cores)..."
	$(BIN)/pip install --quiet -e ".[dev]"
	@touch $@

.PHONY: install
install: $(STAMP) ## create .venv and install the desk with its dev tools

.PHONY: demo
demo: $(STAMP) ## ingest the help centre, start the local model server and the API
	$(BIN)/supportdesk demo

.PHONY: test
test: lint ## lint, then the whole test suite (unit and integration)
	$(BIN)/pytest

.PHONY: test-unit
test-unit: $(STAMP) ## run the tests that need no model server
	$(BIN)/pytest -m "not integration"

.PHONY: lint
lint: $(STAMP) ## ruff and mypy
	$(BIN)/ruff check services infra tests tools
	$(BIN)/ruff format --check services infra tests tools
	$(BIN)/mypy

.PHONY: load-baseline load-spike load-soak load-capacity
load-baseline: $(STAMP) ## load test: steady baseline (about 3 minutes), report in reports/
	$(BIN)/python -m tests.load.run baseline

load-spike: $(STAMP) ## load test: a 10x spike (about 4 minutes), report with a PASS/FAIL verdict
	$(BIN)/python -m tests.load.run spike

load-soak: $(STAMP) ## load test: 30 minutes at baseline (memory growth, errors)
	$(BIN)/python -m tests.load.run soak

load-capacity: $(STAMP) ## load test: turns/s before shedding, cache hits and full turns, against a bare endpoint
	$(BIN)/python -m tests.load.run capacity

.PHONY: ingest
ingest: $(STAMP) ## sync the help centre into the vector store
	$(BIN)/supportdesk ingest

.PHONY: serve
serve: $(STAMP) ## run only the API (start the model server with `make modelserver`)
	$(BIN)/supportdesk serve

.PHONY: modelserver
modelserver: $(STAMP) ## run only the local model server
	$(BIN)/supportdesk modelserver

.PHONY: studio
studio: $(STAMP) ## open the graph in LangGraph Studio (langgraph dev)
	$(BIN)/langgraph dev --no-browser --allow-blocking

.PHONY: clean
clean: ## remove embedded data (vector store, conversations, caches)
	rm -rf .data
