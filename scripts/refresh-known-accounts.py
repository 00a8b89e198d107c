#!/usr/bin/env python3
"""Regenerates the embedded list of known AWS accounts from a copy of the community list.

    scripts/refresh-known-accounts.py [ACCOUNTS_YAML] [--output DIR]

ACCOUNTS_YAML is `accounts.yaml` of fwdcloudsec/known_aws_accounts (default: the shared copy,
../shared/data/known-aws-accounts/accounts.yaml relative to the repository). DIR (default:
crates/core/data/known-aws-accounts) receives:

- accounts.json: the same entries, in the same order, as JSON (what the binary embeds);
- accounts.sha256: the SHA-256 of the YAML it was made from and of accounts.json, in
  `sha256sum` format, so that a test notices when either drifts;
- LICENSE and schema.json, copied when they sit next to the YAML.

Standard library only: the file is a plain list of flat mappings whose values are quoted
strings, lists of them (flow or block style) and booleans, and this reads exactly that. Any
other YAML, an unknown field or an account that is not 12 digits stops the script, so a
newer upstream format is noticed instead of misread. The output is deterministic: the test in
crates/core (`known_accounts`) runs this script on the shared copy and compares its output
with the embedded file byte for byte.
"""

import argparse
import hashlib
import json
import re
import shutil
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_SOURCE = REPO.parent / "shared" / "data" / "known-aws-accounts" / "accounts.yaml"
DEFAULT_OUTPUT = REPO / "crates" / "core" / "data" / "known-aws-accounts"

# The fields of the upstream schema.json (additionalProperties: false), in output order.
FIELDS = ("name", "type", "source", "accounts", "enabled", "deprecated_date")
LISTS = {"source", "accounts"}
ACCOUNT = re.compile(r"^[0-9]{12}$")
DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


class ParseError(Exception):
    pass


def strip_comment(text):
    """The line without a trailing `# comment` outside quotes."""
    quote = None
    for i, c in enumerate(text):
        if quote:
            if c == quote:
                quote = None
        elif c in "'\"":
            quote = c
        elif c == "#" and (i == 0 or text[i - 1] in " \t"):
            return text[:i].rstrip()
    return text.rstrip()


def scalar(text, line):
    """A quoted or plain scalar: a string, or a boolean for plain true/false."""
    text = text.strip()
    if text.startswith("'"):
        if len(text) < 2 or not text.endswith("'"):
            raise ParseError(f"line {line}: unterminated quoted string {text!r}")
        inner = text[1:-1]
        if re.search(r"(?<!')'(?!')", inner.replace("''", "")):
            raise ParseError(f"line {line}: stray quote in {text!r}")
        return inner.replace("''", "'")
    if text.startswith('"'):
        try:
            value = json.loads(text)
        except json.JSONDecodeError as e:
            raise ParseError(f"line {line}: bad double-quoted string {text!r}: {e}") from e
        if not isinstance(value, str):
            raise ParseError(f"line {line}: {text!r} is not a string")
        return value
    if text in ("true", "True", "false", "False"):
        return text.lower() == "true"
    if not text or text[0] in "[]{}&*!|>%@`,":
        raise ParseError(f"line {line}: unsupported value {text!r}")
    return text


def flow_items(text, line):
    """The items of a flow list `[a, 'b', ...]` (the brackets included)."""
    inner = text.strip()
    if not (inner.startswith("[") and inner.endswith("]")):
        raise ParseError(f"line {line}: unterminated list {text!r}")
    inner = inner[1:-1]
    items, current, quote = [], "", None
    for c in inner:
        if quote:
            current += c
            if c == quote:
                quote = None
        elif c in "'\"":
            quote = c
            current += c
        elif c == ",":
            items.append(current)
            current = ""
        else:
            current += c
    if quote:
        raise ParseError(f"line {line}: unterminated quoted string in {text!r}")
    items.append(current)
    items = [i.strip() for i in items]
    if items and items[-1] == "":  # a trailing comma
        items.pop()
    if any(i == "" for i in items):
        raise ParseError(f"line {line}: empty item in {text!r}")
    return [scalar(i, line) for i in items]


def parse(text):
    """The list of entries of accounts.yaml."""
    lines = [(n, strip_comment(raw)) for n, raw in enumerate(text.splitlines(), start=1)]
    lines = [(n, l) for n, l in lines if l.strip()]
    entries = []
    i = 0
    while i < len(lines):
        n, l = lines[i]
        if l.startswith("- "):
            entries.append({})
            l = "  " + l[2:]
        elif not entries:
            raise ParseError(f"line {n}: expected a list item (`- name: ...`), got {l!r}")
        m = re.match(r"^  ([A-Za-z_]+):(?:\s+(.*))?$", l)
        if not m:
            raise ParseError(f"line {n}: expected `key: value`, got {l!r}")
        key, value = m.group(1), (m.group(2) or "").strip()
        entry = entries[-1]
        if key not in FIELDS:
            raise ParseError(f"line {n}: unknown field `{key}`")
        if key in entry:
            raise ParseError(f"line {n}: field `{key}` given twice")
        i += 1
        if value.startswith("["):
            # a flow list, possibly over several lines
            while not strip_comment(value).endswith("]"):
                if i >= len(lines):
                    raise ParseError(f"line {n}: the list never closes")
                value += " " + lines[i][1].strip()
                i += 1
            entry[key] = flow_items(value, n)
        elif value == "":
            # a block list: `    - item` lines
            items = []
            while i < len(lines) and re.match(r"^\s{2,}- ", lines[i][1]):
                items.append(scalar(lines[i][1].strip()[2:], lines[i][0]))
                i += 1
            if not items:
                raise ParseError(f"line {n}: `{key}` has no value")
            entry[key] = items
        else:
            entry[key] = scalar(value, n)
    return entries


def check(entries):
    """The upstream schema's rules, plus: every account is 12 digits."""
    if not entries:
        raise ParseError("no entries")
    for e in entries:
        where = f"entry `{e.get('name', '?')}`"
        for key in ("name", "accounts"):
            if key not in e:
                raise ParseError(f"{where}: `{key}` is missing")
        if not isinstance(e["name"], str) or not e["name"].strip():
            raise ParseError(f"{where}: `name` must be a non-empty string")
        for key in LISTS & e.keys():
            if not isinstance(e[key], list) or not all(isinstance(v, str) for v in e[key]):
                raise ParseError(f"{where}: `{key}` must be a list of strings")
            if len(set(e[key])) != len(e[key]):
                raise ParseError(f"{where}: `{key}` repeats a value")
        for a in e["accounts"]:
            if not ACCOUNT.match(a):
                raise ParseError(f"{where}: account `{a}` is not 12 digits")
        if "type" in e and e["type"] != "aws":
            raise ParseError(f"{where}: `type` must be `aws`")
        if "enabled" in e and not isinstance(e["enabled"], bool):
            raise ParseError(f"{where}: `enabled` must be true or false")
        if "deprecated_date" in e:
            if not isinstance(e["deprecated_date"], str) or not DATE.match(e["deprecated_date"]):
                raise ParseError(f"{where}: `deprecated_date` must be YYYY-MM-DD")
            if e.get("enabled", True):
                raise ParseError(f"{where}: a deprecated entry must say `enabled: false`")


def render(entries):
    """accounts.json: the entries in file order, fields in schema order."""
    ordered = [{k: e[k] for k in FIELDS if k in e} for e in entries]
    return json.dumps(ordered, indent=2, ensure_ascii=False) + "\n"


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("source", nargs="?", type=Path, default=DEFAULT_SOURCE,
                        help="accounts.yaml of fwdcloudsec/known_aws_accounts")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT,
                        help="the directory to write accounts.json and accounts.sha256 into")
    args = parser.parse_args(argv)
    try:
        raw = args.source.read_bytes()
    except OSError as e:
        print(f"refresh-known-accounts: cannot read {args.source}: {e}", file=sys.stderr)
        return 2
    try:
        entries = parse(raw.decode("utf-8"))
        check(entries)
    except (ParseError, UnicodeDecodeError) as e:
        print(f"refresh-known-accounts: {args.source}: {e}", file=sys.stderr)
        return 1
    out = render(entries).encode("utf-8")
    args.output.mkdir(parents=True, exist_ok=True)
    (args.output / "accounts.json").write_bytes(out)
    sums = (f"{hashlib.sha256(raw).hexdigest()}  accounts.yaml\n"
            f"{hashlib.sha256(out).hexdigest()}  accounts.json\n")
    (args.output / "accounts.sha256").write_text(sums, encoding="utf-8")
    for extra in ("LICENSE", "schema.json"):
        if (args.source.parent / extra).is_file():
            shutil.copyfile(args.source.parent / extra, args.output / extra)
    accounts = sum(len(e["accounts"]) for e in entries)
    print(f"{args.output / 'accounts.json'}: {len(entries)} entries, {accounts} accounts")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
