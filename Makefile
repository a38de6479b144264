# The two commands of the README:
#   make book   builds the book (executes the notebooks with the `full` profile) into _build/html
#   make test   runs the unit tests, executes every notebook with the `ci` profile,
#               builds the book strictly from clean into _build/html-ci (its own folder:
#               _build/html stays the `full` book) and checks that site in a browser;
#               it skips the tests marked `slow` (pyproject.toml), which
#   make test-all  runs as well (so does the nightly workflow)
# Both create the virtual environment .venv on first use and install what they need:
# the Python packages at the exact versions of requirements-lock.txt (then rmtlib itself),
# MathJax for the offline site (npm, package.json) and, for the browser checks, Debian's
# chromium (apt-get; sudo when not root).
#   make lock   regenerates requirements-lock.txt from pyproject.toml (uv pip compile, PyPI
#               only), keeping the locked versions that still fit; `make lock LOCK_FLAGS=--upgrade`
#               moves every package to its newest allowed version.

PYTHON ?= python3
VENV ?= .venv
# cffconvert (validates CITATION.cff) pins jsonschema<4, which JupyterLab cannot use:
# it lives in an environment of its own (pyproject.toml's `citation` dependency group)
CFF_VENV ?= .venv-cff
PY := $(VENV)/bin/python
PROFILE ?= full
NPM ?= npm
LOCK := requirements-lock.txt
UV_VERSION := 0.13.9
LOCK_FLAGS ?=
MATHJAX := node_modules/.installed
CHROMIUM := /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: book test test-all unit unit-all site clean venv lock

venv: $(VENV)/.installed $(CFF_VENV)/.installed

$(VENV)/.installed: pyproject.toml $(LOCK)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --require-hashes -r $(LOCK)
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
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

UNIT := $(PY) -m pytest -q tests rmtlib --ignore=tests/site

unit: venv
	$(UNIT) -m "not slow" -n 2 --dist loadscope

unit-all: venv
	$(UNIT) -n 2 --dist loadscope

site: venv $(MATHJAX) $(CHROMIUM)
	$(PY) -m rmtlib book --profile ci
	$(PY) -m pytest -q tests/site

test: unit site

test-all: unit-all site

clean:
	rm -rf _build

lock:
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet "uv==$(UV_VERSION)"
	$(VENV)/bin/uv pip compile pyproject.toml --extra book --extra dev --universal --python-version 3.10 \
	    --generate-hashes --no-config --default-index https://pypi.org/simple \
	    --custom-compile-command "make lock" --quiet -o $(LOCK) $(LOCK_FLAGS)
