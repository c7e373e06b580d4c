/**
 * measureLoopLoad (src/mail/intake.ts): the event loop's busy share over a window, which decides
 * whether the intake's stores wait for the reception.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { measureLoopLoad } from "../../src/mail/intake.js";

describe("measureLoopLoad", () => {
  it("is near 1 when callbacks keep the loop running for the whole window", async () => {
    const measuring = measureLoopLoad(60);
    // Work in short callbacks, as a reception's would be, until the window is over.
    let done = false;
    measuring.then(() => {
      done = true;
    });
    const spin = () => {
      const until = performance.now() + 5;
      while (performance.now() < until) {
        // busy, as a callback handling a client's command is
      }
      if (!done) setImmediate(spin);
    };
    spin();
    assert.ok((await measuring) > 0.8);
  });

  it("is near 0 when the loop only waits", async () => {
    assert.ok((await measureLoopLoad(60)) < 0.3);
  });
});
