# connector-audit: the two commands the README promises, and their parts.
#   make demo   emulator + seed vendors' account + the Lambda function + report + SNS messages
#   make test   everything CI requires: fmt, clippy -D warnings, unit/integration/property tests
#               (against moto; the IAM decisions against an independent simulator, 2,000 cases),
#               the commands README and docs/ show, template lint, sam build, the built bootstrap
#               driven end to end
#   make difftest  the differential test of the IAM evaluator alone, 100,000 cases
#   make browser-test  the HTML report in headless Chromium (Debian's package) with Playwright
# Python tools go into project-local venvs, pinned (requirements-dev.txt, requirements-lint.txt,
# requirements-cli.txt: the AWS CLI, requirements-browser.txt: Playwright), installed by uv
# (pinned, from PyPI). Nothing is quiet: every long step first says what it is and about how
# long it takes on a first run (2 cores), then shows its own progress.
CARGO ?= cargo
PYTHON ?= python3
VENV := .venv
LINT_VENV := .venv-lint
CLI_VENV := .venv-cli
BROWSER_VENV := .venv-browser
CHROMIUM := /usr/bin/chromium
SIMULATOR := tests/simulator
UV_VERSION := 0.13.8
SAM := PATH="$(CURDIR)/$(VENV)/bin:$$PATH" SAM_CLI_TELEMETRY=0 $(VENV)/bin/sam
.PHONY: test venv lint-venv cli-venv simulator fmt-check clippy core layers features unit doc-commands difftest template-lint sam-build lambda-e2e demo bench browser-test chromium

test: venv lint-venv fmt-check clippy core layers features unit doc-commands template-lint browser-test lambda-e2e

venv: $(VENV)/.installed

lint-venv: $(LINT_VENV)/.installed

# a venv with uv in it (pip, a few seconds), then uv installs the pinned requirements (its
# progress: resolving, downloading, installing): $(call install_venv,DIR,REQUIREMENTS)
define install_venv
	rm -rf $(1)
	$(PYTHON) -m venv $(1)
	$(1)/bin/pip install --disable-pip-version-check --no-input uv==$(UV_VERSION)
	$(1)/bin/uv pip install --python $(1)/bin/python -r $(2)
	touch $(1)/.installed
endef

$(VENV)/.installed: requirements-dev.txt
	@printf '\n== %s\n' "Python tools into $(VENV): moto, SAM CLI, cargo-lambda with zig (first run ~1 min, 850 MB)"
	$(call install_venv,$(VENV),requirements-dev.txt)

cli-venv: $(CLI_VENV)/.installed

# the AWS CLI the fix tests run `apply.sh` with (against the emulator)
$(CLI_VENV)/.installed: requirements-cli.txt
	@printf '\n== %s\n' "the AWS CLI (pinned) into $(CLI_VENV) (first run ~15 s, 60 MB)"
	$(call install_venv,$(CLI_VENV),requirements-cli.txt)

$(LINT_VENV)/.installed: requirements-lint.txt
	@printf '\n== %s\n' "cfn-lint (pinned) into $(LINT_VENV) (first run ~30 s, 260 MB)"
	$(call install_venv,$(LINT_VENV),requirements-lint.txt)

$(BROWSER_VENV)/.installed: requirements-browser.txt
	@printf '\n== %s\n' "Playwright (pinned, no browser download) into $(BROWSER_VENV) (first run ~20 s, 150 MB)"
	$(call install_venv,$(BROWSER_VENV),requirements-browser.txt)

# the system's Chromium (Playwright never downloads a browser here): installed with apt when
# missing and running as root, otherwise a clear failure
chromium:
	@if [ -x $(CHROMIUM) ]; then echo "chromium: $$($(CHROMIUM) --version 2>/dev/null)"; \
	elif [ "$$(id -u)" = 0 ]; then \
		echo "chromium: not installed; installing Debian's package with apt-get (first run ~2 min)"; \
		apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; \
		[ -x $(CHROMIUM) ] || { echo "chromium: apt-get did not install $(CHROMIUM)" >&2; exit 1; }; \
	else \
		echo "chromium: $(CHROMIUM) is missing and this is not root: install Debian's chromium package (sudo apt-get install chromium) and run again" >&2; exit 1; \
	fi

# the HTML report of the demo account in headless Chromium; writes docs/report.png
browser-test: $(BROWSER_VENV)/.installed chromium
	@printf '\n== %s\n' "the HTML report in headless Chromium (a few seconds once built)"
	$(CARGO) build --locked --bin connector-audit
	$(BROWSER_VENV)/bin/python tests/browser/test_report.py "$${CARGO_TARGET_DIR:-target}/debug/connector-audit"

# the independent IAM simulator the differential test compares against (@cloud-copilot/iam-simulate,
# AGPL: test time only, a separate node process, never linked or shipped), exactly as locked
simulator: $(SIMULATOR)/node_modules/.package-lock.json

$(SIMULATOR)/node_modules/.package-lock.json: $(SIMULATOR)/package.json $(SIMULATOR)/package-lock.json
	@printf '\n== %s\n' "the IAM simulator: npm ci in $(SIMULATOR) (test-time only, never shipped; first run ~10 s)"
	cd $(SIMULATOR) && npm ci --no-audit --no-fund --loglevel=http
	@cd $(SIMULATOR) && out="$$(node selftest.mjs)" || { echo "$$out"; exit 1; }; echo "selftest: $$(echo "$$out" | tail -n 1)"
	touch $@

fmt-check:
	@printf '\n== %s\n' "cargo fmt --check"
	$(CARGO) fmt --all -- --check

clippy:
	@printf '\n== %s\n' "clippy -D warnings (first run ~3 min: it checks the AWS SDK)"
	$(CARGO) clippy --locked --workspace --all-targets -- -D warnings

# the pure core on its own: no Python, no emulator, no network
core:
	@printf '\n== %s\n' "the pure core's tests (first run ~1 min)"
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
unit: venv cli-venv simulator
	@printf '\n== %s\n' "unit, property and emulator tests (first run: ~4 min of building, then ~2 min of tests)"
	CONNECTOR_AUDIT_CLI_VENV=$(CURDIR)/$(CLI_VENV) $(CARGO) test --locked --workspace

# dev-dependencies must not change a normal dependency's features: one build is shared by the
# demo, the tests and `cargo run`
features:
	@scripts/check-features.sh

# every command README.md and docs/ show in a `sh` block, run (or, for those that need a real
# AWS account, checked): README and the tool cannot drift apart
doc-commands: venv
	@printf '\n== %s\n' "the commands README.md and docs/ show (~30 s; builds the CLI if needed)"
	scripts/doc-commands.sh

# the request evaluator against the independent simulator, 100,000 generated cases; prints the
# agreement, the documented divergences (tests/simulator/DIVERGENCES.md) and the disagreements
difftest: simulator
	DIFFTEST_CASES=100000 $(CARGO) test --locked --test it difftest -- --nocapture

template-lint: venv lint-venv
	@printf '\n== %s\n' "template lint: cfn-lint, sam validate --lint (~30 s)"
	scripts/lint-template.sh

# x86_64: these machines have only the x86_64 Rust standard library (the template defaults to arm64)
# the release build first, with cargo's progress (sam build hides it for minutes), then sam
# build, which runs the same `cargo lambda build` and finds it done
sam-build: venv
	@printf '\n== %s\n' "release build of the Lambda bootstrap with cargo lambda (first run ~6 min on 2 cores)"
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(CARGO) lambda build --release --bin bootstrap
	@printf '\n== %s\n' "sam build (reuses that build: seconds)"
	$(SAM) build --parameter-overrides Architecture=x86_64

lambda-e2e: sam-build
	@printf '\n== %s\n' "the built bootstrap, driven with every file in events/ (~1 min)"
	scripts/lambda-e2e.sh

demo: venv
	scripts/demo.sh

bench: venv
	scripts/bench.sh
	$(CARGO) run --locked --release -p connector-audit-core --example worst-case -- 5
	scripts/bench-live.sh
	scripts/bench-probe.sh
	scripts/bench-faults.sh
	scripts/bench-usage.sh
