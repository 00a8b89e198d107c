#!/usr/bin/env bash
# make demo: start the AWS emulator, create an account with the seed vendors' connector roles
# (good and risky variants, tests/fixtures/demo-account.json) and a findings topic with an SQS
# subscriber, run the Lambda function (the real `bootstrap`, behind cargo-lambda's Runtime
# API emulator) with a console test event, then show the report and what the subscriber got.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
source scripts/lib.sh
export PATH="$PWD/$VENV/bin:$PATH"
TARGET="${CARGO_TARGET_DIR:-target}"

echo "== building (debug)"
cargo build --quiet --locked --bin bootstrap --bin connector-audit --example emulator

work=$(mktemp -d)
cleanup() {
    [ -n "${FN_PID:-}" ] && kill "$FN_PID" 2>/dev/null
    [ -n "${WATCH_PID:-}" ] && kill "$WATCH_PID" 2>/dev/null
    stop_moto
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

echo "== starting moto server (AWS emulator)"
start_moto
echo "   $AWS_ENDPOINT_URL"
echo "== creating the account from tests/fixtures/demo-account.json"
eval "$("$TARGET/debug/examples/emulator" seed tests/fixtures/demo-account.json)"
echo "   17 roles (16 tagged connector=<vendor>, 1 break-glass role without the tag)"
echo "   findings topic $TOPIC_ARN, SQS subscriber $QUEUE_URL"

INVOKE_PORT=$(free_port)
cargo lambda watch --only-lambda-apis --invoke-address 127.0.0.1 --invoke-port "$INVOKE_PORT" >"$work/watch.log" 2>&1 &
WATCH_PID=$!
for _ in $(seq 1 300); do (exec 3<>"/dev/tcp/127.0.0.1/$INVOKE_PORT") 2>/dev/null && break; sleep 0.1; done
AWS_LAMBDA_RUNTIME_API="http://127.0.0.1:$INVOKE_PORT/.rt" \
AWS_LAMBDA_FUNCTION_NAME=_ AWS_LAMBDA_FUNCTION_VERSION=1 AWS_LAMBDA_FUNCTION_MEMORY_SIZE=256 \
FINDINGS_TOPIC_ARN="$TOPIC_ARN" MIN_SEVERITY=medium LOG_LEVEL=info \
    "$TARGET/debug/bootstrap" >"$work/function.log" 2>&1 &
FN_PID=$!

echo "== invoking the function with events/on-demand.json"
cargo lambda invoke _ --invoke-address 127.0.0.1 --invoke-port "$INVOKE_PORT" \
    --data-file events/on-demand.json --output-format json >"$work/report.json"
echo "   the function logged (JSON lines for CloudWatch):"
grep '"audit finished"' "$work/function.log" | sed 's/^/   /'
echo
echo "== the report the function returned (as a table; the JSON is the response)"
"$TARGET/debug/connector-audit" render --report "$work/report.json" --format table || [ $? -eq 1 ]
echo "== what the SQS subscriber of the findings topic received"
"$TARGET/debug/examples/emulator" drain "$QUEUE_URL"
