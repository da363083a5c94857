# The front door: `make run` and `make test` work on a fresh clone.
PYTHON_VERSION := $(shell cat .python-version)
BASE_PYTHON ?= $(shell command -v python$(PYTHON_VERSION) 2>/dev/null || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint format venv install bench clean pango

$(PY):
	$(BASE_PYTHON) -c 'import sys; v = "%d.%d" % sys.version_info[:2]; sys.exit(0 if v == "$(PYTHON_VERSION)" else "Python $(PYTHON_VERSION) is required, found " + v)'
	$(BASE_PYTHON) -m venv $(VENV)

$(STAMP): $(PY) pyproject.toml
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

venv install: $(STAMP)

# The brief's PDF is drawn by WeasyPrint, which needs the Pango libraries of the system: install
# them where they are missing and we may; otherwise say so (the PDF tests are then skipped).
pango:
	@ldconfig -p 2>/dev/null | grep -q libpango-1.0 \
	  || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 >/dev/null 2>&1 \
	  || (apt-get update -qq >/dev/null 2>&1 \
	      && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 >/dev/null 2>&1) \
	  || echo "Pango is missing and could not be installed (apt-get install libpango-1.0-0 libpangoft2-1.0-0): no PDF of the brief; its tests are skipped."

run: $(STAMP) pango
	DEBUG=1 $(PY) manage.py migrate --noinput
	DEBUG=1 $(PY) manage.py compilemessages --ignore '.venv' -v 0
	DEBUG=1 $(PY) manage.py load_scenario
	DEBUG=1 $(PY) manage.py seed_demo
	DEBUG=1 $(PY) scripts/stack.py run

test: $(STAMP) pango
	$(PY) manage.py compilemessages --ignore '.venv' -v 0
	$(PY) scripts/stack.py exec -- $(PY) -m pytest $(PYTEST_ARGS)
ifneq ($(DATABASE_URL),)
	# The concurrent-edit refusal holds on the embedded default too: run it on SQLite as well.
	env -u DATABASE_URL $(PY) -m pytest -q -p no:cacheprovider tests/workinggroups/test_concurrency.py
endif

# Figures for docs/benchmarks.md, on PostgreSQL and Redis (a database of its own, created here).
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/tracker_bench
# The benchmark serves with DEBUG off, which refuses a missing key: one for this run, shared by
# the process that signs in and the server it signs in to.
BENCH_SECRET_KEY := $(or $(SECRET_KEY),$(shell $(BASE_PYTHON) -c 'import secrets; print(secrets.token_urlsafe(64))'))
bench: export SECRET_KEY = $(BENCH_SECRET_KEY)
bench: $(STAMP)
	command -v wrk >/dev/null || apt-get install -y -qq wrk >/dev/null || echo "wrk unavailable: no load figures"
	psql "$(BENCH_DATABASE_URL)" -c 'select 1' >/dev/null 2>&1 || createdb -h 127.0.0.1 -U postgres $(notdir $(BENCH_DATABASE_URL))
	DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) manage.py migrate --noinput -v 0
	$(PY) manage.py collectstatic --noinput -v 0
	# SCALE=10: the large data set ten times over, beside the large set (make bench SCALE=10).
	DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) scripts/stack.py exec -- $(PY) manage.py run_benchmarks --scale $(or $(SCALE),1)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean:
	rm -rf $(VENV) var staticfiles .pytest_cache .ruff_cache
