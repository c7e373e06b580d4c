/**
 * How a sender is shown: the académie's domains, a display name holding an address,
 * internationalised domains whose characters mix scripts, a Reply-To that sends answers elsewhere.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { academieDomains } from "../../src/directory/academie-domains.js";
import {
  describeSender,
  displayDomain,
  mixesScripts,
  nameHoldsOtherAddress,
  repliesElsewhere,
  sameAddress,
} from "../../src/mail/sender-display.js";

const ACADEMIE = academieDomains("ac-lyon.fr", ["region-academique-ara.fr"]);
/** "ac-lyon.fr" with a Cyrillic о (U+043E). */
const LOOKALIKE = "ac-ly\u043En.fr";

describe("sender display", () => {
  it("a display name holding an address shows the real domain, even from inside", () => {
    const s = describeSender({ name: "dsi@ac-lyon.fr", address: "attacker@evil.example" }, ACADEMIE);
    assert.equal(s.name, "dsi@ac-lyon.fr");
    assert.equal(s.address, "attacker@evil.example");
    assert.equal(s.internal, false);
    assert.equal(s.nameHasAddress, true);
    assert.equal(s.showDomain, true);
    assert.equal(s.domain?.unicode, "evil.example");

    // Inside the académie, but the name claims another address (a full-width ＠ too).
    const inside = describeSender({ name: "support\uFF20gmail.com", address: "jean.dupont@ac-lyon.fr" }, ACADEMIE);
    assert.equal(inside.internal, true);
    assert.equal(inside.nameHasAddress, true);
    assert.equal(inside.showDomain, true);

    // The name repeating the sender's own address is no disguise.
    assert.equal(nameHoldsOtherAddress("Jean Dupont (jean.dupont@ac-lyon.fr)", "jean.dupont@ac-lyon.fr"), false);
    assert.equal(nameHoldsOtherAddress("Jean Dupont (JEAN.DUPONT@AC-LYON.FR)", "jean.dupont@ac-lyon.fr"), false);
    assert.equal(nameHoldsOtherAddress("Jean Dupont", "jean.dupont@ac-lyon.fr"), false);
    const same = describeSender({ name: "jean.dupont@ac-lyon.fr", address: "jean.dupont@ac-lyon.fr" }, ACADEMIE);
    assert.equal(same.name, "", "a name that only repeats the address is no name");
    assert.equal(same.showDomain, false);
  });

  it("a sender outside the académie shows its domain; inside (mail domain, internal domains, subdomains) does not", () => {
    const outside = describeSender({ name: "Marie Curie", address: "marie.curie@exemple.fr" }, ACADEMIE);
    assert.equal(outside.internal, false);
    assert.equal(outside.nameHasAddress, false);
    assert.equal(outside.showDomain, true);
    assert.equal(outside.domain?.unicode, "exemple.fr");
    assert.equal(outside.domain?.mixedScripts, false);

    for (const address of [
      "jean.dupont@ac-lyon.fr",
      "Jean.Dupont@AC-LYON.FR",
      "ce.0690001a@etab.ac-lyon.fr",
      "dir@region-academique-ara.fr",
    ]) {
      const s = describeSender({ name: "Jean Dupont", address }, ACADEMIE);
      assert.equal(s.internal, true, address);
      assert.equal(s.showDomain, false, address);
    }
    // Ends like the académie's domain without being one of its subdomains.
    assert.equal(describeSender({ name: "X", address: "x@evil-ac-lyon.fr" }, ACADEMIE).internal, false);
    assert.equal(describeSender({ name: "X", address: "x@ac-lyon.fr.evil.example" }, ACADEMIE).internal, false);
    // No name: the list shows the address itself, nothing beside.
    const bare = describeSender({ name: "", address: "someone@exemple.fr" }, ACADEMIE);
    assert.equal(bare.name, "");
    assert.equal(bare.showDomain, false);
  });

  it("a domain mixing Latin and Cyrillic is outside, and shown with its punycode form", () => {
    const d = displayDomain(LOOKALIKE);
    assert.deepEqual(d, { unicode: LOOKALIKE, ascii: "xn--ac-lyn-0qf.fr", mixedScripts: true });
    const s = describeSender({ name: "Direction", address: `dsi@${LOOKALIKE}` }, ACADEMIE);
    assert.equal(s.internal, false);
    assert.equal(s.showDomain, true);
    assert.equal(s.address, `dsi@${LOOKALIKE}`);
    assert.equal(s.asciiAddress, "dsi@xn--ac-lyn-0qf.fr");
    // Latin with Greek, in one label.
    assert.equal(displayDomain("paypa\u03B9.com").mixedScripts, true);
    // A Cyrillic label under a Latin top-level domain: its script differs from the rest.
    assert.equal(displayDomain("\u043F\u0440\u0438\u043C\u0435\u0440.com").mixedScripts, true);
  });

  it("the punycode form as written in the header gives the same display", () => {
    const d = displayDomain("XN--AC-LYN-0QF.FR");
    assert.deepEqual(d, { unicode: LOOKALIKE, ascii: "xn--ac-lyn-0qf.fr", mixedScripts: true });
    const s = describeSender({ name: "Direction", address: "dsi@xn--ac-lyn-0qf.fr" }, ACADEMIE);
    assert.equal(s.internal, false);
    assert.equal(s.address, `dsi@${LOOKALIKE}`);
    assert.equal(s.asciiAddress, "dsi@xn--ac-lyn-0qf.fr");
    // A string IDNA refuses is shown as it is.
    assert.deepEqual(displayDomain("xn--zz.fr"), { unicode: "xn--zz.fr", ascii: "xn--zz.fr", mixedScripts: false });
  });

  it("a single-script Unicode domain is shown in Unicode only", () => {
    assert.deepEqual(displayDomain("café.fr"), { unicode: "café.fr", ascii: "xn--caf-dma.fr", mixedScripts: false });
    assert.deepEqual(displayDomain("xn--caf-dma.fr"), {
      unicode: "café.fr",
      ascii: "xn--caf-dma.fr",
      mixedScripts: false,
    });
    const cyrillic = "\u043F\u0440\u0438\u043C\u0435\u0440.\u0440\u0444";
    assert.equal(displayDomain(cyrillic).mixedScripts, false);
    assert.equal(displayDomain("ac-lyon.fr").mixedScripts, false);
    // Full-width letters are mapped by IDNA to the domain they spell.
    assert.equal(displayDomain("\uFF21\uFF23-lyon.fr").unicode, "ac-lyon.fr");
  });

  it("scripts: UTS #39's resolved set (digits and hyphens are neutral, Japanese is one script)", () => {
    assert.equal(mixesScripts("ac-lyon-2024"), false);
    assert.equal(mixesScripts("caf\u00E9"), false);
    assert.equal(mixesScripts("ly\u043En"), true);
    assert.equal(mixesScripts("\u4F8B\u3048"), false, "Han + Hiragana");
    assert.equal(mixesScripts("\u4F8B\u3048.jp"), true, "Japanese under a Latin TLD");
    assert.equal(mixesScripts("\uD55C\uAD6D\u8A9E"), false, "Hangul + Han");
    assert.equal(mixesScripts("a\u0301"), false, "a combining mark takes its base's script");
    assert.equal(mixesScripts("\u03B1\u03B2\u03B3"), false);
    assert.equal(mixesScripts("a\u03B1"), true);
  });

  it("Reply-To: answers go elsewhere only when a Reply-To address differs from From", () => {
    const from = { name: "Marie", address: "marie@exemple.fr" };
    assert.deepEqual(repliesElsewhere(from, []), []);
    assert.deepEqual(repliesElsewhere(from, [{ name: "", address: "MARIE@Exemple.FR" }]), []);
    const other = { name: "", address: "collecte@evil.example" };
    assert.deepEqual(repliesElsewhere(from, [other]), [other]);
    assert.deepEqual(repliesElsewhere(from, [{ name: "", address: "marie@exemple.fr" }, other]).length, 2);
    assert.deepEqual(repliesElsewhere(null, [other]), [other]);
    assert.equal(sameAddress(`dsi@${LOOKALIKE}`, "dsi@xn--ac-lyn-0qf.fr"), true);
    assert.equal(sameAddress(`dsi@${LOOKALIKE}`, "dsi@ac-lyon.fr"), false);
  });
});
