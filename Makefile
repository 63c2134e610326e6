# The README's two commands: `make run` and `make test`. Both set up everything on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-fast coverage bench bench-scale lint install clean translations

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

# Tests run in parallel, one pytest-xdist worker a CPU and one more (the end-to-end tests mostly wait on the processes
# they start), at most 4; a module's tests on one worker (a world it builds once is built once) and the end-to-end
# tests one after another on one worker, handed out first (tests/conftest.py).
PYTEST_WORKERS ?= $(shell n=$$(nproc); echo $$(( n + 1 < 4 ? n + 1 : 4 )))
PYTEST_PARALLEL ?= -n $(PYTEST_WORKERS) --dist loadscope --no-loadscope-reorder
# One PostgreSQL server and one Kafka broker for the whole run, shared by the workers, stopped afterwards.
# The fifteen slowest steps are listed at the end of `make test`: the suite must stay under 10 minutes.
WITH_SERVERS := $(BIN)/python -m tests.support.servers
COVERAGE := --cov=events --cov=services --cov=contracts --cov=toolkit --cov=dualtrack --cov-report=term:skip-covered

## Every test: the static checks (make lint), then the pyramid: unit and rules (in memory), API (SQLite), stored and
## projections (SQLite + PostgreSQL), integration (Kafka, PostgreSQL, CLI), end to end (real processes).
test: $(STAMP)
	bash infra/ensure-system-packages.sh
	$(MAKE) --no-print-directory lint
	$(WITH_SERVERS) $(BIN)/pytest $(PYTEST_PARALLEL) --durations=15 $(PYTEST_ARGS)

## The in-memory layer: unit tests and the rules of the domain and applications; no server, no database.
test-fast: $(STAMP)
	$(BIN)/pytest -m "unit or rules" $(PYTEST_ARGS)

## Every test, with the line coverage of the packages.
coverage: $(STAMP)
	bash infra/ensure-system-packages.sh
	$(WITH_SERVERS) $(BIN)/pytest $(PYTEST_PARALLEL) $(COVERAGE) $(PYTEST_ARGS)

## Throughput figures next to bare kafka-python references measured in the same run.
bench: $(STAMP)
	bash infra/ensure-system-packages.sh
	$(BIN)/python -m bench $(BENCH_ARGS)

## A province on PostgreSQL and Kafka (5,000, 15,000, 50,000 students; about 20 events each): the cost curve.
bench-scale: $(STAMP)
	bash infra/ensure-system-packages.sh
	$(BIN)/python -m bench.scale $(SCALE_ARGS)

## The static checks: the import contracts (layers, independence), ruff, mypy (strict on events/ and domains).
lint: $(STAMP)
	$(BIN)/lint-imports
	$(BIN)/ruff check .
	$(BIN)/mypy

clean:
	rm -rf $(VENV) var .pytest_cache

## The pages' Chinese catalogs: extract the strings of each part of the web, merge them into its zh catalog (fill in
## the new msgstr lines), compile. tests/unit/test_translations.py fails while a string is untranslated.
## `make translations PART=services/schedules` does one part only.
translations: $(STAMP)
	for part in $(or $(PART),dualtrack/web $$(ls -d services/*/ | sed 's#/$$##')); do \
	  [ -d $$part/translations ] || continue; \
	  sources=$$part; [ $$part = dualtrack/web ] && sources="$$part toolkit/http"; \
	  $(BIN)/pybabel -q extract -F babel.cfg -k lazy_gettext -o $$part/translations/messages.pot $$sources; \
	  $(BIN)/pybabel -q update -i $$part/translations/messages.pot -d $$part/translations -l zh --no-wrap; \
	  $(BIN)/pybabel -q compile -d $$part/translations -l zh; \
	done
