# The two commands: `make run` (play on http://127.0.0.1:8000) and `make test`.
# Both create .venv and install what they need on first use.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
# pytest-xdist workers; "auto" uses every core.
JOBS ?= auto

.PHONY: run test lint fmt migrate superuser bench bench-quick schema chromium nginx outage-servers

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): requirements.txt requirements-dev.txt | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

# daphne also moves the computer players (games.bots.BotRunnerMiddleware).
run: $(STAMP)
	DEBUG=$${DEBUG:-1} $(PY) manage.py migrate --noinput
	DEBUG=$${DEBUG:-1} $(VENV)/bin/daphne -b $(HOST) -p $(PORT) config.asgi:application

# Browser tests drive Debian's Chromium (Playwright's own download is not used).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Debian's chromium for the browser tests"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium; }

# The proxy test (games/tests/test_proxy.py) runs Debian's nginx as a child
# process with a config of its own; the system service is not used.
nginx:
	@command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || { \
	  echo "Installing Debian's nginx for the proxy test"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq nginx; }

# The outage tests (games/tests/test_outages.py) start a throwaway redis-server
# and a private PostgreSQL cluster as child processes; the system services are not used.
outage-servers:
	@{ command -v redis-server >/dev/null 2>&1 && ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; } || { \
	  echo "Installing Debian's redis-server and postgresql for the outage tests"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq redis-server postgresql; }

test: $(STAMP) chromium nginx outage-servers
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	DEBUG=0 SECRET_KEY=test-only $(PY) manage.py makemigrations --check --dry-run
	DEBUG=0 SECRET_KEY=test-only $(PY) manage.py spectacular --validate --fail-on-warn --file /dev/null
	DEBUG=0 SECRET_KEY=test-only $(PY) -m pytest -n $(JOBS) --cov --cov-report=term --cov-fail-under=90 $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

fmt: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

superuser: $(STAMP)
	DEBUG=1 $(PY) manage.py createsuperuser

schema: $(STAMP)
	DEBUG=1 $(PY) manage.py spectacular --validate --fail-on-warn --file schema.yaml

# Real servers, real clients (issue #9): bench/perf.py starts daphne, uvicorn and
# granian on a database of its own and prints the Markdown for docs/performance.md;
# set DATABASE_URL/REDIS_URL to measure on PostgreSQL + Redis. BENCH_ARGS passes
# flags (--only, --skip, --out, --logs). bench-quick is a smoke run of the same.
bench: $(STAMP)
	DEBUG=0 SECRET_KEY=bench-only BENCH_COMMAND="make bench$(if $(BENCH_ARGS), BENCH_ARGS='$(BENCH_ARGS)')" $(PY) bench/perf.py $(BENCH_ARGS)
	DEBUG=0 SECRET_KEY=bench-only $(PY) bench/solver.py

bench-quick: $(STAMP)
	DEBUG=0 SECRET_KEY=bench-only BENCH_COMMAND="make bench-quick$(if $(BENCH_ARGS), BENCH_ARGS='$(BENCH_ARGS)')" $(PY) bench/perf.py --quick $(BENCH_ARGS)
