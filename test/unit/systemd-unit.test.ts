/**
 * deploy/sesame.service: the hardening and stop settings DEPLOYMENT.md promises, and, where
 * systemd-analyze exists (Debian's systemd package), `systemd-analyze verify` without a word of
 * warning. Where it does not (a container without systemd), the file is still checked here and the
 * test says that the verification did not run.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { tempDir } from "../helpers/env.js";

const UNIT = path.resolve("deploy/sesame.service");
const ANALYZE = ["/usr/bin/systemd-analyze", "/bin/systemd-analyze"].find((p) => existsSync(p));

/** The unit's `Key=value` lines of a section (comments left out), in order. */
function settings(text: string, section: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  let current = "";
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) current = header[1] ?? "";
    else if (current === section) {
      const at = line.indexOf("=");
      out.push([line.slice(0, at), line.slice(at + 1)]);
    }
  }
  return out;
}

describe("deploy/sesame.service", () => {
  const text = readFileSync(UNIT, "utf8");
  const service = new Map(settings(text, "Service"));
  const environment = settings(text, "Service")
    .filter(([key]) => key === "Environment")
    .map(([, value]) => value);

  it("runs as a dedicated user with the hardening options, and stops within 35 s", () => {
    assert.equal(service.get("User"), "sesame");
    assert.equal(service.get("Group"), "sesame");
    assert.equal(service.get("NoNewPrivileges"), "true");
    assert.equal(service.get("ProtectSystem"), "strict");
    assert.equal(service.get("PrivateTmp"), "true");
    assert.equal(service.get("ProtectHome"), "true");
    assert.equal(service.get("CapabilityBoundingSet"), "");
    assert.equal(service.get("ReadWritePaths"), "/var/lib/sesame");
    // The data folder, and the malloc setting that keeps a burst under 300 MB (bin/sesame.js).
    assert.deepEqual(environment, ["SESAME_DATA_DIR=/var/lib/sesame", "MALLOC_ARENA_MAX=2"]);
    assert.equal(service.get("EnvironmentFile"), "/etc/sesame/sesame.env");
    assert.equal(service.get("Restart"), "on-failure");
    assert.equal(service.get("TimeoutStopSec"), "35");
    assert.equal(service.get("KillSignal"), "SIGTERM");
    assert.match(service.get("ExecStart") ?? "", / bin\/sesame\.js serve$|\/bin\/sesame\.js serve$/);
    assert.match(service.get("ExecStart") ?? "", / --max-semi-space-size=4 --heap-growing-percent=20 /);
    assert.equal(service.get("MemoryDenyWriteExecute"), undefined, "V8's JIT needs writable code");
  });

  it("passes systemd-analyze verify with no warning (when systemd-analyze exists)", (t) => {
    if (!ANALYZE) {
      t.diagnostic("systemd-analyze is not installed here: the unit was checked above, not verified by systemd");
      return;
    }
    const tmp = tempDir("sesame-unit-");
    try {
      // The node of this run stands for /usr/bin/node (verify checks that the program exists).
      const file = path.join(tmp.dir, "sesame.service");
      writeFileSync(file, text.replace("ExecStart=/usr/bin/node ", `ExecStart=${process.execPath} `));
      const run = spawnSync(ANALYZE, ["verify", file], { encoding: "utf8" });
      assert.equal(run.status, 0, run.stderr);
      assert.equal(`${run.stdout}${run.stderr}`.trim(), "", "no warning");
    } finally {
      tmp.remove();
    }
  });
});
