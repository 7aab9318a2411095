# contactcenter: `make run` starts the product, `make test` proves it.
# Both work on a fresh machine with only Python 3.11+; set DATABASE_URL and
# CELERY_BROKER_URL to run on PostgreSQL and Redis instead of SQLite and a folder.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
PYTEST_ARGS ?= -n 2

.PHONY: run test install migrate demo lint format bench screenshots clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(INSTALLED): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(INSTALLED)

install: $(INSTALLED)

migrate: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py createcachetable

demo: migrate
	$(BIN)/python manage.py seed_demo --if-empty

run: demo
	@echo "contactcenter on http://127.0.0.1:8000  (Ctrl-C stops web, worker and beat)"
	DEMO_FEED=1 PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho start -f Procfile

test: install
	$(BIN)/pytest $(PYTEST_ARGS)

screenshots: install
	SAVE_SCREENSHOTS=1 $(BIN)/pytest -p no:xdist tests/e2e/test_dashboard_browser.py tests/e2e/test_schedule_browser.py

bench: install
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/kpis.py
	$(BIN)/python bench/schedules.py
	$(BIN)/python bench/forecast.py
	$(BIN)/python bench/staffing.py
	$(BIN)/python bench/proposal.py

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python manage.py makemigrations --check --dry-run

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf var staticfiles .pytest_cache
