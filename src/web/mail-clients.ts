/**
 * What mail clients are told to connect to, and the three documents that tell them: Thunderbird's
 * autoconfig (clientConfig 1.1), Outlook's POX Autodiscover (the 2006a response), Apple's
 * configuration profile (`.mobileconfig`, made by @zone-eu/mobileconfig). The same settings are shown
 * on the account page for the other clients.
 *
 * The settings follow the IMAP and submission doors: with a certificate (SESAME_SMTP_TLS_*), IMAP
 * over implicit TLS on the IMAPS port first, STARTTLS on the IMAP port second, and submission with
 * STARTTLS; without one, plain text on both (which only loopback may log in over): the documents say
 * so rather than promise an encryption the doors do not offer.
 *
 * Username: the login accepts the username or the full address (`LoginService`, by username or
 * address). Anonymous documents say the address (`%EMAILADDRESS%` for Thunderbird): they are given
 * for any address of the mail domain, with no lookup, so they never tell whether an account exists.
 */
import mobileconfig from "@zone-eu/mobileconfig";
import type { FastifyReply } from "fastify";
import type { Config } from "../config/config.js";
import type { Account } from "../directory/directory.types.js";
import { parseEmail } from "../directory/identifiers.js";
import { fr } from "./i18n/fr.js";

/** How a client secures a connection: implicit TLS, STARTTLS, or none (loopback only). */
export type MailSecurity = "ssl" | "starttls" | "none";

export interface MailServer {
  readonly host: string;
  readonly port: number;
  readonly security: MailSecurity;
}

export interface MailClientSettings {
  /** The domain of the addresses these settings are for. */
  readonly domain: string;
  /** IMAP, the preferred way first (with a certificate: IMAPS, then STARTTLS). */
  readonly imap: readonly [MailServer, ...MailServer[]];
  /** SMTP submission. */
  readonly smtp: MailServer;
}

export function mailClientSettings(
  config: Pick<Config, "mailHost" | "mailDomain" | "imapPort" | "imapsPort" | "submissionPort" | "smtpTls">,
): MailClientSettings {
  const host = config.mailHost;
  if (config.smtpTls === null) {
    return {
      domain: config.mailDomain,
      imap: [{ host, port: config.imapPort, security: "none" }],
      smtp: { host, port: config.submissionPort, security: "none" },
    };
  }
  return {
    domain: config.mailDomain,
    imap: [
      { host, port: config.imapsPort, security: "ssl" },
      { host, port: config.imapPort, security: "starttls" },
    ],
    smtp: { host, port: config.submissionPort, security: "starttls" },
  };
}

/**
 * An address of the mail domain, lower case (the login ignores case), or null: malformed, another
 * domain. Whether an account has it is not looked up.
 */
export function addressOfDomain(raw: string, domain: string): string | null {
  let address: string;
  try {
    address = parseEmail(raw).toLowerCase();
  } catch {
    return null;
  }
  return address.endsWith(`@${domain.toLowerCase()}`) ? address : null;
}

// ------------------------------------------------------------------------------------------------
// XML: every document is built as a tree and serialised here, every text and attribute escaped.

interface XmlElement {
  readonly name: string;
  readonly attributes?: Readonly<Record<string, string>>;
  readonly children: readonly (XmlElement | string | number)[];
}

/** An element; its children are elements or texts (escaped when written). */
function el(
  name: string,
  attributes: Readonly<Record<string, string>> | null,
  ...children: (XmlElement | string | number)[]
): XmlElement {
  return attributes ? { name, attributes, children } : { name, children };
}

/** Characters XML 1.0 does not allow at all (C0 controls but tab, LF and CR; U+FFFE, U+FFFF). */
const NOT_XML_CLASS = "\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\uFFFE\\uFFFF";
const NOT_XML = new RegExp(`[${NOT_XML_CLASS}]`, "g");

/** Text or attribute value, escaped (the five predefined entities), characters XML forbids dropped. */
export function escapeXml(value: string): string {
  return value
    .replace(NOT_XML, "")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;");
}

function serialise(node: XmlElement, depth: number): string {
  const pad = "  ".repeat(depth);
  const attributes = Object.entries(node.attributes ?? {})
    .map(([name, value]) => ` ${name}="${escapeXml(value)}"`)
    .join("");
  if (node.children.length === 0) return `${pad}<${node.name}${attributes}/>`;
  if (node.children.every((child) => typeof child !== "object")) {
    return `${pad}<${node.name}${attributes}>${node.children.map((c) => escapeXml(String(c))).join("")}</${node.name}>`;
  }
  const inner = node.children.map((child) =>
    typeof child === "object" ? serialise(child, depth + 1) : `${pad}  ${escapeXml(String(child))}`,
  );
  return [`${pad}<${node.name}${attributes}>`, ...inner, `${pad}</${node.name}>`].join("\n");
}

function xmlDocument(root: XmlElement): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n${serialise(root, 0)}\n`;
}

// ------------------------------------------------------------------------------------------------
// Thunderbird: https://wiki.mozilla.org/Thunderbird:Autoconfiguration:ConfigFileFormat

const SOCKET_TYPES: Readonly<Record<MailSecurity, string>> = { ssl: "SSL", starttls: "STARTTLS", none: "plain" };

/** Thunderbird replaces it with the address typed (the login accepts the address). */
export const AUTOCONFIG_USERNAME = "%EMAILADDRESS%";

function autoconfigServer(element: string, type: string, server: MailServer): XmlElement {
  return el(
    element,
    { type },
    el("hostname", null, server.host),
    el("port", null, server.port),
    el("socketType", null, SOCKET_TYPES[server.security]),
    el("authentication", null, "password-cleartext"),
    el("username", null, AUTOCONFIG_USERNAME),
  );
}

/** The clientConfig 1.1 document (`config-v1.1.xml`). */
export function autoconfigXml(
  settings: MailClientSettings,
  names: { readonly displayName: string; readonly displayShortName: string },
): string {
  return xmlDocument(
    el(
      "clientConfig",
      { version: "1.1" },
      el(
        "emailProvider",
        { id: settings.domain },
        el("domain", null, settings.domain),
        el("displayName", null, names.displayName),
        el("displayShortName", null, names.displayShortName),
        ...settings.imap.map((server) => autoconfigServer("incomingServer", "imap", server)),
        autoconfigServer("outgoingServer", "smtp", settings.smtp),
      ),
    ),
  );
}

// ------------------------------------------------------------------------------------------------
// Outlook: POX Autodiscover, https://learn.microsoft.com/exchange/client-developer/web-service-reference/pox-autodiscover-web-service-reference-for-exchange

const AUTODISCOVER_NS = "http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006";
export const OUTLOOK_RESPONSE_SCHEMA =
  "http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a";

/** The largest request read: the document is a few hundred bytes. */
export const AUTODISCOVER_MAX_BYTES = 10 * 1024;

/** What an Autodiscover request asks, or that it cannot be read. */
export type AutodiscoverRequest =
  | { readonly ok: true; readonly emailAddress: string; readonly responseSchema: string | null }
  | { readonly ok: false };

/** The text of the one element `name` (any namespace prefix), trimmed; null when absent or repeated. */
function onlyElement(xml: string, name: string): string | null {
  const pattern = new RegExp(
    `<(?:[A-Za-z][\\w.-]*:)?${name}(?:\\s[^<>]*)?>([^<>]*)</(?:[A-Za-z][\\w.-]*:)?${name}\\s*>`,
    "g",
  );
  const found = [...xml.matchAll(pattern)];
  return found.length === 1 ? (found[0]?.[1] ?? "").trim() : null;
}

/**
 * Reads the request document without an XML parser: it holds one EMailAddress and maybe one
 * AcceptableResponseSchema, read by a strict pattern. A document type declaration (where entities,
 * hence XXE, would live) makes the request unreadable; no entity is ever expanded.
 */
export function readAutodiscoverRequest(body: string): AutodiscoverRequest {
  if (body.length > AUTODISCOVER_MAX_BYTES || /<!DOCTYPE|<!ENTITY/i.test(body)) return { ok: false };
  if (!/<(?:[A-Za-z][\w.-]*:)?Autodiscover[\s>]/.test(body)) return { ok: false };
  const emailAddress = onlyElement(body, "EMailAddress");
  if (emailAddress === null || emailAddress === "" || emailAddress.length > 254) return { ok: false };
  const schemaCount = [...body.matchAll(/<(?:[A-Za-z][\w.-]*:)?AcceptableResponseSchema[\s>]/g)].length;
  const responseSchema = onlyElement(body, "AcceptableResponseSchema");
  if (schemaCount > 0 && responseSchema === null) return { ok: false };
  return { ok: true, emailAddress, responseSchema };
}

/** `<SSL>` and `<Encryption>` of a protocol: Outlook follows Encryption; clients reading only SSL see on/off. */
const ENCRYPTION: Readonly<Record<MailSecurity, { ssl: string; encryption: string }>> = {
  ssl: { ssl: "on", encryption: "SSL" },
  starttls: { ssl: "on", encryption: "TLS" },
  none: { ssl: "off", encryption: "None" },
};

function autodiscoverProtocol(type: string, server: MailServer, loginName: string): XmlElement {
  const { ssl, encryption } = ENCRYPTION[server.security];
  return el(
    "Protocol",
    null,
    el("Type", null, type),
    el("Server", null, server.host),
    el("Port", null, server.port),
    el("LoginName", null, loginName),
    el("DomainRequired", null, "off"),
    el("SPA", null, "off"),
    el("SSL", null, ssl),
    el("Encryption", null, encryption),
    el("AuthRequired", null, "on"),
  );
}

/** The 2006a response: one email account, IMAP (the preferred way) and SMTP, logging in with the address. */
export function autodiscoverXml(settings: MailClientSettings, emailAddress: string): string {
  return xmlDocument(
    el(
      "Autodiscover",
      { xmlns: AUTODISCOVER_NS },
      el(
        "Response",
        { xmlns: OUTLOOK_RESPONSE_SCHEMA },
        el(
          "Account",
          null,
          el("AccountType", null, "email"),
          el("Action", null, "settings"),
          autodiscoverProtocol("IMAP", settings.imap[0], emailAddress),
          autodiscoverProtocol("SMTP", settings.smtp, emailAddress),
        ),
      ),
    ),
  );
}

/** An Autodiscover error (600: invalid request; 601: the schema asked for is not provided). */
export function autodiscoverErrorXml(code: 600 | 601, message: string): string {
  return xmlDocument(
    el(
      "Autodiscover",
      { xmlns: AUTODISCOVER_NS },
      el(
        "Response",
        null,
        el("Error", null, el("ErrorCode", null, code), el("Message", null, message), el("DebugData", null)),
      ),
    ),
  );
}

// ------------------------------------------------------------------------------------------------
// Apple: a configuration profile with one com.apple.mail.managed payload.

/** The profile's texts (French, from the web's texts). */
export interface ProfileTexts {
  readonly organization: string;
  readonly displayName: string;
  readonly displayDescription: string;
  readonly accountDescription: string;
}

/** `ac-lyon.fr` → `fr.ac-lyon`: the reverse-DNS prefix of the profile's identifier. */
function reverseDomain(domain: string): string {
  return domain.split(".").reverse().join(".");
}

/**
 * The unsigned profile (an XML property list) for one account: IMAP the preferred way, SMTP with the
 * same username and password. No password is in it: the device asks for it when installing.
 * @zone-eu/mobileconfig's template escapes every value.
 */
export function appleProfile(settings: MailClientSettings, account: Account, texts: ProfileTexts): string {
  const imap = settings.imap[0];
  const identifier = `${reverseDomain(settings.domain)}.sesame.messagerie.${account.username.replace(/[^A-Za-z0-9.-]/g, "-")}`;
  return mobileconfig.getEmailConfig({
    emailAddress: account.address,
    emailAccountName: `${account.holder.prenom} ${account.holder.nom}`.trim() || false,
    organization: texts.organization,
    identifier,
    displayName: texts.displayName,
    displayDescription: texts.displayDescription,
    accountName: texts.displayName,
    accountDescription: texts.accountDescription,
    imap: { hostname: imap.host, port: imap.port, secure: imap.security === "ssl", username: account.username },
    // `secure` is implicit TLS only: the device uses STARTTLS on its own when the server offers it.
    smtp: {
      hostname: settings.smtp.host,
      port: settings.smtp.port,
      secure: settings.smtp.security === "ssl",
      username: account.username,
    },
  });
}

/** The profile of an account as a download (the Assistance's « Mon compte » and the webmail's Paramètres). */
export function sendAppleProfile(
  reply: FastifyReply,
  config: Pick<Config, "academieName" | "mailDomain">,
  settings: MailClientSettings,
  account: Account,
): FastifyReply {
  const profile = appleProfile(settings, account, {
    organization: config.academieName,
    displayName: fr.mailClients.providerName(config.academieName),
    displayDescription: fr.mailClients.profileDescription(account.address),
    accountDescription: fr.mailClients.profileAccount(account.address),
  });
  return reply
    .header("Content-Disposition", `attachment; filename="messagerie-${config.mailDomain}.mobileconfig"`)
    .header("Cache-Control", "no-store")
    .type("application/x-apple-aspen-config")
    .send(profile);
}
