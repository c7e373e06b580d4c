/**
 * `/mail/nouveau`: writing a message — new message, reply, reply all, forward inline
 * or as an attachment, drafts (saved on demand, automatically every 30 s with JavaScript, resumed
 * from Brouillons). Thin: read and check the form, call the send service, render or redirect.
 * Nothing is sent when anything is wrong: the form comes back with the error at its field and the
 * values typed.
 *
 * The compose form is the one multipart/form-data form of the site: @fastify/multipart is
 * registered in this plugin only (every other route keeps the strict urlencoded-only parser), with
 * the size limits of the configuration. Its text parts are turned into plain fields before the
 * schema is checked (the files are kept aside), so the CSRF check (plugins/security.ts) and the
 * handlers read the same body as from an urlencoded form.
 */
import multipart, { type MultipartFile } from "@fastify/multipart";
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { Static } from "@sinclair/typebox";
import type { FastifyReply, FastifyRequest } from "fastify";
import { simpleParser } from "mailparser";
import type { MessageView } from "../../mail/mail.types.js";
import {
  addressList,
  forwardedOf,
  forwardSubject,
  quoteOf,
  type ReplyWording,
  replyRecipients,
  replySubject,
} from "../../mail/reply.js";
import type { OutgoingAttachment, OutgoingMessage } from "../../mail/send.types.js";
import type { Services } from "../../services.js";
import { isDomainError } from "../../shared/errors.js";
import type { ClientAssets } from "../assets.js";
import { ERROR_ANSWERS, type FormErrors, formFailure, found, NotFoundError } from "../errors.js";
import { BadInputError, FORBIDDEN, parseId } from "../forms.js";
import { fr, frenchDateTime, frenchSize, frenchTime } from "../i18n/fr.js";
import { sendPage } from "../page.js";
import * as schemas from "../schemas/compose.schemas.js";
import { MAX_FILES } from "../schemas/compose.schemas.js";
import type { FieldErrors } from "../views/components.js";
import {
  type COMPOSE_LABELS,
  type ComposeForm,
  type ComposeMode,
  type ComposeModel,
  ComposePage,
  type DraftFile,
  EMPTY_FORM,
} from "../views/compose.view.js";
import type { MailShell } from "../views/mail.view.js";
import { mailShell, webmailAccount } from "./mailbox.js";

export interface ComposeRouteOptions {
  readonly services: Services;
  readonly assets?: ClientAssets;
}

const c = fr.compose;
const MAX_ADDRESS_CHARS = 100_000;
const MAX_SUBJECT_CHARS = 900;
const MAX_BODY_CHARS = 500_000;
/** The rich-text body (optional, sanitized by the send service). */
const MAX_HTML_CHARS = 1_000_000;

/** The `garder` checkboxes: indexes of the draft's attachments to keep (a few small numbers: see the schema). */
function keptIndexes(value: string | readonly string[] | undefined): number[] {
  const list = value === undefined ? [] : typeof value === "string" ? [value] : value;
  return [...new Set(list.map(Number))].sort((x, y) => x - y);
}

/** An optional id field: "" is none (anything but an id or "" is refused by the schema). */
function optionalId(value: string): number | null {
  return value === "" ? null : parseId(value);
}

// File names: no path, no control, bidirectional or zero-width characters.
// biome-ignore lint/suspicious/noControlCharactersInRegex: the point is to refuse control characters
const BAD_FILENAME = /[/\\\u0000-\u001F\u007F-\u009F\u200B-\u200F\u202A-\u202E\u2066-\u2069\uFEFF\uFFFD]/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: shown in an error message, cleaned
const UNSHOWABLE = /[\u0000-\u001F\u007F-\u009F\u200B-\u200F\u202A-\u202E\u2066-\u2069\uFEFF]/g;

/** A file name as an error message may show it: the unsafe characters replaced, bounded. */
function showable(name: string): string {
  const clean = name.replace(UNSHOWABLE, "\uFFFD");
  return clean.length > 80 ? `${clean.slice(0, 79)}…` : clean;
}

/** One uploaded file, read with the request (the bytes beyond the limit are not kept). */
interface Upload {
  readonly filename: string;
  readonly contentType: string;
  readonly content: Buffer;
  readonly tooLarge: boolean;
}

/** The uploads of a multipart request, kept aside from the body (which only carries text fields). */
const uploadsOf = new WeakMap<FastifyRequest, Upload[]>();

/** The text fields of a multipart request that the parser cut at its size limit. */
const truncatedOf = new WeakMap<FastifyRequest, Set<string>>();

/** A part of a multipart body as the plugin attaches it (`{ type: "field", value }` for a text field). */
function isPart(item: unknown): item is { readonly type: unknown; readonly value?: unknown; valueTruncated?: unknown } {
  return typeof item === "object" && item !== null && "type" in item;
}

/**
 * The text fields of a multipart body as an urlencoded form has them (one value, or several for a
 * repeated name); the file parts are left out (`uploadsOf`). A value that is not text stays as it
 * is, for the schema to refuse.
 */
function flatFields(req: FastifyRequest, body: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = Object.create(null);
  const truncated = new Set<string>();
  truncatedOf.set(req, truncated);
  if (typeof body !== "object" || body === null) return out;
  for (const [name, entry] of Object.entries(body)) {
    const values: unknown[] = [];
    for (const item of Array.isArray(entry) ? entry : [entry]) {
      if (!isPart(item) || item.type !== "field") continue;
      if (item.valueTruncated) truncated.add(name);
      values.push(item.value);
    }
    if (values.length === 1) out[name] = values[0];
    else if (values.length > 1) out[name] = values;
  }
  return out;
}

/** A long text field: its value, or the French error to show at it. */
function longText(
  value: string,
  name: string,
  max: number,
  truncated: ReadonlySet<string>,
): { value: string; error?: string } {
  if (value.length > max || truncated.has(name)) return { value: value.slice(0, max), error: fr.errors.tooLong };
  if (FORBIDDEN.test(value)) return { value: value.replace(FORBIDDEN, ""), error: fr.errors.invalidChars };
  return { value };
}

// The service's field names → the form's.
const FORM_FIELD: Readonly<Record<string, keyof typeof COMPOSE_LABELS>> = {
  to: "a",
  cc: "cc",
  bcc: "cci",
  subject: "objet",
  text: "message",
  html: "message",
  attachments: "pieces-jointes",
};

type Failure = { readonly errors: FieldErrors; readonly formError?: string };

/** The form's field of a send-service error: the field the service names, else `fallback`. */
const at =
  (fallback: keyof typeof COMPOSE_LABELS) =>
  ({ field }: { readonly field?: string | undefined }): string =>
    field !== undefined && field in FORM_FIELD ? (FORM_FIELD[field] ?? fallback) : fallback;

/** Where the form shows the send service's errors (the others go at its top, with the table's text). */
function composeErrors(withFiles: boolean): FormErrors {
  return {
    INVALID_RECIPIENTS: {
      field: at("a"),
      text: ({ invalid = [] }) => {
        const shown = invalid.map(showable);
        const list = shown.length > 0 ? ` ${c.invalidAddresses(shown.slice(0, 10).join(", "))}` : "";
        return `${ERROR_ANSWERS.INVALID_RECIPIENTS.text}${list}`;
      },
    },
    NO_RECIPIENT: { field: at("a") },
    TOO_MANY_RECIPIENTS: { field: at("a") },
    RECIPIENT_UNKNOWN: { field: at("a") },
    HEADER_INJECTION: { field: at("objet") },
    ATTACHMENT_TOO_LARGE: { field: at("pieces-jointes") },
    MESSAGE_TOO_LARGE: { field: at(withFiles ? "pieces-jointes" : "message") },
    SENDING_LIMIT: {
      text: ({ retryAt }) => `${ERROR_ANSWERS.SENDING_LIMIT.text} ${c.sendingLimitUntil(frenchTime(retryAt))}`,
    },
  };
}

/** A domain error of the send service as the form shows it (NOT_FOUND is a 404); other errors go on up. */
function failureOf(error: unknown, withFiles: boolean): Failure {
  if (!isDomainError(error)) throw error;
  if (error.code === "NOT_FOUND") throw new NotFoundError(error.message);
  return formFailure(error, composeErrors(withFiles)) ?? { errors: {}, formError: ERROR_ANSWERS[error.code].text };
}

/** How the webmail words answers and forwards (the rules are mail/reply.ts's). */
export const REPLY_WORDING: ReplyWording = {
  replyPrefix: c.replyPrefix,
  forwardPrefix: c.forwardPrefix,
  quoteIntro: c.quoteIntro,
  forwardHeader: c.forwardHeader,
  forwardFrom: c.forwardFrom,
  forwardDate: c.forwardDate,
  forwardSubject: c.forwardSubject,
  forwardTo: c.forwardTo,
  unknownSender: fr.mail.unknownSender,
  dateTime: frenchDateTime,
};

/** The form prefilled to answer or forward `m` (`self`: the writer's own address, left out of "reply all"). */
export function prefill(mode: ComposeMode, m: MessageView, self: string): ComposeForm {
  if (mode === "reply" || mode === "replyAll") {
    const { to, cc } = replyRecipients(m, self, mode === "replyAll");
    return {
      ...EMPTY_FORM,
      a: addressList(to),
      cc: addressList(cc),
      objet: replySubject(m.subject, REPLY_WORDING),
      message: quoteOf(m, REPLY_WORDING),
      reponseA: m.id,
    };
  }
  if (mode === "forward")
    return { ...EMPTY_FORM, objet: forwardSubject(m.subject, REPLY_WORDING), message: forwardedOf(m, REPLY_WORDING) };
  return { ...EMPTY_FORM, objet: forwardSubject(m.subject, REPLY_WORDING), transfertJoint: m.id };
}

export const composeRoutes: FastifyPluginAsyncTypebox<ComposeRouteOptions> = async (app, { services, assets }) => {
  const { config, mail } = services;
  const maxSize = frenchSize(config.mailMaxBytes);

  // Only in this plugin: the multipart parser, with files read into memory up to the limit.
  await app.register(multipart, {
    attachFieldsToBody: true,
    throwFileSizeLimit: false,
    // The name as sent (a crafted `../` is refused at the field, not silently cut to its last part).
    preservePath: true,
    limits: {
      fileSize: config.mailMaxBytes,
      files: MAX_FILES,
      // The text fields, the draft's "Conserver" checkboxes (one per kept file) and the rich text.
      fields: 24 + MAX_FILES,
      fieldSize: MAX_BODY_CHARS * 4,
      parts: 2 * MAX_FILES + 24,
      headerPairs: 200,
    },
    async onFile(this: FastifyRequest, part: MultipartFile) {
      const uploads = uploadsOf.get(this) ?? [];
      uploadsOf.set(this, uploads);
      const chunks: Buffer[] = [];
      let total = uploads.reduce((sum, u) => sum + u.content.length, 0);
      let over = false;
      for await (const chunk of part.file) {
        // A file part's stream yields Buffers (busboy sets no encoding).
        const bytes: Buffer = chunk;
        total += bytes.length;
        if (total > config.mailMaxBytes) over = true;
        if (!over) chunks.push(bytes);
      }
      uploads.push({
        // An empty file input sends a part with `filename=""`, which arrives as no name at all.
        filename: part.filename ?? "",
        contentType: part.mimetype || "application/octet-stream",
        content: over ? Buffer.alloc(0) : Buffer.concat(chunks),
        tooLarge: over || part.file.truncated,
      });
    },
  });
  // After the plugin's own hook has read the parts: the text fields as plain fields, for the schema.
  app.addHook("preValidation", async (req) => {
    if (req.isMultipart()) req.body = flatFields(req, req.body);
  });

  const accountOf = webmailAccount;

  const shellOf = (accountId: number, req: FastifyRequest, notice?: MailShell["notice"]) =>
    mailShell(services, assets, req, accountId, notice ? { notice } : {});

  const page = (reply: FastifyReply, shell: MailShell, vm: Omit<ComposeModel, "maxSize" | "maxFiles">, status = 200) =>
    sendPage(reply, <ComposePage shell={shell} vm={{ ...vm, maxSize, maxFiles: MAX_FILES }} />, status);

  const open = (accountId: number, id: number): Promise<MessageView> =>
    found(mail.open(accountId, id, { markSeen: false }));

  /** A message of Brouillons (404 for any other). */
  const openDraft = async (accountId: number, id: number): Promise<MessageView> => {
    const m = await open(accountId, id);
    const drafts = await mail.folderByRole(accountId, "drafts");
    if (m.folderId !== drafts.id) throw new NotFoundError("not a draft");
    return m;
  };

  /** The draft being edited, or null when it is gone (sent or deleted from another tab). */
  const draftOrNull = async (accountId: number, id: number): Promise<MessageView | null> => {
    try {
      return await openDraft(accountId, id);
    } catch (error) {
      if (error instanceof NotFoundError) return null;
      throw error;
    }
  };

  const draftFilesOf = (m: MessageView): DraftFile[] =>
    m.attachments.map((a) => ({ index: a.index, filename: a.filename, sizeBytes: a.sizeBytes }));

  /** The draft's attachments at `indexes`, read back from the stored draft (NOT_FOUND → 404). */
  const keptFiles = async (accountId: number, draftId: number, indexes: readonly number[]) => {
    const files = await found(Promise.all(indexes.map((i) => mail.attachment(accountId, draftId, i))));
    return files.map(
      (f): OutgoingAttachment => ({ filename: f.filename, contentType: f.contentType, content: f.content }),
    );
  };

  /** A draft to resume: its fields (Bcc read from the stored headers: the view does not carry it) and files. */
  const draftForm = async (
    accountId: number,
    id: number,
  ): Promise<{ form: ComposeForm; files: DraftFile[]; richHtml: string }> => {
    const m = await openDraft(accountId, id);
    // A draft saved from the rich-text editor has an HTML part: the editor gets it back.
    const richHtml = m.hasHtml
      ? services.send.editableHtml((await mail.htmlBody(accountId, id, { allowRemote: false })).html)
      : "";
    const files = draftFilesOf(m);
    const raw = await mail.raw(accountId, id);
    const end = raw.indexOf("\r\n\r\n");
    const headers = await simpleParser(end === -1 ? raw : raw.subarray(0, end + 4), { skipHtmlToText: true });
    const bcc = headers.bcc ? (Array.isArray(headers.bcc) ? headers.bcc : [headers.bcc]) : [];
    const bccList = bcc.flatMap((a) => a.value).map((v) => ({ name: v.name ?? "", address: v.address ?? "" }));
    const form: ComposeForm = {
      ...EMPTY_FORM,
      a: addressList(m.toList),
      cc: addressList(m.ccList),
      cci: addressList(bccList.filter((b) => b.address !== "")),
      objet: m.subject,
      message: (m.text ?? "").replace(/\r\n?/g, "\n"),
      brouillon: m.id,
      garder: files.map((f) => f.index),
    };
    return { form, files, richHtml };
  };

  // The compose page: `?repondre=`, `?repondre-a-tous=`, `?transferer=`, `?transferer-en-piece-jointe=`,
  // `?brouillon=` (with `&enregistre` after a save), or a blank message.
  app.get("/mail/nouveau", { schema: schemas.ComposePage }, async (req, reply) => {
    const accountId = accountOf(req, reply);
    if (accountId === null) return reply;
    const q = req.query;
    const saved = q.enregistre !== undefined;
    const shell = await shellOf(accountId, req, saved ? { kind: "success", text: c.draftSaved } : undefined);
    const modes: [keyof typeof q, ComposeMode][] = [
      ["repondre", "reply"],
      ["repondre-a-tous", "replyAll"],
      ["transferer", "forward"],
      ["transferer-en-piece-jointe", "forwardAttached"],
      ["brouillon", "draft"],
    ];
    for (const [param, mode] of modes) {
      const value = q[param];
      if (value === undefined) continue;
      const id = parseId(value);
      if (id === null) throw new NotFoundError(`bad ${param}`);
      if (mode === "draft") {
        const { form, files, richHtml } = await draftForm(accountId, id);
        return page(reply, shell, { mode, form, draftFiles: files, ...(richHtml ? { richHtml } : {}) });
      }
      const m = await open(accountId, id);
      const form = prefill(mode, m, shell.account.address);
      const answering = mode === "reply" || mode === "replyAll";
      return page(reply, shell, {
        mode,
        form,
        ...(answering && m.repliesGoTo.length > 0 ? { repliesGoTo: m.repliesGoTo } : {}),
        ...(mode === "forwardAttached" ? { attachedSubject: m.subject || fr.mail.noSubject } : {}),
      });
    }
    // A new message starts with the signature, below the usual "-- " line.
    const { signature } = await services.settings.get(accountId);
    const message = signature === "" ? "" : `\n\n-- \n${signature}`;
    return page(reply, shell, { mode: "new", form: { ...EMPTY_FORM, message } });
  });

  /** The form as posted: its values, the field errors found before any service call, the files. */
  const readForm = (req: FastifyRequest & { readonly body: Static<typeof schemas.ComposeBody> }) => {
    const body = req.body;
    const truncated = truncatedOf.get(req) ?? new Set<string>();
    const errors: Record<string, string[]> = {};
    const text = (name: "a" | "cc" | "cci" | "objet" | "message", max: number) => {
      const r = longText(body[name], name, max, truncated);
      if (r.error) errors[name] = [r.error];
      return r.value;
    };
    const form: ComposeForm = {
      a: text("a", MAX_ADDRESS_CHARS),
      cc: text("cc", MAX_ADDRESS_CHARS),
      cci: text("cci", MAX_ADDRESS_CHARS),
      objet: text("objet", MAX_SUBJECT_CHARS),
      message: text("message", MAX_BODY_CHARS),
      reponseA: optionalId(body["reponse-a"]),
      transfertJoint: optionalId(body["transfert-joint"]),
      brouillon: optionalId(body.brouillon),
      garder: keptIndexes(body.garder),
    };
    if (form.garder.length > 0 && form.brouillon === null) throw new BadInputError("garder without brouillon");
    // The rich-text mode's HTML (never shown back: the plain text in Message carries the words).
    const rich = longText(body.html, "html", MAX_HTML_CHARS, truncated);
    if (rich.error && !errors.message) errors.message = [rich.error];
    const html = rich.value.trim() === "" ? undefined : rich.value;
    // A file input left empty still sends one part with no name and no bytes.
    const uploads = (uploadsOf.get(req) ?? []).filter((u) => !(u.filename === "" && u.content.length === 0));
    const fileErrors: string[] = [];
    if (uploads.length + form.garder.length > MAX_FILES) fileErrors.push(c.tooManyFiles(MAX_FILES));
    let total = 0;
    for (const u of uploads) {
      total += u.content.length;
      if (u.filename === "" || u.filename.length > 255 || BAD_FILENAME.test(u.filename) || /^\.+$/.test(u.filename)) {
        fileErrors.push(c.fileBadName(showable(u.filename)));
      } else if (u.tooLarge) {
        fileErrors.push(c.fileTooLarge(showable(u.filename), maxSize));
      } else if (u.content.length === 0) {
        fileErrors.push(c.fileEmpty(showable(u.filename)));
      }
    }
    if (fileErrors.length === 0 && total > config.mailMaxBytes) fileErrors.push(c.filesTooLarge(maxSize));
    if (fileErrors.length > 0) errors["pieces-jointes"] = [...new Set(fileErrors)];
    const attachments: OutgoingAttachment[] = uploads.map((u) => ({
      filename: u.filename,
      contentType: u.contentType,
      content: u.content,
    }));
    return { form, errors, attachments, html };
  };

  const outgoing = (
    form: ComposeForm,
    attachments: readonly OutgoingAttachment[],
    html: string | undefined,
  ): OutgoingMessage => ({
    to: form.a,
    cc: form.cc,
    bcc: form.cci,
    subject: form.objet,
    text: form.message.replace(/\r\n?/g, "\n"),
    ...(html !== undefined ? { html } : {}),
    attachments,
    ...(form.reponseA !== null ? { inReplyTo: form.reponseA } : {}),
    ...(form.transfertJoint !== null ? { forwardAttached: form.transfertJoint } : {}),
    ...(form.brouillon !== null ? { draftId: form.brouillon } : {}),
  });

  const modeOf = (form: ComposeForm): ComposeMode =>
    form.brouillon !== null
      ? "draft"
      : form.reponseA !== null
        ? "reply"
        : form.transfertJoint !== null
          ? "forwardAttached"
          : "new";

  // "Envoyer" and "Enregistrer le brouillon".
  app.post("/mail/nouveau", { schema: schemas.Send }, async (req, reply) => {
    const accountId = accountOf(req, reply);
    if (accountId === null) return reply;
    const { form, errors, attachments, html } = readForm(req);
    const action = req.body.action || "envoyer";
    const withFiles = attachments.length + form.garder.length > 0;
    // The draft written from (still there when the form comes back): its files, offered again.
    const draft = form.brouillon !== null ? await draftOrNull(accountId, form.brouillon) : null;
    const draftFiles = draft ? draftFilesOf(draft) : undefined;
    const again = async (failure: Failure) => {
      const shell = await shellOf(accountId, req);
      let attachedSubject: string | undefined;
      if (form.transfertJoint !== null) attachedSubject = (await open(accountId, form.transfertJoint)).subject;
      return page(
        reply,
        shell,
        {
          mode: modeOf(form),
          form,
          errors: failure.errors,
          ...(failure.formError ? { formError: failure.formError } : {}),
          ...(attachments.length > 0 ? { reattach: true } : {}),
          ...(html !== undefined ? { richHtml: services.send.editableHtml(html) } : {}),
          ...(draftFiles ? { draftFiles } : {}),
          ...(attachedSubject !== undefined ? { attachedSubject: attachedSubject || fr.mail.noSubject } : {}),
        },
        400,
      );
    };
    if (form.garder.length > 0 && draft === null) errors["pieces-jointes"] = [c.draftFilesGone];
    if (Object.keys(errors).length > 0) return again({ errors });
    const kept = draft ? await keptFiles(accountId, draft.id, form.garder) : [];
    const message = outgoing(form, [...kept, ...attachments], html);
    if (action === "brouillon") {
      let draftId: number;
      try {
        draftId = await services.send.saveDraft(accountId, message, form.brouillon ?? undefined);
      } catch (error) {
        return again(failureOf(error, withFiles));
      }
      return reply.redirect(`/mail/nouveau?brouillon=${draftId}&enregistre`, 303);
    }
    try {
      const result = await services.send.send(accountId, message, {
        ip: req.ip,
        userAgent: String(req.headers["user-agent"] ?? "").slice(0, 300),
      });
      const queued = result.queued.length;
      return reply.redirect(queued > 0 ? `/mail?fait=envoye&n=${queued}` : "/mail?fait=envoye", 303);
    } catch (error) {
      return again(failureOf(error, withFiles));
    }
  });

  // The automatic save (JavaScript, every 30 s): the text fields, answered in JSON.
  app.post("/mail/brouillons/enregistrer", { schema: schemas.Autosave }, async (req, reply) => {
    reply.header("Cache-Control", "no-store");
    if (req.session?.kind !== "webmail") {
      const expired = ERROR_ANSWERS.SESSION_EXPIRED;
      return reply.code(expired.status).send({ error: expired.text });
    }
    const accountId = req.session.accountId;
    const { form, errors, html } = readForm(req);
    const first = Object.entries(errors)[0];
    if (first) return reply.code(400).send({ error: first[1][0], field: first[0] });
    try {
      // No files travel with it: every attachment of the previous version is carried over, in
      // order (the page's "Conserver" indexes stay valid; unchecked ones go at the next save or send).
      let carried: OutgoingAttachment[] = [];
      const previous = form.brouillon !== null ? await draftOrNull(accountId, form.brouillon) : null;
      if (previous)
        carried = await keptFiles(
          accountId,
          previous.id,
          draftFilesOf(previous).map((f) => f.index),
        );
      const draftId = await services.send.saveDraft(
        accountId,
        outgoing(form, carried, html),
        form.brouillon ?? undefined,
      );
      return reply.send({ draftId, message: c.draftSavedAt(frenchTime(services.clock.now())) });
    } catch (error) {
      const failure = failureOf(error, false);
      const [name, list] = Object.entries(failure.errors)[0] ?? [];
      return reply.code(400).send({ error: list?.[0] ?? failure.formError ?? c.draftNotSaved, field: name });
    }
  });
};
