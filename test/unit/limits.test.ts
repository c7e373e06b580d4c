/**
 * The one table of limits (src/identity/limits.ts) is complete and sound: every limit name the code
 * asks `Limits` for (or reads from LIMITS) is declared with that kind, every declared limit is used
 * and listed in docs/ARCHITECTURE.md, thresholds and windows are positive, no policy value is
 * declared elsewhere, and `Limits` builds every limiter; the `sends` counter counts recipients as
 * events (no failure streak) and refuses past the configured threshold.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { loadConfig } from "../../src/config/config.js";
import { LIMITS, type LimitDeclaration, type LimitName, thresholdOf } from "../../src/identity/limits.js";
import { createLimits } from "../../src/identity/limits.service.js";
import { FAILURE_RETENTION_MS } from "../../src/identity/throttle.repository.js";
import { FakeClock } from "../../src/shared/clock.js";
import { openDatabase } from "../../src/storage/database.js";
import { migrateToLatest } from "../../src/storage/migrate.js";

const ROOT = path.resolve(import.meta.dirname, "../..");
const ENTRIES = Object.entries(LIMITS) as [LimitName, LimitDeclaration][];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(full);
    return /\.tsx?$/.test(e.name) && !/\.test\.tsx?$/.test(e.name) ? [full] : [];
  });
}

const SOURCES = sourceFiles(path.join(ROOT, "src")).map((file) => ({
  file: path.relative(ROOT, file),
  text: readFileSync(file, "utf8"),
}));

/** Every `limits.backoff("x")`, `.windowCount("x")`, `.rate("x")` and `LIMITS["x"]` / `LIMITS.x` of src/. */
function usedNames(): { name: string; kind: string | null; file: string }[] {
  const found: { name: string; kind: string | null; file: string }[] = [];
  const kinds: Record<string, string> = { backoff: "backoff", windowCount: "window-count", rate: "rate" };
  for (const { file, text } of SOURCES) {
    if (file === path.join("src", "identity", "limits.ts")) continue;
    for (const m of text.matchAll(/\blimits\.(backoff|windowCount|rate)\(\s*"([^"]+)"\s*\)/g)) {
      found.push({ name: m[2] as string, kind: kinds[m[1] as string] ?? null, file });
    }
    for (const m of text.matchAll(/\bLIMITS(?:\["([^"]+)"\]|\.([A-Za-z_$][\w$]*))/g)) {
      found.push({ name: (m[1] ?? m[2]) as string, kind: null, file });
    }
    // A limiter named through a constant (the harvest guard's Redis name).
    for (const m of text.matchAll(/LIMITER_NAME = "([^"]+)"/g))
      found.push({ name: m[1] as string, kind: "rate", file });
  }
  return found;
}

describe("limits: the one table", () => {
  // The defaults (a data directory of its own: the configuration writes its secret there).
  const dataDir = mkdtempSync(path.join(tmpdir(), "sesame-limits-"));
  after(() => rmSync(dataDir, { recursive: true, force: true }));
  const config = loadConfig({ SESAME_DATA_DIR: dataDir, SESAME_SECRET: "x".repeat(48) });

  it("every limit the code names is declared, with the kind it is used as", () => {
    const used = usedNames();
    assert.ok(used.length >= ENTRIES.length, "the scan finds the consumers");
    for (const u of used) {
      const declared = (LIMITS as Record<string, LimitDeclaration>)[u.name];
      assert.ok(declared, `${u.file} uses the undeclared limit ${u.name}`);
      if (u.kind) assert.equal(declared.kind, u.kind, `${u.file}: ${u.name} used as ${u.kind}`);
    }
  });

  it("every declared limit is used by the code and listed in docs/ARCHITECTURE.md", () => {
    const used = new Set(usedNames().map((u) => u.name));
    const docs = readFileSync(path.join(ROOT, "docs", "ARCHITECTURE.md"), "utf8");
    for (const [name] of ENTRIES) {
      assert.ok(used.has(name), `${name} is declared but nothing uses it`);
      const row = new RegExp(`^\\|\\s*\`${name}\`\\s*\\|`, "m");
      assert.match(docs, row, `${name} is missing from the table in docs/ARCHITECTURE.md`);
    }
  });

  it("thresholds, windows and back-offs are positive and consistent", () => {
    for (const [name, limit] of ENTRIES) {
      assert.match(name, /^[a-z][a-z0-9-]*$/, `${name}: a valid Redis name`);
      const threshold = thresholdOf(limit, config);
      assert.ok(Number.isInteger(threshold) && threshold >= 1, `${name}: threshold ${threshold}`);
      assert.ok(limit.counts && limit.key && limit.past, `${name}: described`);
      if (limit.kind === "attempts") continue;
      assert.ok(Number.isInteger(limit.windowMs) && limit.windowMs >= 1, `${name}: window`);
      if (limit.kind !== "rate") assert.ok(limit.windowMs <= FAILURE_RETENTION_MS, `${name}: within the retention`);
      const backoff = "backoff" in limit ? limit.backoff : undefined;
      if (backoff) {
        assert.ok(Number.isInteger(backoff.free) && backoff.free >= 0, `${name}: free`);
        assert.ok(backoff.free <= threshold, `${name}: free ≤ threshold`);
        assert.ok(backoff.baseDelayMs > 0 && backoff.maxDelayMs >= backoff.baseDelayMs, `${name}: delays`);
      }
    }
    // A threshold from the configuration follows it.
    assert.equal(thresholdOf(LIMITS.sends, { sendLimitPerHour: 7 }), 7);
    assert.equal(thresholdOf(LIMITS.sends, config), config.sendLimitPerHour);
  });

  it("no policy value is declared outside the table", () => {
    const policyValue = /\b(windowMs|threshold|maxFailuresPerWindow|freeFailures|freeUnknown|maxUnknown)\s*:\s*\d/;
    // (Size bounds such as MAX_RECIPIENTS are no throttles: only policies, tries and rates are.)
    const constant = /\bconst\s+[A-Z_]*(POLICY|ATTEMPTS|_PER_(HOUR|MINUTE|DAY))\s*(:[^=]*)?=\s*(\{|\d)/;
    for (const { file, text } of SOURCES) {
      if (file === path.join("src", "identity", "limits.ts")) continue;
      assert.doesNotMatch(text, policyValue, `${file} declares a limit's value`);
      assert.doesNotMatch(text, constant, `${file} declares a policy constant`);
    }
  });
});

describe("limits: the service", () => {
  const database = openDatabase("sqlite::memory:");
  after(() => database.close());

  it("builds every limiter of the table, once per name", async () => {
    await migrateToLatest(database);
    const limits = createLimits({ db: database.db, clock: new FakeClock(), settings: { sendLimitPerHour: 500 } });
    for (const [name, limit] of ENTRIES) {
      if (limit.kind === "backoff") {
        const made = limits.backoff(name as "login-account");
        assert.equal(limits.backoff(name as "login-account"), made, name);
      } else if (limit.kind === "window-count") {
        const made = limits.windowCount(name as "login-ip");
        assert.equal(made.threshold, limits.threshold(name), name);
        assert.equal(limits.windowCount(name as "login-ip"), made, name);
      } else if (limit.kind === "rate") {
        assert.equal(limits.rate(name as "suggest"), limits.rate(name as "suggest"), name);
      }
    }
  });

  it("`sends` counts recipients as events, refuses past the threshold and says when to retry", async () => {
    const clock = new FakeClock();
    const limits = createLimits({ db: database.db, clock, settings: { sendLimitPerHour: 3 } });
    const sends = limits.windowCount("sends");
    const key = "send:4242";
    const first = clock.now().getTime();
    assert.deepEqual(await sends.check(key, 2), { allowed: true });
    await sends.record(key, 2);
    clock.advance(10 * 60_000);
    assert.deepEqual(await sends.check(key, 2), { allowed: false, retryAt: new Date(first + 3_600_000) });
    assert.deepEqual(await sends.check(key, 1), { allowed: true });
    await sends.record(key, 1);
    assert.equal(await sends.isOver(key), true);
    // Counted as events: no failure streak written.
    const streak = await database.db.selectFrom("throttle_key").select("key").where("key", "=", key).execute();
    assert.deepEqual(streak, []);
    const rows = await database.db.selectFrom("throttle_failure").select("at").where("key", "=", key).execute();
    assert.equal(rows.length, 3);
    // An hour after the first two, they leave the window.
    clock.advance(first + 3_600_000 - clock.now().getTime());
    assert.deepEqual(await sends.check(key, 2), { allowed: true });
    // More than the threshold at once: a whole window from now.
    assert.deepEqual(await sends.check("send:4343", 4), {
      allowed: false,
      retryAt: new Date(clock.now().getTime() + 3_600_000),
    });
  });
});
