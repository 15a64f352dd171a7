# Two commands: `make demo` (a running tracker) and `make test` (the whole suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum < requirements.lock | cut -d' ' -f1)
MANAGE := $(BIN)/python manage.py

.PHONY: install demo test lint format bench faults faults-short browser-deps clean

$(STAMP): requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -r requirements.lock
	@rm -f $(VENV)/.installed-* && touch $(STAMP)

install: $(STAMP)

demo: export ADMIN_REQUIRE_OTP ?= 0
# As production runs (DEBUG off: the branded error pages, never Django's debug pages), over plain
# HTTP on this machine, with a secret key of its own kept in var/.
demo: export DEBUG ?= 0
demo: export SECURE_SSL_REDIRECT ?= 0
demo: export SECURE_COOKIES ?= 0
demo: export SECURE_HSTS_SECONDS ?= 0
demo: export SECRET_KEY ?= $(shell test -s var/demo-secret-key || (mkdir -p var && $(PYTHON) -c "import secrets; print(secrets.token_urlsafe(50))" > var/demo-secret-key); cat var/demo-secret-key)
demo: export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
demo: install
	$(MANAGE) migrate --noinput -v0
	$(MANAGE) collectstatic --noinput -v0
	$(MANAGE) demo_setup
	$(BIN)/honcho start -f Procfile

# Embedded by default (SQLite, filesystem broker). Set DATABASE_URL and CELERY_BROKER_URL to run
# the same suite against PostgreSQL and Redis. Test state lives apart from the demo's, in var/test.
test: install
	VAR_DIR=$(CURDIR)/var/test $(BIN)/pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Debian's Chromium and Korean fonts for the browser tests (root, Debian); Playwright never
# downloads a browser here.
browser-deps:
	@command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium fonts-noto-cjk >/dev/null)
	@fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || (apt-get update -qq && apt-get install -y -qq fonts-noto-cjk >/dev/null)

# Sweep, delivery and page benchmarks at 1,000 / 10,000 / 100,000 items beside their floors, on
# the local PostgreSQL and Redis (databases tracker_bench_*, Redis db 9); installs wrk if missing.
# Prints the table and writes bench/results.md. BENCH_ARGS="--reuse" keeps matching data sets.
bench: install
	$(BIN)/python -m bench.run $(BENCH_ARGS)

faults: install
	$(BIN)/python -m bench.faults --rounds 56

faults-short: install
	$(BIN)/python -m bench.faults --rounds 8

clean:
	rm -rf var staticfiles .pytest_cache
