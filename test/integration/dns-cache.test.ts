/**
 * The answers the sender checks keep (sender-auth.ts, dnsLookups), against a real DNS server on a
 * loopback UDP port (dns2): an answer and a definite "no such name" are asked once then kept for
 * their time; a server that does not answer is asked again next time; questions under way at once
 * share one query; each lookup gets its own copy of the answer; the cache is bounded.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { DNS_CACHE_MS, dnsLookups } from "../../src/mail/sender-auth.js";
import { startDnsServer, type TestDnsServer } from "../helpers/dns-server.js";

describe("DNS answers kept by the sender checks (real DNS server)", () => {
  let dns: TestDnsServer;
  before(async () => {
    dns = await startDnsServer({
      "partenaire.example.org": { TXT: ["v=spf1 ip4:192.0.2.0/24 -all"] },
      "_dmarc.partenaire.example.org": { TXT: ["v=DMARC1; p=reject"] },
      "sans-txt.example.org": { A: ["192.0.2.1"] },
    });
  });
  after(async () => {
    await dns.close();
  });
  const askedOf = (name: string) => dns.asked.filter((q) => q.startsWith(`${name} `)).length;

  it("asks once for an answer within its time, again after it", async () => {
    let now = 0;
    const lookups = dnsLookups([dns.server], { now: () => now });
    const lookup = lookups(5_000);
    const first = await lookup("partenaire.example.org", "TXT");
    assert.deepEqual(first, [["v=spf1 ip4:192.0.2.0/24 -all"]]);
    now = DNS_CACHE_MS - 1;
    assert.deepEqual(await lookups(5_000)("PARTENAIRE.example.org", "TXT"), first);
    assert.equal(askedOf("partenaire.example.org"), 1);
    now = DNS_CACHE_MS;
    await lookups(5_000)("partenaire.example.org", "TXT");
    assert.equal(askedOf("partenaire.example.org"), 2);
  });

  it("keeps a definite 'no such name' and 'no such record', with their error", async () => {
    const lookup = dnsLookups([dns.server])(5_000);
    for (let i = 0; i < 3; i++) {
      await assert.rejects(lookup("inconnu.example.org", "TXT"), { code: "ENOTFOUND" });
      await assert.rejects(lookup("sans-txt.example.org", "TXT"), { code: "ENODATA" });
    }
    assert.equal(askedOf("inconnu.example.org"), 1);
    assert.equal(askedOf("sans-txt.example.org"), 1);
  });

  it("never keeps a question the server did not answer: asked again", async () => {
    dns.silent.add("muet.example.org");
    const lookups = dnsLookups([dns.server]);
    await assert.rejects(lookups(300)("muet.example.org", "TXT"), { code: "ETIMEOUT" });
    const before = askedOf("muet.example.org");
    dns.silent.delete("muet.example.org");
    dns.zone.set("muet.example.org", { TXT: ["v=spf1 -all"] });
    // The first query may still be retried by the resolver; the answer comes from a new one.
    assert.deepEqual(await lookups(5_000)("muet.example.org", "TXT"), [["v=spf1 -all"]]);
    assert.ok(askedOf("muet.example.org") > before);
  });

  it("questions under way at once share one query; each gets its own copy", async () => {
    const lookup = dnsLookups([dns.server])(5_000);
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => lookup("_dmarc.partenaire.example.org", "TXT") as Promise<string[][]>),
    );
    assert.equal(askedOf("_dmarc.partenaire.example.org"), 1);
    (answers[0] as string[][]).push(["modifié"]);
    assert.deepEqual(answers[1], [["v=DMARC1; p=reject"]]);
    assert.deepEqual(await lookup("_dmarc.partenaire.example.org", "TXT"), [["v=DMARC1; p=reject"]]);
  });

  it("holds at most its bound: the oldest answer is asked again", async () => {
    const lookup = dnsLookups([dns.server], { maxEntries: 2 })(5_000);
    for (const name of ["b1.example.org", "b2.example.org", "b3.example.org"]) dns.zone.set(name, { TXT: [name] });
    for (const name of ["b1.example.org", "b2.example.org", "b3.example.org"]) await lookup(name, "TXT");
    await lookup("b3.example.org", "TXT");
    await lookup("b2.example.org", "TXT");
    await lookup("b1.example.org", "TXT");
    assert.equal(askedOf("b1.example.org"), 2);
    assert.equal(askedOf("b2.example.org"), 1);
    assert.equal(askedOf("b3.example.org"), 1);
  });
});
