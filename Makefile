# Baton's everyday commands. `make` lists them.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# pytest processes for `make test` (pytest-xdist; a test file stays on one process): one per core.
TEST_WORKERS ?= auto

.DEFAULT_GOAL := help
.PHONY: help install frontend run test lint typecheck perf coverage-table clean

help: ## List these targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "} {printf "  make %-14s %s\n", $$1, $$2}'

install: $(STAMP) frontend ## Create .venv, install Baton with its dev tools, build the browser assets (quick when done)

# The modeller and the live diagrams are bundled from package.json by esbuild into static/dist/
# (not committed). Without npm the Python install still completes; those pages then say so.
NODE_STAMP := node_modules/.baton-installed
DIST       := static/dist/modeller.js

frontend: ## Build the browser assets: npm ci + esbuild (needs Node.js 18+; skipped without npm)
	@if [ ! -f package.json ]; then exit 0; fi; \
	if command -v npm >/dev/null 2>&1; then $(MAKE) --no-print-directory $(DIST); else \
	  echo "npm not found: skipping the front-end build. The modeller and live diagrams need it:" >&2; \
	  echo "install Node.js 18+ (with npm) and run 'make install' again." >&2; fi

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

$(DIST): $(NODE_STAMP) scripts/build-frontend.mjs .bpmnlintrc $(wildcard static/src/*)
	npm run --silent build

# Re-installs only when pyproject.toml is newer than the last install.
$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || { \
	  echo "Baton needs Python 3.11 or newer; '$(PYTHON)' is: $$($(PYTHON) --version 2>&1)." >&2; \
	  echo "Install one and run: make PYTHON=python3.11 $(MAKECMDGOALS)" >&2; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --disable-pip-version-check -q -e '.[dev]'
	@touch $@

run: install ## Start Baton: web server, worker, embedded Redis (Ctrl-C stops all)
	$(BIN)/flask --app wsgi up $(ARGS)

test: install ## The whole check: ruff, mypy, import contracts, pytest
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile $(ARGS)

lint: install ## ruff and the import-layer contracts
	$(BIN)/ruff check .
	$(BIN)/lint-imports

typecheck: install ## mypy (configured in pyproject.toml)
	$(BIN)/mypy

perf: install ## Run the benchmarks in tests/perf (they print figures)
	@set -e; ran=; for f in tests/perf/*.py; do \
	  case $$f in *'*'*|*/__init__.py|*/conftest.py|*/test_*) continue;; esac; \
	  echo "== $$f"; $(BIN)/python $$f; ran=1; done; \
	  test -n "$$ran" || echo "No benchmarks in tests/perf yet."

# Runs the engine and server tests (not browser, not perf) recording which models each passing test
# deploys and which elements complete (tests/coverage_plugin.py), then writes the table. The table is
# written even when some tests fail (their evidence is left out); make still reports the failure.
COVERAGE_JSON := build/element-coverage.json

coverage-table: install ## Regenerate docs/element-coverage.md: BPMN/DMN elements the tests run, per dialect
	@rm -f $(COVERAGE_JSON); status=0; \
	BATON_ELEMENT_COVERAGE=$(COVERAGE_JSON) $(BIN)/pytest tests/bpmn tests/server -q --continue-on-collection-errors $(ARGS) || status=$$?; \
	$(BIN)/python scripts/element_coverage.py $(COVERAGE_JSON) && exit $$status

clean: ## Remove .venv, node_modules, built assets and caches (keeps instance/, your data)
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache node_modules static/dist test-artifacts
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
