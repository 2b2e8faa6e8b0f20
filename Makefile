# Kakehashi developer commands. `make install` once, then `make run` or `make test`.
# uv from PATH, else as a module (installed on first `make install` when missing).
UV ?= $(shell command -v uv 2>/dev/null || echo python3 -m uv)
PY := $(UV) run --frozen
SRC := libs services cli tests

.PHONY: install run test test-unit test-integration test-e2e lint typecheck format schemas bench node-test clean

install:  ## create .venv with every package and dev tool (from uv.lock)
	@$(UV) --version >/dev/null 2>&1 || python3 -m pip install --quiet "uv>=0.5"
	$(UV) sync --frozen

run: install  ## the sandbox: simulators + all services, seeded; Ctrl-C stops it
	$(PY) kakehashi sandbox

test: install lint typecheck node-test  ## lint + typecheck + every test (RabbitMQ must answer on 127.0.0.1:5672)
	$(PY) pytest

test-unit: install
	$(PY) pytest -m "not rabbitmq and not e2e and not mongodb"

test-integration: install  ## real RabbitMQ (and real MongoDB when MONGODB_URL is set)
	$(PY) pytest -m "rabbitmq or mongodb"

test-e2e: install
	$(PY) pytest -m e2e

lint: install
	$(PY) ruff check $(SRC)
	$(PY) ruff format --check $(SRC)

typecheck: install
	$(PY) mypy $(SRC)

format: install
	$(PY) ruff format $(SRC)
	$(PY) ruff check --fix $(SRC)

schemas: install  ## regenerate the committed JSON Schemas of every message
	$(PY) python -m kakehashi.contracts.schemas

node-test:  ## the Garoon customization file, with Node's built-in test runner
	@if [ -d deploy/garoon/test ]; then node --test deploy/garoon/test/; fi

bench: install  ## load the sandbox and write bench-report.json
	$(PY) kakehashi bench

clean:
	rm -rf .venv .mypy_cache .ruff_cache .pytest_cache .hypothesis .kakehashi
