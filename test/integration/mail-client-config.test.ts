/**
 * Mail clients configure themselves: Thunderbird's autoconfig (both addresses it tries), Outlook's
 * POX Autodiscover, the Apple profile of the account page, and the account page's « Configurer un
 * logiciel de messagerie ». The documents are parsed as their clients read them (element names and
 * the fields each client needs), with and without a certificate configured; refusals are short, not
 * the HTML page, and never tell whether an account exists.
 *
 * XML is parsed with fast-xml-parser, already installed (mailauth depends on it); its validator also
 * proves each document well-formed, so an unescaped value would fail here.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { XMLParser, XMLValidator } from "fast-xml-parser";
import type { FastifyInstance, LightMyRequestResponse } from "fastify";
import type { Account } from "../../src/directory/directory.types.js";
import { openTestServices, type TestContext } from "../helpers/env.js";
import { selfSigned } from "../helpers/smtp.js";
import {
  linksTo,
  MAILBOX_PASSWORD,
  nextMailboxIp,
  staffWithPassword,
  testApp,
  textOf,
  textOfId,
  WebClient,
} from "../helpers/web.js";

const DOMAIN = "ac-lyon.fr";
const HOST = "mail.ac-lyon.fr";
const PORTS = { SESAME_IMAP_PORT: "1143", SESAME_IMAPS_PORT: "1993", SESAME_SUBMISSION_PORT: "5870" };
const AUTOCONFIG_URLS = ["/.well-known/autoconfig/mail/config-v1.1.xml", "/mail/config-v1.1.xml"];
const AUTODISCOVER_URLS = ["/autodiscover/autodiscover.xml", "/Autodiscover/Autodiscover.xml"];
const PROFILE_URL = "/assistance/mon-compte/messagerie.mobileconfig";
const OUTLOOK_SCHEMA = "http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a";

type Xml = Record<string, unknown>;

/** A well-formed document, as a tree: attributes under `@name`, texts as strings, repeated elements as arrays. */
function parseXml(body: string, what: string): Xml {
  const valid = XMLValidator.validate(body);
  assert.equal(valid, true, `${what}: well-formed XML (${JSON.stringify(valid)})`);
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: "@",
    parseTagValue: false,
    isArray: (name) => ["incomingServer", "outgoingServer", "Protocol", "domain"].includes(name),
  });
  return parser.parse(body) as Xml;
}

/** The child `name` of `node`, an object (fails otherwise). */
function child(node: unknown, name: string): Xml {
  assert.ok(node !== null && typeof node === "object", `an element holding <${name}>`);
  const value = (node as Xml)[name];
  assert.ok(value !== null && typeof value === "object" && !Array.isArray(value), `<${name}> is one element`);
  return value as Xml;
}

function children(node: unknown, name: string): Xml[] {
  const value = (node as Xml)[name];
  assert.ok(Array.isArray(value), `<${name}> elements`);
  return value as Xml[];
}

/** What Thunderbird reads of a server (readFromXML.js): type, hostname, port, socketType, authentication, username. */
function serverOf(node: Xml) {
  return {
    type: node["@type"],
    hostname: node.hostname,
    port: node.port,
    socketType: node.socketType,
    authentication: node.authentication,
    username: node.username,
  };
}

/** What Outlook reads of a Protocol. */
function protocolOf(node: Xml) {
  return {
    Type: node.Type,
    Server: node.Server,
    Port: node.Port,
    LoginName: node.LoginName,
    SPA: node.SPA,
    SSL: node.SSL,
    Encryption: node.Encryption,
    AuthRequired: node.AuthRequired,
  };
}

function autodiscoverBody(address: string, schema = OUTLOOK_SCHEMA): string {
  return [
    '<?xml version="1.0" encoding="utf-8"?>',
    '<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006">',
    `  <Request><EMailAddress>${address}</EMailAddress><AcceptableResponseSchema>${schema}</AcceptableResponseSchema></Request>`,
    "</Autodiscover>",
  ].join("\n");
}

async function postAutodiscover(
  app: FastifyInstance,
  body: string,
  url = AUTODISCOVER_URLS[0] ?? "",
  headers: Record<string, string> = {},
): Promise<LightMyRequestResponse> {
  return app.inject({ method: "POST", url, payload: body, headers: { "content-type": "text/xml", ...headers } });
}

/** A refusal for a mail client: this status, one short line of text, no page, no cookie. */
function assertRefusedText(res: LightMyRequestResponse, status: number, what: string): void {
  assert.equal(res.statusCode, status, `${what}: status (${res.body.slice(0, 100)})`);
  assert.match(String(res.headers["content-type"]), /^text\/plain; charset=utf-8/, `${what}: plain text`);
  assert.doesNotMatch(res.body, /<html|<\?xml|Error:|FST_/, `${what}: no page, no internal code`);
  assert.ok(res.body.length < 80, `${what}: one short line`);
  assert.equal(res.headers["set-cookie"], undefined, `${what}: no cookie`);
}

/** An XML answer: the type Thunderbird and Outlook expect, the security headers, no cookie. */
function assertXmlAnswer(res: LightMyRequestResponse, what: string): void {
  assert.equal(res.statusCode, 200, `${what}: status (${res.body.slice(0, 200)})`);
  assert.equal(res.headers["content-type"], "application/xml; charset=utf-8", `${what}: content type`);
  assert.equal(res.headers["x-content-type-options"], "nosniff", `${what}: nosniff`);
  assert.match(String(res.headers["content-security-policy"]), /frame-ancestors 'none'/, `${what}: CSP`);
  assert.equal(res.headers["set-cookie"], undefined, `${what}: no cookie (no session, no CSRF cookie)`);
}

/** The plist value following `<key>name</key>` (the element and its text), or null. */
function plistValue(plist: string, name: string): string | null {
  const m = new RegExp(`<key>${name}</key>\\s*(<(\\w+)\\s*/>|<(\\w+)>([^<]*)</\\3>)`).exec(plist);
  if (!m) return null;
  return m[2] ? `<${m[2]}/>` : `<${m[3]}>${m[4]}`;
}

async function open(overrides: Record<string, string> = {}) {
  const ctx: TestContext = await openTestServices("sqlite", { SESAME_MAIL_HOST: HOST, ...PORTS, ...overrides });
  const app = await testApp(ctx.services);
  return {
    ctx,
    app,
    close: async () => {
      await app.close();
      await ctx.close();
    },
  };
}

/** A person with a personal password, signed in on the account page (the Assistance's « Connexion »). */
async function signedInAccountPage(t: Awaited<ReturnType<typeof open>>): Promise<{ account: Account; c: WebClient }> {
  const account = await staffWithPassword(t.ctx.services);
  const c = new WebClient(t.app, nextMailboxIp());
  await c.get("/assistance/connexion");
  const res = await c.post("/assistance/connexion", { username: account.username, password: MAILBOX_PASSWORD });
  assert.equal(res.headers.location, "/assistance/mon-compte", `sign-in: ${res.statusCode}`);
  return { account, c };
}

describe("mail client configuration without a certificate (plain text, loopback only)", () => {
  let t: Awaited<ReturnType<typeof open>>;
  before(async () => {
    t = await open();
  });
  after(async () => {
    await t.close();
  });

  it("Thunderbird's autoconfig, at both addresses, with or without the address: IMAP and SMTP in plain text", async () => {
    const account = await staffWithPassword(t.ctx.services);
    for (const url of AUTOCONFIG_URLS) {
      for (const query of ["", `?emailaddress=${encodeURIComponent(account.address)}`]) {
        const what = `GET ${url}${query}`;
        const res = await t.app.inject({ method: "GET", url: `${url}${query}` });
        assertXmlAnswer(res, what);
        const config = child(parseXml(res.body, what), "clientConfig");
        assert.equal(config["@version"], "1.1", what);
        const provider = child(config, "emailProvider");
        assert.equal(provider["@id"], DOMAIN, what);
        assert.deepEqual(provider.domain, [DOMAIN], what);
        assert.equal(provider.displayName, "Messagerie de l'académie de Lyon", what);
        assert.equal(provider.displayShortName, "académie de Lyon", what);
        assert.deepEqual(children(provider, "incomingServer").map(serverOf), [
          {
            type: "imap",
            hostname: HOST,
            port: "1143",
            socketType: "plain",
            authentication: "password-cleartext",
            username: "%EMAILADDRESS%",
          },
        ]);
        assert.deepEqual(children(provider, "outgoingServer").map(serverOf), [
          {
            type: "smtp",
            hostname: HOST,
            port: "5870",
            socketType: "plain",
            authentication: "password-cleartext",
            username: "%EMAILADDRESS%",
          },
        ]);
      }
    }
  });

  it("autoconfig: an address of the domain gets the same answer whether or not it has an account; others get a 404", async () => {
    const account = await staffWithPassword(t.ctx.services);
    const ask = (address: string) =>
      t.app.inject({ method: "GET", url: `/mail/config-v1.1.xml?emailaddress=${encodeURIComponent(address)}` });
    const known = await ask(account.address);
    const unknown = await ask(`personne.inconnue.${Date.now()}@${DOMAIN}`);
    const upper = await ask(account.address.toUpperCase());
    assert.equal(known.statusCode, 200);
    assert.equal(unknown.statusCode, 200);
    assert.equal(unknown.body, known.body, "no enumeration: the same document");
    assert.equal(upper.body, known.body, "the domain in any case");
    assert.ok(!known.body.includes(account.address), "the document does not repeat the address");

    for (const address of [
      "jean.dupont@gmail.com",
      `jean.dupont@autre.${DOMAIN}`,
      `jean.dupont@${DOMAIN}.evil.example`,
      "jean.dupont",
      `@${DOMAIN}`,
      `jean dupont@${DOMAIN}`,
      `<jean>@${DOMAIN}`,
      "",
    ]) {
      assertRefusedText(await ask(address), 404, `emailaddress=${address}`);
    }
    for (const url of AUTOCONFIG_URLS) {
      assertRefusedText(
        await t.app.inject({ method: "GET", url: `${url}?emailaddress=x%40gmail.com` }),
        404,
        `${url}, another domain`,
      );
    }
    // A repeated or oversized parameter is bad input: a short 400, not the HTML page.
    assertRefusedText(
      await t.app.inject({ method: "GET", url: `/mail/config-v1.1.xml?emailaddress=a%40${DOMAIN}&emailaddress=b` }),
      400,
      "repeated emailaddress",
    );
    assertRefusedText(
      await t.app.inject({ method: "GET", url: `/mail/config-v1.1.xml?emailaddress=${"a".repeat(300)}%40${DOMAIN}` }),
      400,
      "oversized emailaddress",
    );
  });

  it("Outlook's Autodiscover, at both spellings: account settings, IMAP and SMTP, logging in with the address", async () => {
    const account = await staffWithPassword(t.ctx.services);
    for (const url of AUTODISCOVER_URLS) {
      // Not a form: no CSRF token, and a client's request is not refused for its origin.
      const res = await postAutodiscover(t.app, autodiscoverBody(account.address.toUpperCase()), url, {
        origin: "https://ailleurs.example",
        "sec-fetch-site": "cross-site",
      });
      assertXmlAnswer(res, `POST ${url}`);
      const root = child(parseXml(res.body, url), "Autodiscover");
      assert.equal(root["@xmlns"], "http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006");
      const response = child(root, "Response");
      assert.equal(response["@xmlns"], OUTLOOK_SCHEMA);
      const accountXml = child(response, "Account");
      assert.equal(accountXml.AccountType, "email");
      assert.equal(accountXml.Action, "settings");
      assert.deepEqual(children(accountXml, "Protocol").map(protocolOf), [
        {
          Type: "IMAP",
          Server: HOST,
          Port: "1143",
          LoginName: account.address,
          SPA: "off",
          SSL: "off",
          Encryption: "None",
          AuthRequired: "on",
        },
        {
          Type: "SMTP",
          Server: HOST,
          Port: "5870",
          LoginName: account.address,
          SPA: "off",
          SSL: "off",
          Encryption: "None",
          AuthRequired: "on",
        },
      ]);
    }
  });

  it("Autodiscover refuses what it cannot read (no entity expanded), other domains, other schemas", async () => {
    const account = await staffWithPassword(t.ctx.services);
    const bad: Array<[string, string]> = [
      ["not XML", "bonjour"],
      ["empty", ""],
      ["no address", autodiscoverBody("").replace(/<EMailAddress>.*<\/EMailAddress>/, "")],
      ["empty address", autodiscoverBody("")],
      [
        "two addresses",
        autodiscoverBody(account.address).replace("</Request>", `<EMailAddress>x@${DOMAIN}</EMailAddress></Request>`),
      ],
      [
        "an external entity (XXE)",
        `<?xml version="1.0"?><!DOCTYPE a [<!ENTITY e SYSTEM "file:///etc/passwd">]>${autodiscoverBody("&e;")}`,
      ],
      ["an internal entity", `<!DOCTYPE a [<!ENTITY e "${account.address}">]>${autodiscoverBody("&e;")}`],
    ];
    for (const [what, body] of bad) {
      const res = await postAutodiscover(t.app, body);
      assertRefusedText(res, 400, what);
      assert.doesNotMatch(res.body, /root:/, `${what}: nothing read from the disk`);
    }
    assertRefusedText(
      await postAutodiscover(t.app, autodiscoverBody(account.address).padEnd(20 * 1024, " ")),
      413,
      "a body over 10 KB",
    );
    assertRefusedText(
      await t.app.inject({
        method: "POST",
        url: AUTODISCOVER_URLS[0] ?? "",
        payload: `EMailAddress=${encodeURIComponent(account.address)}`,
        headers: { "content-type": "application/x-www-form-urlencoded" },
      }),
      400,
      "a form instead of XML",
    );
    assertRefusedText(
      await postAutodiscover(t.app, autodiscoverBody(account.address), AUTODISCOVER_URLS[0], {
        "content-type": "application/json",
      }),
      415,
      "JSON",
    );
    for (const address of ["jean.dupont@gmail.com", `jean.dupont@sous.${DOMAIN}`, "pas-une-adresse"]) {
      assertRefusedText(await postAutodiscover(t.app, autodiscoverBody(address)), 404, address);
    }

    // No enumeration: an address of the domain without an account gets its settings too.
    const stranger = `personne.inconnue.${Date.now()}@${DOMAIN}`;
    const unknown = await postAutodiscover(t.app, autodiscoverBody(stranger));
    assertXmlAnswer(unknown, "unknown account");
    const known = await postAutodiscover(t.app, autodiscoverBody(account.address));
    assert.equal(unknown.body, known.body.replaceAll(account.address, stranger), "the same document but the address");

    // ActiveSync's schema is not provided: Exchange's error 601.
    const mobile = await postAutodiscover(
      t.app,
      autodiscoverBody(
        account.address,
        "http://schemas.microsoft.com/exchange/autodiscover/mobilesync/responseschema/2006",
      ),
    );
    assertXmlAnswer(mobile, "mobilesync schema");
    const error = child(child(child(parseXml(mobile.body, "601"), "Autodiscover"), "Response"), "Error");
    assert.equal(error.ErrorCode, "601");
  });

  it("the Apple profile: only on the account page's session; a plist for the account, IMAP and SMTP in plain text", async () => {
    const anonymous = await new WebClient(t.app, nextMailboxIp()).get(PROFILE_URL);
    assert.equal(anonymous.statusCode, 303);
    assert.equal(anonymous.headers.location, "/assistance/connexion");

    // The webmail's session is not the account page's.
    const other = await staffWithPassword(t.ctx.services);
    const webmail = new WebClient(t.app, nextMailboxIp());
    assert.equal((await webmail.login(other.username, MAILBOX_PASSWORD)).headers.location, "/mail");
    assert.equal((await webmail.get(PROFILE_URL)).headers.location, "/assistance/connexion");

    const { account, c } = await signedInAccountPage(t);
    const res = await c.get(PROFILE_URL);
    assert.equal(res.statusCode, 200, res.body.slice(0, 200));
    assert.equal(res.headers["content-type"], "application/x-apple-aspen-config");
    assert.equal(res.headers["content-disposition"], `attachment; filename="messagerie-${DOMAIN}.mobileconfig"`);
    assert.equal(res.headers["cache-control"], "no-store");
    const plist = res.body;
    parseXml(plist, "the profile");
    assert.match(plist, /<plist version="1.0">/);
    assert.equal(plistValue(plist, "PayloadType"), "<string>com.apple.mail.managed");
    assert.equal(plistValue(plist, "EmailAccountType"), "<string>EmailTypeIMAP");
    assert.equal(plistValue(plist, "EmailAddress"), `<string>${account.address}`);
    assert.equal(plistValue(plist, "IncomingMailServerHostName"), `<string>${HOST}`);
    assert.equal(plistValue(plist, "IncomingMailServerPortNumber"), "<integer>1143");
    assert.equal(plistValue(plist, "IncomingMailServerUseSSL"), "<false/>");
    assert.equal(plistValue(plist, "IncomingMailServerUsername"), `<string>${account.username}`);
    assert.equal(plistValue(plist, "IncomingPassword"), "<string>", "no password in the profile");
    assert.equal(plistValue(plist, "OutgoingMailServerHostName"), `<string>${HOST}`);
    assert.equal(plistValue(plist, "OutgoingMailServerPortNumber"), "<integer>5870");
    assert.equal(plistValue(plist, "OutgoingMailServerUsername"), `<string>${account.username}`);
    assert.equal(plistValue(plist, "OutgoingMailServerAuthentication"), "<string>EmailAuthPassword");
    assert.equal(plistValue(plist, "OutgoingPasswordSameAsIncomingPassword"), "<true/>");
    assert.ok(plist.includes("Messagerie de l&#x27;académie de Lyon"), "the profile's French name");
    assert.ok(!plist.includes(MAILBOX_PASSWORD));
  });

  it("the account page: « Configurer un logiciel de messagerie » with the servers, ports, security and username", async () => {
    const { account, c } = await signedInAccountPage(t);
    const page = await c.get("/assistance/mon-compte");
    assert.equal(page.statusCode, 200);
    assert.equal(textOfId(page.body, "titre-messagerie"), "Configurer un logiciel de messagerie");
    const section = /<section aria-labelledby="titre-messagerie">([\s\S]*?)<\/section>/.exec(page.body)?.[1] ?? "";
    const text = textOf(section);
    assert.ok(
      text.includes("Thunderbird et Outlook trouvent ces réglages seuls à partir de votre adresse électronique"),
      text,
    );
    const rows = [...section.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((m) => textOf(m[1] ?? ""));
    assert.deepEqual(rows, [
      "Réglage Serveur de réception (IMAP) Serveur d'envoi (SMTP)",
      `Nom du serveur ${HOST} ${HOST}`,
      "Port 1143 5870",
      "Sécurité aucune (depuis le serveur lui-même uniquement) aucune (depuis le serveur lui-même uniquement)",
      `Nom d'utilisateur ${account.username} ${account.username}`,
      "Mot de passe celui de votre compte celui de votre compte",
    ]);
    assert.match(section, /<th scope="row">Port<\/th>/);
    assert.ok(text.includes("sans chiffrement"), "the missing certificate is said");
    assert.deepEqual(linksTo(page.body, "Télécharger le profil de configuration (iPhone, iPad, Mac)"), [PROFILE_URL]);
  });

  it("the webmail's Paramètres show the same section, with the profile on the webmail's session", async () => {
    const account = await staffWithPassword(t.ctx.services);
    const c = new WebClient(t.app, nextMailboxIp());
    assert.equal((await c.login(account.username, MAILBOX_PASSWORD)).headers.location, "/mail");
    const page = await c.get("/mail/parametres");
    assert.equal(page.statusCode, 200);
    assert.equal(textOfId(page.body, "titre-messagerie"), "Configurer un logiciel de messagerie");
    const section = /<section aria-labelledby="titre-messagerie">([\s\S]*?)<\/section>/.exec(page.body)?.[1] ?? "";
    assert.ok(textOf(section).includes(`Nom d'utilisateur ${account.username} ${account.username}`));
    const webmailProfile = "/mail/parametres/messagerie.mobileconfig";
    assert.deepEqual(linksTo(page.body, "Télécharger le profil de configuration (iPhone, iPad, Mac)"), [
      webmailProfile,
    ]);
    const res = await c.get(webmailProfile);
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers["content-type"], "application/x-apple-aspen-config");
    assert.equal(plistValue(res.body, "IncomingMailServerUsername"), `<string>${account.username}`);
    const anonymous = await new WebClient(t.app, nextMailboxIp()).get(webmailProfile);
    assert.notEqual(anonymous.statusCode, 200);
  });
});

describe("mail client configuration with a certificate (SSL/TLS and STARTTLS)", () => {
  let t: Awaited<ReturnType<typeof open>>;
  let certs: ReturnType<typeof selfSigned>;
  before(async () => {
    certs = selfSigned();
    t = await open({
      SESAME_SMTP_TLS_CERT: certs.cert,
      SESAME_SMTP_TLS_KEY: certs.key,
      // Names with XML's special characters: escaped in every document.
      SESAME_ACADEMIE_NAME: `académie <d'essai> & "Cie"`,
    });
  });
  after(async () => {
    await t?.close();
    certs?.remove();
  });

  it("autoconfig: IMAP over SSL first, STARTTLS second; SMTP submission with STARTTLS; names escaped", async () => {
    for (const url of AUTOCONFIG_URLS) {
      const res = await t.app.inject({ method: "GET", url: `${url}?emailaddress=jean.dupont%40${DOMAIN}` });
      assertXmlAnswer(res, url);
      const provider = child(child(parseXml(res.body, url), "clientConfig"), "emailProvider");
      assert.equal(provider.displayName, `Messagerie de l'académie <d'essai> & "Cie"`);
      assert.equal(provider.displayShortName, `académie <d'essai> & "Cie"`);
      const common = { hostname: HOST, authentication: "password-cleartext", username: "%EMAILADDRESS%" };
      assert.deepEqual(children(provider, "incomingServer").map(serverOf), [
        { type: "imap", port: "1993", socketType: "SSL", ...common },
        { type: "imap", port: "1143", socketType: "STARTTLS", ...common },
      ]);
      assert.deepEqual(children(provider, "outgoingServer").map(serverOf), [
        { type: "smtp", port: "5870", socketType: "STARTTLS", ...common },
      ]);
    }
  });

  it("Autodiscover: IMAP on the IMAPS port with SSL, SMTP with TLS (STARTTLS)", async () => {
    const address = `jean.dupont@${DOMAIN}`;
    const res = await postAutodiscover(t.app, autodiscoverBody(address), AUTODISCOVER_URLS[1]);
    assertXmlAnswer(res, "autodiscover");
    const accountXml = child(child(child(parseXml(res.body, "autodiscover"), "Autodiscover"), "Response"), "Account");
    const common = { Server: HOST, LoginName: address, SPA: "off", SSL: "on", AuthRequired: "on" };
    assert.deepEqual(children(accountXml, "Protocol").map(protocolOf), [
      { Type: "IMAP", Port: "1993", Encryption: "SSL", ...common },
      { Type: "SMTP", Port: "5870", Encryption: "TLS", ...common },
    ]);
  });

  it("the Apple profile uses IMAP over SSL; the account page names SSL/TLS, STARTTLS and the other IMAP port", async () => {
    const { c } = await signedInAccountPage(t);
    const plist = (await c.get(PROFILE_URL)).body;
    parseXml(plist, "the profile");
    assert.equal(plistValue(plist, "IncomingMailServerPortNumber"), "<integer>1993");
    assert.equal(plistValue(plist, "IncomingMailServerUseSSL"), "<true/>");
    assert.equal(plistValue(plist, "OutgoingMailServerPortNumber"), "<integer>5870");
    assert.ok(plist.includes("académie &lt;d&#x27;essai&gt; &amp; &quot;Cie&quot;"), "the organisation, escaped");

    const page = await c.get("/assistance/mon-compte");
    const section = /<section aria-labelledby="titre-messagerie">([\s\S]*?)<\/section>/.exec(page.body)?.[1] ?? "";
    const rows = [...section.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((m) => textOf(m[1] ?? ""));
    assert.equal(rows[2], "Port 1993 5870");
    assert.equal(rows[3], "Sécurité SSL/TLS STARTTLS");
    const text = textOf(section);
    assert.ok(
      text.includes("Si votre logiciel ne propose pas SSL/TLS pour la réception : port 1143, sécurité STARTTLS."),
      text,
    );
    assert.ok(!text.includes("sans chiffrement"), text);
  });
});
