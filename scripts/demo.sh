#!/usr/bin/env bash
# make demo: start the AWS emulator, create an account with the seed vendors' connector roles
# (good and risky variants, tests/fixtures/demo-account.json) and a findings topic with an SQS
# subscriber, run the Lambda function (the real `bootstrap`, behind cargo-lambda's Runtime
# API emulator) with a console test event, then show the report and what the subscriber got;
# then an IAM change event, which audits only the role it concerns.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
source scripts/lib.sh
export PATH="$PWD/$VENV/bin:$PATH"
TARGET="${CARGO_TARGET_DIR:-target}"

echo "== building (debug)"
cargo build --quiet --locked --bin bootstrap --bin connector-audit --example emulator

work=$(mktemp -d)
trap 'cleanup_all "$work"' EXIT

echo "== starting moto server (AWS emulator)"
start_moto
echo "   $AWS_ENDPOINT_URL"
echo "== creating the account from tests/fixtures/demo-account.json"
eval "$("$TARGET/debug/examples/emulator" seed tests/fixtures/demo-account.json)"
echo "   17 roles (16 tagged connector=<vendor>, 1 break-glass role without the tag)"
echo "   findings topic $TOPIC_ARN, SQS subscriber $QUEUE_URL"

start_function "$TARGET/debug/bootstrap" "$work/function.log" \
    FINDINGS_TOPIC_ARN="$TOPIC_ARN" MIN_SEVERITY=medium LOG_LEVEL=info SECURITY_HUB=on

echo "== invoking the function with events/on-demand.json"
invoke_function events/on-demand.json >"$work/report.json"
echo "   the function logged (JSON lines for CloudWatch):"
grep '"audit finished"' "$work/function.log" | sed 's/^/   /'
echo
echo "== the report the function returned (as a table; the JSON is the response)"
"$TARGET/debug/connector-audit" render --report "$work/report.json" --format table || [ $? -eq 1 ]
echo "== what the SQS subscriber of the findings topic received"
"$TARGET/debug/examples/emulator" drain "$QUEUE_URL"
echo
echo "== Security Hub (the function runs with SECURITY_HUB=on)"
"$TARGET/debug/examples/emulator" hub | sed 's/^/   /'
echo "== the HTML report of the same account (connector-audit check --format html on the dump)"
mkdir -p "$TARGET/demo"
"$TARGET/debug/connector-audit" check --input tests/fixtures/demo-account.json --format html \
    >"$TARGET/demo/report.html" || [ $? -eq 1 ]
echo "   $(cd "$TARGET/demo" && pwd)/report.html (open it in a browser: one file, no network)"
echo
echo "== an IAM change: events/iam-change-put-role-policy.json (CloudTrail's PutRolePolicy on"
echo "   legacy-s3-star, as the template's EventBridge rule delivers it): only that role is audited"
invoke_function events/iam-change-put-role-policy.json >"$work/change.json"
"$TARGET/debug/connector-audit" render --report "$work/change.json" --format table || [ $? -eq 1 ]
echo "== what the subscriber received for the change"
"$TARGET/debug/examples/emulator" drain "$QUEUE_URL"
