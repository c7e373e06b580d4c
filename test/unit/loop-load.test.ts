/**
 * measureLoopLoad (src/mail/intake.ts): the event loop's busy share over a window, which decides
 * whether the intake's stores wait for the reception.
 *
 * The windows are long (250 ms) so that what the test runner itself does meanwhile (reporting the
 * previous test, a garbage collection, the process descheduled in the middle of a callback on a busy
 * machine) is a small share of them.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { measureLoopLoad } from "../../src/mail/intake.js";

const WINDOW_MS = 250;

describe("measureLoopLoad", () => {
  it("is near 1 when callbacks keep the loop running for the whole window", async () => {
    const measuring = measureLoopLoad(WINDOW_MS);
    // Work in short callbacks, as a reception's would be, until the window is over.
    let done = false;
    const spinning = new Promise<void>((resolve) => {
      const spin = () => {
        const until = performance.now() + 5;
        while (performance.now() < until) {
          // busy, as a callback handling a client's command is
        }
        if (done) resolve();
        else setImmediate(spin);
      };
      spin();
    });
    const load = await measuring;
    done = true;
    // No callback of this test runs into the next one's window.
    await spinning;
    assert.ok(load > 0.8, `load ${load}`);
  });

  it("is near 0 when the loop only waits", async () => {
    // Lets the runner finish with the previous test before the window opens.
    await sleep(20);
    const load = await measureLoopLoad(WINDOW_MS);
    assert.ok(load < 0.3, `load ${load}`);
  });
});
