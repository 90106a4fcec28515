# The two commands: `make run` and `make test`. Everything is installed into .venv from PyPI.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
STAMP  := $(VENV)/.installed
PYPROJECTS := $(wildcard libs/*/pyproject.toml services/*/pyproject.toml deploy/*/pyproject.toml)

.PHONY: run test lint browser bench setup clean catalogue test-deploy

setup: $(STAMP)

$(STAMP): requirements-dev.txt constraints.txt $(PYPROJECTS)
	@test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -r requirements-dev.txt -c constraints.txt
	@touch $(STAMP)

run: $(STAMP)
	$(PY) -m devstack run --var var

test: $(STAMP) lint browser
	$(PY) -m pytest $(PYTEST_ARGS)

# The stack in containers (docker-compose.yml) on podman's Docker API: installs podman as root when
# missing, builds the images offline (cache in var/deploy/), brings the stack up, tests, tears down.
test-deploy: $(STAMP)
	$(PY) tests/deploy/localengine.py
	DELAKTIG_TEST_DEPLOY=1 $(PY) -m pytest tests/deploy deploy/operator/tests -p no:randomly -x -q --timeout 900 $(PYTEST_ARGS)

# Debian's Chromium for the browser tests: installed as root, or one line saying what to run.
browser: $(STAMP)
	$(PY) -m devstack.chromium

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy libs/backbone/src services/*/src deploy/devstack/src deploy/operator/src bench

bench: $(STAMP)
	$(PY) -m bench.run

catalogue: $(STAMP)
	$(PY) -m backbone.catalogue > docs/events.json

clean:
	rm -rf $(VENV)
