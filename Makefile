# The two commands: `make run` and `make test`. Everything else supports them.
PY ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
        command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
        && { echo $$p; break; }; done)
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run test lint format clean console-messages

$(STAMP): pyproject.toml
	@test -n "$(PY)" || { echo "Python 3.11 or newer is needed" >&2; exit 1; }
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test,browser]'
	touch $(STAMP)

install: $(STAMP)

## Serve on http://127.0.0.1:8000 with the embedded SQLite database, and the delivery worker
## beside it (stopped with the server).
run: install
	$(BIN)/pirights db upgrade
	$(BIN)/pirights worker & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	  $(BIN)/pirights serve --host $(HOST) --port $(PORT)

## Run every test (PostgreSQL too when PIRIGHTS_TEST_DATABASE_URL is set).
test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check pirights tests migrations bench
	$(BIN)/ruff format --check pirights tests migrations bench
	$(BIN)/lint-imports --no-cache

format: install
	$(BIN)/ruff format pirights tests migrations bench
	$(BIN)/ruff check --fix pirights tests migrations bench

## The console's catalogs: extract its strings, merge them into zh and en (translate the new
## ones in the .po files), then compile; run again after translating.
CONSOLE_I18N := pirights/console/translations
console-messages: install
	$(BIN)/pybabel extract -F pirights/console/babel.cfg -k _l -k lazy_gettext -k lazy_pgettext:1c,2 --no-location \
	  --sort-output --project pirights -o $(CONSOLE_I18N)/messages.pot .
	$(BIN)/pybabel update -i $(CONSOLE_I18N)/messages.pot -d $(CONSOLE_I18N) -D messages \
	  --no-fuzzy-matching --ignore-obsolete -w 100
	$(BIN)/pybabel compile -d $(CONSOLE_I18N) -D messages --statistics

clean:
	rm -rf $(VENV) instance .pytest_cache .hypothesis
