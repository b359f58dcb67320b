# The two commands a new user needs (see README.md):
#   make serve   set up, build the knowledge base and serve it on http://127.0.0.1:5000
#   make test    set up, install Chromium, PostgreSQL and R if missing, run every test
# For developers: make check   ruff and the quick tests (no PostgreSQL, browser, R or load test), < 2 minutes
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?=

.PHONY: setup serve build test check

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

setup: $(VENV)/.installed

build: setup
	$(BIN)/evidence build

serve: build
	$(BIN)/evidence serve

test: setup
	scripts/install-test-deps
	scripts/with-postgres $(BIN)/python -m pytest --browser $(PYTEST_ARGS)

# The quick loop while developing; `make test` (what CI runs) stays the whole truth.
check: setup
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q -x -m "not slow" tests/stats tests/importers tests/test_docs.py \
		--ignore tests/stats/test_stats_dependent_oracle.py $(PYTEST_ARGS)
