/**
 * The console's administration pages (`/console/admin/…`, role `admin`; 404 for anyone else): the
 * HR import from the browser (upload, dry run, apply as a background job with its progress page),
 * the establishments with their functional accounts, the outbound queue (retry, cancel), and the
 * running configuration with its secrets masked. Thin: parse, call AdminService, render.
 *
 * The upload is the one multipart form of the console: its file is streamed to a private file by
 * the parser registered here (never held in memory, cut at IMPORT_MAX_BYTES), after the form's
 * text fields (the CSRF token comes first in the form), and removed when the request is refused.
 */
import multipart, { type MultipartFile } from "@fastify/multipart";
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { FastifyReply, FastifyRequest } from "fastify";
import {
  type AdminAgent,
  AdminService,
  IMPORT_MAX_BYTES,
  ImportFileRefused,
  type ImportJob,
  isImportKind,
  type ReceivedFile,
} from "../../console/admin.service.js";
import { isDomainError } from "../../shared/errors.js";
import { NotFoundError } from "../errors.js";
import { parseId } from "../forms.js";
import { adminFr } from "../i18n/console-admin.fr.js";
import { sendPage } from "../page.js";
import * as schemas from "../schemas/console-admin.schemas.js";
import type { FieldErrors } from "../views/components.js";
import {
  ConfigPage,
  EstablishmentsPage,
  ImportJobPage,
  ImportPage,
  type JobModel,
  QueuePage,
  type UploadModel,
} from "../views/console-admin.view.js";
import { type ConsoleRouteOptions, consoleAccess, consoleActor, type SignedIn } from "./console-access.js";

const t = adminFr;
const PER_PAGE = 50;

/** The file of an upload request, once streamed to disk, and whether a job took it. */
const receivedOf = new WeakMap<FastifyRequest, { file: ReceivedFile; claimed: boolean }>();

export const adminConsoleRoutes: FastifyPluginAsyncTypebox<ConsoleRouteOptions> = async (app, options) => {
  const { services } = options;
  const { ctx, userOf } = consoleAccess(options);
  const admin = new AdminService({
    config: services.config,
    database: services.database,
    clock: services.clock,
    audit: services.audit,
    outboundQueue: services.outboundQueue,
    onError: (error) => app.log.error({ err: error }, "a console import failed"),
  });
  const fileNames = new WeakMap<FastifyRequest, string>();

  await app.register(multipart, {
    attachFieldsToBody: "keyValues",
    throwFileSizeLimit: false,
    limits: { fileSize: IMPORT_MAX_BYTES, files: 1, fields: 8, fieldSize: 1024, parts: 10, headerPairs: 100 },
    async onFile(this: FastifyRequest, part: MultipartFile) {
      // Only a console session may leave a file on disk, and only one per request.
      // An empty file input sends a part without a name: no file chosen.
      const none = !part.filename;
      if (none || this.consoleSession?.kind !== "console" || receivedOf.has(this) || part.fieldname !== "fichier") {
        // Read and dropped: the parser needs the part consumed to go on.
        for await (const _ of part.file) {
          /* discarded */
        }
        return;
      }
      const file = await admin.receive(part.file, () => part.file.truncated);
      receivedOf.set(this, { file, claimed: false });
      fileNames.set(this, part.filename ?? "");
      (part as MultipartFile & { value?: unknown }).value = "";
    },
  });
  // A file no import took (a refused CSRF token, a wrong kind, a 404…) is removed before the answer goes.
  app.addHook("onSend", async (req, _reply, payload) => {
    const received = receivedOf.get(req);
    if (received && !received.claimed) {
      received.claimed = true;
      await admin.forget(received.file);
    }
    return payload;
  });

  const agentOf = (signedIn: SignedIn): AdminAgent => ({
    actor: consoleActor(signedIn.user),
    sessionHash: signedIn.session.idHash,
  });

  const uploadPage = (
    req: FastifyRequest,
    reply: FastifyReply,
    signedIn: SignedIn,
    vm: Omit<UploadModel, "maxBytes">,
    status = 200,
  ) =>
    sendPage(
      reply,
      <ImportPage ctx={ctx(req)} user={signedIn.user} vm={{ ...vm, maxBytes: IMPORT_MAX_BYTES }} />,
      status,
    );

  const jobPage = (req: FastifyRequest, reply: FastifyReply, signedIn: SignedIn, vm: JobModel, status = 200) =>
    sendPage(reply, <ImportJobPage ctx={ctx(req)} user={signedIn.user} vm={vm} />, status);

  app.get("/console/admin/import", { schema: schemas.ImportForm }, async (req, reply) => {
    const signedIn = await userOf(req, reply, "admin");
    if (!signedIn) return reply;
    const notice = req.query.fait === "abandonne" ? t.discarded : undefined;
    return uploadPage(req, reply, signedIn, { kind: "", full: false, ...(notice ? { notice } : {}) });
  });

  app.post("/console/admin/import", { schema: schemas.Upload }, async (req, reply) => {
    const signedIn = await userOf(req, reply, "admin");
    if (!signedIn) return reply;
    const kind = req.body.kind;
    const full = req.body.full === "1";
    const received = receivedOf.get(req);
    const errors: Record<string, string[]> = {};
    if (!isImportKind(kind)) errors.kind = [t.kindMissing];
    if (!received) errors.fichier = [t.fileMissing];
    const back = { kind: isImportKind(kind) ? kind : ("" as const), full };
    if (!isImportKind(kind) || !received) return uploadPage(req, reply, signedIn, { ...back, errors }, 400);
    received.claimed = true;
    try {
      const job = await admin.upload(agentOf(signedIn), {
        kind,
        full,
        fileName: fileNames.get(req) ?? "",
        received: received.file,
      });
      return reply.redirect(`/console/admin/import/${job.id}`, 303);
    } catch (error) {
      if (!(error instanceof ImportFileRefused)) throw error;
      const text = {
        too_large: t.fileTooLarge(IMPORT_MAX_BYTES),
        empty: t.fileEmpty,
        encoding: t.fileEncoding(error.encoding ?? ""),
        not_csv: t.fileNotCsv(t.columns[kind]),
      }[error.problem];
      const fileErrors: FieldErrors = { fichier: [text] };
      return uploadPage(
        req,
        reply,
        signedIn,
        { ...back, errors: fileErrors },
        error.problem === "too_large" ? 413 : 400,
      );
    }
  });

  const jobOf = (signedIn: SignedIn, id: string): ImportJob | null => admin.job(agentOf(signedIn), id);

  app.get("/console/admin/import/:id", { schema: schemas.JobPage }, async (req, reply) => {
    const signedIn = await userOf(req, reply, "admin");
    if (!signedIn) return reply;
    const job = jobOf(signedIn, req.params.id);
    reply.header("cache-control", "no-store");
    return jobPage(req, reply, signedIn, { job }, job ? 200 : 404);
  });

  /** The job's state as JSON, for the progress page's script (no JavaScript: « Actualiser »). */
  app.get("/console/admin/import/:id/etat", { schema: schemas.JobPage }, async (req, reply) => {
    const signedIn = await userOf(req, reply, "admin");
    if (!signedIn) return reply;
    const job = jobOf(signedIn, req.params.id);
    if (!job) throw new NotFoundError("no such import");
    reply.header("cache-control", "no-store");
    return { state: job.state, progress: job.progress, size: job.size };
  });

  app.post("/console/admin/import/:id/appliquer", { schema: schemas.Apply }, async (req, reply) => {
    const signedIn = await userOf(req, reply, "admin");
    if (!signedIn) return reply;
    const job = jobOf(signedIn, req.params.id);
    if (!job) return jobPage(req, reply, signedIn, { job: null }, 404);
    const force = req.body.force === "1";
    if (job.dryRun?.refused === "too_many_departures" && !force) {
      return jobPage(req, reply, signedIn, { job, errors: { force: [t.forceMissing] } }, 400);
    }
    try {
      admin.apply(agentOf(signedIn), job, force);
    } catch (error) {
      if (!isDomainError(error, "CONFLICT")) throw error;
      return jobPage(req, reply, signedIn, { job, formError: t.busy }, 409);
    }
    return reply.redirect(`/console/admin/import/${job.id}`, 303);
  });

  app.post("/console/admin/import/:id/abandonner", { schema: schemas.Discard }, async (req, reply) => {
    const signedIn = await userOf(req, reply, "admin");
    if (!signedIn) return reply;
    const job = jobOf(signedIn, req.params.id);
    if (job) await admin.discard(job);
    return reply.redirect("/console/admin/import?fait=abandonne", 303);
  });

  app.get("/console/admin/etablissements", { schema: schemas.Establishments }, async (req, reply) => {
    const signedIn = await userOf(req, reply, "admin");
    if (!signedIn) return reply;
    const query = typeof req.query.q === "string" ? req.query.q.slice(0, 200) : "";
    const asked = parseId(req.query.page) ?? 1;
    const first = await admin.establishments(query, 1, PER_PAGE);
    const pages = Math.max(1, Math.ceil(first.total / PER_PAGE));
    const page = Math.min(Math.max(1, asked), pages);
    const { total, rows } = page === 1 ? first : await admin.establishments(query, page, PER_PAGE);
    return sendPage(
      reply,
      <EstablishmentsPage ctx={ctx(req)} user={signedIn.user} vm={{ query, page, pages, total, rows }} />,
    );
  });

  const queuePage = async (
    req: FastifyRequest,
    reply: FastifyReply,
    signedIn: SignedIn,
    said: { notice?: string; error?: string },
    status = 200,
  ) =>
    sendPage(
      reply,
      <QueuePage
        ctx={ctx(req)}
        user={signedIn.user}
        rows={await admin.queue()}
        notice={said.notice}
        error={said.error}
      />,
      status,
    );

  app.get("/console/admin/file-envoi", { schema: schemas.Queue }, async (req, reply) => {
    const signedIn = await userOf(req, reply, "admin");
    if (!signedIn) return reply;
    const fait = req.query.fait;
    const notice = fait === "reessaye" ? t.retried : fait === "annule" ? t.cancelled : undefined;
    return queuePage(req, reply, signedIn, notice ? { notice } : {});
  });

  for (const [segment, act, done] of [
    ["reessayer", (a: AdminAgent, id: number) => admin.retry(a, id), "reessaye"],
    ["annuler", (a: AdminAgent, id: number) => admin.cancel(a, id), "annule"],
  ] as const) {
    app.post(`/console/admin/file-envoi/:id/${segment}`, { schema: schemas.QueueAction }, async (req, reply) => {
      const signedIn = await userOf(req, reply, "admin");
      if (!signedIn) return reply;
      const id = parseId(req.params.id);
      if (id === null) throw new NotFoundError("no such delivery");
      try {
        await act(agentOf(signedIn), id);
      } catch (error) {
        if (!isDomainError(error, "NOT_FOUND")) throw error;
        return queuePage(req, reply, signedIn, { error: t.queueGone }, 409);
      }
      return reply.redirect(`/console/admin/file-envoi?fait=${done}`, 303);
    });
  }

  app.get("/console/admin/configuration", { schema: schemas.Config }, async (req, reply) => {
    const signedIn = await userOf(req, reply, "admin");
    if (!signedIn) return reply;
    reply.header("cache-control", "no-store");
    return sendPage(reply, <ConfigPage ctx={ctx(req)} user={signedIn.user} rows={admin.config()} />);
  });
};
