import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import path from "node:path";
import { describe, it } from "node:test";
import { TEST_SECRET, tempDir } from "../helpers/env.js";

const BIN = path.resolve("bin/sesame.js");

describe("sesame serve", () => {
  it("starts on the configured port, answers, and stops cleanly on SIGTERM", async () => {
    const tmp = tempDir();
    const child = spawn(process.execPath, [BIN, "serve"], {
      env: {
        PATH: process.env.PATH ?? "",
        SESAME_DATA_DIR: tmp.dir,
        SESAME_SECRET: TEST_SECRET,
        SESAME_HTTP_PORT: "0",
        SESAME_SMTP_PORT: "0",
        SESAME_SUBMISSION_PORT: "0",
        SESAME_LOG_LEVEL: "warn",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    try {
      let output = "";
      child.stderr.setEncoding("utf8").on("data", (d: string) => {
        output += d;
      });
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.setEncoding("utf8").on("data", (d: string) => {
          output += d;
          const m = /listening on (http:\/\/[^\s)]+)/.exec(output);
          if (m?.[1]) resolve(m[1]);
        });
        child.on("exit", (code) => reject(new Error(`exited with ${code}: ${output}`)));
      });
      const health = await fetch(new URL("/healthz", url));
      assert.equal(health.status, 200);
      const home = await fetch(url);
      assert.equal(home.status, 200);
      assert.match(await home.text(), /Bienvenue sur le webmail/);
      // serve adds no data: the directory stays empty.
      assert.doesNotMatch(output, /demo/i);

      child.kill("SIGTERM");
      const [code] = (await once(child, "exit")) as [number | null];
      assert.equal(code, 0, output);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
      tmp.remove();
    }
  });
});
