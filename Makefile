# The README's two commands: `make run` and `make test`. Both set up everything on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test bench lint install clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

## Start broker, API, relays and projector with demo data; Ctrl-C stops them all.
run: $(STAMP)
	bash infra/ensure-system-packages.sh
	$(BIN)/dualtrack run

## Every test: architecture contract, unit, service (SQLite + PostgreSQL), projections, API, Kafka, end to end.
test: $(STAMP)
	bash infra/ensure-system-packages.sh
	$(BIN)/lint-imports
	$(BIN)/pytest $(PYTEST_ARGS)

## Throughput figures next to bare kafka-python references measured in the same run.
bench: $(STAMP)
	bash infra/ensure-system-packages.sh
	$(BIN)/python -m bench $(BENCH_ARGS)

lint: $(STAMP)
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) var .pytest_cache
