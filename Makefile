# Two commands: `make demo` (a running tracker) and `make test` (the whole suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum < requirements.lock | cut -d' ' -f1)
MANAGE := $(BIN)/python manage.py

# The sign-in tests' OpenID Connect provider (npm's oidc-provider, run by node).
OIDC_PROVIDER := tests/support/oidc_provider
OIDC_STAMP := $(OIDC_PROVIDER)/node_modules/.installed-$(shell cksum < $(OIDC_PROVIDER)/package-lock.json | cut -d' ' -f1)

.PHONY: install test-deps node-deps demo test lint format bench faults faults-short browser-deps clean

$(STAMP): requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -r requirements.lock
	@rm -f $(VENV)/.installed-* && touch $(STAMP)

install: $(STAMP)

$(OIDC_STAMP): $(OIDC_PROVIDER)/package-lock.json
	@node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)' \
	  || (echo "The sign-in tests' provider needs node 20.19 or later (make node-deps)" >&2; exit 1)
	npm ci --prefix $(OIDC_PROVIDER) --no-audit --no-fund --loglevel=error
	@rm -f $(OIDC_PROVIDER)/node_modules/.installed-* && touch $@

# What the tests need beyond Python: the OpenID Connect provider's npm packages.
test-deps: $(OIDC_STAMP)

# node and npm for the test provider, from Debian when missing (root, Debian).
node-deps:
	@command -v node >/dev/null && command -v npm >/dev/null || (apt-get update -qq && apt-get install -y -qq nodejs npm >/dev/null)

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
test: install test-deps
	VAR_DIR=$(CURDIR)/var/test $(BIN)/pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

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
