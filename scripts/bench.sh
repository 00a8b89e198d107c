#!/usr/bin/env bash
# Benchmarks `connector-audit check` on synthetic GAAD dumps (examples/gen-dump.rs).
#
# Builds the release binary and the gen-dump example (into $CARGO_TARGET_DIR, else target/),
# generates dumps of 1000 and 5000 roles, runs
#   connector-audit check --input DUMP --format json --fail-on critical
# $BENCH_RUNS times (default 5) on each under /usr/bin/time, and prints a Markdown section
# (machine, date, results table) on stdout that can be pasted into BENCHMARKS.md as is.
# Progress and build output go to stderr.
#
# Exit status 1 from connector-audit means "findings at or above --fail-on", which the
# synthetic dumps always have; it counts as success. Any other non-zero status aborts.
#
# Environment: CARGO_TARGET_DIR, BENCH_SIZES (default "1000 5000"), BENCH_RUNS (default 5),
# BENCH_SEED (default 42).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

target_dir="${CARGO_TARGET_DIR:-target}"
sizes="${BENCH_SIZES:-1000 5000}"
runs="${BENCH_RUNS:-5}"
seed="${BENCH_SEED:-42}"
time_bin=/usr/bin/time

log() { printf '%s\n' "$*" >&2; }
die() {
    log "bench: $*"
    exit 1
}

[[ "$runs" =~ ^[1-9][0-9]*$ ]] || die "BENCH_RUNS must be a positive integer, got '$runs'"
[[ -x "$time_bin" ]] || die "$time_bin not found (GNU time; apt-get install time)"

log "bench: building release binaries into $target_dir"
cargo build --release --bin connector-audit --example gen-dump >&2

audit="$target_dir/release/connector-audit"
gen="$target_dir/release/examples/gen-dump"
[[ -x "$audit" ]] || die "missing $audit after build"
[[ -x "$gen" ]] || die "missing $gen after build"

tmp="$(mktemp -d "${TMPDIR:-/tmp}/connector-audit-bench.XXXXXX")"
trap 'rm -rf -- "$tmp"' EXIT

# mib BYTES -> "12.3"
mib() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }'; }

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

    : >"$tmp/samples"
    for ((run = 1; run <= runs; run++)); do
        rc=0
        "$time_bin" -f '%e %M' -o "$tmp/time.out" \
            "$audit" check --input "$dump" --format json --fail-on critical \
            >"$tmp/report.json" 2>"$tmp/audit.err" || rc=$?
        if ((rc != 0 && rc != 1)); then
            cat "$tmp/audit.err" >&2
            die "connector-audit exited with status $rc on $roles roles (run $run)"
        fi
        # GNU time writes "Command exited with non-zero status N" before the format line.
        sample="$(tail -n 1 "$tmp/time.out")"
        [[ "$sample" =~ ^[0-9.]+\ [0-9]+$ ]] || die "unexpected /usr/bin/time output: $sample"
        log "bench: $roles roles, run $run/$runs: ${sample% *} s, ${sample#* } KiB (exit $rc)"
        printf '%s\n' "$sample" >>"$tmp/samples"
    done

    # min and median wall seconds, max peak RSS (KiB -> MiB).
    stats="$(sort -n -k1,1 "$tmp/samples" | awk '
        { wall[NR] = $1; if ($2 > rss) rss = $2 }
        END {
            if (NR % 2) med = wall[(NR + 1) / 2]
            else med = (wall[NR / 2] + wall[NR / 2 + 1]) / 2
            printf "%.2f | %.2f | %.1f", wall[1], med, rss / 1024
        }')"
    rows+=("| $roles | $(mib "$bytes") | $stats |")
done

cpu="$( (grep -m1 -E '^(model name|Model|cpu model)' /proc/cpuinfo || true) | cut -d: -f2- | sed 's/^[[:space:]]*//')"
commit="$(git rev-parse --short HEAD 2>/dev/null || echo 'no commit')"
if [[ -n "$(git status --porcelain 2>/dev/null || true)" ]]; then
    commit="$commit (uncommitted changes)"
fi

cat <<EOF
### $(date -u '+%Y-%m-%d %H:%M UTC')

- System: \`$(uname -srm)\`, $(nproc) CPUs, ${cpu:-unknown CPU}
- Toolchain: \`$(rustc --version 2>/dev/null || echo 'rustc unknown')\`, release profile
- Commit: $commit
- Command: \`connector-audit check --input DUMP --format json --fail-on critical\`, $runs runs per dump, timed with \`/usr/bin/time -f '%e %M'\`
- Dumps: \`cargo run --release --example gen-dump -- ROLES $seed\`

| Roles | Dump (MiB) | Wall min (s) | Wall median (s) | Peak RSS max (MiB) |
|------:|-----------:|-------------:|----------------:|-------------------:|
EOF
printf '%s\n' "${rows[@]}"
echo
for note in "${notes[@]}"; do
    printf -- '- %s\n' "$note"
done
