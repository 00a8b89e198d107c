#!/usr/bin/env bash
# make demo: start the AWS emulator, create an account with the seed vendors' connector roles
# (good and risky variants, tests/fixtures/demo-account.json) and a findings topic with an SQS
# subscriber, run the Lambda function (the real `bootstrap`, behind cargo-lambda's Runtime
# API emulator) with a console test event, then show the report in one screen and one line
# per message the subscriber got; then an IAM change event, which audits only the role it
# concerns. Everything in full (reports, message bodies, the function's log) is kept in
# target/demo/, and the summary names each file.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
source scripts/lib.sh
export PATH="$PWD/$VENV/bin:$PATH"
started=$SECONDS

# the same debug build as `make test` and README's next steps (one feature set: make features)
echo "== building the CLI, the Lambda bootstrap and the emulator helper (debug; first run ~2 min"
echo "   on 2 cores, cargo shows its progress; seconds afterwards)"
cargo build --locked --workspace --bin bootstrap --bin connector-audit --bin emulator

# shown relative when the build is in the working tree (README speaks of target/demo/)
out="${TARGET#"$PWD"/}/demo"
rm -rf "$out"
mkdir -p "$out"
work=$(mktemp -d)
trap 'cleanup_all "$work"' EXIT

echo "== starting moto server (the AWS emulator; ~2 s)"
start_moto
echo "   $AWS_ENDPOINT_URL"
echo "== creating the account from tests/fixtures/demo-account.json"
eval "$("$TARGET/debug/emulator" seed tests/fixtures/demo-account.json)"
echo "   17 roles (16 tagged connector=<vendor>, 1 break-glass role without the tag)"
echo "   findings topic $TOPIC_ARN, with an SQS subscriber"

start_function "$TARGET/debug/bootstrap" "$out/function.log" \
    FINDINGS_TOPIC_ARN="$TOPIC_ARN" MIN_SEVERITY=medium LOG_LEVEL=info SECURITY_HUB=on

echo "== invoking the Lambda function with events/on-demand.json (a console test event)"
invoke_function events/on-demand.json >"$out/report.json"
grep '"audit finished"' "$out/function.log" | python3 -c '
import json, sys
for line in sys.stdin:
    f = json.loads(line).get("fields", {})
    shown = ", ".join(f"{k}={v}" for k, v in f.items() if k != "message")
    print(f"   the function logged: audit finished ({shown})")
'
echo
"$TARGET/debug/connector-audit" render --report "$out/report.json" --format brief || [ $? -eq 1 ]
echo "   Full report (evidence, fixes, who is behind each role): $out/report.json"
echo "   The critical trust-unscoped-federation on google-unpinned: Google hands a token for"
echo "   accounts.google.com to any Google account, so an unpinned subject lets in anyone"
echo "   (other OIDC issuers are high); \`connector-audit rules trust-unscoped-federation\`."
echo
"$TARGET/debug/emulator" drain "$QUEUE_URL" --bodies "$out/messages.json"

echo
echo "== Security Hub (the function runs with SECURITY_HUB=on)"
"$TARGET/debug/emulator" hub | sed 's/^/   /'
echo "== the HTML report of the same account (connector-audit check --format html on the dump)"
"$TARGET/debug/connector-audit" check --input tests/fixtures/demo-account.json --format html \
    >"$out/report.html" || [ $? -eq 1 ]
echo "   $out/report.html (open it in a browser: one file, no network)"
echo
echo "== an IAM change: events/iam-change-put-role-policy.json (CloudTrail's PutRolePolicy on"
echo "   legacy-s3-star, as the template's EventBridge rule delivers it): only that role is audited"
invoke_function events/iam-change-put-role-policy.json >"$out/change.json"
"$TARGET/debug/connector-audit" render --report "$out/change.json" --format brief || [ $? -eq 1 ]
echo "   Full report: $out/change.json"
"$TARGET/debug/emulator" drain "$QUEUE_URL" --bodies "$out/change-messages.json"
echo
echo "== done in $((SECONDS - started)) s; the function's log: $out/function.log"
echo "   Next: target/debug/connector-audit --help (the same build), README.md, docs/"
