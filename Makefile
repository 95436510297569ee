# forum: `make run` serves the site with demo content, `make test` runs the suite.
# Every target bootstraps .venv first; nothing needs activating.

HOST ?= 127.0.0.1
PORT ?= 5000
PYTHON ?= python3
PYTEST_ARGS ?=

VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.requirements-installed
FLASK := $(BIN)/flask --app forum

.PHONY: run test bench lint install

# The virtualenv, created once.
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Reinstall only when requirements.txt is newer than the stamp.
$(STAMP): requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --disable-pip-version-check -q -r requirements.txt
	touch $@

install: $(STAMP)

# Upgrade the schema, load the demo into an empty database, bring the search
# index up to date with the database (building it if missing), then serve.
# `exec` puts the server in the shell's place, so the SIGTERM make forwards
# (or a Ctrl-C) reaches it and nothing is left running.
run: $(STAMP)
	$(FLASK) db upgrade
	$(FLASK) demo load --if-enabled
	$(FLASK) search sync
	@echo "Serving forum on http://$(HOST):$(PORT)/ (Ctrl-C stops it)"
	exec $(FLASK) run --host "$(HOST)" --port "$(PORT)" --no-reload

# The whole suite; e.g. PYTEST_ARGS="-x -k votes" make test
test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: $(STAMP)
	@echo "Benchmarks print figures; run one with: $(BIN)/python bench/<name>.py"
	@set -- bench/*.py; \
	if [ -e "$$1" ]; then for f; do echo "  $$f"; done; \
	else echo "  (no benchmarks yet)"; fi

# ruff is optional: lint runs when it is installed (in .venv or on PATH).
lint:
	@ruff=$$(command -v $(BIN)/ruff || command -v ruff || true); \
	if [ -z "$$ruff" ]; then \
		echo "ruff is not installed; skipping lint (install: $(BIN)/pip install ruff)"; \
	else \
		$$ruff check . && $$ruff format --check .; \
	fi
