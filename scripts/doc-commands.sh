#!/usr/bin/env bash
# Every command README.md and docs/*.md show in a ```sh block, taken from the text itself so
# that the two cannot drift apart:
#   - `connector-audit ...` (or `target/debug/connector-audit ...`) is RUN with the debug binary,
#     in a scratch directory holding `account.json` (the demo account's dump) and `r.json` (its
#     report), against moto seeded with the demo account (with an organization, for `--org`);
#     it must exit 0 or 1 (1: findings at or above --fail-on), print nothing that looks like
#     Rust's Debug output, and any `--fixes DIR` must come out with apply.sh;
#   - `make TARGET` must be a target of the Makefile (`make -n`; `make test` runs them all);
#   - anything else (aws, sam deploy, pip, rustup) needs a real AWS account or the network:
#     listed, and checked by `bash -n` only.
# Then every relative link between README.md and docs/ must land on a file and heading.
# Blocks marked ```text, ```json, ... are output or data, not commands.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
source scripts/lib.sh
BIN="$TARGET/debug/connector-audit"
EMULATOR="$TARGET/debug/emulator"
[ -x "$BIN" ] && [ -x "$EMULATOR" ] || cargo build --locked --workspace --bin connector-audit --bin emulator

work=$(mktemp -d)
trap 'cleanup_all "$work"' EXIT

# the commands as "KIND<TAB>FILE:LINE<TAB>TEXT": RUN (connector-audit), MAKE, or AWS (anything
# else: the block it is in must pass `bash -n`, placeholders such as <ROLE_ARN> written as words)
python3 - README.md docs/*.md >"$work/commands" <<'PY'
import re, subprocess, sys
for path in sys.argv[1:]:
    text = open(path).read()
    for m in re.finditer(r"^```sh\n(.*?)^```", text, re.S | re.M):
        first = text[: m.start()].count("\n") + 2
        block = m.group(1)
        syntax = subprocess.run(["bash", "-n"], input=re.sub(r"<[^<>\n]*>", "PLACEHOLDER", block),
                                text=True, capture_output=True)
        pending, at, quoted = "", None, False
        for n, line in enumerate(block.splitlines(), first):
            starts = at is None and not quoted
            if at is None:
                at = n
            if not quoted:
                line = re.sub(r"\s+#.*$", "", line)  # a comment (outside a quoted argument)
            quoted ^= line.count("'") % 2 == 1
            if line.rstrip().endswith("\\") or quoted:
                pending += line.rstrip().rstrip("\\") + " "
                continue
            command = (pending + line).strip()
            pending = ""
            word = command.split(" ", 1)[0]
            if not command or command.startswith("#"):
                pass
            elif word in ("connector-audit", "target/debug/connector-audit"):
                print(f"RUN\t{path}:{at}\t{command}")
            elif word == "make":
                print(f"MAKE\t{path}:{at}\t{command}")
            else:
                ok = "ok" if syntax.returncode == 0 else "bad: " + syntax.stderr.strip().replace("\n", " ")
                print(f"AWS\t{path}:{at}\t{ok}\t{command[:100]}")
            at = None
PY
[ -s "$work/commands" ] || { echo "doc commands: no \`\`\`sh block found" >&2; exit 1; }

start_moto
eval "$("$EMULATOR" seed tests/fixtures/demo-account.json)" >/dev/null
"$VENV/bin/python" -c 'import boto3; boto3.client("organizations").create_organization(FeatureSet="ALL")'
mkdir "$work/cwd"
cp tests/fixtures/demo-account.json "$work/cwd/account.json"
"$BIN" check --input "$work/cwd/account.json" --format json >"$work/cwd/r.json" || [ $? -eq 1 ]

ran=0 made=0 listed=0 failed=0
while IFS=$'\t' read -r kind where command rest; do
    case "$kind" in
        RUN)
            read -r -a words <<<"$command"
            set +e
            (cd "$work/cwd" && "$BIN" "${words[@]:1}") >"$work/out" 2>"$work/err"
            code=$?
            set -e
            if [ "$code" -gt 1 ]; then
                echo "FAIL $where: exit $code: $command" >&2
                sed 's/^/    /' "$work/err" >&2
                failed=$((failed + 1))
            elif grep -E -q 'DispatchFailure\(|ConnectorError \{|Some\(|[A-Za-z]+ \{ [a-z_]+: ' "$work/err"; then
                echo "FAIL $where: Rust Debug output on stderr: $command" >&2
                failed=$((failed + 1))
            else
                for i in "${!words[@]}"; do
                    if [ "${words[$i]}" = --fixes ]; then
                        dir="${words[$((i + 1))]}"
                        [ -x "$work/cwd/$dir/apply.sh" ] || { echo "FAIL $where: no $dir/apply.sh" >&2; failed=$((failed + 1)); }
                    fi
                done
                echo "  ran    $where: $command (exit $code)"
                ran=$((ran + 1))
            fi
            ;;
        MAKE)
            read -r -a words <<<"$command"
            if make -n "${words[@]:1}" >/dev/null 2>&1; then
                echo "  make   $where: $command (a target of the Makefile)"
                made=$((made + 1))
            else
                echo "FAIL $where: not a make target: $command" >&2
                failed=$((failed + 1))
            fi
            ;;
        AWS)
            # $command holds the syntax check's result here, $rest the command
            if [ "$command" = ok ]; then
                echo "  listed $where: $rest (needs a real AWS account or the network: syntax checked, not run)"
                listed=$((listed + 1))
            else
                echo "FAIL $where: $command: $rest" >&2
                failed=$((failed + 1))
            fi
            ;;
    esac
done <"$work/commands"
# and every relative link between them lands on a file and heading that exist (the reference
# moved out of README into docs/: no link may be left pointing at the old place)
python3 - README.md docs/*.md <<'PY' || failed=$((failed + 1))
import os, re, sys
def anchors(path):
    return {re.sub(r"[^\w\- ]", "", m.group(1).strip().lower()).replace(" ", "-")
            for m in re.finditer(r"^#+ (.*)$", open(path).read(), re.M)}
bad = 0
for f in sys.argv[1:]:
    for m in re.finditer(r"\]\(([^)#\s]*)(#[^)\s]*)?\)", open(f).read()):
        target, anchor = m.group(1), m.group(2)
        if target.startswith(("http:", "https:")):
            continue
        path = os.path.normpath(os.path.join(os.path.dirname(f), target)) if target else f
        if not os.path.exists(path):
            print(f"FAIL {f}: link to a missing file: {target}", file=sys.stderr); bad += 1
        elif anchor and path.endswith(".md") and anchor[1:] not in anchors(path):
            print(f"FAIL {f}: link to a missing heading: {target}{anchor}", file=sys.stderr); bad += 1
print(f"  links  README.md and docs/: {'all land' if not bad else str(bad) + ' broken'}")
sys.exit(1 if bad else 0)
PY
echo "doc commands: $ran run, $made make targets, $listed not runnable here, $failed failed"
[ "$failed" -eq 0 ] && [ "$ran" -ge 3 ]
