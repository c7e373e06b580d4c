/**
 * The open-redirect guard (src/web/urls.ts `safeBack`): a form's `retour` leads back to a page of
 * the webmail, never elsewhere, whatever is typed or forged in it.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { safeBack, withParams } from "../../src/web/urls.js";

const HOSTILE = [
  "//evil",
  "//evil.example/mail",
  "/\\evil",
  "/\\\\evil.example",
  "\\\\evil.example",
  "https://evil",
  "https://evil.example/mail",
  "http:/evil.example",
  "javascript:alert(1)",
  "data:text/html,<script>alert(1)</script>",
  "/%2F%2Fevil",
  "/%2f%2fevil.example",
  "/%5Cevil",
  "/mail//evil.example",
  "/mail/%2F%2Fevil",
  "/mail/%2e%2e/admin",
  "/mail\\evil",
  "/mail/\\evil",
  "/mail/../admin",
  "/mail/./x",
  "/maildrop",
  "/mail@evil.example",
  "/mail:80",
  "/mail#//evil",
  "/mail?x=//evil",
  "mail",
  "",
  " /mail",
  "/mail ",
  "/mail\n",
  "/mail\r\nLocation: https://evil",
  "/mail\t",
  "/mail\u0000",
  "/mail\u001b",
  "/mail\u007f",
  "/mail\u2028",
  "/mail/\u00e9",
  "/mail/ｅvil",
  "/\tevil",
  "/\n/evil",
  "\u0000//evil",
];

describe("safeBack: the open-redirect guard", () => {
  for (const value of HOSTILE) {
    it(`refuses ${JSON.stringify(value)}`, () => {
      assert.equal(safeBack(value), "/mail");
      assert.equal(safeBack(value, "/mail/contacts"), "/mail/contacts");
    });
  }

  it("keeps a page of the webmail, with its query", () => {
    for (const value of [
      "/mail",
      "/mail/corbeille",
      "/mail/messages/12",
      "/mail/dossiers/3",
      "/mail/recherche?q=cafe",
      "/mail/recherche?q=caf%C3%A9&de=lucie&pj=1",
      "/mail?avant=120",
    ]) {
      assert.equal(safeBack(value), value);
    }
  });

  it("drops the notices of the page it comes back from", () => {
    assert.equal(safeBack("/mail?fait=lus&n=3"), "/mail");
    assert.equal(safeBack("/mail/recherche?q=cafe&erreur=selection"), "/mail/recherche?q=cafe");
    assert.equal(safeBack("/mail?avant=120&mot-de-passe-modifie"), "/mail?avant=120");
  });

  it("whatever it gives is a path of this site, which withParams keeps so", () => {
    for (const value of [...HOSTILE, "/mail/messages/12"]) {
      const back = withParams(safeBack(value), { fait: "contact" });
      assert.match(back, /^\/mail(?:\/[\w/-]*)?\?[\w.~%&=+-]*$/, value);
      assert.ok(!back.includes("//"), value);
    }
  });
});
