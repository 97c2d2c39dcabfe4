# Command Center — `make run` serves the app on its embedded defaults; `make test` runs every test.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
TOOLS := .tools
BUN_VERSION := 1.4.4
BUN := $(TOOLS)/node_modules/.bin/bun
PORT ?= 3000

export PATH := $(CURDIR)/$(TOOLS)/node_modules/.bin:$(CURDIR)/$(VENV)/bin:$(PATH)
export REFLEX_USE_SYSTEM_BUN := 1

.PHONY: docs run dev test setup setup-test lint format bootstrap demo-reset simulate bench clean clarifier-eval

run: setup ## Build and serve the production app on http://localhost:$(PORT)
	PORT=$(PORT) bash docker/entrypoint.sh

dev: setup ## Reflex dev server: migrate/seed/warehouse once, then hot reload on source changes only
	$(VENV)/bin/reflex run

test: setup setup-test ## The whole suite (unit, services, browser)
	bash scripts/test.sh

NODE_PROJECT := custom_components
SANDBOX_SRC := $(NODE_PROJECT)/sandbox_runtime
SANDBOX_BUNDLE := assets/sandbox/runtime.js
SANDBOX_COMPILER := assets/sandbox/compiler.js
BUNDLE_FLAGS := --format iife --minify --target browser --define process.env.NODE_ENV='"production"'

setup: $(VENV)/.installed $(BUN) $(NODE_PROJECT)/node_modules/.installed $(SANDBOX_BUNDLE) $(SANDBOX_COMPILER)

# Custom widgets: Babel (static checks, sandbox compiler), React, lucide-react, Tailwind's
# browser build, TypeScript + React types (tsc in the eval harness). From npm, at setup.
$(NODE_PROJECT)/node_modules/.installed: $(NODE_PROJECT)/package.json $(NODE_PROJECT)/bun.lock | $(BUN)
	cd $(NODE_PROJECT) && $(CURDIR)/$(BUN) install --frozen-lockfile
	touch $@

# The sandboxed iframe's runtime (React, lucide, Tailwind; loaded at boot) and its on-demand
# compiler (Babel; loaded only for a source the server has not compiled): classic IIFE
# scripts served from assets/ (git-ignored).
$(SANDBOX_BUNDLE): $(NODE_PROJECT)/node_modules/.installed $(SANDBOX_SRC)/sandbox.js
	$(BUN) build $(SANDBOX_SRC)/sandbox.js --outfile $@ $(BUNDLE_FLAGS)

$(SANDBOX_COMPILER): $(NODE_PROJECT)/node_modules/.installed $(SANDBOX_SRC)/compiler.js $(SANDBOX_SRC)/plugins.js $(SANDBOX_SRC)/scope.json
	$(BUN) build $(SANDBOX_SRC)/compiler.js --outfile $@ $(BUNDLE_FLAGS)

$(VENV)/.installed: requirements.lock requirements-dev.lock pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.lock
	$(PY) -m pip install --quiet --no-deps -e .
	touch $@

$(BUN):
	npm install --prefix $(TOOLS) --no-audit --no-fund --loglevel=error bun@$(BUN_VERSION)

setup-test: ## Browser for the end-to-end tests (Debian's Chromium; never `playwright install`)
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium; \
	  else sudo apt-get update -qq && sudo apt-get install -y -qq chromium; fi; }

bootstrap: setup ## Validate config, migrate, seed, build the local warehouse
	$(PY) -m command_center.bootstrap

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: setup
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

demo-reset: setup ## Remove chat-built widgets and promoted metrics; restore the seeded demo
	$(PY) -m command_center.demo_reset

simulate: setup ## Post a realistic event stream to a running app (RATE events/s)
	$(PY) -m command_center.ops.simulator --url http://localhost:$(PORT) --rate $${RATE:-5} $${TOKEN:+--token $$TOKEN}

clarifier-eval: setup ## Custom-widget eval: TARGET=<name> or every target; artifacts/clarifier-eval/
	$(PY) -m command_center.eval.clarifier_eval $(if $(TARGET),--target $(TARGET))

docs: setup ## The documentation site (MkDocs, strict: a broken link or stray page fails) → site/
	$(PY) -m mkdocs build --strict

bench: setup ## Benchmarks (ratios against same-run baselines); see bench/RESULTS.md
	bash bench/run_all.sh

clean:
	rm -rf .web data $(TOOLS) $(VENV)
