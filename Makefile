# connector-audit: the two commands the README promises, and their parts.
#   make demo   audit the bundled example account (the seed vendors' roles, good and risky)
#   make test   everything CI requires: fmt, clippy -D warnings, unit, integration and property tests
CARGO ?= cargo
DEMO_DUMP := tests/fixtures/demo-account.json

.PHONY: test fmt-check clippy unit demo bench

test: fmt-check clippy unit

fmt-check:
	$(CARGO) fmt --all -- --check

clippy:
	$(CARGO) clippy --locked --all-targets -- -D warnings

# lib, CLI, integration and property tests, then the doc examples (examples/ are built too)
unit:
	$(CARGO) test --locked

# Exit 1 from `check` means "findings at or above --fail-on": expected for the risky roles.
demo:
	@$(CARGO) build --quiet --locked --bin connector-audit
	@echo "== connector-audit check --input $(DEMO_DUMP) --format table"
	@$(CARGO) run --quiet --locked --bin connector-audit -- check --input $(DEMO_DUMP) --format table; \
	  status=$$?; [ $$status -le 1 ] || exit $$status

bench:
	scripts/bench.sh
