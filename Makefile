# The two commands a newcomer runs: `make demo` and `make test`; developers loop on `make check`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
STAMP := $(VENV)/.installed

.PHONY: demo test check lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/sunshine demo --port $(PORT)

test: lint
	$(BIN)/pytest -q

# Lint, then the tests marked neither slow, services nor browser, one process per core, on the
# embedded defaults (SQLite, the in-process store) whatever SUNSHINE_TEST_* says.
check: lint
	env -u SUNSHINE_TEST_REDIS_URL -u SUNSHINE_TEST_DATABASE_URL -u CI \
		$(BIN)/pytest -q -n auto -m "not slow and not services and not browser"

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python bench/webhook.py

clean:
	rm -rf $(VENV) build *.egg-info
