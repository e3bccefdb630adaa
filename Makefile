# Partner Portal. The README's two commands: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
WEB_CONCURRENCY ?= 4
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: run test serve bench lint install messages clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

install: $(STAMP)

## The local demo: SQLite under var/, demo data on first start, DEBUG on.
run: $(STAMP)
	DEBUG=1 $(BIN)/python manage.py migrate --noinput
	DEBUG=1 $(BIN)/python manage.py seed_demo --if-empty
	@echo ""
	@echo "Partner Portal on http://$(HOST):$(PORT)/  — demo logins (login / password):"
	@echo "  admin / admin        publisher staff (also /admin/)"
	@echo "  partner / partner    Alpha Distribution (partner)"
	@echo "  reseller / reseller  Alpha Revente (reseller of Alpha Distribution)"
	@echo "  partner2 / partner2  Beta Distribution (partner)"
	@echo "  viewer / viewer      Alpha Distribution, read-only"
	@echo ""
	@echo "  Webhooks: the worker that sends them runs beside the server (manage.py qcluster)."
	@echo ""
	@DEBUG=1 $(BIN)/python manage.py qcluster & worker=$$!; \
	 trap 'kill $$worker 2>/dev/null; wait $$worker' EXIT INT TERM; \
	 DEBUG=1 $(BIN)/python manage.py runserver $(HOST):$(PORT)

## The whole suite: SQLite by default, PostgreSQL when DATABASE_URL names it.
test: $(STAMP)
	@if [ -n "$$DATABASE_URL" ] && [[ "$$DATABASE_URL" == postgres* ]]; then bash scripts/start-postgres.sh; fi
	@if [ -x /usr/bin/chromium ]; then echo "Browser tests: Chromium found at /usr/bin/chromium."; \
	 else echo "Browser tests: /usr/bin/chromium is absent, the browser tests will be skipped (apt-get install chromium)."; fi
	PORTAL_ALLOW_INSECURE_KEY=1 PORTAL_PLAIN_STATIC=1 HTTPS=0 $(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	PORTAL_ALLOW_INSECURE_KEY=1 $(BIN)/python manage.py makemigrations --check --dry-run

## Production mode: DEBUG off, gunicorn, whitenoise, and the webhook worker (manage.py
## qcluster) beside it. Needs SECRET_KEY and ALLOWED_HOSTS.
serve: $(STAMP)
	@test -n "$$SECRET_KEY" || { echo "SECRET_KEY is required"; exit 1; }
	@test -n "$$ALLOWED_HOSTS" || { echo "ALLOWED_HOSTS is required"; exit 1; }
	DEBUG=0 $(BIN)/python manage.py migrate --noinput
	DEBUG=0 $(BIN)/python manage.py collectstatic --noinput -v0
	@DEBUG=0 $(BIN)/python manage.py qcluster & worker=$$!; \
	 trap 'kill $$worker 2>/dev/null; wait $$worker' EXIT INT TERM; \
	 DEBUG=0 $(BIN)/gunicorn portal.wsgi:application --bind $(HOST):$(PORT) \
		--workers $(WEB_CONCURRENCY) --access-logfile - --forwarded-allow-ips '*'

## The scale benchmark (scripts/bench/), on an idle machine: BENCH_SIZES=1000,… overrides
## the sizes; the run replaces the `## Latest run` section of docs/benchmarks.md.
bench: $(STAMP)
	bash scripts/start-postgres.sh
	PORTAL_ALLOW_INSECURE_KEY=1 $(BIN)/python -m scripts.bench

messages: $(STAMP)
	PORTAL_ALLOW_INSECURE_KEY=1 $(BIN)/python manage.py makemessages -l fr --no-obsolete --ignore=.venv --ignore=var
	PORTAL_ALLOW_INSECURE_KEY=1 $(BIN)/python manage.py compilemessages --ignore=.venv

clean:
	rm -rf $(VENV) var/staticfiles
