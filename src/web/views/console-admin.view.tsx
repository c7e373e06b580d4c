/**
 * The console's administration pages (role `admin`): the HR import (upload, dry run, apply with its
 * progress), the establishments with their functional accounts, the outbound queue, the running
 * configuration. Server-rendered, usable without JavaScript (the progress page has « Actualiser »;
 * the client script reloads it while the import runs).
 */

import type { EstablishmentRow, ImportJob, ImportKind, ImportOutcome, SampleRow } from "../../console/admin.service.js";
import type { RejectedRow } from "../../directory/directory.types.js";
import { adminFr } from "../i18n/console-admin.fr.js";
import { frenchDateTime } from "../i18n/fr.js";
import { ErrorSummary, type FieldErrors, Notice, PostForm } from "./components.js";
import { ConsoleLayout, type ConsoleUser } from "./console.view.js";
import type { PageContext } from "./layout.js";

const t = adminFr;

function Back() {
  return (
    <p>
      <a href="/console/admin">{t.back}</a>
    </p>
  );
}

export interface UploadModel {
  readonly kind: ImportKind | "";
  readonly full: boolean;
  readonly maxBytes: number;
  readonly errors?: FieldErrors;
  readonly notice?: string;
}

export function ImportPage({ ctx, user, vm }: { ctx: PageContext; user: ConsoleUser; vm: UploadModel }) {
  const errors = vm.errors ?? {};
  const kindErrors = errors.kind;
  const fileErrors = errors.fichier;
  return (
    <ConsoleLayout ctx={ctx} title={t.importTitle} user={user} hasErrors={Object.keys(errors).length > 0}>
      <Back />
      {vm.notice ? <Notice kind="success">{vm.notice}</Notice> : null}
      <ErrorSummary errors={errors} labels={{ kind: t.kind, fichier: t.file }} />
      <p>{t.importIntro}</p>
      <form method="post" action="/console/admin/import" enctype="multipart/form-data" class="form" novalidate>
        <input type="hidden" name="_csrf" value={ctx.csrfToken} />
        <fieldset
          id="champ-kind"
          class={`field${kindErrors ? " field--error" : ""}`}
          aria-describedby={kindErrors ? "champ-kind-erreur" : undefined}
        >
          <legend>{t.kind}</legend>
          {kindErrors ? (
            <p id="champ-kind-erreur" class="field-error">
              {kindErrors.join(" ")}
            </p>
          ) : null}
          {(["staff", "establishments"] as const).map((k) => (
            <div class="choice" key={k}>
              <input type="radio" id={`nature-${k}`} name="kind" value={k} checked={vm.kind === k} />
              <label for={`nature-${k}`}>{t.kinds[k]}</label>
            </div>
          ))}
        </fieldset>
        <div class="choice">
          <input
            type="checkbox"
            id="champ-full"
            name="full"
            value="1"
            checked={vm.full}
            aria-describedby="champ-full-aide"
          />
          <label for="champ-full">{t.full}</label>
          <p id="champ-full-aide" class="hint">
            {t.fullHint}
          </p>
        </div>
        <div class={`field${fileErrors ? " field--error" : ""}`}>
          <label for="champ-fichier">{t.file}</label>
          <p id="champ-fichier-aide" class="hint">
            {t.fileHint(vm.maxBytes)}
          </p>
          {fileErrors ? (
            <p id="champ-fichier-erreur" class="field-error">
              {fileErrors.join(" ")}
            </p>
          ) : null}
          <input
            type="file"
            id="champ-fichier"
            name="fichier"
            accept=".csv,text/csv"
            aria-invalid={fileErrors ? "true" : undefined}
            aria-describedby={`champ-fichier-aide${fileErrors ? " champ-fichier-erreur" : ""}`}
          />
        </div>
        <button type="submit" class="button-primary">
          {t.submitUpload}
        </button>
      </form>
    </ConsoleLayout>
  );
}

function SampleTable({
  id,
  title,
  rows,
  total,
}: {
  id: string;
  title: string;
  rows: readonly SampleRow[];
  total: number;
}) {
  if (total === 0) return null;
  return (
    <div class="table-scroll">
      <table id={id}>
        <caption>{t.sampleCaption(title, rows.length, total)}</caption>
        <thead>
          <tr>
            <th scope="col">{t.colWho}</th>
            <th scope="col">{t.colDetail}</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r, i) => (
            <tr key={i}>
              <td>{r.label}</td>
              <td>{r.detail === "(returned)" ? t.returned : r.detail}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function RejectedTable({ rows, total }: { rows: readonly RejectedRow[]; total: number }) {
  if (total === 0) return null;
  return (
    <div class="table-scroll">
      <table id="rejetees">
        <caption>{t.sampleCaption(t.samplesTitle.rejected, rows.length, total)}</caption>
        <thead>
          <tr>
            <th scope="col">{t.colLine}</th>
            <th scope="col">{t.colReason}</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.line}>
              <td>{r.line}</td>
              <td>{t.reasonOf(r.reason)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Report({ outcome, titleId, title }: { outcome: ImportOutcome; titleId: string; title: string }) {
  const c = t.counts;
  const figures: Array<[string, number]> = [
    [c.rows, outcome.rows],
    [c.created, outcome.created],
    [c.updated, outcome.updated],
    [c.unchanged, outcome.unchanged],
    [c.departed, outcome.departed],
    [c.rejected, outcome.rejectedCount],
  ];
  return (
    <section aria-labelledby={titleId}>
      <h2 id={titleId}>{title}</h2>
      <div class="table-scroll">
        <table id="decompte">
          <caption>{t.countsCaption}</caption>
          <tbody>
            {figures.map(([label, n]) => (
              <tr key={label}>
                <th scope="row">{label}</th>
                <td>{n}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <SampleTable
        id="creations"
        title={t.samplesTitle.created}
        rows={outcome.samples.created}
        total={outcome.created}
      />
      <SampleTable
        id="mises-a-jour"
        title={t.samplesTitle.updated}
        rows={outcome.samples.updated}
        total={outcome.updated}
      />
      <SampleTable
        id="departs"
        title={t.samplesTitle.departed}
        rows={outcome.samples.departed}
        total={outcome.departed}
      />
      <RejectedTable rows={outcome.samples.rejected} total={outcome.rejectedCount} />
    </section>
  );
}

export interface JobModel {
  readonly job: ImportJob | null;
  readonly errors?: FieldErrors;
  readonly formError?: string;
}

export function ImportJobPage({ ctx, user, vm }: { ctx: PageContext; user: ConsoleUser; vm: JobModel }) {
  const { job } = vm;
  const errors = vm.errors ?? {};
  const title = job ? t.jobTitle(t.kindShort[job.kind]) : t.importTitle;
  const running = job?.state === "checking" || job?.state === "applying";
  const percent = job && job.size > 0 ? Math.min(100, Math.floor((job.progress / job.size) * 100)) : 0;
  const dry = job?.dryRun;
  const guard = dry?.refused === "too_many_departures" && dry.departures;
  return (
    <ConsoleLayout
      ctx={ctx}
      title={title}
      user={user}
      hasErrors={Boolean(vm.formError) || Object.keys(errors).length > 0}
    >
      <Back />
      {!job ? (
        <>
          <Notice kind="error">{t.expired}</Notice>
          <p>
            <a href="/console/admin/import">{t.newImport}</a>
          </p>
        </>
      ) : (
        <>
          <p>{t.fileLine(job.fileName, job.size)}</p>
          {job.full ? <p>{t.fullLine}</p> : null}
          {vm.formError ? <Notice kind="error">{vm.formError}</Notice> : null}
          <ErrorSummary errors={errors} labels={{ force: t.forceLabel(dry?.departed ?? 0) }} />
          {running ? (
            <section
              aria-labelledby="avancement-titre"
              data-import-running=""
              data-import-status={`/console/admin/import/${job.id}/etat`}
            >
              <h2 id="avancement-titre">{job.state === "checking" ? t.checking : t.applying}</h2>
              <p>
                <label for="avancement">{t.progressLabel}</label>{" "}
                <progress id="avancement" max={100} value={percent}>
                  {percent} %
                </progress>{" "}
                <span data-import-percent="" data-template={t.progressText(-1).replace("-1", "{n}")}>
                  {t.progressText(percent)}
                </span>
              </p>
              <p>{t.refreshHint}</p>
              <p>
                <a href={`/console/admin/import/${job.id}`}>{t.refresh}</a>
              </p>
            </section>
          ) : null}
          {job.state === "failed" ? <Notice kind="error">{t.failed}</Notice> : null}
          {job.state === "applied" && job.result ? (
            <>
              <Notice kind={job.result.applied ? "success" : "error"}>
                {job.result.applied ? t.applied : t.notApplied}
              </Notice>
              <Report outcome={job.result} titleId="resultat-titre" title={t.resultTitle} />
              <p>
                <a href="/console/admin/import">{t.newImport}</a>
              </p>
            </>
          ) : null}
          {job.state === "checked" && dry ? (
            <>
              <p>{t.dryRunNote}</p>
              {dry.refused === "too_many_rejected" ? <Notice kind="error">{t.refusedRejected}</Notice> : null}
              {guard ? (
                <Notice kind="warning">{t.refusedDepartures(dry.departed, guard.active, guard.maxDepartures)}</Notice>
              ) : null}
              <Report outcome={dry} titleId="essai-titre" title={t.dryRunTitle} />
              {dry.refused === "too_many_rejected" ? null : (
                <PostForm action={`/console/admin/import/${job.id}/appliquer`} token={ctx.csrfToken} class="form">
                  {guard ? (
                    <div class={`choice${errors.force ? " field--error" : ""}`} id="champ-force">
                      {errors.force ? (
                        <p id="champ-force-erreur" class="field-error">
                          {errors.force.join(" ")}
                        </p>
                      ) : null}
                      <input
                        type="checkbox"
                        id="force"
                        name="force"
                        value="1"
                        aria-describedby={errors.force ? "champ-force-erreur" : undefined}
                      />
                      <label for="force">{t.forceLabel(dry.departed)}</label>
                    </div>
                  ) : null}
                  <button type="submit" class="button-primary">
                    {t.applySubmit}
                  </button>
                </PostForm>
              )}
              <PostForm action={`/console/admin/import/${job.id}/abandonner`} token={ctx.csrfToken} class="form">
                <button type="submit" class="button-secondary">
                  {t.discardSubmit}
                </button>
              </PostForm>
            </>
          ) : null}
        </>
      )}
    </ConsoleLayout>
  );
}

export interface EstablishmentsModel {
  readonly query: string;
  readonly page: number;
  readonly pages: number;
  readonly total: number;
  readonly rows: readonly EstablishmentRow[];
}

function accountState(a: EstablishmentRow["accounts"][number]): string {
  if (a.compromised) return t.accountState.compromised;
  if (a.disabled) return t.accountState.disabled;
  return a.passwordState === "initial" ? t.accountState.initial : t.accountState.active;
}

export function EstablishmentsPage({
  ctx,
  user,
  vm,
}: {
  ctx: PageContext;
  user: ConsoleUser;
  vm: EstablishmentsModel;
}) {
  const link = (page: number) =>
    `/console/admin/etablissements?${new URLSearchParams({ ...(vm.query ? { q: vm.query } : {}), page: String(page) })}`;
  return (
    <ConsoleLayout ctx={ctx} title={t.establishmentsTitle} user={user}>
      <Back />
      <form method="get" action="/console/admin/etablissements" class="form search-form">
        <div class="field">
          <label for="champ-q">{t.searchLabel}</label>
          <div class="input-row">
            <input id="champ-q" name="q" type="search" value={vm.query} maxLength={200} />
          </div>
        </div>
        <button type="submit" class="button-primary">
          {t.searchSubmit}
        </button>
      </form>
      {vm.rows.length === 0 ? (
        <p>{t.establishmentsEmpty}</p>
      ) : (
        <div class="table-scroll">
          <table id="etablissements">
            <caption>{t.establishmentsCaption(vm.total)}</caption>
            <thead>
              <tr>
                <th scope="col">{t.colUai}</th>
                <th scope="col">{t.colName}</th>
                <th scope="col">{t.colHead}</th>
                <th scope="col">{t.colAccounts}</th>
              </tr>
            </thead>
            <tbody>
              {vm.rows.map((e) => (
                <tr key={e.uai}>
                  <td>{e.uai}</td>
                  <td>{e.libelle}</td>
                  <td>{e.headName ?? ""}</td>
                  <td>
                    {e.accounts.length === 0 ? (
                      t.noAccount
                    ) : (
                      <ul>
                        {e.accounts.map((a) => (
                          <li key={a.id}>
                            {a.address} — {accountState(a)}
                          </li>
                        ))}
                      </ul>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {vm.pages > 1 ? (
        <nav aria-label={t.pagination}>
          <p>{t.pageOf(vm.page, vm.pages)}</p>
          <ul class="link-list">
            {vm.page > 1 ? (
              <li>
                <a href={link(vm.page - 1)}>{t.previous}</a>
              </li>
            ) : null}
            {vm.page < vm.pages ? (
              <li>
                <a href={link(vm.page + 1)}>{t.next}</a>
              </li>
            ) : null}
          </ul>
        </nav>
      ) : null}
    </ConsoleLayout>
  );
}

export interface QueueEntry {
  readonly id: number;
  readonly domain: string;
  readonly state: string;
  readonly attempts: number;
  readonly nextAttemptAt: string;
  readonly lastError: string | null;
}

export function QueuePage({
  ctx,
  user,
  rows,
  notice,
  error,
}: {
  ctx: PageContext;
  user: ConsoleUser;
  rows: readonly QueueEntry[];
  notice?: string | undefined;
  error?: string | undefined;
}) {
  return (
    <ConsoleLayout ctx={ctx} title={t.queueTitle} user={user}>
      <Back />
      {notice ? <Notice kind="success">{notice}</Notice> : null}
      {error ? <Notice kind="error">{error}</Notice> : null}
      <p>{t.queueIntro}</p>
      {rows.length === 0 ? (
        <p>{t.queueEmpty}</p>
      ) : (
        <div class="table-scroll">
          <table id="file-envoi">
            <caption>{t.queueCaption}</caption>
            <thead>
              <tr>
                <th scope="col">N°</th>
                <th scope="col">{t.colDomain}</th>
                <th scope="col">{t.colState}</th>
                <th scope="col">{t.colAttempts}</th>
                <th scope="col">{t.colNext}</th>
                <th scope="col">{t.colError}</th>
                <th scope="col">{t.colActions}</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.id} id={`envoi-${r.id}`}>
                  <td>{r.id}</td>
                  <td>{r.domain}</td>
                  <td>{t.queueStates[r.state] ?? r.state}</td>
                  <td>{r.attempts}</td>
                  <td>{r.state === "failed" ? "" : frenchDateTime(new Date(r.nextAttemptAt))}</td>
                  <td>{r.lastError ?? ""}</td>
                  <td>
                    {r.state === "queued" ? (
                      <>
                        <PostForm
                          action={`/console/admin/file-envoi/${r.id}/reessayer`}
                          token={ctx.csrfToken}
                          class="inline-form"
                        >
                          <button type="submit" class="button-secondary" aria-label={t.retryLabel(r.id, r.domain)}>
                            {t.retry}
                          </button>
                        </PostForm>{" "}
                        <PostForm
                          action={`/console/admin/file-envoi/${r.id}/annuler`}
                          token={ctx.csrfToken}
                          class="inline-form"
                        >
                          <button type="submit" class="button-secondary" aria-label={t.cancelLabel(r.id, r.domain)}>
                            {t.cancel}
                          </button>
                        </PostForm>
                      </>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </ConsoleLayout>
  );
}

export function ConfigPage({
  ctx,
  user,
  rows,
}: {
  ctx: PageContext;
  user: ConsoleUser;
  rows: ReadonlyArray<{ key: string; value: string; masked: boolean }>;
}) {
  return (
    <ConsoleLayout ctx={ctx} title={t.configTitle} user={user}>
      <Back />
      <p>{t.configIntro}</p>
      <div class="table-scroll">
        <table id="configuration">
          <caption>{t.configCaption}</caption>
          <thead>
            <tr>
              <th scope="col">{t.colKey}</th>
              <th scope="col">{t.colValue}</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.key}>
                <th scope="row">
                  <code>{r.key}</code>
                </th>
                <td>
                  {r.value === "" ? t.empty : <code>{r.value}</code>}
                  {r.masked ? ` ${t.masked}` : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </ConsoleLayout>
  );
}
