/**
 * The documents mail clients fetch to configure themselves, public and sessionless: Thunderbird's
 * autoconfig (GET, `?emailaddress=` optional) and Outlook's POX Autodiscover (POST of a small XML
 * request). Their clients read XML, not pages: the answers and the refusals are XML or one line of
 * text, never the HTML error page. An address of another domain, or not an address, is a 404; an
 * address of the mail domain gets the same settings whether or not an account has it.
 * (The account page's Apple profile, which needs the account, is with the account page.)
 */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { FastifyError, FastifyReply } from "fastify";
import type { Services } from "../../services.js";
import { fr } from "../i18n/fr.js";
import {
  AUTODISCOVER_MAX_BYTES,
  addressOfDomain,
  autoconfigXml,
  autodiscoverErrorXml,
  autodiscoverXml,
  mailClientSettings,
  OUTLOOK_RESPONSE_SCHEMA,
  readAutodiscoverRequest,
} from "../mail-clients.js";
import * as schemas from "../schemas/mail-clients.schemas.js";
import { MAIL_CLIENT_PATHS } from "../urls.js";

export interface MailClientsRouteOptions {
  readonly services: Services;
}

/** The one line a refusal says (the client shows it at most; nobody reads a page here). */
function refusalText(status: number): string {
  if (status === 404) return fr.errors.notFoundTitle;
  if (status === 413) return fr.errors.tooLargeTitle;
  if (status === 415) return fr.errors.unsupportedTitle;
  if (status >= 400 && status < 500) return fr.errors.badRequestTitle;
  return fr.errors.serverTitle;
}

export const mailClientsRoutes: FastifyPluginAsyncTypebox<MailClientsRouteOptions> = async (app, { services }) => {
  const { config } = services;
  const settings = mailClientSettings(config);
  // The same for every address of the domain (the username is Thunderbird's placeholder): made once.
  const autoconfig = autoconfigXml(settings, {
    displayName: fr.mailClients.providerName(config.academieName),
    displayShortName: config.academieName,
  });

  const sendXml = (reply: FastifyReply, body: string) =>
    reply.code(200).header("Cache-Control", "no-store").type("application/xml; charset=utf-8").send(body);
  const refuse = (reply: FastifyReply, status: number) =>
    reply.code(status).header("Cache-Control", "no-store").type("text/plain; charset=utf-8").send(refusalText(status));

  // This plugin's own context (not fastify-plugin): the XML parser and the error handler below apply
  // to its routes only; every other route keeps the urlencoded forms and the French error pages.
  app.addContentTypeParser(
    ["text/xml", "application/xml"],
    { parseAs: "string", bodyLimit: AUTODISCOVER_MAX_BYTES },
    (_req, body, done) => done(null, body),
  );
  app.setErrorHandler((error: FastifyError, req, reply) => {
    const status = error.statusCode !== undefined && error.statusCode >= 400 ? error.statusCode : 500;
    if (status >= 500) req.log.error({ err: error }, "request failed");
    else req.log.info({ code: error.code, status, reason: error.message }, "request refused");
    return refuse(reply, status);
  });

  for (const url of MAIL_CLIENT_PATHS.autoconfig) {
    app.get(url, { schema: schemas.Autoconfig, config: { sessionless: true } }, async (req, reply) => {
      const asked = req.query.emailaddress;
      if (asked !== undefined && addressOfDomain(asked, settings.domain) === null) return refuse(reply, 404);
      return sendXml(reply, autoconfig);
    });
  }

  for (const url of MAIL_CLIENT_PATHS.autodiscover) {
    app.post(url, { schema: schemas.Autodiscover, config: { sessionless: true } }, async (req, reply) => {
      const request = readAutodiscoverRequest(req.body);
      if (!request.ok) return refuse(reply, 400);
      // Exchange's answer to a schema it does not provide (ActiveSync's, for one): error 601.
      if (request.responseSchema !== null && request.responseSchema !== OUTLOOK_RESPONSE_SCHEMA) {
        return sendXml(reply, autodiscoverErrorXml(601, "Provider is not available"));
      }
      const address = addressOfDomain(request.emailAddress, settings.domain);
      if (address === null) return refuse(reply, 404);
      return sendXml(reply, autodiscoverXml(settings, address));
    });
  }
};
