/**
 * Pages around one message, for its owner only (another account's message is a 404, as one that
 * does not exist):
 *
 * - `/mail/messages/:id/lien?url=…`: « Vous allez quitter la messagerie », which the links of a
 *   message whose sender warrants care go through (reading view and HTML frame). It only shows an
 *   http(s) link that the message itself holds, in its text or HTML body: anything else is a 400
 *   page, so the page can never send anyone elsewhere (no open redirect).
 * - `/mail/messages/:id/source`: the message as received, headers included, as text; and
 *   `/mail/messages/:id/message.eml`, the same bytes to download.
 * - `/mail/messages/:id/pieces-jointes/tout`: « Télécharger tout », the attachments the reading view
 *   lists as one ZIP file named after the subject (a message without any is a 404 too).
 */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { destinationParts, normalizeLink, unicodeDomain } from "../../mail/deceptive-links.js";
import type { Services } from "../../services.js";
import type { ClientAssets } from "../assets.js";
import { archiveName, attachmentsZip } from "../attachments-zip.js";
import { found, NotFoundError } from "../errors.js";
import { parseId } from "../forms.js";
import { frenchSize } from "../i18n/fr.js";
import { sendPage } from "../page.js";
import * as schemas from "../schemas/message-extras.schemas.js";
import { messageUrl } from "../urls.js";
import { LeavePage, LeaveRefusedPage, SourcePage } from "../views/message-extras.view.js";
import { contentDisposition } from "./mail.routes.js";
import { mailShell, webmailAccount } from "./mailbox.js";

export interface MessageExtrasRouteOptions {
  readonly services: Services;
  readonly assets?: ClientAssets;
}

/** The most of a message the source page shows; the rest is in the download. */
export const SOURCE_SHOWN_BYTES = 1024 * 1024;

/** The `:id` of the URL (404 for anything but an id). */
function idParam(req: { readonly params: { readonly id: string } }): number {
  const id = parseId(req.params.id);
  if (id === null) throw new NotFoundError("bad id in the URL");
  return id;
}

/** The bytes as UTF-8 when they are valid UTF-8, else as ISO-8859-1 (every byte is one character). */
export function sourceText(bytes: Buffer): { text: string; latin1: boolean } {
  try {
    return { text: new TextDecoder("utf-8", { fatal: true }).decode(bytes), latin1: false };
  } catch {
    return { text: bytes.toString("latin1"), latin1: true };
  }
}

export const messageExtrasRoutes: FastifyPluginAsyncTypebox<MessageExtrasRouteOptions> = async (
  app,
  { services, assets },
) => {
  const { mail } = services;

  app.get("/mail/messages/:id/lien", { schema: schemas.LeavePage }, async (req, reply) => {
    const accountId = webmailAccount(req, reply);
    if (accountId === null) return reply;
    const id = idParam(req);
    const links = await found(mail.links(accountId, id));
    const url = normalizeLink(req.query.url);
    const shell = await mailShell(services, assets, req, accountId);
    if (url === null || !links.urls.has(url)) {
      return sendPage(reply, <LeaveRefusedPage shell={shell} messageId={id} />, 400);
    }
    const parts = destinationParts(url);
    const unicode = unicodeDomain(parts.domain);
    reply.header("Referrer-Policy", "no-referrer");
    return sendPage(
      reply,
      <LeavePage shell={shell} vm={{ messageId: id, url, parts, unicodeDomain: unicode, flagged: links.flagged }} />,
    );
  });

  app.get("/mail/messages/:id/source", { schema: schemas.MessageSource }, async (req, reply) => {
    const accountId = webmailAccount(req, reply);
    if (accountId === null) return reply;
    const id = idParam(req);
    const raw = await found(mail.raw(accountId, id));
    const shown = raw.length > SOURCE_SHOWN_BYTES ? raw.subarray(0, SOURCE_SHOWN_BYTES) : raw;
    // A cut may split a UTF-8 sequence: decode whole, then cut, when the whole is UTF-8.
    const whole = sourceText(raw);
    const { text, latin1 } =
      shown === raw ? whole : whole.latin1 ? sourceText(shown) : { text: cutText(whole.text), latin1: false };
    const shell = await mailShell(services, assets, req, accountId);
    return sendPage(
      reply,
      <SourcePage
        shell={shell}
        vm={{
          messageId: id,
          text,
          latin1,
          truncated: shown === raw ? null : { shown: frenchSize(SOURCE_SHOWN_BYTES), total: frenchSize(raw.length) },
          downloadUrl: `${messageUrl(id)}/message.eml`,
        }}
      />,
    );
  });

  /** The message exactly as received, as a file (never shown by the browser). */
  app.get("/mail/messages/:id/message.eml", { schema: schemas.MessageSource }, async (req, reply) => {
    const accountId = webmailAccount(req, reply);
    if (accountId === null) return reply;
    const id = idParam(req);
    const raw = await found(mail.raw(accountId, id));
    return reply
      .header("Content-Type", "message/rfc822")
      .header("Content-Disposition", `attachment; filename="message-${id}.eml"`)
      .header("X-Content-Type-Options", "nosniff")
      .header("Content-Security-Policy", "default-src 'none'; sandbox; frame-ancestors 'none'")
      .header("Cache-Control", "private, no-store")
      .send(raw);
  });

  /** « Télécharger tout »: every listed attachment in one ZIP file, streamed (attachments-zip.ts). */
  app.get("/mail/messages/:id/pieces-jointes/tout", { schema: schemas.AllAttachments }, async (req, reply) => {
    const accountId = webmailAccount(req, reply);
    if (accountId === null) return reply;
    const id = idParam(req);
    const { subject, attachments } = await found(mail.attachmentsOf(accountId, id));
    return reply
      .header("Content-Type", "application/zip")
      .header("Content-Disposition", contentDisposition(archiveName(subject)))
      .header("X-Content-Type-Options", "nosniff")
      .header("Content-Security-Policy", "default-src 'none'; sandbox; frame-ancestors 'none'")
      .header("Cache-Control", "private, no-store")
      .send(attachmentsZip(attachments));
  });
};

/** The first `SOURCE_SHOWN_BYTES` characters' worth of a text, not splitting a surrogate pair. */
function cutText(text: string): string {
  let end = Math.min(text.length, SOURCE_SHOWN_BYTES);
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return text.slice(0, end);
}
