# Two environments: .venv (Python >= 3.11: app, actions, CLI, tests) and .venv-rasa (the Rasa
# 3.6.21 server, installed from the fully pinned bot/rasa-runtime.lock).
PYTHON ?= python3
VENV := .venv
RASA_VENV := .venv-rasa

BROWSER := /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test test-fast setup eval lint clean

run: setup
	$(VENV)/bin/candor up

# Lint first: a wrong-way import or a lint error fails in seconds, not after the suite.
test: setup $(BROWSER) lint lint-js
	$(VENV)/bin/pytest

# The inner loop (about a minute): lint and the unit tests, no stack, no browser.
test-fast: setup lint lint-js
	$(VENV)/bin/pytest -m "unit and not slow" -q

# The two environments install side by side (-j2): each is mostly unpacking and compiling wheels.
setup:
	@$(MAKE) --no-print-directory -s -j2 $(VENV)/.installed $(RASA_VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@echo "[setup] Installing the app's environment ($(VENV): web app, actions, CLI, tests)…"
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	# torch first and pinned: the CPU wheel, never a multi-GB CUDA build pulled in by a dependency.
	$(VENV)/bin/pip install -q torch==2.13.0
	$(VENV)/bin/pip install -q -e ".[dev]"
	touch $@

# Rasa 3.6.21 declares Python < 3.11 but runs on 3.11 with these pins (--ignore-requires-python).
$(RASA_VENV)/.installed: bot/rasa-runtime.lock
	@echo "[setup] Installing the Rasa 3.6.21 environment ($(RASA_VENV))…"
	test -x $(RASA_VENV)/bin/python || $(PYTHON) -m venv $(RASA_VENV)
	$(RASA_VENV)/bin/pip install -q --no-deps --ignore-requires-python -r bot/rasa-runtime.lock
	touch $@

# Browser tests drive Debian's Chromium: Playwright cannot download its own browser here.
$(BROWSER):
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium || \
	  ($(SUDO) apt-get update -q && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium)

# Search + routing on the public development sets, clean and with seeded typos; the customer-voice
# set also through the bot (a stack of its own; through-bot on the big sets works with --limit N).
eval: setup
	@for set in clinc150 banking77-oos; do \
	  if [ -d ../shared/data/$$set ]; then \
	    $(VENV)/bin/candor eval --kb ../shared/data/$$set/kb.jsonl \
	      --questions ../shared/data/$$set/dev-questions.jsonl --perturb 1 || exit 1; \
	  else echo "../shared/data/$$set is absent: skipped."; fi; \
	done
	@if [ -f knowledge/eval/customer_voice.jsonl ]; then \
	  $(VENV)/bin/candor eval --both --kb knowledge/sample_kb.jsonl \
	    --questions knowledge/eval/customer_voice.jsonl --perturb 1; \
	else echo "knowledge/eval/customer_voice.jsonl is absent: skipped."; fi

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy

# ESLint (pinned in package-lock.json, config in eslint.config.mjs) on the browser scripts in
# web/static, which are served as-is: no bundler, no build step. npm ci runs again only when the
# lock file changes. ESLint 10 needs Node.js >= 20.19, which this machine kind has; where npm is
# missing, Debian's nodejs and npm are installed (Debian 12's Node 18 is too old for ESLint 10:
# npm ci --engine-strict then says so).
.PHONY: lint-js
NPM := $(shell command -v npm || echo /usr/bin/npm)

lint-js: node_modules/.installed
	node_modules/.bin/eslint web/static

node_modules/.installed: package-lock.json package.json | $(NPM)
	$(NPM) ci --engine-strict --no-audit --no-fund
	touch $@

$(NPM):
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q nodejs npm || \
	  ($(SUDO) apt-get update -q && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q nodejs npm)

clean:
	rm -rf var $(VENV) $(RASA_VENV)
