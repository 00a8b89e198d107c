# connector-audit: the two commands the README promises, and their parts.
#   make demo   emulator + seed vendors' account + the Lambda function + report + SNS messages
#   make test   everything CI requires: fmt, clippy -D warnings, unit/integration/property tests
#               (against moto), template lint, sam build, the built bootstrap driven end to end
# Python tools go into project-local venvs, pinned: requirements-dev.txt, requirements-lint.txt.
CARGO ?= cargo
PYTHON ?= python3
VENV := .venv
LINT_VENV := .venv-lint
PIP_FLAGS := --quiet --disable-pip-version-check --no-input
SAM := PATH="$(CURDIR)/$(VENV)/bin:$$PATH" SAM_CLI_TELEMETRY=0 $(VENV)/bin/sam

.PHONY: test venv fmt-check clippy core layers unit template-lint sam-build lambda-e2e demo bench

test: venv fmt-check clippy core layers unit template-lint lambda-e2e

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
# binary, tests/it), the binaries and the doc examples (examples/ are built too)
unit: venv
	$(CARGO) test --locked --workspace

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
	scripts/bench-live.sh
	scripts/bench-probe.sh
	scripts/bench-faults.sh
	scripts/bench-usage.sh
