# The DeepSeek Shock — build interface. `make book` and `make test` work on a fresh machine.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Snapshot of prices: ../shared/market-data when present, else yfinance (MARKET_DATA= to force it).
MARKET_DATA ?= $(if $(wildcard ../shared/market-data/prices),../shared/market-data,)
DATA_SOURCE = $(if $(MARKET_DATA),--snapshot $(MARKET_DATA),--yfinance)

.PHONY: book test data pdf refresh vintage bench linkcheck env clean

$(VENV)/.installed: requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $@

env: $(VENV)/.installed

data: env
	$(BIN)/python -m deepshock.data.cli $(DATA_SOURCE)

book: data
	$(BIN)/python -m deepshock.book.build html

pdf: data
	$(BIN)/python -m deepshock.book.build pdflatex

# The tests on every core (pytest-xdist): a module's tests stay on one worker (tests/conftest.py),
# in collection order, so the modules that read the built book start last.
TEST_ARGS ?= -n auto --dist loadfile --no-loadscope-reorder
test: data
	$(BIN)/python -m pytest $(TEST_ARGS)

# Download again with yfinance; on success, proposes a new data/vintage.csv (review: git diff).
refresh: env
	$(BIN)/python -m deepshock.data.yahoo refresh $(REFRESH_ARGS)

# Rewrite data/vintage.csv from the snapshot (else from the synced cache): accepts its data.
vintage: env
	$(BIN)/python -m deepshock.data.vintage write $(if $(MARKET_DATA),--from $(MARKET_DATA),)

bench: data
	$(BIN)/python bench/run.py

mutation: data
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-mutation.txt
	$(BIN)/python bench/mutation.py $(MUTATION_ARGS)

linkcheck: data
	$(BIN)/python -m deepshock.book.build linkcheck

clean:
	rm -rf _build _static/vega-bundle.js
