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

# Debian packages the app and the tests drive for real: the HSM, the browser, and
# LibreOffice headless for Word drafts (python3-uno is for the system Python, which runs
# unoserver; Liberation fonts stand in for Times New Roman with Vietnamese glyphs).
# Installed once, as root.
DEBIAN_PACKAGES := softhsm2 chromium libreoffice-writer-nogui libreoffice-calc-nogui \
	libreoffice-impress-nogui python3-uno fonts-liberation2 fonts-dejavu
system-deps:
	@missing=""; \
	for pkg in $(DEBIAN_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$pkg 2>/dev/null | grep -q "install ok installed" \
	    || missing="$$missing $$pkg"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

migrate: install
	$(PY) -m flask db-upgrade

seed: migrate
	$(PY) -m flask seed-demo
	$(PY) -m flask dev-pki
	$(PY) -m flask exchange dev-axis

pwa:
	cd pwa && npm install --no-audit --no-fund --loglevel=error && npm run build

run: system-deps seed pwa
	$(PY) -m flask demo-accounts
	@echo "Trình Ký: http://127.0.0.1:8000"
	PATH=$(CURDIR)/$(VENV)/bin:$$PATH $(VENV)/bin/honcho start -f Procfile -p $${PORT:-8000}

# The browser tests run in their own pytest process: Playwright's sync API keeps an
# event loop in the worker, which code calling asyncio.run (pyHanko) must not share.
test: install system-deps pwa
	$(PY) -m pytest -q -n 2 --ignore=tests/e2e $(PYTEST_ARGS)
	$(PY) -m pytest -q -n 2 tests/e2e $(PYTEST_ARGS)

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
