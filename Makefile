# The two commands a new user needs (see README.md):
#   make serve   set up, build the knowledge base and serve it on http://127.0.0.1:5000
#   make test    set up, install Chromium and PostgreSQL if missing, run every test
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?=

.PHONY: setup serve build test

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
