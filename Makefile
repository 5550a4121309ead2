# Two commands do all the set-up on a machine with Python 3 and make:
#   make demo   create .venv, install cablemgr, load sample_records/ into demo/cablemgr.db, tour it
#   make test   create .venv, install cablemgr with its test tools, lint and run the test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO := CABLEMGR_DB=demo/cablemgr.db CABLEMGR_USER=demo $(BIN)/cablemgr

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
	$(DEMO) show R1

lint: $(STAMP)
	$(BIN)/ruff check cablemgr tests

test: lint
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) demo build dist *.egg-info .pytest_cache .hypothesis
