/**
 * The helpdesk's person search (`services.directory.searchPeople`, issue 16) on SQLite and
 * PostgreSQL: names (folded, partial, any order, misspelt), usernames, addresses, UAIs, NUMENs, the
 * order of the hits, the limits, bad input, what a hit never carries, and the search columns kept
 * by the HR import and filled by migration 016 for the people already there.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { sql } from "kysely";
import { uaiKey } from "../../src/directory/identifiers.js";
import { type PersonHit, SEARCH_MAX_LENGTH, SEARCH_MAX_LIMIT } from "../../src/directory/people-search.js";
import { isDomainError } from "../../src/shared/errors.js";
import { backfill } from "../../src/storage/migrations/016-people-search.js";
import { DIALECTS, openTestServices, type TestContext, tempDir } from "../helpers/env.js";
import { numenFor, type StaffRow, staffCsv, staffRow, writeCsv } from "../helpers/staff.js";
import { seedStaff } from "../helpers/web.js";

function uaiFor(n: number): string {
  const digits = `069${String(n).padStart(4, "0")}`;
  return `${digits}${uaiKey(digits)}`;
}

const UAI_A = uaiFor(11);
const UAI_B = uaiFor(12);
const UAI_BIG = uaiFor(13);

/** The directory every read-only test searches (its own NUMENs: numenFor(1…)). */
const PEOPLE: StaffRow[] = [
  staffRow(1, { nom: "Dupont", prenom: "Jean", uai: UAI_A }),
  staffRow(2, { nom: "Dupont", prenom: "Jacques", uai: UAI_A }),
  staffRow(3, { nom: "Dupont", prenom: "Marie", uai: UAI_B }),
  staffRow(4, { nom: "Dupond", prenom: "Julien", uai: UAI_B }),
  staffRow(5, { nom: "Dupontel", prenom: "Paul", uai: UAI_B }),
  staffRow(6, { nom: "Lefèvre", prenom: "Michael", uai: "" }),
  staffRow(7, { nom: "Lefebvre", prenom: "Élodie", uai: UAI_B }),
  staffRow(8, { nom: "Le Gall", prenom: "Anne-Sophie", uai: UAI_B }),
  staffRow(9, { nom: "D'Artagnan", prenom: "Jean-Pierre", uai: UAI_B }),
  staffRow(10, { nom: "Faure", prenom: "Martin", uai: UAI_B }),
  staffRow(11, { nom: "Martin", prenom: "Hélène", uai: UAI_B }),
  // Departed by the full import below.
  staffRow(12, { nom: "Dupont", prenom: "Jeanne", uai: UAI_A }),
  // 25 people of one establishment.
  ...Array.from({ length: 25 }, (_, i) =>
    staffRow(100 + i, { nom: "Bernard", prenom: `Prénom${"abcdefghijklmnopqrstuvwxy".charAt(i)}`, uai: UAI_BIG }),
  ),
];
const DEPARTED = new Set([numenFor(12)]);

const names = (hits: readonly PersonHit[]) => hits.map((h) => `${h.prenom} ${h.nom}`);

async function seedDirectory(ctx: TestContext): Promise<void> {
  const { services } = ctx;
  await seedStaff(services, PEOPLE);
  const tmp = tempDir();
  try {
    const est = await services.directory.importEstablishments(
      writeCsv(tmp.dir, "etab.csv", `uai;libelle;numen_chef\n${UAI_A};Collège Jean Moulin;${numenFor(1)}\n`),
      { actor: "test" },
    );
    assert.equal(est.applied, true);
    const kept = PEOPLE.filter((p) => !DEPARTED.has(p.numen));
    const full = await services.staffImport.importFile(writeCsv(tmp.dir, "full.csv", staffCsv(kept)), {
      actor: "test",
      full: true,
    });
    assert.equal(full.departed, 1);
  } finally {
    tmp.remove();
  }
}

for (const dialect of DIALECTS) {
  describe(`person search (${dialect})`, () => {
    let ctx: TestContext;
    const search = (q: string, limit?: number) => ctx.services.directory.searchPeople(q, limit);

    before(async () => {
      ctx = await openTestServices(dialect);
      await seedDirectory(ctx);
    });
    after(async () => {
      await ctx.close();
    });

    it("a nom finds its people exactly first, active before departed, then by prefix, then misspelt", async () => {
      const hits = await search("dupont");
      assert.deepEqual(names(hits), [
        "Jacques Dupont",
        "Jean Dupont",
        "Marie Dupont",
        "Jeanne Dupont",
        "Paul Dupontel",
        "Julien Dupond",
      ]);
      assert.deepEqual(
        hits.map((h) => [h.match, h.status]),
        [
          ["exact", "active"],
          ["exact", "active"],
          ["exact", "active"],
          ["exact", "departed"],
          ["prefix", "active"],
          ["fuzzy", "active"],
        ],
      );
      const jeanne = hits[3];
      assert.deepEqual(
        jeanne?.accounts.map((a) => [a.kind, a.state]),
        [["academique", "departed"]],
      );
    });

    it("folds accents and case, and finds the beginning of a name", async () => {
      for (const q of ["LEFÈVRE", "lefevre", "Lefèvre", "  lefèvre  "]) {
        assert.equal(names(await search(q))[0], "Michael Lefèvre", q);
      }
      assert.deepEqual(names(await search("ÉLODIE")), ["Élodie Lefebvre"]);
      const lef = await search("lef");
      assert.deepEqual(names(lef).slice(0, 2).sort(), ["Michael Lefèvre", "Élodie Lefebvre"].sort());
      assert.ok(lef.slice(0, 2).every((h) => h.match === "prefix"));
    });

    it("« dupont j » is the nom and an initial, in either order", async () => {
      for (const q of ["dupont j", "j dupont", "DUPONT J", "Dupont, J."]) {
        const hits = await search(q);
        assert.deepEqual(names(hits).slice(0, 3), ["Jacques Dupont", "Jean Dupont", "Jeanne Dupont"], q);
        assert.ok(!names(hits).includes("Marie Dupont"), q);
      }
      // The initial must be another word than the nom: « dupont d » is no Dupont without a D.
      assert.deepEqual(names(await search("dupont d")), []);
      assert.deepEqual(names(await search("jean dupont"))[0], "Jean Dupont");
      assert.equal((await search("jean dupont"))[0]?.match, "exact");
      assert.deepEqual(names(await search("dupont jean"))[0], "Jean Dupont");
    });

    it("a misspelt name finds the person (trigrams, and one edit away)", async () => {
      const cases: Array<[string, string]> = [
        ["micheal", "Michael Lefèvre"], // two letters swapped
        ["micheal lefevre", "Michael Lefèvre"],
        ["fuare", "Martin Faure"], // swapped in a short name: few trigrams in common
        ["lefebre", "Élodie Lefebvre"], // a letter left out
        ["dupontt", "Jacques Dupont"], // a letter too many
        ["anne-sofie le gall", "Anne-Sophie Le Gall"],
      ];
      for (const [q, expected] of cases) {
        const hits = await search(q);
        assert.equal(names(hits)[0], expected, q);
        assert.equal(hits[0]?.match, "fuzzy", q);
      }
      // « dupond » finds Julien Dupond exactly, then the Duponts it may have been.
      const dupond = await search("dupond");
      assert.equal(names(dupond)[0], "Julien Dupond");
      assert.ok(names(dupond).includes("Jean Dupont"));
    });

    it("names in several words are found joined or apart", async () => {
      for (const q of ["legall", "le gall", "Le Gall anne", "anne-sophie", "annesophie"]) {
        assert.equal(names(await search(q))[0], "Anne-Sophie Le Gall", q);
      }
      for (const q of ["dartagnan", "d'artagnan", "D’Artagnan", "artagnan", "jeanpierre"]) {
        assert.equal(names(await search(q))[0], "Jean-Pierre D'Artagnan", q);
      }
    });

    it("« martin » lists the Martins of nom before the Martins of prénom", async () => {
      const hits = await search("martin");
      assert.deepEqual(names(hits).slice(0, 2), ["Hélène Martin", "Martin Faure"]);
      assert.deepEqual(
        hits.slice(0, 2).map((h) => h.match),
        ["exact", "exact"],
      );
    });

    it("a username or an address, exact or by its beginning", async () => {
      const jean = (await search("jean dupont"))[0];
      const academic = jean?.accounts.find((a) => a.kind === "academique");
      assert.ok(academic);
      assert.equal(academic.username, "jdupont");
      assert.equal(names(await search("jdupont"))[0], "Jean Dupont");
      assert.equal((await search("JDUPONT"))[0]?.match, "exact");
      // jdupont2 (Jacques) begins with jdupont: found after.
      assert.deepEqual(names(await search("jdupont")).slice(0, 2), ["Jean Dupont", "Jacques Dupont"]);
      assert.equal(names(await search(academic.address))[0], "Jean Dupont");
      assert.equal(names(await search(academic.address.toUpperCase()))[0], "Jean Dupont");
      assert.equal(names(await search("jean.dupont@"))[0], "Jean Dupont");
      assert.equal(names(await search("jean.dup"))[0], "Jean Dupont");
      assert.deepEqual(await search("nobody@nowhere.example"), []);
      // The functional account of an establishment leads to its holder.
      const ce = `ce.${UAI_A.toLowerCase()}`;
      const head = await search(ce);
      assert.equal(names(head)[0], "Jean Dupont");
      assert.deepEqual(
        head[0]?.accounts.map((a) => [a.username, a.kind, a.state]),
        [
          ["jdupont", "academique", "initial"],
          [ce, "fonctionnel", "initial"],
        ],
      );
    });

    it("a UAI lists its establishment's people, limited", async () => {
      const all = await search(UAI_BIG);
      assert.equal(all.length, 20);
      assert.ok(all.every((h) => h.establishment?.uai === UAI_BIG && h.establishment.libelle === null));
      assert.deepEqual(
        all.slice(0, 3).map((h) => h.prenom),
        ["Prénoma", "Prénomb", "Prénomc"],
      );
      assert.equal((await search(UAI_BIG.toLowerCase(), 5)).length, 5);
      assert.equal((await search(UAI_BIG, 100)).length, 25);
      // The establishment's name when it was imported; its people, the departed last.
      const a = await search(UAI_A);
      assert.deepEqual(names(a), ["Jacques Dupont", "Jean Dupont", "Jeanne Dupont"]);
      assert.deepEqual(a[0]?.establishment, { uai: UAI_A, libelle: "Collège Jean Moulin" });
      // A person without an establishment.
      assert.equal((await search("lefevre"))[0]?.establishment, null);
    });

    it("a NUMEN finds its person through the keyed hash only; a wrong one finds nobody", async () => {
      const numen = numenFor(3);
      for (const q of [numen, numen.toLowerCase(), `${numen.slice(0, 5)} ${numen.slice(5)}`]) {
        assert.deepEqual(names(await search(q)), ["Marie Dupont"], q);
      }
      assert.deepEqual(await search(numenFor(999)), []);
      // A NUMEN-shaped query is a NUMEN only: nothing else is looked for.
      assert.deepEqual(await search(numenFor(999).toLowerCase()), []);
    });

    it("a hit never carries a NUMEN, its hash, nor a date of birth", async () => {
      const row = PEOPLE[2] as StaffRow;
      const hits = [
        ...(await search(row.numen)),
        ...(await search("dupont")),
        ...(await search(UAI_B, 100)),
        ...(await search("jdupont")),
      ];
      assert.ok(hits.length > 10);
      const { rows } = await sql<{ numen_hash: string; birth_date: string }>`
        select numen_hash, birth_date from person`.execute(ctx.services.database.db);
      const text = JSON.stringify(hits);
      for (const secret of [
        ...PEOPLE.map((p) => p.numen),
        ...PEOPLE.map((p) => p.date_naissance),
        ...rows.flatMap((r) => [r.numen_hash, r.birth_date]),
      ]) {
        assert.ok(!text.includes(secret), `a hit shows ${secret}`);
      }
      for (const hit of hits) {
        assert.deepEqual(Object.keys(hit).sort(), [
          "accounts",
          "categorie",
          "civilite",
          "establishment",
          "match",
          "nom",
          "personId",
          "prenom",
          "status",
        ]);
      }
    });

    it("limits: 20 by default, 1 to SEARCH_MAX_LIMIT whatever is asked", async () => {
      assert.equal((await search("bernard")).length, 20);
      assert.equal((await search("bernard", 3)).length, 3);
      assert.equal((await search("bernard", 0)).length, 1);
      assert.equal((await search("bernard", -5)).length, 1);
      assert.equal((await search("bernard", Number.NaN)).length, 20);
      const most = await search("bernard", 10_000);
      assert.ok(most.length >= 25 && most.length <= SEARCH_MAX_LIMIT);
      assert.ok(most.slice(0, 25).every((h) => h.nom === "Bernard" && h.match === "exact"));
      assert.ok(SEARCH_MAX_LIMIT <= 100);
    });

    it("wildcards are plain characters, control characters spaces, and a single letter a bounded prefix", async () => {
      for (const q of ["%", "_", "%%", "%_%", "\\", "'", '"', "*", "...", "@", "%@%"]) {
        assert.deepEqual(await search(q), [], q);
      }
      assert.deepEqual(await search("dup%"), await search("dup"));
      assert.deepEqual(await search("d_pont"), await search("d pont"));
      assert.deepEqual(
        names(await search("\u0000dupont\u0007")).slice(0, 3),
        names(await search("dupont")).slice(0, 3),
      );
      assert.deepEqual(
        names(await search("\u202edupont\u200b")).slice(0, 3),
        names(await search("dupont")).slice(0, 3),
      );
      for (const q of ["", "   ", "\n\t", "\u0000"]) assert.deepEqual(await search(q), [], JSON.stringify(q));
      const j = await search("j");
      assert.ok(j.length > 0 && j.length <= 20);
      assert.ok(
        j.every((h) => /^j/i.test(h.nom) || /^j/i.test(h.prenom) || h.accounts.some((a) => a.username.startsWith("j"))),
      );
    });

    it("a query longer than 200 characters is refused; 200 are searched", async () => {
      for (const q of ["a".repeat(SEARCH_MAX_LENGTH + 1), "dupont ".repeat(1_500), "%".repeat(10_000)]) {
        const start = Date.now();
        await assert.rejects(search(q), (error: unknown) => {
          assert.ok(isDomainError(error, "VALIDATION_FAILED"));
          assert.deepEqual(error.details, { field: "q", reason: "too_long", max: SEARCH_MAX_LENGTH });
          return true;
        });
        assert.ok(Date.now() - start < 1_000);
      }
      const long = "dupont ".repeat(40).slice(0, SEARCH_MAX_LENGTH);
      assert.equal(long.length, SEARCH_MAX_LENGTH);
      assert.deepEqual(names(await search(long)).slice(0, 3), ["Jacques Dupont", "Jean Dupont", "Marie Dupont"]);
      assert.deepEqual(await search("x".repeat(SEARCH_MAX_LENGTH)), []);
    });
  });

  describe(`person search columns (${dialect})`, () => {
    it("follow a change of name by HR, and the words typed find the new name only", async () => {
      const ctx = await openTestServices(dialect);
      try {
        const row = staffRow(1, { nom: "Moreau", prenom: "Claire" });
        await seedStaff(ctx.services, [row]);
        assert.deepEqual(names(await ctx.services.directory.searchPeople("moreau")), ["Claire Moreau"]);
        await seedStaff(ctx.services, [{ ...row, nom: "Moreau-Lambert", prenom: "Claire-Marie" }]);
        assert.deepEqual(names(await ctx.services.directory.searchPeople("lambert claire")), [
          "Claire-Marie Moreau-Lambert",
        ]);
        assert.deepEqual(names(await ctx.services.directory.searchPeople("claire marie")), [
          "Claire-Marie Moreau-Lambert",
        ]);
        // Another field changing leaves the terms as they are; the old ones are gone.
        await seedStaff(ctx.services, [
          { ...row, nom: "Moreau-Lambert", prenom: "Claire-Marie", categorie: "direction" },
        ]);
        const { rows } = await sql<{ term: string; in_nom: number }>`
          select term, in_nom from person_search_term order by term, in_nom`.execute(ctx.services.database.db);
        assert.deepEqual(
          rows.map((r) => [r.term, Number(r.in_nom)]),
          [
            ["claire", 0],
            ["clairemarie", 0],
            ["lambert", 1],
            ["marie", 0],
            ["moreau", 1],
            ["moreaulambert", 1],
          ],
        );
      } finally {
        await ctx.close();
      }
    });

    it("a rare word leads among common ones: more people than a search ranks bear the others", async () => {
      const ctx = await openTestServices(dialect);
      try {
        // 1,100 Jean-Marie and 1,100 Perrat (one letter from Perrot), then the one Jean-Marie Perrot.
        const many = [
          ...Array.from({ length: 1_100 }, (_, i) => staffRow(1_000 + i, { prenom: "Jean-Marie" })),
          ...Array.from({ length: 1_100 }, (_, i) => staffRow(3_000 + i, { nom: "Perrat", prenom: "Paul" })),
          staffRow(5_000, { nom: "Perrot", prenom: "Jean-Marie" }),
        ];
        // The planner's statistics of the search's word table: unknown before, refreshed by a big import
        // (without them PostgreSQL passes over the trigram index for minutes after an import).
        const wordRows = async () =>
          Number(
            (
              await sql<{ reltuples: number }>`
                select reltuples from pg_class
                where relname = 'person_search_word' and relnamespace = current_schema()::regnamespace`.execute(
                ctx.services.database.db,
              )
            ).rows[0]?.reltuples,
          );
        if (dialect === "postgres") assert.ok((await wordRows()) <= 0, "no statistics before the import");
        await seedStaff(ctx.services, many);
        if (dialect === "postgres") assert.ok((await wordRows()) > 0, "statistics refreshed by the import");
        for (const q of ["jean marie perrot", "perrot jean-marie", "Jean-Marie PERROT"]) {
          const hits = await ctx.services.directory.searchPeople(q);
          assert.equal(names(hits)[0], "Jean-Marie Perrot", q);
          assert.equal(hits[0]?.match, "exact", q);
        }
        const jeans = await ctx.services.directory.searchPeople("jean");
        assert.equal(jeans.length, 20);
        assert.ok(jeans.every((h) => h.match === "exact" && h.prenom === "Jean-Marie"));
      } finally {
        await ctx.close();
      }
    });

    it("migration 016 fills them for the people already there, as the import does", async () => {
      const ctx = await openTestServices(dialect);
      try {
        const { db } = ctx.services.database;
        await seedStaff(ctx.services, PEOPLE.slice(0, 12));
        const snapshot = async () => ({
          names: (
            await sql<{ id: number; search_name: string }>`select id, search_name from person order by id`.execute(db)
          ).rows,
          terms: (
            await sql<{ term: string; person_id: number; in_nom: number }>`
              select term, person_id, in_nom from person_search_term order by term, person_id, in_nom`.execute(db)
          ).rows,
          words: (await sql<{ term: string }>`select term from person_search_word order by term`.execute(db)).rows,
        });
        const written = await snapshot();
        assert.ok(written.terms.length > 20);
        await sql`delete from person_search_term`.execute(db);
        await sql`delete from person_search_word`.execute(db);
        if (dialect === "sqlite") {
          await sql`insert into person_search_word_fts(person_search_word_fts) values ('delete-all')`.execute(db);
        }
        await sql`update person set search_name = ''`.execute(db);
        assert.deepEqual(await ctx.services.directory.searchPeople("dupont"), []);
        await backfill(db);
        assert.deepEqual(await snapshot(), written);
        assert.equal(names(await ctx.services.directory.searchPeople("micheal"))[0], "Michael Lefèvre");
      } finally {
        await ctx.close();
      }
    });
  });
}
