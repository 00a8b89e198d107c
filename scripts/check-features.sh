#!/usr/bin/env bash
# One build for the demo, the tests and `cargo run`: fails when the workspace's dev-dependencies
# (tests, examples) turn on a feature of a crate that the CLI and the function also use. Cargo
# compiles such a crate twice, once per feature set, and `cargo run` after `cargo test` (or the
# demo's build) then rebuilds it and everything above it: the AWS SDK, minutes on 2 cores.
# Fix a failure by asking for the same features in [dependencies] (see regex-syntax there).
set -euo pipefail
cd "$(dirname "$0")/.."
target=$(rustc -vV | sed -n 's/^host: //p')
tree() { cargo tree --locked --target "$target" --prefix none "$@"; }
normal=$(tree -p connector-audit -p connector-audit-emulator -e normal,build,features)
all=$(tree --workspace -e normal,build,dev,features)
python3 - <(echo "$normal") <(echo "$all") <<'PY'
import re, sys

def features(path):
    found = {}
    for line in open(path):
        line = line.strip().replace(" (*)", "")
        m = re.match(r'^(\S+) feature "([^"]+)"', line)
        if m:
            found.setdefault(m.group(1), set()).add(m.group(2))
        elif (m := re.match(r"^(\S+) v\S+", line)):
            found.setdefault(m.group(1), set())
    return found

normal, everything = features(sys.argv[1]), features(sys.argv[2])
# the root package's own features are those of the command line (its defaults), whoever else
# depends on it (the emulator helper does, with the same defaults)
normal.pop("connector-audit", None)
extra = {c: sorted(everything[c] - f) for c, f in normal.items() if everything.get(c, f) != f}
if extra:
    for crate, added in sorted(extra.items()):
        print(f"dev-dependencies add features to {crate}: {', '.join(added)}", file=sys.stderr)
    print("`cargo run` after `cargo test` would rebuild these crates and all above them", file=sys.stderr)
    sys.exit(1)
print(f"features: one build for demo, tests and cargo run ({len(normal)} crates, dev-dependencies add no feature)")
PY
