import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { DIALECTS, openTestServices, type TestContext, tempDir } from "../helpers/env.js";
import { staffCsv, staffRow, writeCsv } from "../helpers/staff.js";

for (const dialect of DIALECTS) {
  describe(`staff import (${dialect})`, () => {
    let ctx: TestContext;
    let tmp: ReturnType<typeof tempDir>;
    before(async () => {
      ctx = await openTestServices(dialect);
      tmp = tempDir();
    });
    after(async () => {
      await ctx.close();
      tmp.remove();
    });

    it("creates people with academic accounts in initial state, then re-importing changes nothing", async () => {
      const rows = [
        staffRow(1, { nom: "Dupont", prenom: "Jean" }),
        staffRow(2, { nom: "Dupont", prenom: "Jean" }),
        staffRow(3, { nom: "Le Gall", prenom: "Élodie" }),
      ];
      const file = writeCsv(tmp.dir, "a.csv", staffCsv(rows));
      const first = await ctx.services.staffImport.importFile(file, { actor: "test" });
      assert.deepEqual(
        { c: first.created, u: first.updated, n: first.unchanged, r: first.rejected, a: first.applied },
        { c: 3, u: 0, n: 0, r: [], a: true },
      );
      const a = await ctx.services.directory.getAccount("jdupont");
      assert.equal(a.address, "jean.dupont@ac-lyon.fr");
      assert.equal(a.passwordState, "initial");
      assert.equal(a.kind, "academique");
      const b = await ctx.services.directory.getAccount(rows[1]?.numen ?? "");
      assert.equal(b.username, "jdupont2");
      assert.equal(b.address, "jean.dupont2@ac-lyon.fr");
      assert.equal((await ctx.services.directory.getAccount("ELEGALL")).address, "elodie.le-gall@ac-lyon.fr");

      const auditBefore = (await ctx.services.audit.list()).length;
      const again = await ctx.services.staffImport.importFile(file, { actor: "test" });
      assert.equal(again.created + again.updated + again.departed, 0);
      assert.equal(again.unchanged, 3);
      // Only the import summary itself is recorded; no directory change.
      assert.equal((await ctx.services.audit.list()).length, auditBefore + 1);
    });
  });
}
