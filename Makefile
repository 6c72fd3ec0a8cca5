# Two commands: `make run` (the demo on http://127.0.0.1:8000) and `make test` (SQLite, then PostgreSQL).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000
WORKERS ?= 2
THREADS ?= 4
PG_SERVER_URL ?= postgresql://postgres@127.0.0.1:5432/postgres

.PHONY: install run test migrate clean

$(STAMP): requirements.txt requirements-dev.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	@touch $(STAMP)

install: $(STAMP)

migrate: install
	$(BIN)/flask --app wsgi db upgrade

run: migrate
	$(BIN)/flask --app wsgi seed-demo
	@echo "Serving on http://$(HOST):$(PORT)  (API docs: http://$(HOST):$(PORT)/docs)"
	$(BIN)/gunicorn --worker-class gthread --workers $(WORKERS) --threads $(THREADS) \
		--bind $(HOST):$(PORT) --access-logfile - wsgi:app

# The suite runs on SQLite, then again on a throwaway PostgreSQL database when a server answers
# (TEST_DATABASE_URL names the server; REQUIRE_POSTGRES=1 makes its absence an error, as in CI).
test: install
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

clean:
	rm -rf $(VENV) instance .pytest_cache
