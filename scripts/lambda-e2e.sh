#!/usr/bin/env bash
# End-to-end check of the deployable artifact: the `bootstrap` that `sam build` produced runs
# behind the Lambda Runtime API emulator of cargo-lambda (`cargo lambda watch
# --only-lambda-apis`), against moto seeded with the demo account, and is invoked with every
# file in events/ (`cargo lambda invoke --data-file`). Checks each response and what the SQS
# subscriber of the findings topic received, and that the logs are JSON lines.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
source scripts/lib.sh
export PATH="$PWD/$VENV/bin:$PATH"
BOOTSTRAP=.aws-sam/build/AuditFunction/bootstrap
EMULATOR="$TARGET/debug/emulator"
[ -x "$BOOTSTRAP" ] || { echo "$BOOTSTRAP missing: run 'make sam-build'" >&2; exit 1; }
[ -x "$EMULATOR" ] || cargo build --locked -p connector-audit-emulator

work=$(mktemp -d)
trap 'cleanup_all "$work"' EXIT

start_moto
eval "$("$EMULATOR" seed tests/fixtures/demo-account.json)"
start_function "$BOOTSTRAP" "$work/function.log" \
    FINDINGS_TOPIC_ARN="$TOPIC_ARN" MIN_SEVERITY=medium LOG_LEVEL=info DEADLINE_MARGIN_SECONDS=5

fail() { echo "lambda e2e: $*" >&2; echo "--- function log" >&2; tail -20 "$work/function.log" >&2; exit 1; }

# file -> "roles_audited messages_published", "error" for events that must be refused,
# "listing" for the organization's accounts (moto without an organization lists none),
# "no-org-role" for a member account's run (this function runs without ORG_AUDIT_ROLE_NAME;
# tests/it/org.rs runs that path against an emulated organization)
expect() {
    case "$1" in
        scheduled.json | on-demand.json) echo "16 19" ;;
        single-role.json) echo "1 2" ;;
        dry-run.json | probe.json) echo "16 0" ;;
        # audits on IAM change: only the roles concerned (ops-breakglass is no connector role)
        iam-change-create-role.json | iam-change-update-assume-role-policy.json) echo "1 2" ;;
        iam-change-detach-role-policy.json | iam-change-tag-role.json) echo "1 2" ;;
        iam-change-put-role-policy.json) echo "1 4" ;;
        iam-change-delete-role-policy.json | iam-change-set-default-policy-version.json) echo "1 1" ;;
        iam-change-attach-role-policy.json) echo "1 7" ;;
        iam-change-untag-role.json) echo "0 0" ;;
        iam-change-create-policy-version.json) echo "3 4" ;;
        list-accounts.json) echo "listing" ;;
        org-account.json) echo "no-org-role" ;;
        invalid-*) echo "error" ;;
        *) echo "unknown" ;;
    esac
}

checked=0
for event in events/*.json; do
    name=$(basename "$event")
    want=$(expect "$name")
    [ "$want" != unknown ] || fail "no expectation for $name: add it to this script"
    if [ "$want" = listing ]; then
        out=$(invoke_function "$event" 2>&1) || fail "$name failed: $out"
        python3 -c 'import json,sys; r=json.load(sys.stdin); assert isinstance(r["accounts"], list), r' <<<"$out" \
            || fail "$name: not an accounts listing: $out"
        echo "  $name: accounts listed"
    elif [ "$want" = no-org-role ]; then
        if out=$(invoke_function "$event" 2>&1); then fail "$name was accepted: $out"; fi
        grep -q "ORG_AUDIT_ROLE_NAME" <<<"$out" || fail "$name: the error does not name ORG_AUDIT_ROLE_NAME: $out"
        echo "  $name: refused without ORG_AUDIT_ROLE_NAME"
    elif out=$(invoke_function "$event" 2>&1); then
        [ "$want" != error ] || fail "$name was accepted: $out"
        read -r roles messages <<<"$want"
        got_roles=$(python3 -c 'import json,sys; r=json.load(sys.stdin); assert r["schema_version"]==1 and r["source"]=="live", r; print(r["summary"]["roles_audited"])' <<<"$out") \
            || fail "$name: not a report: $out"
        [ "$got_roles" = "$roles" ] || fail "$name: $got_roles roles audited, expected $roles"
        if [ "$name" = probe.json ]; then
            # the demo roles trust their vendors, not the auditor, and are not called; except
            # the one whose trust policy lets anyone in (moto enforces nothing here)
            python3 -c 'import json,sys; r=json.load(sys.stdin); p=r["probe"]; assert p["roles_unavailable"]==15 and p["roles_probed"]==1 and not p["roles_not_probed"], p; assert sum(x["probe"].get("error_code")=="NotTrusted" for x in r["roles"])==15' <<<"$out" \
                || fail "$name: not a probed report: $out"
        fi
        got_messages=$("$EMULATOR" drain "$QUEUE_URL" --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
        [ "$got_messages" = "$messages" ] || fail "$name: subscriber received $got_messages messages, expected $messages"
        echo "  $name: report of $got_roles role(s), $got_messages message(s) published"
    else
        [ "$want" = error ] || fail "$name failed: $out"
        grep -q "Accepted:" <<<"$out" || fail "$name: the error does not say what is accepted: $out"
        echo "  $name: refused ($(grep -o 'UnsupportedEvent' <<<"$out" | head -1 || true))"
    fi
    checked=$((checked + 1))
done
[ "$checked" -ge 5 ] || fail "only $checked event files checked"

grep -q '"audit finished"' "$work/function.log" || fail "no 'audit finished' log line"
python3 - "$work/function.log" <<'PY' || fail "the function's log lines are not all JSON"
import json, sys
lines = [l for l in open(sys.argv[1]) if l.strip()]
for l in lines:
    json.loads(l)
print(f"  {len(lines)} log lines, all JSON")
PY
echo "e2e: $checked passed, 0 failed"
