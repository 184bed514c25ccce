# Trình Ký — the two commands are `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
STAMP  := $(VENV)/.installed
export FLASK_APP := backend.app:create_app

.PHONY: run test install system-deps migrate seed pwa lint format bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(STAMP): $(PY) pyproject.toml
	$(PIP) install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# Debian packages the tests drive for real (HSM, browser). Installed once, as root.
system-deps:
	@command -v softhsm2-util >/dev/null 2>&1 || { \
	  echo "installing Debian packages: softhsm2"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq softhsm2 >/dev/null; }

migrate: install
	$(PY) -m flask db-upgrade

seed: migrate
	$(PY) -m flask seed-demo

pwa:
	cd pwa && npm install --no-audit --no-fund --loglevel=error && npm run build

run: seed pwa
	$(PY) -m flask demo-accounts
	@echo "Trình Ký: http://127.0.0.1:8000"
	PATH=$(CURDIR)/$(VENV)/bin:$$PATH $(VENV)/bin/honcho start -f Procfile -p $${PORT:-8000}

test: install system-deps
	$(PY) -m pytest -q -n 2 $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: install
	$(PY) bench/api_baseline.py

clean:
	rm -rf $(VENV) var .pytest_cache
