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

.PHONY: run test lint fmt migrate superuser bench bench-quick schema chromium nginx typescript-client outage-servers

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

# The TypeScript client check (games/tests/test_generated_clients.py) needs
# openapi-typescript, openapi-fetch and typescript from the npm registry
# (Node 20 + npm); pinned in its package-lock.json, installed with npm ci.
TS_CLIENT := games/tests/clients/typescript
$(TS_CLIENT)/node_modules/.installed: $(TS_CLIENT)/package.json $(TS_CLIENT)/package-lock.json
	@command -v npm >/dev/null 2>&1 || { echo "npm (Node.js 20) is needed for the TypeScript client check"; exit 1; }
	cd $(TS_CLIENT) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

typescript-client: $(TS_CLIENT)/node_modules/.installed

.PHONY: compose-check screenshots icons

# docker-compose.yml as compose itself reads it (no engine needed), where the
# tool exists; games/tests/test_containers.py checks its structure everywhere.
compose-check:
	@if docker compose version >/dev/null 2>&1; then DC="docker compose"; \
	elif command -v docker-compose >/dev/null 2>&1; then DC=docker-compose; \
	else echo "compose-check: no docker compose on this machine, skipped"; exit 0; fi; \
	$$DC --env-file .env.example --profile scale config -q && echo "compose-check: docker-compose.yml is valid ($$DC)"

# The outage tests (games/tests/test_outages.py) start a throwaway redis-server
# and a private PostgreSQL cluster as child processes; the system services are not used.
outage-servers:
	@{ command -v redis-server >/dev/null 2>&1 && ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; } || { \
	  echo "Installing Debian's redis-server and postgresql for the outage tests"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq redis-server postgresql; }

test: $(STAMP) chromium nginx typescript-client outage-servers
	@$(MAKE) --no-print-directory lint
	DEBUG=0 SECRET_KEY=test-only $(PY) manage.py makemigrations --check --dry-run
	DEBUG=0 SECRET_KEY=test-only $(PY) manage.py spectacular --validate --fail-on-warn --file /dev/null
	@$(MAKE) --no-print-directory compose-check
	DEBUG=0 SECRET_KEY=test-only $(PY) -m pytest -n $(JOBS) --cov --cov-report=term --cov-fail-under=90 $(PYTEST_ARGS)

# The README's screenshots: the browser race test, writing into docs/screenshots/
# (a plain test run writes them to var/screenshots/ and leaves these alone).
screenshots: $(STAMP) chromium
	SCREENSHOTS_DIR=docs/screenshots DEBUG=0 SECRET_KEY=test-only $(PY) -m pytest -q -p no:cacheprovider \
	  games/tests/test_browser.py -k "test_race_between_two_browsers_updates_live or test_find_an_opponent"

# The app's icons (static/icons/), drawn from one SVG and rendered by Debian's Chromium.
icons: $(STAMP) chromium
	$(PY) bench/icons.py

# ruff, then mypy with the Django, DRF and Channels stubs on games/, accounts/, config/ (pyproject.toml).
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	DEBUG=0 SECRET_KEY=lint-only $(VENV)/bin/mypy

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
