# The two entry points of the README: `make demo` and `make test`.
# Both create the project's virtual environment on first use.
VENV ?= .venv
BIN := $(VENV)/bin
PYTHON ?= python3

.PHONY: demo test lint install

$(VENV)/.installed: pyproject.toml audiences/_sha256.c objections/_hmac.c
	bash .ci/system-packages build
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

demo: $(VENV)/.installed
	$(BIN)/audience-export demo

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

test: lint
	bash .ci/system-packages browser
	$(BIN)/pytest
