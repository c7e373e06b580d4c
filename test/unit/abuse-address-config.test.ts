import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { ConfigError, loadConfig } from "../../src/config/config.js";

const dir = mkdtempSync(path.join(tmpdir(), "sesame-abuse-config-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const base = { SESAME_DATA_DIR: dir, SESAME_SECRET: "a-test-secret-of-more-than-32-characters" };

describe("SESAME_ABUSE_ADDRESS", () => {
  it("defaults to signalement-filoutage@<mail domain>; a local or outside address is kept (domain in lower case)", () => {
    assert.equal(loadConfig(base).abuseAddress, "signalement-filoutage@ac-lyon.fr");
    assert.equal(
      loadConfig({ ...base, SESAME_MAIL_DOMAIN: "ac-nice.fr" }).abuseAddress,
      "signalement-filoutage@ac-nice.fr",
    );
    assert.equal(loadConfig({ ...base, SESAME_ABUSE_ADDRESS: " CERT@Exemple.ORG " }).abuseAddress, "CERT@exemple.org");
  });

  it("refuses what is not one address, with one English line naming the variable", () => {
    for (const value of [
      "cert",
      "@exemple.org",
      "cert@",
      "a@b@exemple.org x",
      "cert@exemple",
      "a, b@exemple.org",
      "cert@exemple.org\r\nBcc: x@y.fr",
    ]) {
      let caught: unknown;
      try {
        loadConfig({ ...base, SESAME_ABUSE_ADDRESS: value });
      } catch (error) {
        caught = error;
      }
      assert.ok(caught instanceof ConfigError, `refused: ${JSON.stringify(value)}`);
      assert.match(
        caught.message,
        /^SESAME_ABUSE_ADDRESS must be one e-mail address such as signalement-filoutage@ac-lyon\.fr \(got /,
      );
      assert.doesNotMatch(caught.message, /[\r\n]/);
    }
  });
});
