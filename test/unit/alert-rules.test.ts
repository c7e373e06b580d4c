/**
 * deploy/alerts.yml and deploy/grafana-dashboard.json: the rules pass `promtool check rules` and
 * fire as test/fixtures/alerts.test.yml expects (`promtool test rules`; Debian's package
 * `prometheus`, installed by scripts/test.sh; missing: skipped, except under CI=true where it
 * fails), and every Sésame series they name is one the service exports.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { describe, it } from "node:test";

const PROMTOOL = process.env.SESAME_PROMTOOL ?? "/usr/bin/promtool";
const RULES = "deploy/alerts.yml";
const DASHBOARD = "deploy/grafana-dashboard.json";

/** The sesame_* names metrics.ts registers (a histogram also has _bucket, _sum and _count). */
function exportedNames(): Set<string> {
  const source = readFileSync("src/web/plugins/metrics.ts", "utf8");
  const names = new Set<string>();
  for (const m of source.matchAll(/new (Counter|Gauge|Histogram)\(\{\s*name: "(sesame_\w+)"/g)) {
    const [, kind, name] = m;
    if (!name) continue;
    names.add(name);
    if (kind === "Histogram") for (const suffix of ["_bucket", "_sum", "_count"]) names.add(`${name}${suffix}`);
  }
  return names;
}

function sesameNamesIn(text: string): string[] {
  return [...new Set([...text.matchAll(/\b(sesame_[a-z0-9_]+)/g)].map((m) => m[1] ?? ""))];
}

describe("alert rules and dashboard", () => {
  const promtool = existsSync(PROMTOOL);
  const skip =
    !promtool && process.env.CI !== "true" ? `${PROMTOOL} missing: install Debian's package prometheus` : false;

  it("promtool check rules and promtool test rules pass", { skip }, () => {
    assert.ok(promtool, `${PROMTOOL} is missing: install Debian's package prometheus`);
    const check = execFileSync(PROMTOOL, ["check", "rules", RULES], { encoding: "utf8" });
    assert.match(check, /SUCCESS: 7 rules found/);
    const test = execFileSync(PROMTOOL, ["test", "rules", "test/fixtures/alerts.test.yml"], { encoding: "utf8" });
    assert.match(test, /SUCCESS/);
  });

  it("every series the rules and the dashboard name is exported", () => {
    const exported = exportedNames();
    assert.ok(exported.size >= 20, [...exported].join(" "));
    const rules = readFileSync(RULES, "utf8");
    const dashboardText = readFileSync(DASHBOARD, "utf8");
    for (const name of [...sesameNamesIn(rules), ...sesameNamesIn(dashboardText)]) {
      assert.ok(exported.has(name), `${name} is not exported by src/web/plugins/metrics.ts`);
    }
    // The dashboard is Grafana JSON with a panel for each family of figures.
    const dashboard = JSON.parse(dashboardText) as { panels: { title: string; targets?: { expr: string }[] }[] };
    const exprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr)).join("\n");
    for (const family of [
      "sesame_http_requests_total",
      "sesame_http_request_duration_seconds_bucket",
      "sesame_signins_total",
      "sesame_assistance_steps_total",
      "sesame_throttles_started_total",
      "sesame_smtp_messages_total",
      "sesame_imap_commands_total",
      "sesame_outbound_queue_depth",
      "sesame_outbound_queue_oldest_age_seconds",
      "sesame_outbound_deliveries_total",
      "sesame_argon2_queue_length",
      "sesame_argon2_overloaded_total",
      "sesame_db_pool_connections",
      "nodejs_eventloop_lag",
      "process_resident_memory_bytes",
    ]) {
      assert.ok(exprs.includes(family), `no panel shows ${family}`);
    }
  });
});
