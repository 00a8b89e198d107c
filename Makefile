# connector-audit: the two commands the README promises, and their parts.
#   make demo   emulator + seed vendors' account + the Lambda function + report + SNS messages
#   make test   everything CI requires: fmt, clippy -D warnings, unit/integration/property tests
#               (against moto; the IAM decisions against an independent simulator, 2,000 cases),
#               template lint, sam build, the built bootstrap driven end to end
#   make difftest  the differential test of the IAM evaluator alone, 100,000 cases
#   make browser-test  the HTML report in headless Chromium (Debian's package) with Playwright
# Python tools go into project-local venvs, pinned: requirements-dev.txt, requirements-lint.txt,
# requirements-browser.txt.
CARGO ?= cargo
PYTHON ?= python3
VENV := .venv
LINT_VENV := .venv-lint
BROWSER_VENV := .venv-browser
CHROMIUM := /usr/bin/chromium
SIMULATOR := tests/simulator
PIP_FLAGS := --quiet --disable-pip-version-check --no-input
SAM := PATH="$(CURDIR)/$(VENV)/bin:$$PATH" SAM_CLI_TELEMETRY=0 $(VENV)/bin/sam

.PHONY: test venv simulator fmt-check clippy core layers unit difftest template-lint sam-build lambda-e2e demo bench browser-test chromium

test: venv fmt-check clippy core layers unit template-lint browser-test lambda-e2e

venv: $(VENV)/.installed $(LINT_VENV)/.installed

$(VENV)/.installed: requirements-dev.txt
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install $(PIP_FLAGS) -r requirements-dev.txt
	touch $@

$(LINT_VENV)/.installed: requirements-lint.txt
	rm -rf $(LINT_VENV)
	$(PYTHON) -m venv $(LINT_VENV)
	$(LINT_VENV)/bin/pip install $(PIP_FLAGS) -r requirements-lint.txt
	touch $@

$(BROWSER_VENV)/.installed: requirements-browser.txt
	rm -rf $(BROWSER_VENV)
	$(PYTHON) -m venv $(BROWSER_VENV)
	$(BROWSER_VENV)/bin/pip install $(PIP_FLAGS) -r requirements-browser.txt
	touch $@

# the system's Chromium (Playwright never downloads a browser here): installed with apt when
# missing and running as root, otherwise a clear failure
chromium:
	@if [ -x $(CHROMIUM) ]; then echo "chromium: $$($(CHROMIUM) --version 2>/dev/null)"; \
	elif [ "$$(id -u)" = 0 ]; then \
		echo "chromium: not installed; installing Debian's package with apt-get"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
		[ -x $(CHROMIUM) ] || { echo "chromium: apt-get did not install $(CHROMIUM)" >&2; exit 1; }; \
	else \
		echo "chromium: $(CHROMIUM) is missing and this is not root: install Debian's chromium package (sudo apt-get install chromium) and run again" >&2; exit 1; \
	fi

# the HTML report of the demo account in headless Chromium; writes docs/report.png
browser-test: $(BROWSER_VENV)/.installed chromium
	$(CARGO) build --quiet --locked --bin connector-audit
	$(BROWSER_VENV)/bin/python tests/browser/test_report.py "$${CARGO_TARGET_DIR:-target}/debug/connector-audit"

# the independent IAM simulator the differential test compares against (@cloud-copilot/iam-simulate,
# AGPL: test time only, a separate node process, never linked or shipped), exactly as locked
simulator: $(SIMULATOR)/node_modules/.package-lock.json

$(SIMULATOR)/node_modules/.package-lock.json: $(SIMULATOR)/package.json $(SIMULATOR)/package-lock.json
	@echo "simulator: npm ci in $(SIMULATOR) (test-time only, never shipped)"
	cd $(SIMULATOR) && npm ci --no-audit --no-fund --loglevel=http
	@cd $(SIMULATOR) && out="$$(node selftest.mjs)" || { echo "$$out"; exit 1; }; echo "selftest: $$(echo "$$out" | tail -n 1)"
	touch $@

fmt-check:
	$(CARGO) fmt --all -- --check

clippy:
	$(CARGO) clippy --locked --workspace --all-targets -- -D warnings

# the pure core on its own: no Python, no emulator, no network
core:
	$(CARGO) test --locked -p connector-audit-core

# the core's dependency tree holds no AWS SDK, tokio, lambda_runtime, clap or anyhow
layers:
	@tree="$$($(CARGO) tree --locked -p connector-audit-core -e normal --prefix none)"; \
	if echo "$$tree" | grep -E '^(aws-|tokio|lambda_runtime|clap|anyhow)' ; then \
		echo "connector-audit-core depends on the crates above: it must stay pure" >&2; exit 1; \
	else echo "connector-audit-core: $$(echo "$$tree" | sort -u | wc -l) crates, none of aws-*, tokio, lambda_runtime, clap, anyhow"; fi

# the application's unit tests (in-memory ports), the emulator integration tests (one
# binary, tests/it, with the differential test's 2,000 cases), the binaries and the doc
# examples (examples/ are built too)
unit: venv simulator
	$(CARGO) test --locked --workspace

# the request evaluator against the independent simulator, 100,000 generated cases; prints the
# agreement, the documented divergences (tests/simulator/DIVERGENCES.md) and the disagreements
difftest: simulator
	DIFFTEST_CASES=100000 $(CARGO) test --locked --test it difftest -- --nocapture

template-lint: venv
	scripts/lint-template.sh

# x86_64: these machines have only the x86_64 Rust standard library (the template defaults to arm64)
sam-build: venv
	$(SAM) build --parameter-overrides Architecture=x86_64

lambda-e2e: sam-build
	scripts/lambda-e2e.sh

demo: venv
	scripts/demo.sh

bench: venv
	scripts/bench.sh
	$(CARGO) run --quiet --locked --release -p connector-audit-core --example worst-case -- 5
	scripts/bench-live.sh
	scripts/bench-probe.sh
	scripts/bench-faults.sh
	scripts/bench-usage.sh
