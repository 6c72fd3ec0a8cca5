# Two commands: `make run` (the demo on http://127.0.0.1:8000) and `make test` (SQLite, then PostgreSQL).
# `make bench` runs the release benchmark (docs/benchmarks.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
RUNTIME_STAMP := $(VENV)/.runtime-stamp
HOST ?= 127.0.0.1
PORT ?= 8000
WORKERS ?= 2
THREADS ?= 4
PG_SERVER_URL ?= postgresql://postgres@127.0.0.1:5432/postgres
BENCH_SIZE ?= default
BENCH_DATABASE ?= both
BENCH_ARGS ?=

BROWSER_PACKAGES := chromium chromium-driver fonts-noto-cjk

.PHONY: install runtime run test migrate clean browsers screenshots loadgen bench clients oidc-provider

# Running needs requirements.txt only; the tests, fuzzers and benchmark tools come from requirements-dev.txt.
$(RUNTIME_STAMP): requirements.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	@touch $(RUNTIME_STAMP)

$(STAMP): $(RUNTIME_STAMP) requirements-dev.txt
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	@touch $(STAMP)

runtime: $(RUNTIME_STAMP)

install: $(STAMP)

migrate: runtime
	$(BIN)/flask --app wsgi db upgrade

run: migrate
	$(BIN)/flask --app wsgi seed-demo
	@echo "Serving on http://$(HOST):$(PORT)  (console: http://$(HOST):$(PORT)/console, API docs: http://$(HOST):$(PORT)/docs)"
	@# The scheduler runs beside the API as its own process and stops with it.
	ALLOW_PRIVATE_WEBHOOKS=1 $(BIN)/flask --app wsgi scheduler & SCHEDULER=$$!; trap 'kill $$SCHEDULER' EXIT INT TERM; \
	CONSOLE_SHOW_DEMO_LOGINS=1 ALLOW_PRIVATE_WEBHOOKS=1 $(BIN)/gunicorn --worker-class gthread --workers $(WORKERS) \
		--threads $(THREADS) --bind $(HOST):$(PORT) --access-logfile - wsgi:app

# The browser tests drive Debian's headless Chromium; install it (and a CJK font for Chinese pages) when missing.
browsers:
	@if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ] && fc-list :lang=zh 2>/dev/null | grep -q .; then exit 0; fi; \
	echo "Installing $(BROWSER_PACKAGES) for the browser tests"; \
	if [ "$$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi; \
	$$sudo apt-get update -q && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -q $(BROWSER_PACKAGES) \
		|| { echo "FATAL: could not install $(BROWSER_PACKAGES); the browser tests need them" >&2; exit 1; }; \
	[ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ] \
		|| { echo "FATAL: /usr/bin/chromium or /usr/bin/chromedriver is still missing" >&2; exit 1; }

# The suite runs on SQLite, then again on a throwaway PostgreSQL database when a server answers
# (TEST_DATABASE_URL names the server; REQUIRE_POSTGRES=1 makes its absence an error, as in CI).
test: install browsers loadgen clients oidc-provider
	@echo "== import layers (pyproject.toml [tool.importlinter])"
	$(BIN)/lint-imports --no-cache
	@echo "== test suite on SQLite"
	env -u TEST_DATABASE_URL $(BIN)/python -m pytest -q -p no:cacheprovider
	@url="$${TEST_DATABASE_URL:-$(PG_SERVER_URL)}"; \
	if $(BIN)/python -c "import psycopg, sys; psycopg.connect(sys.argv[1], connect_timeout=3).close()" "$$url" 2>/dev/null; then \
		echo "== test suite on PostgreSQL"; \
		TEST_DATABASE_URL="$$url" $(BIN)/python -m pytest -q -p no:cacheprovider; \
	elif [ "$${REQUIRE_POSTGRES:-0}" = "1" ]; then \
		echo "PostgreSQL is required but does not answer at $$url" >&2; exit 1; \
	else \
		echo "== PostgreSQL not reachable at $$url: SQLite run only"; \
	fi

# The TypeScript tools of the generated-client tests (tests/clients/package.json, pinned by package-lock.json),
# installed into the git-ignored tests/clients/node_modules; again only when the lock file changed.
CLIENTS_STAMP := tests/clients/node_modules/.installed-stamp
$(CLIENTS_STAMP): tests/clients/package.json tests/clients/package-lock.json
	@command -v npm >/dev/null 2>&1 || { echo "FATAL: npm (Node.js 18+) is needed for the TypeScript client test" >&2; exit 1; }
	cd tests/clients && npm ci --no-audit --no-fund --loglevel=error
	@touch $(CLIENTS_STAMP)

clients: $(CLIENTS_STAMP)

# The README's console screenshots, taken by the demo-tour browser test.
screenshots: install browsers
	env -u TEST_DATABASE_URL $(BIN)/python -m pytest -q -p no:cacheprovider tests/browser/test_demo_tour.py
	mkdir -p docs/screenshots
	cp tests/artifacts/tour-*.png docs/screenshots/

# The single sign-on tests run a real OpenID provider (oidc-provider, pinned in tests/org/oidc_provider/package-lock.json)
# under node; npm ci installs it once into that folder's node_modules (git-ignored), later runs need no network.
OIDC_PROVIDER := tests/org/oidc_provider
oidc-provider:
	@if [ -f $(OIDC_PROVIDER)/node_modules/oidc-provider/package.json ]; then exit 0; fi; \
	command -v npm >/dev/null 2>&1 || { echo "FATAL: node (v20+) and npm are needed for the single sign-on tests" >&2; exit 1; }; \
	cd $(OIDC_PROVIDER) && npm ci --no-audit --no-fund

# The benchmark's load generator is wrk from Debian; without apt (or sudo) the harness falls back to its Python
# closed loop and says so in the machine description.
loadgen:
	@if command -v wrk >/dev/null 2>&1; then exit 0; fi; \
	echo "Installing wrk for the benchmarks"; \
	if [ "$$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi; \
	{ $$sudo apt-get update -q && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -q wrk; } \
		|| echo "WARNING: could not install wrk; the benchmark uses its Python load generator instead" >&2

# The release benchmark on SQLite and PostgreSQL: prints one table, writes bench/results/<date>.json and
# docs/benchmarks.md. BENCH_SIZE=small|default|large, BENCH_DATABASE=sqlite|postgresql|both, BENCH_ARGS=--profile.
bench: install loadgen
	BENCH_POSTGRES_URL="$${TEST_DATABASE_URL:-$(PG_SERVER_URL)}" $(BIN)/python -m bench --size $(BENCH_SIZE) \
		--database $(BENCH_DATABASE) $(BENCH_ARGS)

clean:
	rm -rf $(VENV) instance .pytest_cache tests/artifacts $(OIDC_PROVIDER)/node_modules
