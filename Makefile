# microgrants: `make` (or `make help`) lists the targets.
#
# Everything runs inside .venv, created with Python 3.11 on first use. The project is
# (re)installed only when pyproject.toml is newer than the stamp file, so reruns are fast.

.DEFAULT_GOAL := help
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DELETE_ON_ERROR:

VENV := .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py
STAMP := $(VENV)/.installed-stamp

HOST ?= 127.0.0.1
PORT ?= 8000
# The address the printed logins and the links in mails point to.
export MICROGRANTS_SITE_URL ?= http://$(HOST):$(PORT)
SIZE ?= 60
BENCH_SIZE ?= 200
PYTEST_ARGS ?=
# Test processes: one per CPU ("auto"), each with its own test database and Redis databases
# (tests/conftest.py: own_redis_url). PYTEST_WORKERS=0 runs everything in this process.
# worksteal: a process that runs out of tests takes some of the other's; the long tests (the
# random walk, the authorization matrix) then no longer leave one process idle at the end.
PYTEST_WORKERS ?= auto
PYTEST_PARALLEL := -n $(PYTEST_WORKERS) --dist worksteal
# Test runs keep their compiled (and pytest's assertion-rewritten) modules in __pycache__, even
# where PYTHONDONTWRITEBYTECODE is set: compiling the tests anew costs each process ~4 s.
PYTEST := PYTHONDONTWRITEBYTECODE= $(PY) -m pytest
BENCH_ARGS ?=
POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/microgrants

# Exit 0 when the database already holds a fund, 3 when it holds none; anything else is an error.
HAS_FUND := import sys; from grants.models import Fund; sys.exit(0 if Fund.objects.exists() else 3)

.PHONY: help install run migrate demo seed test check test-postgres lint fmt bench graph check-graph \
	check-deploy ci clean

help: ## list the targets with what they do (default)
	@echo "microgrants: make <target>"
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-14s %s\n", $$1, $$2}' \
		$(MAKEFILE_LIST)
	@echo "Variables: HOST PORT (run), SIZE (seed), PYTEST_ARGS, BENCH_SIZE BENCH_ARGS (bench),"
	@echo "POSTGRES_URL (test-postgres), PYTEST_WORKERS (test processes; 0: one)."

$(PY):
	@python=$$(command -v python3.11 || true); \
	if [ -z "$$python" ] && python3 -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' \
		2>/dev/null; then python=$$(command -v python3); fi; \
	if [ -z "$$python" ]; then \
		echo "Python 3.11 is required: install python3.11 (or make python3 a 3.11)." >&2; \
		exit 1; \
	fi; \
	echo "Creating $(VENV) with $$python"; \
	"$$python" -m venv $(VENV)

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --disable-pip-version-check -e ".[dev]"
	@touch $@

install: $(STAMP) ## create .venv and install the project with its dev tools (only when needed)

migrate: $(STAMP) ## apply the database migrations
	$(MANAGE) migrate --noinput

demo: migrate ## load the demo data if the database has no fund yet, else print the logins
	@status=0; $(MANAGE) shell --verbosity 0 --command "$(HAS_FUND)" || status=$$?; \
	if [ $$status -eq 3 ]; then \
		$(MANAGE) seed_demo; \
	elif [ $$status -eq 0 ]; then \
		echo "Demo data already loaded; logins:"; \
		$(MANAGE) seed_demo --logins-only; \
	else \
		echo "Could not look into the database (exit $$status)." >&2; \
		exit $$status; \
	fi

run: demo ## install, migrate, load demo data, print the logins, serve http://127.0.0.1:8000
	$(MANAGE) runserver $(HOST):$(PORT)

seed: migrate ## add SIZE (60) more demo applications, whatever is already there
	$(MANAGE) seed_demo --size $(SIZE)

# Any non-zero exit of pytest fails the target, including 5 (no tests collected).
test: $(STAMP) ## run the whole test suite (SQLite unless DATABASE_URL says otherwise)
	$(PYTEST) $(PYTEST_PARALLEL) $(PYTEST_ARGS)

check: $(STAMP) ## the fast part of the suite: no browser, schemathesis or PostgreSQL tests
	MICROGRANTS_QUICK_EXAMPLES=1 $(PYTEST) $(PYTEST_PARALLEL) -m "not browser and not slow and not postgres" $(PYTEST_ARGS)

test-postgres: $(STAMP) ## run the whole test suite on PostgreSQL (POSTGRES_URL)
	DATABASE_URL=$(POSTGRES_URL) $(PYTEST) --create-db $(PYTEST_PARALLEL) $(PYTEST_ARGS)

lint: $(STAMP) ## ruff check, ruff format --check and mypy
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy workflows accounts organisations grants applications conversations interim amendments reviews dashboards partners public calendars webhooks demo config

fmt: $(STAMP) ## sort imports and format the code with ruff
	$(VENV)/bin/ruff check --select I --fix .
	$(VENV)/bin/ruff format .

# Scripts whose --help offers --size get BENCH_SIZE (small, a smoke run); real figures come from
# running a script by hand with a larger --size (see docs/benchmarks.md).
bench: $(STAMP) ## run each tests/benchmarks/bench_*.py with small sizes (BENCH_SIZE)
	@shopt -s nullglob; scripts=(tests/benchmarks/bench_*.py); \
	if [ $${#scripts[@]} -eq 0 ]; then echo "No benchmark scripts in tests/benchmarks/ yet."; fi; \
	export PYTHONPATH=. DJANGO_SETTINGS_MODULE=config.settings; \
	for script in "$${scripts[@]}"; do \
		size=(); \
		if $(PY) "$$script" --help 2>/dev/null | grep -q -- '--size'; then \
			size=(--size $(BENCH_SIZE)); \
		fi; \
		echo "==> $$script $${size[*]} $(BENCH_ARGS)"; \
		$(PY) "$$script" "$${size[@]}" $(BENCH_ARGS); \
	done

graph: $(STAMP) ## regenerate docs/state-machines.md from the models
	$(MANAGE) graph_transitions

check-graph: $(STAMP) ## fail if docs/state-machines.md differs from the models
	$(MANAGE) graph_transitions --check

check-deploy: $(STAMP) ## Django's deployment checks with production-like settings
	DJANGO_DEBUG=0 DJANGO_ALLOWED_HOSTS=grants.example.org CACHE_URL=redis://127.0.0.1:6379/1 \
	DJANGO_SECRET_KEY="$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(64))')" \
	$(MANAGE) check --deploy --fail-level WARNING

ci: ## everything CI runs (.ci/run): fresh .venv, SQLite and PostgreSQL suites, checks
	bash .ci/run

clean: ## remove .venv and caches (keeps db.sqlite3 and media/)
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache .hypothesis *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
