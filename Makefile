# `make demo` and `make test` build everything they need from nothing. `make test` is the
# full gate; `make test-fast` is the same but for the tests marked slow (browser, tmux,
# package builds, botdeck run as a process on the wall clock), for day-to-day work.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: demo test test-fast lint bench clean venv

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/botdeck demo

lint: $(STAMP)
	$(BIN)/ruff check botdeck tests benchmarks
	$(BIN)/ruff format --check botdeck tests benchmarks
	$(BIN)/lint-imports --no-cache
	$(BIN)/mypy

test: $(STAMP) lint
	@command -v tmux >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq tmux >/dev/null) || echo "tmux unavailable: terminal smoke tests will be skipped"
	@command -v chromium >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null) || echo "chromium unavailable: browser tests will be skipped"
	$(BIN)/python -m pytest

test-fast: $(STAMP) lint
	$(BIN)/python -m pytest -m "not slow"

bench: $(STAMP)
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
