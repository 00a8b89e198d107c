#!/usr/bin/env bash
# Benchmarks the probe against the AWS emulator: N connector roles (default 200), each naming
# its own bucket and trusting the account (so the auditor may assume it), plus a canary bucket,
# seeded into moto; then `connector-audit audit --probe --probe-canary canary` timed under
# /usr/bin/time (wall, peak RSS) while moto's request log counts the AWS requests made. moto's
# IAM enforcement is off here (every request is allowed): this measures the probe's own cost,
# scheduling and request count, not authorization (tests/it/probe.rs covers that).
# Prints a Markdown section for BENCHMARKS.md. Environment: BENCH_PROBE_ROLES (default 200),
# BENCH_PROBE_CONCURRENCY (default "8").
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
source scripts/lib.sh
n="${BENCH_PROBE_ROLES:-200}"
concurrencies="${BENCH_PROBE_CONCURRENCY:-8}"

cargo build --locked --release --bin connector-audit >&2
work=$(mktemp -d)
trap 'stop_moto; rm -rf "$work"' EXIT

echo "### $(date -u '+%Y-%m-%d %H:%M UTC'): probe against moto"
echo
echo "- System: \`$(uname -srm)\`, $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "- moto $("$VENV/bin/pip" show moto 2>/dev/null | awk '/^Version/{print $2}') server on loopback (IAM enforcement off); release build"
echo "- $n connector roles, each with one bucket in scope, plus the canary: 2 buckets per role, 3 checks per bucket"
echo "- Command: \`connector-audit audit --probe --probe-canary canary --probe-concurrency C --format json\`"
echo
echo "| Concurrency | Wall (s) | AWS requests | Requests per role | S3 requests per role per bucket | Peak RSS (MiB) |"
echo "|---:|---:|---:|---:|---:|---:|"
for c in $concurrencies; do
    MOTO_LOG="$work/moto.log" start_moto
    "$VENV/bin/python" - "$n" <<'PY'
import json, os, sys
import boto3
n = int(sys.argv[1])
kw = dict(endpoint_url=os.environ["AWS_ENDPOINT_URL"], region_name="us-east-1")
iam, s3 = boto3.client("iam", **kw), boto3.client("s3", **kw)
trust = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
    "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "sts:AssumeRole"}]})
s3.create_bucket(Bucket="canary")
for i in range(n):
    bucket = f"probe-bench-{i:04d}"
    s3.create_bucket(Bucket=bucket)
    iam.create_role(RoleName=f"connector-{i:04d}", AssumeRolePolicyDocument=trust,
                    Tags=[{"Key": "connector", "Value": "bench"}])
    iam.put_role_policy(RoleName=f"connector-{i:04d}", PolicyName="s3", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
         "Action": ["s3:ListBucket", "s3:GetObject", "s3:PutObject"],
         "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"]}]}))
PY
    before=$(grep -c -a ' HTTP/1.1' "$work/moto.log" || true)
    /usr/bin/time -f '%e %M' -o "$work/time" "$TARGET/release/connector-audit" audit --probe --probe-canary canary \
        --probe-concurrency "$c" --format json --fail-on critical >"$work/report.json" || [ $? -eq 1 ]
    sleep 0.5
    after=$(grep -c -a ' HTTP/1.1' "$work/moto.log" || true)
    s3=$(grep -a ' HTTP/1.1' "$work/moto.log" | tail -n "$((after - before))" | grep -c -E '(GET|DELETE) /(canary|probe-bench-)' || true)
    read -r wall rss < <(tail -1 "$work/time")
    python3 - "$work/report.json" "$n" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
p = r["probe"]
assert p["roles_probed"] == int(sys.argv[2]), p
assert not p["roles_not_probed"], p
PY
    printf '| %s | %s | %s | %.2f | %.2f | %.1f |\n' "$c" "$wall" "$((after - before))" \
        "$(awk -v a="$((after - before))" -v n="$n" 'BEGIN{print a/n}')" \
        "$(awk -v a="$s3" -v n="$n" 'BEGIN{print a/n/2}')" "$(awk -v k="$rss" 'BEGIN{print k/1024}')"
    stop_moto
done
