# The two commands of the README:
#   make book   builds the book (executes the notebooks with the `full` profile) into _build/html
#   make test   runs the unit tests, executes every notebook with the `ci` profile,
#               builds the book strictly from clean into _build/html-ci (its own folder:
#               _build/html stays the `full` book) and checks that site in a browser
# Both create the virtual environment .venv on first use and install what they need:
# the Python packages (pyproject.toml), MathJax for the offline site (npm, package.json)
# and, for the browser checks, Debian's chromium (apt-get; sudo when not root).

PYTHON ?= python3
VENV ?= .venv
# cffconvert (validates CITATION.cff) pins jsonschema<4, which JupyterLab cannot use:
# it lives in an environment of its own (pyproject.toml's `citation` dependency group)
CFF_VENV ?= .venv-cff
PY := $(VENV)/bin/python
PROFILE ?= full
NPM ?= npm
MATHJAX := node_modules/.installed
CHROMIUM := /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: book test unit site clean venv

venv: $(VENV)/.installed $(CFF_VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[book,dev]"
	touch $@

$(CFF_VENV)/.installed: pyproject.toml
	test -x $(CFF_VENV)/bin/python || $(PYTHON) -m venv $(CFF_VENV)
	$(CFF_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(CFF_VENV)/bin/python -m pip install --quiet --group citation
	touch $@

$(MATHJAX): package.json package-lock.json
	$(NPM) ci --no-audit --no-fund
	touch $@

$(CHROMIUM):
	$(SUDO) apt-get update -qq
	$(SUDO) apt-get install -y -qq chromium

book: venv $(MATHJAX)
	$(PY) -m rmtlib book --profile $(PROFILE)

unit: venv
	$(PY) -m pytest -q tests rmtlib --ignore=tests/site

site: venv $(MATHJAX) $(CHROMIUM)
	$(PY) -m rmtlib book --profile ci
	$(PY) -m pytest -q tests/site

test: unit site

clean:
	rm -rf _build
