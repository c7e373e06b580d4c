/**
 * `/mail/contacts`: the personal address book (issue 6 §1) — list, add (also from a message's
 * sender), edit, delete, vCard import (pasted, or read from a file by the page script) and export —
 * and the JSON suggestions of the compose page. Thin: parse, call the contacts service, render.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import type { Services } from "../../services.js";
import { isDomainError } from "../../shared/errors.js";
import type { ClientAssets } from "../assets.js";
import { type FormBody, field, formBody } from "../forms.js";
import { contactsFr as t } from "../i18n/contacts.fr.js";
import { fr } from "../i18n/fr.js";
import { sendPage } from "../page.js";
import type { FieldErrors } from "../views/components.js";
import { type ContactForm, ContactsPage, EditContactPage } from "../views/contacts.view.js";
import type { MailShell } from "../views/mail.view.js";
import { mailShell, webmailAccount } from "./mailbox.js";

export interface ContactsRouteOptions {
  readonly services: Services;
  readonly assets?: ClientAssets;
}

/** A pasted vCard file may be much larger than a form field. */
const MAX_VCARD_CHARS = 2 * 1024 * 1024;

class NotFoundError extends Error {
  readonly statusCode = 404;
}

function idOf(req: FastifyRequest): number {
  const value = (req.params as Record<string, unknown>).id;
  if (typeof value !== "string" || !/^[1-9]\d{0,14}$/.test(value)) throw new NotFoundError("bad contact id");
  return Number(value);
}

/** Where to go back to after adding a sender from a message: a page of the mailbox only. */
function safeBack(value: string): string {
  return /^\/mail(\/[A-Za-z0-9/_-]*)?$/.test(value) ? value : "/mail/contacts";
}

const NOTICES = {
  ajoute: t.done.added,
  modifie: t.done.updated,
  supprime: t.done.removed,
} as const;

/** The field of a domain error from the contacts service, or null when it is not about a field. */
function fieldErrors(error: unknown): FieldErrors | null {
  for (const code of [
    "INVALID_EMAIL",
    "CONTACT_EXISTS",
    "HEADER_INJECTION",
    "VALIDATION_FAILED",
    "VCARD_INVALID",
  ] as const) {
    if (isDomainError(error, code)) {
      const name = typeof error.details.field === "string" ? error.details.field : "address";
      return { [name === "file" ? "vcard" : name]: [fr.codes[code]] };
    }
  }
  return null;
}

export const contactsRoutes: FastifyPluginAsync<ContactsRouteOptions> = async (app, { services, assets }) => {
  const { contacts } = services;

  const accountOf = webmailAccount;

  const shellOf = (req: FastifyRequest, accountId: number, notice?: MailShell["notice"]): Promise<MailShell> =>
    mailShell(services, assets, req, accountId, notice ? { notice } : {});

  const noticeOf = (query: FormBody): MailShell["notice"] => {
    const done = query.fait;
    if (typeof done === "string" && Object.hasOwn(NOTICES, done)) {
      return { kind: "success", text: NOTICES[done as keyof typeof NOTICES] };
    }
    if (done === "importe") {
      const n = (name: string) => Number.parseInt(String(query[name] ?? "0"), 10) || 0;
      return { kind: "success", text: t.done.imported(n("ajoutes"), n("presents"), n("invalides")) };
    }
    return undefined;
  };

  const listPage = async (
    req: FastifyRequest,
    reply: FastifyReply,
    accountId: number,
    extra: { form?: ContactForm; errors?: FieldErrors; importText?: string } = {},
    status = 200,
  ) => {
    const [shell, list] = await Promise.all([
      shellOf(req, accountId, noticeOf(req.query as FormBody)),
      contacts.list(accountId),
    ]);
    return sendPage(reply, <ContactsPage shell={shell} vm={{ contacts: list, ...extra }} />, status);
  };

  app.get("/mail/contacts", async (req, reply) => {
    const accountId = accountOf(req, reply);
    if (accountId === null) return reply;
    return listPage(req, reply, accountId);
  });

  app.post("/mail/contacts", async (req, reply) => {
    const accountId = accountOf(req, reply);
    if (accountId === null) return reply;
    const body = formBody(req.body);
    const form = { name: field(body, "name", 200), address: field(body, "address", 320) };
    const back = field(body, "retour", 200);
    if (form.address.trim() === "") {
      return listPage(req, reply, accountId, { form, errors: { address: [t.addressHint] } }, 400);
    }
    try {
      await contacts.add(accountId, form);
    } catch (error) {
      const errors = fieldErrors(error);
      if (!errors) throw error;
      // From a message ("Ajouter l'expéditeur aux contacts"): an address already there is no error.
      if (back !== "" && isDomainError(error, "CONTACT_EXISTS")) return reply.redirect(safeBack(back), 303);
      return listPage(req, reply, accountId, { form, errors }, isDomainError(error, "CONTACT_EXISTS") ? 409 : 400);
    }
    if (back !== "")
      return reply.redirect(`${safeBack(back)}${safeBack(back).includes("?") ? "&" : "?"}fait=contact`, 303);
    return reply.redirect("/mail/contacts?fait=ajoute", 303);
  });

  app.get("/mail/contacts/:id/modifier", async (req, reply) => {
    const accountId = accountOf(req, reply);
    if (accountId === null) return reply;
    const contact = await contacts.get(accountId, idOf(req)).catch((error: unknown) => {
      if (isDomainError(error, "NOT_FOUND")) throw new NotFoundError("no such contact");
      throw error;
    });
    return sendPage(reply, <EditContactPage shell={await shellOf(req, accountId)} contact={contact} />);
  });

  app.post("/mail/contacts/:id/modifier", async (req, reply) => {
    const accountId = accountOf(req, reply);
    if (accountId === null) return reply;
    const id = idOf(req);
    const body = formBody(req.body);
    const form = { name: field(body, "name", 200), address: field(body, "address", 320) };
    try {
      await contacts.update(accountId, id, form);
      return reply.redirect("/mail/contacts?fait=modifie", 303);
    } catch (error) {
      if (isDomainError(error, "NOT_FOUND")) throw new NotFoundError("no such contact");
      const errors = fieldErrors(error);
      if (!errors) throw error;
      const contact = await contacts.get(accountId, id);
      return sendPage(
        reply,
        <EditContactPage shell={await shellOf(req, accountId)} contact={contact} form={form} errors={errors} />,
        isDomainError(error, "CONTACT_EXISTS") ? 409 : 400,
      );
    }
  });

  app.post("/mail/contacts/:id/supprimer", async (req, reply) => {
    const accountId = accountOf(req, reply);
    if (accountId === null) return reply;
    await contacts.remove(accountId, idOf(req)).catch((error: unknown) => {
      if (isDomainError(error, "NOT_FOUND")) throw new NotFoundError("no such contact");
      throw error;
    });
    return reply.redirect("/mail/contacts?fait=supprime", 303);
  });

  app.post("/mail/contacts/importer", { bodyLimit: 3 * MAX_VCARD_CHARS }, async (req, reply) => {
    const accountId = accountOf(req, reply);
    if (accountId === null) return reply;
    const text = field(formBody(req.body), "vcard", MAX_VCARD_CHARS);
    if (text.trim() === "") return listPage(req, reply, accountId, { errors: { vcard: [t.importMissing] } }, 400);
    try {
      const r = await contacts.importVcard(accountId, text);
      return reply.redirect(
        `/mail/contacts?fait=importe&ajoutes=${r.added}&presents=${r.existing}&invalides=${r.invalid}`,
        303,
      );
    } catch (error) {
      const errors = fieldErrors(error);
      if (!errors) throw error;
      return listPage(req, reply, accountId, { errors, importText: text.slice(0, 20_000) }, 400);
    }
  });

  app.get("/mail/contacts/contacts.vcf", async (req, reply) => {
    const accountId = accountOf(req, reply);
    if (accountId === null) return reply;
    return reply
      .header("Content-Disposition", 'attachment; filename="contacts.vcf"')
      .header("Cache-Control", "no-store")
      .type("text/vcard; charset=utf-8")
      .send(await contacts.exportVcard(accountId));
  });

  /** Suggestions while typing À, Cc or Cci (JSON, called by the compose page's script). */
  app.get("/mail/contacts/suggestions", async (req, reply) => {
    if (req.session?.kind !== "webmail") return reply.code(401).send({ expired: true });
    const typed = field(req.query as FormBody, "q", 100);
    let list: Awaited<ReturnType<typeof contacts.suggest>>;
    try {
      list = await contacts.suggest(req.session.accountId, typed);
    } catch (error) {
      if (!isDomainError(error, "RATE_LIMITED")) throw error;
      // Too many in a minute: no suggestions, and the page's script says why (politely, once).
      const ms = typeof error.details.retryAfterMs === "number" ? error.details.retryAfterMs : 60_000;
      return reply
        .code(429)
        .header("Retry-After", String(Math.max(1, Math.ceil(ms / 1000))))
        .header("Cache-Control", "no-store")
        .send({ suggestions: [], message: t.suggestionsLimited });
    }
    return reply
      .header("Cache-Control", "no-store")
      .send({ suggestions: list.map((s) => ({ name: s.name, address: s.address, source: s.source })) });
  });
};
