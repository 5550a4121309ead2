# Two commands do all the set-up on a machine with Python 3 and make:
#   make demo   create .venv, install cablemgr, load sample_records/ into demo/cablemgr.db, tour it
#   make test   create .venv, install cablemgr with its test tools, lint and run the test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The sample records describe the unit's situation on 2026-11-23; the demo pins that day so
# what is overdue or due soon stays the same whenever it runs.
DEMO := CABLEMGR_DB=demo/cablemgr.db CABLEMGR_USER=demo CABLEMGR_TODAY=2026-11-23 $(BIN)/cablemgr

.PHONY: demo test lint clean

$(STAMP): setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	rm -rf demo && mkdir -p demo
	$(DEMO) init
	$(DEMO) import sample_records/
	$(DEMO) list --limit 10
	$(DEMO) search attribution --post geneva
	$(DEMO) due --within 14d
	$(DEMO) digest --since 7d
	$(DEMO) export commitments --format html -o demo/briefing.html
	@echo "Try: CABLEMGR_DB=demo/cablemgr.db .venv/bin/cablemgr --help"

lint: $(STAMP)
	$(BIN)/ruff check cablemgr tests

test: lint
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) demo build dist *.egg-info .pytest_cache .hypothesis
