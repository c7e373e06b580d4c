import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

const root = new URL("../../", import.meta.url);

/** Every `SESAME_*` name src/config/config.ts reads (whole names only, not template prefixes). */
function namesInConfig(): Set<string> {
  const source = readFileSync(new URL("src/config/config.ts", root), "utf8");
  const quoted = [...source.matchAll(/"(SESAME_[A-Z0-9_]*[A-Z0-9])"/g)].map((m) => m[1] as string);
  const direct = [...source.matchAll(/\benv\.(SESAME_[A-Z0-9_]*[A-Z0-9])\b/g)].map((m) => m[1] as string);
  return new Set([...quoted, ...direct]);
}

/** Every `SESAME_*` name in the first column of the README's configuration table. */
function namesInReadme(): Set<string> {
  const readme = readFileSync(new URL("README.md", root), "utf8");
  const names = new Set<string>();
  for (const line of readme.split("\n")) {
    if (!line.startsWith("| `SESAME_")) continue;
    const first = line.split("|")[1] ?? "";
    for (const m of first.matchAll(/`(SESAME_[A-Z0-9_]+)`/g)) names.add(m[1] as string);
  }
  return names;
}

test("the README's configuration table lists every variable config.ts reads, and no other", () => {
  const config = namesInConfig();
  const readme = namesInReadme();
  assert.ok(config.size > 30, "config.ts names were found");
  assert.deepEqual([...config].filter((n) => !readme.has(n)).sort(), [], "missing from the README");
  assert.deepEqual([...readme].filter((n) => !config.has(n)).sort(), [], "in the README, not read");
});
