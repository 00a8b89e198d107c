#!/usr/bin/env bash
# Benchmarks the live audit against the AWS emulator: N connector roles (crates/core/examples/gen-dump.rs)
# seeded into moto, then `connector-audit audit` timed under /usr/bin/time (wall, peak RSS)
# while moto's request log counts the AWS requests the audit made. Also the Lambda
# binary's cold start: from exec of the release `bootstrap` to the answer of its first event
# (an event it refuses, so no AWS call is timed), behind cargo-lambda's Runtime API emulator.
# Prints a Markdown section for BENCHMARKS.md. Environment: BENCH_LIVE_SIZES (default "1000 5000").
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
source scripts/lib.sh
export PATH="$PWD/$VENV/bin:$PATH"
sizes="${BENCH_LIVE_SIZES:-1000 5000}"

cargo build --locked --release --bin connector-audit --bin bootstrap >&2
cargo build --quiet --locked --release -p connector-audit-emulator >&2
cargo build --quiet --locked --release -p connector-audit-core --example gen-dump >&2
work=$(mktemp -d)
trap 'stop_moto; [ -n "${WATCH_PID:-}" ] && kill "$WATCH_PID" 2>/dev/null; rm -rf "$work"' EXIT

echo "### $(date -u '+%Y-%m-%d %H:%M UTC'): live audit against moto"
echo
echo "- System: \`$(uname -srm)\`, $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "- moto $("$VENV/bin/pip" show moto 2>/dev/null | awk '/^Version/{print $2}') server on loopback; release build"
echo "- Command: \`connector-audit audit --format json\` (static phase: inventory + rules, no publishing)"
echo
echo "| Connector roles | Wall (s) | AWS requests | Peak RSS (MiB) | Findings | One role, as an audit on change does (s) |"
echo "|---:|---:|---:|---:|---:|---:|"
for n in $sizes; do
    MOTO_LOG="$work/moto-$n.log" start_moto
    "$TARGET/release/examples/gen-dump" "$n" 42 >"$work/dump-$n.json" 2>/dev/null
    "$TARGET/release/emulator" seed "$work/dump-$n.json" >/dev/null
    connectors=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(sum(1 for r in d["RoleDetailList"] if any(t["Key"]=="connector" for t in r.get("Tags",[]))))' "$work/dump-$n.json")
    before=$(grep -c -a ' HTTP/1.1' "$work/moto-$n.log" || true)
    /usr/bin/time -f '%e %M' -o "$work/time" "$TARGET/release/connector-audit" audit --format json --fail-on critical >"$work/report.json" || [ $? -eq 1 ]
    sleep 0.5
    after=$(grep -c -a ' HTTP/1.1' "$work/moto-$n.log" || true)
    read -r wall rss < <(tail -1 "$work/time")
    findings=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["findings"]))' "$work/report.json")
    # an audit on IAM change reads the whole account once and judges only the roles concerned
    one=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["roles"][0]["role_name"])' "$work/report.json")
    /usr/bin/time -f '%e' -o "$work/time-one" "$TARGET/release/connector-audit" audit --roles "$one" --format json --fail-on critical >/dev/null || [ $? -eq 1 ]
    printf '| %s | %s | %s | %.1f | %s | %s |\n' "$connectors" "$wall" "$((after - before))" "$(awk -v k="$rss" 'BEGIN{print k/1024}')" "$findings" "$(tail -1 "$work/time-one")"
    stop_moto
done

# cold start of the Lambda binary
port=$(free_port)
cargo lambda watch --only-lambda-apis --invoke-address 127.0.0.1 --invoke-port "$port" >"$work/watch.log" 2>&1 &
WATCH_PID=$!
for _ in $(seq 1 300); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
echo
echo "| Cold start (exec of bootstrap to the answer of its first event), 5 runs | ms |"
echo "|---|---:|"
for i in 1 2 3 4 5; do
    start=$(date +%s%N)
    AWS_LAMBDA_RUNTIME_API="http://127.0.0.1:$port/.rt" AWS_LAMBDA_FUNCTION_NAME=_ AWS_LAMBDA_FUNCTION_VERSION=1 \
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE=256 AWS_REGION=us-east-1 FINDINGS_TOPIC_ARN=arn:aws:sns:us-east-1:123456789012:t \
        "$TARGET/release/bootstrap" >/dev/null 2>&1 &
    fn=$!
    cargo lambda invoke _ --invoke-address 127.0.0.1 --invoke-port "$port" --data-ascii '"cold-start probe"' >/dev/null 2>&1 || true
    end=$(date +%s%N)
    kill "$fn" 2>/dev/null; wait "$fn" 2>/dev/null || true
    echo "| run $i | $(( (end - start) / 1000000 )) |"
done
