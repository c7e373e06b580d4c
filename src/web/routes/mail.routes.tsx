/**
 * `/mail`: the webmail behind the sign-in — folder lists,
 * actions on messages, folder management, the reading view with its sandboxed HTML frame and
 * attachment downloads, and search. Thin: parse and validate, call the mail service, render.
 * Another account's message or folder is a 404, exactly like one that does not exist.
 */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { Static } from "@sinclair/typebox";
import type { FastifyReply } from "fastify";
import { isFlagged } from "../../mail/deceptive-links.js";
import {
  FRAME_SANDBOX,
  frameContentSecurityPolicy,
  frameDocument,
  GUARDED_FRAME_SANDBOX,
} from "../../mail/html-sanitizer.js";
import type { ConversationPage, Folder, MessagePage, SearchQuery } from "../../mail/mail.types.js";
import type { Services } from "../../services.js";
import { isDomainError } from "../../shared/errors.js";
import type { ClientAssets } from "../assets.js";
import { parisMidnight, parseDay } from "../dates.js";
import { type FormErrors, formFailure, found, NotFoundError } from "../errors.js";
import { BadInputError, parseId, type WithQuery } from "../forms.js";
import { fr } from "../i18n/fr.js";
import { sendFragment, sendPage } from "../page.js";
import * as schemas from "../schemas/mail.schemas.js";
import { folderUrl, messageUrl, ROLE_PATHS, safeBack, withoutParam, withParams } from "../urls.js";
import type { FieldErrors } from "../views/components.js";
import {
  DeleteFolderPage,
  EmptyTrashPage,
  FolderPage,
  folderLabel,
  leaveUrl,
  type MailShell,
  ManageFoldersPage,
  type MessageListModel,
  MessageReading,
  type ReadingModel,
  ReadingPage,
  RenameFolderPage,
  type SearchForm,
  SearchPage,
} from "../views/mail.view.js";
import { mailShell, webmailAccount } from "./mailbox.js";

export interface MailRouteOptions {
  readonly services: Services;
  readonly assets?: ClientAssets;
}

const t = fr.mail;

/** The `:id` of the URL (404 for anything but an id). */
function idParam(req: { readonly params: { readonly id: string } }): number {
  const id = parseId(req.params.id);
  if (id === null) throw new NotFoundError("bad id in the URL");
  return id;
}

/** The checked messages: one `ids` value or several (ids, a few pages' worth: see the schema). */
function idList(value: string | readonly string[] | undefined): number[] {
  const list = value === undefined ? [] : typeof value === "string" ? [value] : value;
  return [...new Set(list.map(Number))];
}

/** The keyset cursor of a list page (`?avant=`, an id or nothing: see the schema). */
function cursorOf(query: { readonly avant: string }): number | null {
  return query.avant === "" ? null : Number(query.avant);
}

/** Where the folder forms (create, rename) show the service's errors: at the name or at the parent. */
const FOLDER_ERRORS: FormErrors = {
  INVALID_FOLDER_NAME: { field: "nom" },
  FOLDER_EXISTS: { field: "nom" },
  FOLDER_PROTECTED: { field: "parent" },
  NOT_FOUND: { field: "parent", text: t.folderUnknown, status: 400 },
  // Too deep a nesting, or too many folders.
  VALIDATION_FAILED: { field: "parent", text: t.folderLimit },
};

type DoneKey = keyof typeof fr.mail.done;
const ERRORS = { selection: t.noSelection, destination: t.noDestination } as const;

/** The notice a page shows after a redirect (`?fait=…&n=…`, `?erreur=…`), from known keys only. */
function noticeOf(query: Static<typeof schemas.NoticeQuery>): MailShell["notice"] {
  const error = query.erreur;
  if (typeof error === "string" && error in ERRORS) {
    return { kind: "error", text: ERRORS[error as keyof typeof ERRORS] };
  }
  const done = query.fait;
  if (typeof done === "string" && Object.hasOwn(t.done, done)) {
    const n = parseId(query.n) ?? 0;
    return { kind: "success", text: t.done[done as DoneKey](n) };
  }
  if (query["mot-de-passe-modifie"] !== undefined) return { kind: "success", text: fr.password.changed };
  return undefined;
}

// Actions on messages: the button's value → the service call and the notice.
const DONE_OF: Record<schemas.Action, DoneKey> = {
  lu: "lus",
  "non-lu": "non-lus",
  suivre: "suivis",
  "ne-plus-suivre": "non-suivis",
  deplacer: "deplaces",
  supprimer: "supprimes",
  signaler: "signales",
  "pas-indesirable": "non-indesirables",
};

// Attachments: the declared type when a browser cannot run it, else a plain download.
const SAFE_TYPE =
  /^(?:image\/(?:png|jpeg|gif|webp|bmp|avif|tiff)|(?:audio|video)\/[a-z0-9][a-z0-9.+-]*|text\/(?:plain|csv|calendar)|application\/(?:pdf|zip|gzip|x-7z-compressed|x-tar|x-rar-compressed|msword|rtf|vnd\.[a-z0-9][a-z0-9.+-]*))$/;

export function downloadType(declared: string): string {
  const type = (declared.split(";")[0] ?? "").trim().toLowerCase();
  if (!SAFE_TYPE.test(type)) return "application/octet-stream";
  // Office formats are zipped XML, but a vendor type naming XML, HTML or script could be rendered.
  if (
    /xml|html|script/.test(type) &&
    !/^application\/vnd\.(?:openxmlformats-officedocument|oasis\.opendocument|ms-)/.test(type)
  ) {
    return "application/octet-stream";
  }
  return type.startsWith("text/") ? `${type}; charset=utf-8` : type;
}

/** RFC 6266 / 5987: an ASCII fallback name, and the exact name in UTF-8. */
export function contentDisposition(filename: string): string {
  const ascii =
    filename
      .normalize("NFD")
      .replace(/[\u0300-\u036f]/g, "")
      .replace(/[^\x20-\x7e]|["\\%;]/g, "_")
      .trim() || "piece-jointe";
  const encoded = encodeURIComponent(filename).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}

export const mailRoutes: FastifyPluginAsyncTypebox<MailRouteOptions> = async (app, { services, assets }) => {
  const { mail } = services;

  /** The signed-in webmail account, or null after redirecting (forced change, expired, none). */
  const accountOf = webmailAccount;

  /** What every mail page shows around its content: account, folders with counts, quota. */
  const shellOf = async (
    req: WithQuery<typeof schemas.NoticeQuery>,
    accountId: number,
    currentFolderId: number | null = null,
  ): Promise<MailShell> => {
    const notice = noticeOf(req.query);
    return mailShell(services, assets, req, accountId, { currentFolderId, ...(notice ? { notice } : {}) });
  };

  const listModel = (
    shell: MailShell,
    folder: Folder | null,
    page: MessagePage | ConversationPage,
    base: string,
    cursor: number | null,
    emptyText: string,
    openId: number | null,
  ): MessageListModel => ({
    items: page.items,
    folders: shell.folders,
    folder,
    back: cursor === null ? base : withParams(base, { avant: String(cursor) }),
    olderHref: page.nextCursor === null ? null : withParams(base, { avant: String(page.nextCursor) }),
    newestHref: cursor === null ? null : base,
    emptyText,
    now: services.clock.now(),
    pane: shell.display?.readingPane !== "off",
    openId,
    showSize: shell.display?.showSize === true,
  });

  /**
   * An open message as the reading view shows it (and marked read): in the pane beside a list
   * (`?lire=`), on its own page, or as the pane's fragment for the page's script.
   */
  const readingOf = async (
    accountId: number,
    id: number,
    folders: readonly Folder[],
    allowRemote: boolean,
    threadExpanded: boolean,
  ): Promise<ReadingModel> => {
    const message = await found(mail.open(accountId, id));
    return {
      message,
      folder: folders.find((f) => f.id === message.folderId) ?? null,
      // Whether remote content was held back decides the "Afficher les images distantes" notice.
      ...(message.hasHtml
        ? {
            html: {
              frameSrc: `${messageUrl(id)}/contenu${allowRemote ? "?images=1" : ""}`,
              blocked: !allowRemote && message.remoteContentBlocked,
              allowed: allowRemote,
            },
          }
        : {}),
      sandbox: isFlagged(message.warnings) ? GUARDED_FRAME_SANDBOX : FRAME_SANDBOX,
      now: services.clock.now(),
      threadExpanded,
    };
  };

  /** The message of `?lire=` for a list page with the pane on (a 404 when it is not the account's). */
  const paneReading = async (
    shell: MailShell,
    accountId: number,
    query: { readonly lire: string; readonly images?: unknown },
  ): Promise<ReadingModel | null> => {
    if (query.lire === "" || shell.display?.readingPane === "off") return null;
    return readingOf(
      accountId,
      Number(query.lire),
      shell.folders,
      query.images === "1",
      shell.display?.groupByConversation === true,
    );
  };

  /** A folder's page: its messages (or conversations), newest first, 50 at a time; the pane. */
  const folderPage = async (
    req: WithQuery<typeof schemas.ListQuery>,
    reply: FastifyReply,
    accountId: number,
    pick: (folders: readonly Folder[]) => Folder | undefined,
  ) => {
    const cursor = cursorOf(req.query);
    const probe = await shellOf(req, accountId);
    const folder = pick(probe.folders);
    if (!folder) throw new NotFoundError("no such folder");
    const reading = await paneReading(probe, accountId, req.query);
    const grouped = probe.display?.groupByConversation === true;
    const page = await found(
      grouped ? mail.listConversations(accountId, folder.id, cursor) : mail.list(accountId, folder.id, cursor),
    );
    // Opening the message marked it read: the frame's counts are read again after it.
    const shell = { ...(reading ? await shellOf(req, accountId) : probe), currentFolderId: folder.id };
    const current = shell.folders.find((f) => f.id === folder.id) ?? folder;
    const list = listModel(shell, current, page, folderUrl(folder), cursor, t.empty, reading?.message.id ?? null);
    return sendPage(reply, <FolderPage shell={shell} vm={{ folder: current, list, reading }} />);
  };

  app.get("/mail", { schema: schemas.Folder }, async (req, reply) => {
    const accountId = accountOf(req, reply);
    if (accountId === null) return reply;
    return folderPage(req, reply, accountId, (folders) => folders.find((f) => f.role === "inbox"));
  });

  for (const [role, url] of Object.entries(ROLE_PATHS)) {
    if (role === "inbox") continue;
    app.get(url, { schema: schemas.Folder }, async (req, reply) => {
      const accountId = accountOf(req, reply);
      if (accountId === null) return reply;
      return folderPage(req, reply, accountId, (folders) => folders.find((f) => f.role === role));
    });
  }

  app.get("/mail/dossiers/:id", { schema: schemas.FolderById }, async (req, reply) => {
    const accountId = accountOf(req, reply);
    if (accountId === null) return reply;
    const id = idParam(req);
    return folderPage(req, reply, accountId, (folders) => folders.find((f) => f.id === id));
  });

  // The list's form and the reading view's form: one action on the checked messages.
  app.post("/mail/actions", { schema: schemas.Actions }, async (req, reply) => {
    const accountId = accountOf(req, reply);
    if (accountId === null) return reply;
    const body = req.body;
    // A folder chosen in a « Déplacer vers » menu is a move there.
    const to = parseId(body.vers);
    const action = to !== null ? "deplacer" : body.action;
    if (action === undefined) throw new BadInputError("no action chosen");
    const fromMessage = parseId(body.message);
    // Nothing checked in the list while a message is open in the pane: the open message.
    const checked = idList(body.ids);
    const ids = checked.length === 0 && fromMessage !== null ? [fromMessage] : checked;
    const back = safeBack(body.retour);
    const fromScript = req.headers["x-csrf-token"] !== undefined;
    const refuse = (erreur: keyof typeof ERRORS) =>
      fromScript ? reply.code(400).send({ error: ERRORS[erreur] }) : reply.redirect(withParams(back, { erreur }), 303);
    if (ids.length === 0) return refuse("selection");
    let changed: number;
    if (action === "lu" || action === "non-lu") {
      changed = await mail.setFlags(accountId, ids, { seen: action === "lu" });
    } else if (action === "suivre" || action === "ne-plus-suivre") {
      changed = await mail.setFlags(accountId, ids, { flagged: action === "suivre" });
    } else if (action === "deplacer") {
      const destination = to ?? parseId(body.destination);
      if (destination === null) return refuse("destination");
      changed = await found(mail.move(accountId, ids, destination));
    } else if (action === "signaler" || action === "pas-indesirable") {
      // « Signaler un filoutage » (to Indésirables, sent to the abuse address), or back to the inbox.
      const by = { actor: "web:webmail", ip: req.ip };
      changed = await found(
        action === "signaler"
          ? services.reports.report(accountId, ids, by)
          : services.reports.notJunk(accountId, ids, by),
      );
    } else {
      changed = await mail.remove(accountId, ids);
    }
    if (fromScript) return reply.header("Cache-Control", "no-store").send({ changed });
    // Following or reading a message keeps it open (on its page, or in the pane: `lire` in `retour`);
    // a message that left the folder closes the pane.
    // (Marked unread, it closes too: opening it again would read it again.)
    const open = new URL(back, "http://sesame.invalid").searchParams.get("lire");
    const staysOpen = action === "suivre" || action === "ne-plus-suivre" || action === "lu";
    let target = back;
    if (open !== null && !staysOpen && ids.includes(Number(open))) target = withoutParam(back, "lire");
    else if (open === null && fromMessage !== null && staysOpen) target = messageUrl(fromMessage);
    return reply.redirect(withParams(target, { fait: DONE_OF[action], n: String(changed) }), 303);
  });

  // "Vider la corbeille": a confirmation page first (works without JavaScript).
  app.get("/mail/corbeille/vider", { schema: schemas.WithNotice }, async (req, reply) => {
    const accountId = accountOf(req, reply);
    if (accountId === null) return reply;
    const shell = await shellOf(req, accountId);
    const trash = shell.folders.find((f) => f.role === "trash");
    if (!trash) throw new NotFoundError("no trash");
    return sendPage(reply, <EmptyTrashPage shell={{ ...shell, currentFolderId: trash.id }} trash={trash} />);
  });

  app.post("/mail/corbeille/vider", async (req, reply) => {
    const accountId = accountOf(req, reply);
    if (accountId === null) return reply;
    const removed = await mail.emptyTrash(accountId);
    return reply.redirect(withParams(ROLE_PATHS.trash, { fait: "corbeille-videe", n: String(removed) }), 303);
  });

  // Folder management.
  const manage = async (
    req: WithQuery<typeof schemas.NoticeQuery>,
    reply: FastifyReply,
    accountId: number,
    vm: { errors?: FieldErrors; name?: string; parentId?: number | null } = {},
    status = 200,
  ) => sendPage(reply, <ManageFoldersPage shell={await shellOf(req, accountId)} vm={vm} />, status);

  app.get("/mail/dossiers", { schema: schemas.WithNotice }, async (req, reply) => {
    const accountId = accountOf(req, reply);
    if (accountId === null) return reply;
    return manage(req, reply, accountId);
  });

  /** A folder error said at the name (or parent) field, with its status. */
  const folderError = (error: unknown): { status: number; errors: FieldErrors } => {
    const failure = formFailure(error, FOLDER_ERRORS);
    if (!failure) throw error;
    return failure;
  };

  app.post("/mail/dossiers", { schema: schemas.CreateFolder }, async (req, reply) => {
    const accountId = accountOf(req, reply);
    if (accountId === null) return reply;
    const { nom: name, parent: parentRaw } = req.body;
    const parentId = parentRaw === "" ? null : parseId(parentRaw);
    if (parentRaw !== "" && parentId === null) {
      return manage(req, reply, accountId, { name, errors: { parent: [t.folderUnknown] } }, 400);
    }
    if (name.trim() === "") {
      return manage(req, reply, accountId, { name, parentId, errors: { nom: [t.folderNameMissing] } }, 400);
    }
    try {
      await mail.createFolder(accountId, name.trim(), parentId);
    } catch (error) {
      const { status, errors } = folderError(error);
      return manage(req, reply, accountId, { name, parentId, errors }, status);
    }
    return reply.redirect("/mail/dossiers?fait=dossier-cree", 303);
  });

  const folderFor = async (
    req: WithQuery<typeof schemas.NoticeQuery> & { params: { id: string } },
    accountId: number,
  ) => {
    const id = idParam(req);
    const shell = await shellOf(req, accountId);
    const folder = shell.folders.find((f) => f.id === id);
    if (!folder) throw new NotFoundError("no such folder");
    return { shell, folder };
  };

  app.get("/mail/dossiers/:id/renommer", { schema: schemas.FolderPage }, async (req, reply) => {
    const accountId = accountOf(req, reply);
    if (accountId === null) return reply;
    const { shell, folder } = await folderFor(req, accountId);
    return sendPage(reply, <RenameFolderPage shell={shell} folder={folder} />, folder.role ? 409 : 200);
  });

  app.post("/mail/dossiers/:id/renommer", { schema: schemas.RenameFolder }, async (req, reply) => {
    const accountId = accountOf(req, reply);
    if (accountId === null) return reply;
    const id = idParam(req);
    const name = req.body.nom;
    let failure: { status: number; errors: FieldErrors } | undefined;
    if (name.trim() === "") failure = { status: 400, errors: { nom: [t.folderNameMissing] } };
    else {
      try {
        await found(mail.renameFolder(accountId, id, name.trim()));
      } catch (error) {
        if (error instanceof NotFoundError) throw error;
        // A special folder: the page says so in place of the form.
        failure = isDomainError(error, "FOLDER_PROTECTED") ? { status: 409, errors: {} } : folderError(error);
      }
    }
    if (!failure) return reply.redirect("/mail/dossiers?fait=dossier-renomme", 303);
    const { shell, folder } = await folderFor(req, accountId);
    return sendPage(
      reply,
      <RenameFolderPage shell={shell} folder={folder} name={name} errors={failure.errors} />,
      failure.status,
    );
  });

  /** The folder, how many subfolders go with it and how many messages go to the Corbeille. */
  const deletion = (folders: readonly Folder[], folder: Folder) => {
    const inside = new Set([folder.id]);
    for (const f of folders) if (f.parentId !== null && inside.has(f.parentId)) inside.add(f.id);
    const all = folders.filter((f) => inside.has(f.id));
    return { subfolders: all.length - 1, total: all.reduce((sum, f) => sum + f.total, 0) };
  };

  app.get("/mail/dossiers/:id/supprimer", { schema: schemas.FolderPage }, async (req, reply) => {
    const accountId = accountOf(req, reply);
    if (accountId === null) return reply;
    const { shell, folder } = await folderFor(req, accountId);
    return sendPage(
      reply,
      <DeleteFolderPage shell={shell} folder={folder} {...deletion(shell.folders, folder)} />,
      folder.role ? 409 : 200,
    );
  });

  app.post("/mail/dossiers/:id/supprimer", { schema: schemas.FolderPage }, async (req, reply) => {
    const accountId = accountOf(req, reply);
    if (accountId === null) return reply;
    const id = idParam(req);
    try {
      await found(mail.deleteFolder(accountId, id));
    } catch (error) {
      if (!isDomainError(error, "FOLDER_PROTECTED")) throw error;
      const { shell, folder } = await folderFor(req, accountId);
      return sendPage(
        reply,
        <DeleteFolderPage shell={shell} folder={folder} {...deletion(shell.folders, folder)} />,
        409,
      );
    }
    return reply.redirect("/mail/dossiers?fait=dossier-supprime", 303);
  });

  // Reading: on a page of its own (the pane off, or a link from elsewhere).
  app.get("/mail/messages/:id", { schema: schemas.ReadMessage }, async (req, reply) => {
    const accountId = accountOf(req, reply);
    if (accountId === null) return reply;
    const id = idParam(req);
    const probe = await shellOf(req, accountId);
    const reading = await readingOf(accountId, id, probe.folders, req.query.images === "1", false);
    // Opened, so read: the frame's counts are read after it.
    const shell = await shellOf(req, accountId, reading.message.folderId);
    return sendPage(reply, <ReadingPage shell={shell} vm={reading} />);
  });

  /**
   * The reading pane's content alone, for the page's script (the list stays, the URL changes to the
   * list's with `?lire=`): the same view as the server-rendered pane.
   */
  app.get("/mail/messages/:id/volet", { schema: schemas.PaneFragment }, async (req, reply) => {
    const accountId = accountOf(req, reply);
    if (accountId === null) return reply;
    const id = idParam(req);
    const shell = await shellOf(req, accountId);
    const reading = await readingOf(
      accountId,
      id,
      shell.folders,
      req.query.images === "1",
      shell.display?.groupByConversation === true,
    );
    const back = safeBack(req.query.retour, reading.folder ? folderUrl(reading.folder) : "/mail");
    const listFolder = shell.folders.find((f) => folderUrl(f) === new URL(back, "http://sesame.invalid").pathname);
    return sendFragment(
      reply,
      <MessageReading
        shell={shell}
        vm={reading}
        level={2}
        back={back}
        backName={listFolder ? folderLabel(listFolder) : t.resultsTitle}
        self={withParams(back, { lire: String(id) })}
      />,
    );
  });

  /** The sanitized HTML body, for the sandboxed frame of the reading view only. */
  app.get("/mail/messages/:id/contenu", { schema: schemas.MessageFrame }, async (req, reply) => {
    const accountId = accountOf(req, reply);
    if (accountId === null) return reply;
    const id = idParam(req);
    const allowRemote = req.query.images === "1";
    // A flagged message's links go through « Vous allez quitter la messagerie » (message-extras.routes.tsx).
    const body = await found(mail.htmlBody(accountId, id, { allowRemote, guardLink: (href) => leaveUrl(id, href) }));
    return reply
      .header("Content-Security-Policy", frameContentSecurityPolicy(allowRemote, body.guardedLinks === true))
      .header("X-Frame-Options", "SAMEORIGIN")
      .header("Cache-Control", "no-store")
      .type("text/html; charset=utf-8")
      .send(frameDocument(body));
  });

  app.get("/mail/messages/:id/pieces-jointes/:index", { schema: schemas.Attachment }, async (req, reply) => {
    const accountId = accountOf(req, reply);
    if (accountId === null) return reply;
    const id = idParam(req);
    const raw = req.params.index;
    const index = raw === "0" ? 0 : parseId(raw);
    if (index === null) throw new NotFoundError("bad attachment index");
    const attachment = await found(mail.attachment(accountId, id, index));
    return reply
      .header("Content-Type", downloadType(attachment.contentType))
      .header("Content-Disposition", contentDisposition(attachment.filename))
      .header("X-Content-Type-Options", "nosniff")
      .header("Content-Security-Policy", "default-src 'none'; sandbox; frame-ancestors 'none'")
      .header("Cache-Control", "private, no-store")
      .send(attachment.content);
  });

  // Search.
  app.get("/mail/recherche", { schema: schemas.Search }, async (req, reply) => {
    const accountId = accountOf(req, reply);
    if (accountId === null) return reply;
    const q = req.query;
    const form: SearchForm = {
      q: q.q,
      de: q.de,
      a: q.a,
      objet: q.objet,
      du: q.du,
      au: q.au,
      pj: q.pj === "1",
      dossier: q.dossier,
    };
    const cursor = cursorOf(q);
    const shell = await shellOf(req, accountId);
    const errors: Record<string, string[]> = {};
    const since = parseDay(form.du);
    const until = parseDay(form.au);
    const dateError = (v: "format" | "impossible") => (v === "format" ? t.dateFormat : t.dateImpossible);
    if (typeof since === "string") errors.du = [dateError(since)];
    if (typeof until === "string") errors.au = [dateError(until)];
    if (since && until && typeof since !== "string" && typeof until !== "string") {
      if (parisMidnight(until) < parisMidnight(since)) errors.au = [t.dateOrder];
    }
    const folderId = form.dossier === "" ? null : parseId(form.dossier);
    if (form.dossier !== "" && (folderId === null || !shell.folders.some((f) => f.id === folderId))) {
      errors.dossier = [t.folderUnknown];
    }
    if (Object.keys(errors).length > 0) {
      return sendPage(reply, <SearchPage shell={shell} vm={{ form, errors }} />, 400);
    }
    const query: SearchQuery = {
      ...(form.q.trim() ? { text: form.q.trim() } : {}),
      ...(form.de.trim() ? { from: form.de.trim() } : {}),
      ...(form.a.trim() ? { to: form.a.trim() } : {}),
      ...(form.objet.trim() ? { subject: form.objet.trim() } : {}),
      ...(since && typeof since !== "string" ? { since: parisMidnight(since) } : {}),
      ...(until && typeof until !== "string" ? { until: parisMidnight(until, 1) } : {}),
      ...(form.pj ? { hasAttachment: true } : {}),
      ...(folderId !== null ? { folderId } : {}),
    };
    const asked = Object.keys(query).some((k) => k !== "folderId");
    if (!asked) return sendPage(reply, <SearchPage shell={shell} vm={{ form }} />);
    const reading = await paneReading(shell, accountId, q);
    const page = await mail.search(accountId, query, cursor);
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(form)) {
      if (value === true) params.set(name, "1");
      else if (typeof value === "string" && value !== "") params.set(name, value);
    }
    const base = `/mail/recherche?${params.toString()}`;
    const results = listModel(shell, null, page, base, cursor, "", reading?.message.id ?? null);
    return sendPage(reply, <SearchPage shell={shell} vm={{ form, results, reading }} />);
  });
};
