#!/usr/bin/env bash
# Benchmarks `connector-audit check` on synthetic GAAD dumps (crates/core/examples/gen-dump.rs) against
# the floors of merely reading the same file, in the same run.
#
# Builds the release binary, the gen-dump example and the json-floor example (into
# $CARGO_TARGET_DIR, else target/), generates dumps of each size in $BENCH_SIZES, and runs,
# $BENCH_RUNS times each, in a rotating order so that no command always runs first:
#   check       connector-audit check --input DUMP --format json --fail-on critical
#   json.load   python3 -c 'import json, sys; json.load(open(sys.argv[1]))' DUMP
#   Value       json-floor DUMP   (serde_json -> Value, the workspace's features, dropped)
#   jq          jq -c . DUMP >/dev/null   (when jq is installed)
#   before      $BENCH_BASELINE check ... (when set: another build of connector-audit, e.g.
#               the commit before a change, timed in the same rounds)
# Wall time is taken from bash's EPOCHREALTIME around each command (microseconds), peak RSS
# from /usr/bin/time. It prints a Markdown section (machine, date, medians, ratios, spread)
# on stdout that can be pasted into BENCHMARKS.md as is; progress goes to stderr.
#
# Exit status 1 from connector-audit means "findings at or above --fail-on", which the
# synthetic dumps always have; it counts as success. Any other non-zero status aborts.
#
# Environment: CARGO_TARGET_DIR, BENCH_SIZES (default "1000 5000 50000"), BENCH_RUNS
# (default 5), BENCH_SEED (default 42), PYTHON (default python3), BENCH_BASELINE (unset).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

target_dir="${CARGO_TARGET_DIR:-target}"
sizes="${BENCH_SIZES:-1000 5000 50000}"
runs="${BENCH_RUNS:-5}"
seed="${BENCH_SEED:-42}"
python="${PYTHON:-python3}"
time_bin=/usr/bin/time

log() { printf '%s\n' "$*" >&2; }
die() {
    log "bench: $*"
    exit 1
}

[[ "$runs" =~ ^[1-9][0-9]*$ ]] || die "BENCH_RUNS must be a positive integer, got '$runs'"
[[ -x "$time_bin" ]] || die "$time_bin not found (GNU time; apt-get install time)"
command -v "$python" >/dev/null || die "$python not found (the json.load floor)"
[[ -n "${EPOCHREALTIME:-}" ]] || die "bash 5 or later is needed (EPOCHREALTIME)"

log "bench: building release binaries into $target_dir"
# the binary alone (the root package's examples would bring its dev-dependencies' features
# into the SDK crates and rebuild them); the generator and the floor are the core's examples
cargo build --release --bin connector-audit >&2
cargo build --release -p connector-audit-core --example gen-dump --example json-floor >&2

audit="$target_dir/release/connector-audit"
gen="$target_dir/release/examples/gen-dump"
floor="$target_dir/release/examples/json-floor"
for bin in "$audit" "$gen" "$floor"; do
    [[ -x "$bin" ]] || die "missing $bin after build"
done

names=(check json.load Value)
if command -v jq >/dev/null; then
    names+=(jq)
fi
baseline="${BENCH_BASELINE:-}"
if [[ -n "$baseline" ]]; then
    [[ -x "$baseline" ]] || die "BENCH_BASELINE=$baseline is not an executable"
    names+=(before)
fi

tmp="$(mktemp -d "${TMPDIR:-/tmp}/connector-audit-bench.XXXXXX")"
trap 'rm -rf -- "$tmp"' EXIT

# run NAME DUMP: runs one command, appends "SECONDS KIB" to $tmp/NAME.samples
run() {
    local name="$1" dump="$2" rc=0 start end
    start="$EPOCHREALTIME"
    case "$name" in
    check | before)
        local bin="$audit"
        [[ "$name" == before ]] && bin="$baseline"
        "$time_bin" -f '%M' -o "$tmp/time.out" \
            "$bin" check --input "$dump" --format json --fail-on critical \
            >"$tmp/$name.json" 2>"$tmp/cmd.err" || rc=$?
        if ((rc != 0 && rc != 1)); then
            cat "$tmp/cmd.err" >&2
            die "connector-audit exited with status $rc on $dump"
        fi
        ;;
    json.load)
        "$time_bin" -f '%M' -o "$tmp/time.out" \
            "$python" -c 'import json, sys; json.load(open(sys.argv[1], encoding="utf-8"))' "$dump" \
            2>"$tmp/cmd.err" || die "$name failed: $(cat "$tmp/cmd.err")"
        ;;
    Value)
        "$time_bin" -f '%M' -o "$tmp/time.out" "$floor" "$dump" \
            >/dev/null 2>"$tmp/cmd.err" || die "$name failed: $(cat "$tmp/cmd.err")"
        ;;
    jq)
        "$time_bin" -f '%M' -o "$tmp/time.out" jq -c . "$dump" \
            >/dev/null 2>"$tmp/cmd.err" || die "$name failed: $(cat "$tmp/cmd.err")"
        ;;
    esac
    end="$EPOCHREALTIME"
    local kib
    kib="$(tail -n 1 "$tmp/time.out")"
    [[ "$kib" =~ ^[0-9]+$ ]] || die "unexpected /usr/bin/time output: $kib"
    awk -v s="$start" -v e="$end" -v k="$kib" 'BEGIN { printf "%.4f %d\n", e - s, k }' \
        >>"$tmp/$name.samples"
}

# stats NAME -> "MEDIAN MIN MAX MAXRSS_KIB"
stats() {
    sort -n -k1,1 "$tmp/$1.samples" | awk '
        { wall[NR] = $1; if ($2 > rss) rss = $2 }
        END {
            if (NR % 2) med = wall[(NR + 1) / 2]
            else med = (wall[NR / 2] + wall[NR / 2 + 1]) / 2
            printf "%.4f %.4f %.4f %d", med, wall[1], wall[NR], rss
        }'
}

rows=()
notes=()
for roles in $sizes; do
    [[ "$roles" =~ ^[0-9]+$ ]] || die "BENCH_SIZES must hold integers, got '$roles'"
    dump="$tmp/dump-$roles.json"
    log "bench: generating $roles roles"
    "$gen" "$roles" "$seed" >"$dump" 2>"$tmp/gen.err" || {
        cat "$tmp/gen.err" >&2
        die "gen-dump $roles failed"
    }
    notes+=("$(tail -n 1 "$tmp/gen.err")")
    bytes="$(stat -c %s "$dump")"
    for name in "${names[@]}"; do
        : >"$tmp/$name.samples"
    done
    # one warm-up of each (page cache, binaries), not counted
    for name in "${names[@]}"; do
        run "$name" "$dump"
        : >"$tmp/$name.samples"
    done
    n=${#names[@]}
    for ((r = 0; r < runs; r++)); do
        for ((k = 0; k < n; k++)); do
            name="${names[$(((r + k) % n))]}"
            run "$name" "$dump"
        done
        log "bench: $roles roles, round $((r + 1))/$runs: $(for name in "${names[@]}"; do printf '%s %ss  ' "$name" "$(tail -n 1 "$tmp/$name.samples" | cut -d' ' -f1)"; done)"
    done
    read -r c_med c_min c_max c_rss <<<"$(stats check)"
    read -r p_med _ _ _ <<<"$(stats json.load)"
    read -r v_med _ _ _ <<<"$(stats Value)"
    jq_cell="-"
    if [[ " ${names[*]} " == *" jq "* ]]; then
        read -r j_med _ _ _ <<<"$(stats jq)"
        jq_cell="$(awk -v j="$j_med" 'BEGIN { printf "%.3f", j }')"
    fi
    if [[ -n "$baseline" ]]; then
        read -r b_med _ _ b_rss <<<"$(stats before)"
        strip() { sed -E 's/"generated_at": *"[^"]*"//g' "$1"; }
        cmp -s <(strip "$tmp/check.json") <(strip "$tmp/before.json") && same="same report" || same="**reports differ**"
        notes+=("$roles roles, before (\`$baseline\`): $(awk -v b="$b_med" -v c="$c_med" -v r="$b_rss" 'BEGIN { printf "%.3f s, %.1f MiB; check is %.2fx its time", b, r / 1024, c / b }'); $same (generated_at aside)")
    fi
    rows+=("$(awk -v roles="$roles" -v bytes="$bytes" -v cm="$c_med" -v cmin="$c_min" -v cmax="$c_max" \
        -v rss="$c_rss" -v pm="$p_med" -v vm="$v_med" -v jq="$jq_cell" 'BEGIN {
            printf "| %d | %.1f | %.3f (%.3f-%.3f) | %.3f | %.3f | %s | **%.2fx** | **%.2fx** | %.1f | %.2fx | %.1f |",
                roles, bytes / 1048576, cm, cmin, cmax, pm, vm, jq, cm / pm, cm / vm,
                rss / 1024, rss * 1024 / bytes, cm * 1000000 / roles
        }')")
done

cpu="$( (grep -m1 -E '^(model name|Model|cpu model)' /proc/cpuinfo || true) | cut -d: -f2- | sed 's/^[[:space:]]*//')"
commit="$(git rev-parse --short HEAD 2>/dev/null || echo 'no commit')"
if [[ -n "$(git status --porcelain 2>/dev/null || true)" ]]; then
    commit="$commit (uncommitted changes)"
fi

cat <<EOF2
### $(date -u '+%Y-%m-%d %H:%M UTC')

- System: \`$(uname -srm)\`, $(nproc) CPUs, ${cpu:-unknown CPU}; load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)
- Toolchain: \`$(rustc --version 2>/dev/null || echo 'rustc unknown')\`, release profile; \`$("$python" --version 2>&1)\`
- Commit: $commit
- Each command $runs times per dump after one warm-up, in a rotating order; wall medians (check: median, min-max), peak RSS the max
- check: \`connector-audit check --input DUMP --format json --fail-on critical\`; json.load: \`$python -c 'import json, sys; json.load(open(sys.argv[1]))' DUMP\`; Value: \`json-floor DUMP\` (serde_json -> \`Value\` with \`preserve_order\`, dropped); jq: \`jq -c . DUMP\`
- Dumps: \`cargo run --release -p connector-audit-core --example gen-dump -- ROLES $seed\`

| Roles | Dump (MiB) | check (s) | json.load (s) | Value (s) | jq (s) | check / json.load | check / Value | check RSS (MiB) | RSS / dump | check µs per role |
|------:|-----------:|----------:|--------------:|----------:|-------:|------------------:|--------------:|----------------:|-----------:|------------------:|
EOF2
printf '%s\n' "${rows[@]}"
echo
for note in "${notes[@]}"; do
    printf -- '- %s\n' "$note"
done
