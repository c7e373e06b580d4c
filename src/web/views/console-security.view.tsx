/**
 * The security team's pages (`/console/securite/…`, role `securite`): the reported messages, one
 * report with its message's headers and source, and the quarantine (or its release) of every copy
 * of a message across the mailboxes, with a reason and the second factor. Server-rendered, complete
 * without JavaScript.
 */
import type { AuthVerdict, ReportList, ReportSummary, ReportView } from "../../console/security.service.js";
import { securityFr } from "../i18n/console-security.fr.js";
import { frenchDateTime } from "../i18n/fr.js";
import { ErrorSummary, Field, type FieldErrors, Notice, PostForm, SelectField, TextArea } from "./components.js";
import { ConsoleLayout, type ConsoleUser, ReauthField, SecurityNav } from "./console.view.js";
import type { PageContext } from "./layout.js";

const t = securityFr;

export interface ReportsFilters {
  readonly du: string;
  readonly au: string;
  readonly domaine: string;
}

/** What the quarantine's form holds again after a refusal, and what it did. */
export interface QuarantineModel {
  readonly operation: string;
  readonly messageId: string;
  /** The sender address, for the quarantine of all its messages (the page by Message-ID or sender only). */
  readonly sender?: string;
  readonly reason: string;
  readonly errors?: FieldErrors;
  readonly formError?: string;
  /** The result of the action just done. */
  readonly result?: string;
}

const when = (iso: string | Date) => frenchDateTime(typeof iso === "string" ? new Date(iso) : iso);

export function verdictText(v: AuthVerdict | null): string {
  if (!v) return t.verdictNone;
  const o = (x: string) => t.outcomes[x] ?? x;
  return t.verdict(o(v.dmarc), o(v.spf), o(v.dkim));
}

function pageHref(filters: ReportsFilters, page: number): string {
  const params = new URLSearchParams(Object.entries(filters).filter(([, v]) => v !== ""));
  if (page > 1) params.set("page", String(page));
  return `/console/securite/signalements${params.size > 0 ? `?${params.toString()}` : ""}`;
}

function subjectOf(r: ReportSummary): string {
  if (r.subject === null) return t.gone;
  return r.subject.trim() === "" ? t.noSubject : r.subject;
}

export function ReportsPage({
  ctx,
  user,
  filters,
  list,
  errors = {},
}: {
  ctx: PageContext;
  user: ConsoleUser;
  filters: ReportsFilters;
  list: ReportList | null;
  errors?: FieldErrors;
}) {
  return (
    <ConsoleLayout ctx={ctx} title={t.reportsTitle} user={user} hasErrors={Object.keys(errors).length > 0}>
      <SecurityNav />
      <p>{t.reportsIntro}</p>
      <ErrorSummary errors={errors} labels={{ du: t.since, au: t.until, domaine: t.domain }} />
      <form method="get" action="/console/securite/signalements" class="form audit-filters" aria-label={t.filters}>
        <Field name="du" label={t.since} value={filters.du} errors={errors.du} />
        <Field name="au" label={t.until} value={filters.au} errors={errors.au} />
        <Field name="domaine" label={t.domain} hint={t.domainHint} value={filters.domaine} errors={errors.domaine} />
        <button type="submit" class="button-primary">
          {t.filter}
        </button>
      </form>
      {list ? (
        <>
          <p role="status">{t.count(list.total)}</p>
          {list.reports.length > 0 ? (
            <div class="table-scroll">
              <table class="reports-table">
                <caption>{t.caption}</caption>
                <thead>
                  <tr>
                    <th scope="col">{t.colAt}</th>
                    <th scope="col">{t.colSubject}</th>
                    <th scope="col">{t.colReporter}</th>
                    <th scope="col">{t.colSender}</th>
                    <th scope="col">{t.colDomain}</th>
                    <th scope="col">{t.colVerdict}</th>
                    <th scope="col">{t.colMailboxes}</th>
                  </tr>
                </thead>
                <tbody>
                  {list.reports.map((r) => (
                    <tr key={r.id}>
                      <td>
                        <time dateTime={r.reportedAt}>{when(r.reportedAt)}</time>
                      </td>
                      <th scope="row">
                        <a href={`/console/securite/signalements/${r.id}`} aria-label={t.open(subjectOf(r))}>
                          {subjectOf(r)}
                        </a>
                      </th>
                      <td>{r.reporter}</td>
                      <td>{r.senderAddress ?? "—"}</td>
                      <td>{r.senderDomain || "—"}</td>
                      <td>{verdictText(r.verdict)}</td>
                      <td>{r.mailboxes}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          ) : null}
          {list.pages > 1 ? (
            <nav aria-label={t.pagination} class="pagination">
              <p>{t.pageOf(list.page, list.pages)}</p>
              <ul class="link-list">
                {list.page > 1 ? (
                  <li>
                    <a href={pageHref(filters, list.page - 1)} rel="prev">
                      {t.previous}
                    </a>
                  </li>
                ) : null}
                {list.page < list.pages ? (
                  <li>
                    <a href={pageHref(filters, list.page + 1)} rel="next">
                      {t.next}
                    </a>
                  </li>
                ) : null}
              </ul>
            </nav>
          ) : null}
        </>
      ) : null}
    </ConsoleLayout>
  );
}

/** The quarantine's form: of one report's message (`messageId` fixed) or of a Message-ID typed. */
function QuarantineForm({
  ctx,
  model,
  reauthNeeded,
  reportId,
}: {
  ctx: PageContext;
  model: QuarantineModel;
  reauthNeeded: boolean;
  reportId?: number;
}) {
  const errors = model.errors ?? {};
  return (
    <>
      {model.result ? <Notice kind="success">{model.result}</Notice> : null}
      {model.formError ? <Notice kind="error">{model.formError}</Notice> : null}
      <ErrorSummary
        errors={errors}
        labels={{
          operation: t.operation,
          messageId: t.messageId,
          sender: t.senderLabel,
          reason: t.reason,
          code: t.codeLabel,
        }}
      />
      <p>{t.quarantineIntro}</p>
      <p>{t.releaseIntro}</p>
      <PostForm action="/console/securite/quarantaine" token={ctx.csrfToken} class="form">
        {reportId !== undefined ? (
          <>
            <input type="hidden" name="report" value={String(reportId)} />
            <input type="hidden" name="messageId" value={model.messageId} />
          </>
        ) : (
          <>
            <Field
              name="messageId"
              label={t.messageId}
              hint={t.messageIdHint}
              value={model.messageId}
              errors={errors.messageId}
              autocomplete="off"
            />
            <Field
              name="sender"
              label={t.senderLabel}
              hint={t.senderHint}
              value={model.sender ?? ""}
              errors={errors.sender}
              autocomplete="off"
            />
          </>
        )}
        <SelectField name="operation" label={t.operation} errors={errors.operation}>
          {Object.entries(t.operations).map(([value, label]) => (
            <option key={value} value={value} selected={model.operation === value}>
              {label}
            </option>
          ))}
        </SelectField>
        <TextArea
          name="reason"
          label={t.reason}
          hint={t.reasonHint}
          value={model.reason}
          errors={errors.reason}
          maxLength={500}
          rows={3}
        />
        <ReauthField needed={reauthNeeded} errors={errors.code} />
        <button type="submit" class="button-primary">
          {t.submit}
        </button>
      </PostForm>
    </>
  );
}

export function ReportPage({
  ctx,
  user,
  report,
  reauthNeeded,
  quarantine,
}: {
  ctx: PageContext;
  user: ConsoleUser;
  report: ReportView;
  reauthNeeded: boolean;
  quarantine?: QuarantineModel;
}) {
  const errors = quarantine?.errors ?? {};
  return (
    <ConsoleLayout
      ctx={ctx}
      title={t.reportTitle(subjectOf(report))}
      user={user}
      hasErrors={Object.keys(errors).length > 0 || Boolean(quarantine?.formError)}
    >
      <SecurityNav />
      <p>
        <a href="/console/securite/signalements">{t.back}</a>
      </p>
      <section aria-labelledby="faits-titre">
        <h2 id="faits-titre">{t.facts}</h2>
        <dl class="helpdesk-facts">
          <dt>{t.reportedAt}</dt>
          <dd>
            <time dateTime={report.reportedAt}>{when(report.reportedAt)}</time>
          </dd>
          <dt>{t.reporter}</dt>
          <dd>{report.reporter}</dd>
          <dt>{t.reporters}</dt>
          <dd>{report.reporters}</dd>
          <dt>{t.sender}</dt>
          <dd>{report.senderAddress ?? report.senderDomain}</dd>
          <dt>{t.colDomain}</dt>
          <dd>{report.senderDomain || "—"}</dd>
          <dt>{t.subject}</dt>
          <dd>{subjectOf(report)}</dd>
          <dt>{t.colVerdict}</dt>
          <dd>{verdictText(report.verdict)}</dd>
          <dt>{t.messageId}</dt>
          <dd>
            <code>{report.messageId || t.noMessageId}</code>
          </dd>
          <dt>{t.mailboxes}</dt>
          <dd>{report.mailboxes}</dd>
        </dl>
      </section>
      {report.messageId !== "" ? (
        <section aria-labelledby="quarantaine-titre">
          <h2 id="quarantaine-titre">{t.actionsTitle}</h2>
          <QuarantineForm
            ctx={ctx}
            reportId={report.id}
            reauthNeeded={reauthNeeded}
            model={quarantine ?? { operation: "quarantaine", messageId: report.messageId, reason: "" }}
          />
        </section>
      ) : null}
      {report.senderAddress ? (
        <p>
          <a href={`/console/securite/quarantaine?expediteur=${encodeURIComponent(report.senderAddress)}`}>
            {t.bySenderLink(report.senderAddress)}
          </a>
        </p>
      ) : null}
      <section aria-labelledby="entetes-titre">
        <h2 id="entetes-titre">{t.headers}</h2>
        {report.headers === null ? (
          <p>{t.goneText}</p>
        ) : (
          <>
            <p>{t.handedOver}</p>
            <pre class="message-text message-source" data-headers>
              {report.headers}
            </pre>
            <details>
              <summary>{t.source}</summary>
              {report.sourceCut ? <p>{t.sourceCut}</p> : null}
              <pre class="message-text message-source">{report.source}</pre>
            </details>
          </>
        )}
      </section>
    </ConsoleLayout>
  );
}

export function QuarantineByIdPage({
  ctx,
  user,
  reauthNeeded,
  quarantine,
}: {
  ctx: PageContext;
  user: ConsoleUser;
  reauthNeeded: boolean;
  quarantine: QuarantineModel;
}) {
  const errors = quarantine.errors ?? {};
  return (
    <ConsoleLayout
      ctx={ctx}
      title={t.byIdTitle}
      user={user}
      hasErrors={Object.keys(errors).length > 0 || Boolean(quarantine.formError)}
    >
      <SecurityNav />
      <p>{t.byIdIntro}</p>
      <QuarantineForm ctx={ctx} reauthNeeded={reauthNeeded} model={quarantine} />
    </ConsoleLayout>
  );
}
