# The two commands a new clone needs:  make run  and  make test
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000

.PHONY: run test lint lock venv bench-deps clean

$(VENV)/.installed: requirements.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -r requirements.lock
	touch $@

venv: $(VENV)/.installed

## Run the site locally: web server + Celery worker (+ beat) + devstripe, demo content loaded.
run: venv
	PORT=$(PORT) bin/run-local

## Run the whole test suite (uses DATABASE_URL / CELERY_BROKER_URL when they are set).
test: venv
	$(PY) -m pytest $(PYTEST_ARGS)

## Lint as CI does: ruff rules and format, and the one-way app layering (import-linter).
lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

## Install the benchmark-only reference libraries (the "bench" extra) into the venv.
bench-deps: venv
	$(PY) -c 'import tomllib; print("\n".join(tomllib.load(open("pyproject.toml", "rb"))["project"]["optional-dependencies"]["bench"]))' > .venv/bench-ranges.txt
	$(PY) -m pip install --quiet -c requirements.lock -r .venv/bench-ranges.txt

## Re-resolve the dependency ranges in pyproject.toml into requirements.lock.
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/pip install --quiet --upgrade pip
	$(PYTHON) -c 'import tomllib; p = tomllib.load(open("pyproject.toml", "rb"))["project"]; print("\n".join(p["dependencies"] + p["optional-dependencies"]["dev"]))' > .lock-venv/ranges.txt
	.lock-venv/bin/pip install --quiet -r .lock-venv/ranges.txt
	echo "# Exact versions for every install (make run, make test, CI, Dockerfile). Regenerate: make lock" > requirements.lock
	.lock-venv/bin/pip freeze >> requirements.lock
	rm -rf .lock-venv

clean:
	rm -rf $(VENV) .data staticfiles
