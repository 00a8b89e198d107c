#!/usr/bin/env bash
# Lints template.yaml and org-member-role.yaml with the pinned cfn-lint (.venv-lint,
# requirements-lint.txt), and template.yaml with `sam validate --lint`, then proves the linter
# is awake: three deliberately broken copies of the template (bad runtime, Timeout 5000, GetAtt
# of a missing attribute) must each fail with the expected rule. cfn-lint 1.58, the version
# aws-sam-cli pulls in, misses two of the three, which is why the linter is pinned on its own.
set -euo pipefail
cd "$(dirname "$0")/.."
LINT=.venv-lint/bin/cfn-lint
[ -x "$LINT" ] || { echo "cfn-lint not in .venv-lint: run 'make venv'" >&2; exit 1; }

echo "cfn-lint $($LINT --version | awk '{print $2}') template.yaml org-member-role.yaml"
$LINT template.yaml
$LINT org-member-role.yaml
echo "sam validate --lint"
PATH="$PWD/.venv/bin:$PATH" SAM_CLI_TELEMETRY=0 .venv/bin/sam validate --lint --region us-east-1 >/dev/null

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
check_broken() { # name sed-expression expected-rule
    sed -e "$2" template.yaml >"$tmp/$1.yaml"
    if cmp -s template.yaml "$tmp/$1.yaml"; then echo "broken copy '$1' is unchanged: fix this script" >&2; exit 1; fi
    if out=$($LINT "$tmp/$1.yaml" 2>&1); then
        echo "cfn-lint accepted the broken template '$1'" >&2; exit 1
    fi
    grep -q "^$3 " <<<"$out" || { echo "cfn-lint did not report $3 for '$1':" >&2; echo "$out" >&2; exit 1; }
    echo "  broken copy '$1' rejected with $3"
}
check_broken bad-runtime 's/Runtime: provided.al2023/Runtime: provided.al2099/' E3030
check_broken timeout-5000 's/Timeout: 300/Timeout: 5000/' E3034
check_broken bad-getatt 's/FailedInvocationsQueue.Arn/FailedInvocationsQueue.Nope/' E1010
echo "template lint: ok"
