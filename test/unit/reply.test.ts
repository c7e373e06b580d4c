/**
 * Answering and forwarding (src/mail/reply.ts): the quote, the subject's prefix never doubled, who
 * a reply and a "reply all" go to (Reply-To honoured, own address left out, no duplicates), and the
 * forwarded header block. The words are a test wording; the webmail's French ones are checked by
 * the compose route tests.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Mailbox } from "../../src/mail/mail.types.js";
import {
  addressList,
  addressText,
  forwardedOf,
  forwardSubject,
  type Original,
  quoteOf,
  type ReplyWording,
  replyRecipients,
  replySubject,
} from "../../src/mail/reply.js";

const W: ReplyWording = {
  replyPrefix: "RE: ",
  forwardPrefix: "TR: ",
  quoteIntro: (date, who) => `Le ${date}, ${who} a écrit :`,
  forwardHeader: "-------- Message transféré --------",
  forwardFrom: "De",
  forwardDate: "Date",
  forwardSubject: "Objet",
  forwardTo: "À",
  unknownSender: "(expéditeur inconnu)",
  dateTime: (date) => date.toISOString(),
};

const DATE = new Date("2026-03-03T13:05:00Z");
const mb = (address: string, name = ""): Mailbox => ({ name, address });

function original(over: Partial<Original> = {}): Original {
  return {
    from: mb("lucie.aubrac@ac-lyon.fr", "Lucie Aubrac"),
    replyTo: [],
    toList: [mb("jean.moulin@ac-lyon.fr", "Jean Moulin")],
    ccList: [],
    subject: "Sortie au musée",
    date: DATE,
    text: "Bonjour,\nRendez-vous à 9 h.",
    ...over,
  };
}

describe("reply: quoting", () => {
  it("puts the introduction line, then each line of the original behind '> '", () => {
    assert.equal(
      quoteOf(original(), W),
      "\n\nLe 2026-03-03T13:05:00.000Z, Lucie Aubrac a écrit :\n> Bonjour,\n> Rendez-vous à 9 h.\n",
    );
  });

  it("adds one '>' to lines already quoted, reads CRLF and CR as line breaks, drops trailing blank lines", () => {
    const quoted = quoteOf(original({ text: "Oui.\r\n> déjà cité\r>> deux fois\r\n\r\n\n" }), W);
    assert.equal(quoted.split("\n").slice(3).join("\n"), "> Oui.\n>> déjà cité\n>>> deux fois\n");
  });

  it("names the sender by address without a name, and says when there is no sender; no text quotes one empty line", () => {
    assert.match(quoteOf(original({ from: mb("x@exemple.fr") }), W), /, x@exemple\.fr a écrit :\n/);
    assert.equal(
      quoteOf(original({ from: null, text: null }), W),
      "\n\nLe 2026-03-03T13:05:00.000Z, (expéditeur inconnu) a écrit :\n> \n",
    );
  });
});

describe("reply: subjects", () => {
  it("prefixes an answer once: RE:, Re :, ré: and the like stay as they are", () => {
    assert.equal(replySubject("Sortie au musée", W), "RE: Sortie au musée");
    assert.equal(replySubject("  Sortie  ", W), "RE: Sortie");
    for (const subject of ["RE: Sortie", "Re : Sortie", "ré: Sortie", "RÉ:Sortie", "re:Sortie"]) {
      assert.equal(replySubject(subject, W), subject, subject);
    }
    assert.equal(replySubject(replySubject("Sortie", W), W), "RE: Sortie", "never doubled");
    assert.equal(replySubject("", W), "RE: ");
  });

  it("prefixes a forward once: TR:, Fwd:, Fw: stay as they are; an answer's subject is forwarded as TR: RE:", () => {
    assert.equal(forwardSubject("Sortie", W), "TR: Sortie");
    for (const subject of ["TR: Sortie", "tr : Sortie", "Fwd: Sortie", "FW: Sortie", "fw:Sortie"]) {
      assert.equal(forwardSubject(subject, W), subject, subject);
    }
    assert.equal(forwardSubject(forwardSubject("Sortie", W), W), "TR: Sortie", "never doubled");
    assert.equal(forwardSubject("RE: Sortie", W), "TR: RE: Sortie");
    assert.equal(replySubject("TR: Sortie", W), "RE: TR: Sortie");
  });
});

describe("reply: recipients", () => {
  const self = "Jean.Moulin@ac-lyon.fr";

  it("a reply goes to the sender, or to the Reply-To addresses when there are some; never to the others", () => {
    assert.deepEqual(replyRecipients(original(), self, false), {
      to: [mb("lucie.aubrac@ac-lyon.fr", "Lucie Aubrac")],
      cc: [],
    });
    const withReplyTo = original({
      replyTo: [mb("secretariat@ac-lyon.fr", "Secrétariat"), mb("SECRETARIAT@ac-lyon.fr")],
      ccList: [mb("claire@exemple.fr")],
    });
    assert.deepEqual(replyRecipients(withReplyTo, self, false), {
      to: [mb("secretariat@ac-lyon.fr", "Secrétariat")],
      cc: [],
    });
    assert.deepEqual(replyRecipients(original({ from: null }), self, false), { to: [], cc: [] });
  });

  it("reply all: the author, the other To recipients, then the Cc, without one's own address and without duplicates", () => {
    const m = original({
      replyTo: [mb("secretariat@ac-lyon.fr")],
      toList: [
        mb("jean.moulin@ac-lyon.fr", "Jean Moulin"),
        mb("pierre@exemple.fr", "Pierre"),
        mb("Secretariat@ac-lyon.fr"),
      ],
      ccList: [
        mb("JEAN.MOULIN@AC-LYON.FR"),
        mb("pierre@EXEMPLE.fr"),
        mb("claire@exemple.fr", "Claire"),
        mb("claire@exemple.fr"),
      ],
    });
    assert.deepEqual(replyRecipients(m, self, true), {
      to: [mb("secretariat@ac-lyon.fr"), mb("pierre@exemple.fr", "Pierre")],
      cc: [mb("claire@exemple.fr", "Claire")],
    });
  });

  it("reply all without a Reply-To answers the sender first", () => {
    const { to, cc } = replyRecipients(original({ ccList: [mb("claire@exemple.fr")] }), self, true);
    assert.deepEqual(
      to.map((x) => x.address),
      ["lucie.aubrac@ac-lyon.fr"],
    );
    assert.deepEqual(
      cc.map((x) => x.address),
      ["claire@exemple.fr"],
    );
  });
});

describe("reply: forwarding", () => {
  it("puts a header block (from, date, subject, to) above the original", () => {
    const m = original({ toList: [mb("jean.moulin@ac-lyon.fr", "Moulin, Jean"), mb("pierre@exemple.fr")] });
    assert.equal(
      forwardedOf(m, W),
      [
        "",
        "",
        "-------- Message transféré --------",
        "De : Lucie Aubrac <lucie.aubrac@ac-lyon.fr>",
        "Date : 2026-03-03T13:05:00.000Z",
        "Objet : Sortie au musée",
        'À : "Moulin, Jean" <jean.moulin@ac-lyon.fr>, pierre@exemple.fr',
        "",
        "Bonjour,",
        "Rendez-vous à 9 h.",
        "",
      ].join("\n"),
    );
  });

  it("leaves out the To line when there is none, and says when there is no sender", () => {
    const text = forwardedOf(original({ from: null, toList: [], text: "x\r\n\r\n" }), W);
    assert.equal(
      text,
      "\n\n-------- Message transféré --------\nDe : (expéditeur inconnu)\nDate : 2026-03-03T13:05:00.000Z\nObjet : Sortie au musée\n\nx\n",
    );
  });
});

describe("reply: addresses as typed", () => {
  it("writes a name before its address, quoted when it holds a separator", () => {
    assert.equal(addressText(mb("a@exemple.fr")), "a@exemple.fr");
    assert.equal(addressText(mb("a@exemple.fr", "a@exemple.fr")), "a@exemple.fr");
    assert.equal(addressText(mb("a@exemple.fr", "Anne Dupont")), "Anne Dupont <a@exemple.fr>");
    assert.equal(addressText(mb("a@exemple.fr", "Dupont, Anne")), '"Dupont, Anne" <a@exemple.fr>');
    assert.equal(addressText(mb("a@exemple.fr", 'Anne "la" D\\')), '"Anne \\"la\\" D\\\\" <a@exemple.fr>');
    assert.equal(addressList([mb("a@exemple.fr", "Anne"), mb("b@exemple.fr")]), "Anne <a@exemple.fr>, b@exemple.fr");
  });
});
