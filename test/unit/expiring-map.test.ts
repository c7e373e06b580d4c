/** The bounded, expiring map of src/shared/expiring-map.ts, with a clock of the test's own. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ExpiringMap } from "../../src/shared/expiring-map.js";

describe("expiring map", () => {
  it("keeps an entry for its time, no longer; setting it again renews it", () => {
    let now = 0;
    const map = new ExpiringMap<string, number>({ ttlMs: 100, max: 10, now: () => now });
    map.set("a", 1);
    now = 99;
    assert.equal(map.get("a"), 1);
    map.set("a", 2);
    now = 198;
    assert.equal(map.get("a"), 2);
    now = 199;
    assert.equal(map.get("a"), undefined);
    assert.equal(map.size, 0, "an expired entry read is forgotten");
  });

  it("past its bound, forgets the entry set longest ago", () => {
    const map = new ExpiringMap<string, number>({ ttlMs: 1000, max: 2 });
    map.set("a", 1);
    map.set("b", 2);
    map.set("a", 3); // a is now the newest
    map.set("c", 4);
    assert.equal(map.get("b"), undefined);
    assert.equal(map.get("a"), 3);
    assert.equal(map.get("c"), 4);
    map.delete("c");
    assert.equal(map.size, 1);
  });

  it("refuses a bound that is not a positive integer", () => {
    assert.throws(() => new ExpiringMap({ ttlMs: 1, max: 0 }), RangeError);
  });
});
