# The two commands of the README:
#   make book   builds the book (executes the notebooks with the `full` profile) into _build/html
#   make test   runs the unit tests, executes every notebook with the `ci` profile,
#               builds the book strictly from clean and checks the site in a browser
# Both create the virtual environment .venv on first use and install what they need.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PROFILE ?= full

.PHONY: book test unit site clean venv

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[book,dev]"
	touch $@

book: venv
	$(PY) -m rmtlib book --profile $(PROFILE)

unit: venv
	$(PY) -m pytest -q tests rmtlib --ignore=tests/site

site: venv
	$(PY) -m rmtlib book --profile ci
	$(PY) -m pytest -q tests/site

test: unit site

clean:
	rm -rf _build
