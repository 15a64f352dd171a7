# Two commands: `make demo` (a running tracker) and `make test` (the whole suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum < requirements.lock | cut -d' ' -f1)
MANAGE := $(BIN)/python manage.py

.PHONY: install demo test lint format bench faults faults-short browser-deps pdf-deps clean

$(STAMP): requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -r requirements.lock
	@rm -f $(VENV)/.installed-* && touch $(STAMP)

install: $(STAMP)

demo: export ADMIN_REQUIRE_OTP ?= 0
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
	$(BIN)/lint-imports --no-cache

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Debian's Chromium and Korean fonts for the browser tests (root, Debian); Playwright never
# downloads a browser here.
browser-deps:
	@command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium fonts-noto-cjk >/dev/null)
	@fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || (apt-get update -qq && apt-get install -y -qq fonts-noto-cjk >/dev/null)

# Debian's Pango (WeasyPrint draws the snapshot reports' PDF with it), Korean fonts, and poppler's
# pdftotext and pdftoppm (the report tests read the PDF back and picture its first pages).
pdf-deps:
	@dpkg -s libpango-1.0-0 libpangoft2-1.0-0 fonts-noto-cjk poppler-utils >/dev/null 2>&1 || \
	  (apt-get update -qq && apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 fonts-noto-cjk poppler-utils >/dev/null)

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
