/**
 * `/mail/contacts`: the personal address book — list, add (also from a message's
 * sender), edit, delete, vCard import (pasted, or read from a file by the page script) and export —
 * and the JSON suggestions of the compose page. Thin: parse, call the contacts service, render.
 */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { Static } from "@sinclair/typebox";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { Services } from "../../services.js";
import { isDomainError } from "../../shared/errors.js";
import type { ClientAssets } from "../assets.js";
import { type FormErrors, type FormFailure, formFailure, NotFoundError } from "../errors.js";
import { parseId, type WithQuery } from "../forms.js";
import { contactsFr as t } from "../i18n/contacts.fr.js";
import { sendPage } from "../page.js";
import * as schemas from "../schemas/contacts.schemas.js";
import { safeBack, withParams } from "../urls.js";
import type { FieldErrors } from "../views/components.js";
import { type ContactForm, ContactsPage, EditContactPage } from "../views/contacts.view.js";
import type { MailShell } from "../views/mail.view.js";
import { mailShell, webmailAccount } from "./mailbox.js";

export interface ContactsRouteOptions {
  readonly services: Services;
  readonly assets?: ClientAssets;
}

function idOf(params: Static<typeof schemas.ContactParams>): number {
  const id = parseId(params.id);
  if (id === null) throw new NotFoundError("bad contact id");
  return id;
}

const NOTICES = {
  ajoute: t.done.added,
  modifie: t.done.updated,
  supprime: t.done.removed,
} as const;

/** The form's field of a contacts-service error: the field it names (the file is the vCard field), else the address. */
const contactField = ({ field = "address" }: { readonly field?: string | undefined }) =>
  field === "file" ? "vcard" : field;

/** The contacts service's errors about a field, shown at it; any other goes on to the error handler. */
const CONTACT_ERRORS: FormErrors = {
  INVALID_EMAIL: { field: contactField },
  CONTACT_EXISTS: { field: contactField },
  HEADER_INJECTION: { field: contactField },
  VALIDATION_FAILED: { field: contactField },
  VCARD_INVALID: { field: contactField },
};

function contactFailure(error: unknown): FormFailure {
  const failure = formFailure(error, CONTACT_ERRORS);
  if (!failure) throw error;
  return failure;
}

export const contactsRoutes: FastifyPluginAsyncTypebox<ContactsRouteOptions> = async (app, { services, assets }) => {
  const { contacts } = services;

  const accountOf = webmailAccount;

  const shellOf = (req: FastifyRequest, accountId: number, notice?: MailShell["notice"]): Promise<MailShell> =>
    mailShell(services, assets, req, accountId, notice ? { notice } : {});

  const noticeOf = (query: Static<typeof schemas.ContactsQuery>): MailShell["notice"] => {
    const done = query.fait;
    if (typeof done === "string" && Object.hasOwn(NOTICES, done)) {
      return { kind: "success", text: NOTICES[done as keyof typeof NOTICES] };
    }
    if (done === "importe") {
      const n = (name: keyof typeof query) => Number.parseInt(String(query[name] ?? "0"), 10) || 0;
      return { kind: "success", text: t.done.imported(n("ajoutes"), n("presents"), n("invalides")) };
    }
    return undefined;
  };

  const listPage = async (
    req: WithQuery<typeof schemas.ContactsQuery>,
    reply: FastifyReply,
    accountId: number,
    extra: { form?: ContactForm; errors?: FieldErrors; importText?: string } = {},
    status = 200,
  ) => {
    const [shell, list] = await Promise.all([shellOf(req, accountId, noticeOf(req.query)), contacts.list(accountId)]);
    return sendPage(reply, <ContactsPage shell={shell} vm={{ contacts: list, ...extra }} />, status);
  };

  app.get("/mail/contacts", { schema: schemas.ListContacts }, async (req, reply) => {
    const accountId = accountOf(req, reply);
    if (accountId === null) return reply;
    return listPage(req, reply, accountId);
  });

  app.post("/mail/contacts", { schema: schemas.AddContact }, async (req, reply) => {
    const accountId = accountOf(req, reply);
    if (accountId === null) return reply;
    const { name, address, retour: back } = req.body;
    const form = { name, address };
    if (form.address.trim() === "") {
      return listPage(req, reply, accountId, { form, errors: { address: [t.addressHint] } }, 400);
    }
    try {
      await contacts.add(accountId, form);
    } catch (error) {
      const { status, errors } = contactFailure(error);
      // From a message ("Ajouter l'expéditeur aux contacts"): an address already there is no error.
      if (back !== "" && isDomainError(error, "CONTACT_EXISTS")) {
        return reply.redirect(safeBack(back, "/mail/contacts"), 303);
      }
      return listPage(req, reply, accountId, { form, errors }, status);
    }
    if (back !== "") return reply.redirect(withParams(safeBack(back, "/mail/contacts"), { fait: "contact" }), 303);
    return reply.redirect("/mail/contacts?fait=ajoute", 303);
  });

  app.get("/mail/contacts/:id/modifier", { schema: schemas.ShowContact }, async (req, reply) => {
    const accountId = accountOf(req, reply);
    if (accountId === null) return reply;
    const contact = await contacts.get(accountId, idOf(req.params)).catch((error: unknown) => {
      if (isDomainError(error, "NOT_FOUND")) throw new NotFoundError("no such contact");
      throw error;
    });
    return sendPage(reply, <EditContactPage shell={await shellOf(req, accountId)} contact={contact} />);
  });

  app.post("/mail/contacts/:id/modifier", { schema: schemas.EditContact }, async (req, reply) => {
    const accountId = accountOf(req, reply);
    if (accountId === null) return reply;
    const id = idOf(req.params);
    const form = { name: req.body.name, address: req.body.address };
    try {
      await contacts.update(accountId, id, form);
      return reply.redirect("/mail/contacts?fait=modifie", 303);
    } catch (error) {
      if (isDomainError(error, "NOT_FOUND")) throw new NotFoundError("no such contact");
      const { status, errors } = contactFailure(error);
      const contact = await contacts.get(accountId, id);
      return sendPage(
        reply,
        <EditContactPage shell={await shellOf(req, accountId)} contact={contact} form={form} errors={errors} />,
        status,
      );
    }
  });

  app.post("/mail/contacts/:id/supprimer", { schema: schemas.ShowContact }, async (req, reply) => {
    const accountId = accountOf(req, reply);
    if (accountId === null) return reply;
    await contacts.remove(accountId, idOf(req.params)).catch((error: unknown) => {
      if (isDomainError(error, "NOT_FOUND")) throw new NotFoundError("no such contact");
      throw error;
    });
    return reply.redirect("/mail/contacts?fait=supprime", 303);
  });

  // A pasted vCard may be much larger than a form: a body limit of its own.
  const importing = { bodyLimit: schemas.IMPORT_LIMIT, schema: schemas.ImportContacts };
  app.post("/mail/contacts/importer", importing, async (req, reply) => {
    const accountId = accountOf(req, reply);
    if (accountId === null) return reply;
    const text = req.body.vcard;
    if (text.trim() === "") return listPage(req, reply, accountId, { errors: { vcard: [t.importMissing] } }, 400);
    try {
      const r = await contacts.importVcard(accountId, text);
      return reply.redirect(
        `/mail/contacts?fait=importe&ajoutes=${r.added}&presents=${r.existing}&invalides=${r.invalid}`,
        303,
      );
    } catch (error) {
      const { status, errors } = contactFailure(error);
      return listPage(req, reply, accountId, { errors, importText: text.slice(0, 20_000) }, status);
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
  app.get("/mail/contacts/suggestions", { schema: schemas.ContactSuggestions }, async (req, reply) => {
    if (req.session?.kind !== "webmail") return reply.code(401).send({ expired: true });
    const typed = req.query.q;
    let list: Awaited<ReturnType<typeof contacts.suggest>>;
    try {
      list = await contacts.suggest(req.session.accountId, typed);
    } catch (error) {
      if (!isDomainError(error, "RATE_LIMITED")) throw error;
      // Too many in a minute: no suggestions, and the page's script says why (politely, once).
      const ms = error.details.retryAfterMs;
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
