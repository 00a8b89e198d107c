#!/usr/bin/env bash
# Benchmarks the live audit under injected faults: the synthetic account of 1,000 roles
# (crates/core/examples/gen-dump.rs) seeded into moto, audited and published to SNS once directly and once
# through the fault proxy (examples/fault-proxy.rs) answering 30% of requests with throttling,
# 500/503, slow answers or dropped connections. Records wall time, requests, faults, retries,
# and whether the findings and messages equal the clean run's. Prints a Markdown section for
# BENCHMARKS.md. Environment: BENCH_FAULT_ROLES (default 1000), BENCH_FAULT_SHARE (default 0.3).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
source scripts/lib.sh
n="${BENCH_FAULT_ROLES:-1000}"
share="${BENCH_FAULT_SHARE:-0.3}"

cargo build --locked --release --bin connector-audit --example fault-proxy >&2
cargo build --quiet --locked --release -p connector-audit-emulator >&2
cargo build --quiet --locked --release -p connector-audit-core --example gen-dump >&2
work=$(mktemp -d)
trap 'stop_moto; [ -n "${PROXY_PID:-}" ] && kill "$PROXY_PID" 2>/dev/null; rm -rf "$work"' EXIT

MOTO_LOG="$work/moto.log" start_moto
"$TARGET/release/examples/gen-dump" "$n" 42 >"$work/dump.json" 2>/dev/null
eval "$("$TARGET/release/emulator" seed "$work/dump.json")"
direct="$AWS_ENDPOINT_URL"

FAULT_PROXY_STATS="$work/stats" "$TARGET/release/examples/fault-proxy" "$MOTO_PORT" "$share" 42 >"$work/proxy.out" &
PROXY_PID=$!
for _ in $(seq 1 100); do grep -q PROXY_PORT "$work/proxy.out" 2>/dev/null && break; sleep 0.05; done
eval "$(cat "$work/proxy.out")"

run() { # name endpoint
    before=$(grep -c -a ' HTTP/1.1' "$work/moto.log" || true)
    AWS_ENDPOINT_URL="$2" /usr/bin/time -f '%e %M' -o "$work/time-$1" "$TARGET/release/connector-audit" audit \
        --format json --fail-on critical --publish "$TOPIC_ARN" --publish-min-severity info \
        --max-attempts 10 --retry-mode standard >"$work/report-$1.json" 2>"$work/err-$1" || [ $? -eq 1 ]
    sleep 0.5
    after=$(grep -c -a ' HTTP/1.1' "$work/moto.log" || true)
    echo $((after - before)) >"$work/moto-requests-$1"
    "$TARGET/release/emulator" drain "$QUEUE_URL" --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))' >"$work/received-$1"
}
run clean "$direct"
run faulty "http://127.0.0.1:$PROXY_PORT"
sleep 0.3

echo "### $(date -u '+%Y-%m-%d %H:%M UTC'): live audit and publishing under ${share} injected faults"
echo
echo "- System: \`$(uname -srm)\`, $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "- moto $("$VENV/bin/pip" show moto 2>/dev/null | awk '/^Version/{print $2}') behind examples/fault-proxy (seed 42); release build; $n roles (gen-dump seed 42)"
echo "- Command: \`connector-audit audit --publish TOPIC --publish-min-severity info --max-attempts 10 --retry-mode standard\`"
echo
echo "| Run | Wall (s) | Requests sent | Requests reaching moto | Faults injected | Findings | Messages received | Complete |"
echo "|---|---:|---:|---:|---:|---:|---:|---|"
for r in clean faulty; do
    read -r wall _rss < <(tail -1 "$work/time-$r")
    read -r findings complete < <(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(len(r["findings"]), r["complete"])' "$work/report-$r.json")
    if [ "$r" = faulty ]; then
        stats=$(cat "$work/stats")
        sent=$(sed -E 's/.*requests=([0-9]+).*/\1/' <<<"$stats")
        faults=$(python3 -c 'import re,sys; d=dict(re.findall(r"(\w+)=(\d+)", sys.argv[1])); print(int(d["throttled"])+int(d["server_errors"])+int(d["slow"])+int(d["dropped"]))' "$stats")
    else
        sent=$(cat "$work/moto-requests-$r"); faults=0
    fi
    echo "| $r | $wall | $sent | $(cat "$work/moto-requests-$r") | $faults | $findings | $(cat "$work/received-$r") | $complete |"
done
echo
echo "- Proxy counts: \`$(cat "$work/stats")\`"
python3 - "$work/report-clean.json" "$work/report-faulty.json" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
key = lambda r: sorted((f["id"], f["rule"], f["role_name"]) for f in r["findings"])
print(f"- Same findings as the clean run: {'yes' if key(a) == key(b) else 'NO'}")
PY
