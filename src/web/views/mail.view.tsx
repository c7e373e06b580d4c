/**
 * The webmail behind the sign-in: folders with their unread counts and the quota,
 * message lists (one component for folders and search results), the reading view, folder
 * management, search, and the keyboard shortcuts' help. Every page works without JavaScript;
 * src/web/client/mail.ts adds the shortcuts, drag-and-drop and in-place updates.
 */
import type { ComponentChildren } from "preact";
import { isFlagged, normalizeLink, splitTextLinks } from "../../mail/deceptive-links.js";
import type {
  DomainDisplay,
  Folder,
  FolderRole,
  Mailbox,
  MessageSummary,
  MessageView,
  Quota,
  SenderDisplay,
} from "../../mail/mail.types.js";
import { contactsFr } from "../i18n/contacts.fr.js";
import { fr, frenchDateTime, frenchShortDate, frenchSize } from "../i18n/fr.js";
import { settingsFr } from "../i18n/settings.fr.js";
import { folderUrl, messageUrl } from "../urls.js";
import {
  CsrfInput,
  ErrorSummary,
  Field,
  type FieldErrors,
  Notice,
  PostButton,
  PostForm,
  Section,
  SelectField,
} from "./components.js";
import { Layout, type PageContext } from "./layout.js";

const t = fr.mail;

// ------------------------------------------------------------------------------------------------
// Small helpers shared by the views and the routes.

/** What a person calls a folder: the French name of a special folder, else its own name. */
export function folderLabel(folder: Pick<Folder, "name" | "role">): string {
  return folder.role ? t.roles[folder.role] : folder.name;
}

/** A domain as read: Unicode, with its ASCII (punycode) form beside when its characters mix alphabets. */
function domainText(d: DomainDisplay): string {
  return d.mixedScripts ? t.withAscii(d.unicode, d.ascii) : d.unicode;
}

/**
 * What a list shows of a sender (sender-display.ts decides): the name, or the address when there is
 * none; the address's domain beside the name when the sender is outside the académie or the name
 * holds an address; the ASCII form of a domain whose characters mix alphabets.
 */
function senderParts(s: SenderDisplay | null): { label: string; extra: string | null } {
  if (!s) return { label: t.unknownSender, extra: null };
  if (s.name === "") {
    return { label: s.address, extra: s.domain?.mixedScripts ? t.asciiDomain(s.domain.ascii) : null };
  }
  return { label: s.name, extra: s.showDomain && s.domain ? t.senderDomain(domainText(s.domain)) : null };
}

function senderListText(s: SenderDisplay | null): string {
  const { label, extra } = senderParts(s);
  return extra ? `${label} ${extra}` : label;
}

/** A sender in full (reading view, reply page): name, address, and its ASCII form when its domain mixes alphabets. */
export function senderFullText(s: SenderDisplay): string {
  const full = s.name ? `${s.name} <${s.address}>` : s.address;
  return s.domain?.mixedScripts ? t.withAscii(full, s.asciiAddress) : full;
}

function mailboxFull(m: Mailbox): string {
  return m.name && m.name !== m.address ? `${m.name} <${m.address}>` : m.address;
}

function subjectText(subject: string): string {
  return subject.trim() === "" ? t.noSubject : subject;
}

/** Lists of folders for a select: every folder in tree order, indented by its depth. */
function folderOptionText(folder: Folder): string {
  return `${"\u00a0\u00a0".repeat(Math.min(folder.depth, 8))}${folderLabel(folder)}`;
}

function Icon({ kind }: { kind: "flag" | "clip" }) {
  return (
    <svg class="icon" viewBox="0 0 24 24" width="16" height="16" aria-hidden="true" focusable="false">
      {kind === "flag" ? (
        <path d="M5 21V3h13l-3 4.5L18 12H7v9z" fill="currentColor" />
      ) : (
        <path
          d="M16.5 6.5l-8 8a2.5 2.5 0 0 0 3.5 3.5l8.5-8.5a4.5 4.5 0 0 0-6.4-6.4L5.6 11.6a6.5 6.5 0 0 0 9.2 9.2l6.2-6.2"
          fill="none"
          stroke="currentColor"
          stroke-width="2"
          stroke-linecap="round"
        />
      )}
    </svg>
  );
}

// ------------------------------------------------------------------------------------------------
// The frame of every mail page: account bar, quick search, heading, folders, quota, shortcuts.

export interface MailShell {
  readonly ctx: PageContext;
  readonly account: { readonly name: string; readonly address: string };
  readonly folders: readonly Folder[];
  readonly quota: Quota;
  /** The folder being shown (highlighted in the list, not a drop target). */
  readonly currentFolderId?: number | null;
  readonly notice?: { readonly kind: "success" | "error" | "info"; readonly text: string };
  /** Where the account's mail is forwarded, shown on every mailbox page while it is (null: nowhere). */
  readonly forwardingTo?: string | null;
}

function FolderTree({ folders, currentId }: { folders: readonly Folder[]; currentId: number | null }) {
  const ids = new Set(folders.map((f) => f.id));
  const children = new Map<number | null, Folder[]>();
  for (const f of folders) {
    const parent = f.parentId !== null && ids.has(f.parentId) ? f.parentId : null;
    children.set(parent, [...(children.get(parent) ?? []), f]);
  }
  const level = (parent: number | null, seen: Set<number>): ComponentChildren => {
    const list = (children.get(parent) ?? []).filter((f) => !seen.has(f.id));
    if (list.length === 0) return null;
    return (
      <ul class={parent === null ? "folder-list" : "folder-list folder-list--nested"}>
        {list.map((f) => {
          const next = new Set(seen).add(f.id);
          return (
            <li key={f.id}>
              <a
                href={folderUrl(f)}
                class="folder-link"
                data-folder-id={String(f.id)}
                data-unread={String(f.unread)}
                aria-current={f.id === currentId ? "page" : undefined}
                // The name a screen reader says: "Boîte de réception, 3 non lus".
                aria-label={f.unread > 0 ? `${folderLabel(f)}, ${t.unreadCount(f.unread)}` : undefined}
              >
                <span class="folder-name">{folderLabel(f)}</span>
                <span class="folder-count" aria-hidden="true" hidden={f.unread === 0}>
                  {f.unread}
                </span>
              </a>
              {level(f.id, next)}
            </li>
          );
        })}
      </ul>
    );
  };
  return <>{level(null, new Set())}</>;
}

function QuotaMeter({ quota }: { quota: Quota }) {
  const ratio = quota.limitBytes > 0 ? quota.usedBytes / quota.limitBytes : 0;
  const percent = new Intl.NumberFormat("fr-FR", { style: "percent", maximumFractionDigits: 0 }).format(
    Math.min(ratio, 1),
  );
  return (
    <div class="quota">
      <label for="quota-jauge">{t.quotaLabel}</label>
      <meter
        id="quota-jauge"
        min={0}
        max={quota.limitBytes}
        value={Math.min(quota.usedBytes, quota.limitBytes)}
        low={Math.round(quota.limitBytes * 0.8)}
        high={Math.round(quota.limitBytes * 0.95)}
        optimum={0}
        aria-describedby="quota-texte"
      />
      <p id="quota-texte" class="quota-text">
        {t.quotaText(frenchSize(quota.usedBytes), frenchSize(quota.limitBytes), percent)}
      </p>
    </div>
  );
}

function ShortcutsHelp() {
  return (
    <details class="shortcuts" id="raccourcis">
      <summary>{t.shortcutsTitle}</summary>
      <div class="shortcuts-body">
        <p>{t.shortcutsIntro}</p>
        <table class="shortcuts-table">
          <thead>
            <tr>
              <th scope="col">{t.shortcutKey}</th>
              <th scope="col">{t.shortcutAction}</th>
            </tr>
          </thead>
          <tbody>
            {t.shortcuts.map(([key, action]) => (
              <tr key={key}>
                <td>
                  <kbd>{key}</kbd>
                </td>
                <td>{action}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <p class="shortcuts-toggle" hidden data-shortcuts-toggle>
          <input type="checkbox" id="raccourcis-actifs" checked />
          <label for="raccourcis-actifs">{t.shortcutsEnable}</label>
        </p>
      </div>
    </details>
  );
}

export function MailLayout({
  shell,
  title,
  heading,
  hasErrors,
  withQuickSearch = true,
  children,
}: {
  shell: MailShell;
  title: string;
  /** The h1 (the title when absent). */
  heading?: string;
  hasErrors?: boolean;
  withQuickSearch?: boolean;
  children: ComponentChildren;
}) {
  const { ctx, account, notice } = shell;
  return (
    <Layout title={title} ctx={ctx} hasErrors={hasErrors}>
      <div class="mail-app" data-mail-app>
        <div class="account-bar">
          <p>
            {t.signedInAs} <strong>{account.name}</strong> (<span class="address">{account.address}</span>)
          </p>
          <PostButton action="/deconnexion" token={ctx.csrfToken}>
            {t.logout}
          </PostButton>
        </div>
        {withQuickSearch ? (
          // biome-ignore lint/a11y/useSemanticElements: role=search on the form is the widely supported landmark
          <form method="get" action="/mail/recherche" role="search" class="quick-search">
            <label for="recherche-rapide" class="visually-hidden">
              {t.searchLabel}
            </label>
            <input type="search" id="recherche-rapide" name="q" maxLength={200} />
            <button type="submit">{t.searchSubmit}</button>
          </form>
        ) : null}
        <h1>{heading ?? title}</h1>
        {shell.forwardingTo ? (
          <p class="forwarding-banner">
            {t.forwardingBanner(shell.forwardingTo)}{" "}
            <a href="/mail/parametres#parametres-transfert">{t.forwardingChange}</a>
          </p>
        ) : null}
        {notice ? <Notice kind={notice.kind}>{notice.text}</Notice> : null}
        <p
          class="visually-hidden"
          role="status"
          id="mail-live"
          data-live
          data-read={t.live.read}
          data-unread={t.live.unread}
          data-flagged={t.live.flagged}
          data-unflagged={t.live.unflagged}
          data-removed={t.live.removed}
          data-failed={t.live.failed}
        />
        <div class="mail-shell">
          <nav
            class="mail-nav"
            aria-labelledby="dossiers-titre"
            data-unread-one={`, ${t.unreadCount(1)}`}
            data-unread-many={`, ${t.unreadCount(2).replace("2", "{n}")}`}
          >
            <p class="compose-link">
              <a href="/mail/nouveau" class="button-link">
                {fr.compose.newMessage}
              </a>
            </p>
            <h2 id="dossiers-titre">{t.foldersTitle}</h2>
            <FolderTree folders={shell.folders} currentId={shell.currentFolderId ?? null} />
            <p class="manage-link">
              <a href="/mail/dossiers">{t.manageFolders}</a>
            </p>
            <p class="manage-link">
              <a href="/mail/contacts">{contactsFr.title}</a>
            </p>
            <p class="manage-link">
              <a href="/mail/parametres">{settingsFr.title}</a>
            </p>
            <QuotaMeter quota={shell.quota} />
          </nav>
          <div class="mail-content">{children}</div>
        </div>
        <p class="shortcuts-announce" hidden data-shortcuts-announce>
          {t.shortcutsAnnounce}
        </p>
        <ShortcutsHelp />
      </div>
    </Layout>
  );
}

// ------------------------------------------------------------------------------------------------
// The message list (a folder, or search results).

export interface MessageListModel {
  readonly items: readonly MessageSummary[];
  readonly folders: readonly Folder[];
  /** The folder listed (null for search results: each line then names its folder). */
  readonly folder: Folder | null;
  /** Where the actions come back to (this page). */
  readonly back: string;
  readonly olderHref: string | null;
  readonly newestHref: string | null;
  readonly emptyText: string;
  readonly now: Date;
}

/** The list's marker on a message whose sender imitates the académie or could not be verified. */
function WarningMarker({ warnings }: { warnings: MessageSummary["warnings"] }) {
  const marker = warnings.includes("lookalike")
    ? { text: t.lookalikeMarker, label: t.lookalikeMarkerLabel }
    : warnings.includes("unverified")
      ? { text: t.unverifiedMarker, label: t.unverifiedMarkerLabel }
      : null;
  if (!marker) return null;
  return (
    <span class="tag tag--warning" data-warning-marker>
      <span aria-hidden="true">{marker.text}</span>
      <span class="visually-hidden">{marker.label}</span>
    </span>
  );
}

function MessageRow({
  m,
  folders,
  showFolder,
  now,
}: {
  m: MessageSummary;
  folders: ReadonlyMap<number, Folder>;
  showFolder: boolean;
  now: Date;
}) {
  const folder = folders.get(m.folderId);
  const outgoing = folder?.role === "sent" || folder?.role === "drafts";
  const sender = senderParts(m.sender);
  const who = outgoing ? `${t.toPrefix}${m.to}` : senderListText(m.sender);
  const subject = subjectText(m.subject);
  const checkboxId = `message-${m.id}`;
  return (
    <li
      class={`message${m.flags.seen ? "" : " message--unread"}${m.flags.flagged ? " message--flagged" : ""}`}
      data-message-id={String(m.id)}
      data-folder-id={String(m.folderId)}
      data-seen={String(m.flags.seen)}
      data-flagged={String(m.flags.flagged)}
    >
      <span class="message-select">
        <input type="checkbox" name="ids" value={String(m.id)} id={checkboxId} />
        <label for={checkboxId} class="visually-hidden">
          {t.select(subject, who)}
        </label>
      </span>
      <a href={messageUrl(m.id)} class="message-link" data-message-link>
        <span class={!outgoing && sender.extra ? "message-from message-from--domain" : "message-from"}>
          <span class="tag tag--unread" data-unread-tag hidden={m.flags.seen}>
            {t.unread}
          </span>{" "}
          {!outgoing && sender.extra ? (
            <>
              <span class="sender-name">{sender.label}</span> <span class="sender-domain">{sender.extra}</span>
            </>
          ) : (
            who
          )}
        </span>
        <WarningMarker warnings={m.warnings} />
        <span class="message-subject">{subject}</span>
        {m.preview ? <span class="message-preview">{m.preview}</span> : null}
      </a>
      <span class="message-meta">
        <span class="message-flag" data-flag-mark hidden={!m.flags.flagged}>
          <Icon kind="flag" />
          <span class="visually-hidden">{t.flagged}</span>
        </span>
        {m.hasAttachments ? (
          <span class="message-clip">
            <Icon kind="clip" />
            <span class="visually-hidden">{t.hasAttachments}</span>
          </span>
        ) : null}
        <time dateTime={m.date.toISOString()} title={frenchDateTime(m.date)}>
          {frenchShortDate(m.date, now)}
        </time>
        <span class="message-size">{frenchSize(m.sizeBytes)}</span>
        {showFolder && folder ? <span class="message-folder">{t.folderOf(folderLabel(folder))}</span> : null}
      </span>
    </li>
  );
}

/**
 * « Ce message n'est pas indésirable » in Indésirables, and « Signaler un filoutage » wherever
 * received mail is (not in Brouillons or Envoyés): in the list's toolbar (for the selected messages,
 * `notJunkLabel` saying so) and in the reading view (for the message).
 */
function JunkActions({ role, notJunkLabel }: { role: FolderRole | null | undefined; notJunkLabel: string }) {
  return (
    <>
      {role === "junk" ? (
        <button type="submit" name="action" value="pas-indesirable" class="button-small">
          {notJunkLabel}
        </button>
      ) : null}
      {role !== "drafts" && role !== "sent" ? (
        <button type="submit" name="action" value="signaler" class="button-small">
          {t.reportPhishing}
        </button>
      ) : null}
    </>
  );
}

function MoveSelect({ folders, exclude, id }: { folders: readonly Folder[]; exclude: number | null; id: string }) {
  return (
    <span class="move-to">
      <label for={id}>{t.moveTo}</label>
      <select id={id} name="destination" data-move-select>
        <option value="">{t.moveChoose}</option>
        {folders
          .filter((f) => f.id !== exclude)
          .map((f) => (
            <option key={f.id} value={String(f.id)}>
              {folderOptionText(f)}
            </option>
          ))}
      </select>
    </span>
  );
}

/** The toolbar's marks: the `action` each button posts, and its text. */
const MARK_ACTIONS = [
  ["lu", t.markRead],
  ["non-lu", t.markUnread],
  ["suivre", t.flag],
  ["ne-plus-suivre", t.unflag],
] as const;

export function MessageList({ ctx, vm }: { ctx: PageContext; vm: MessageListModel }) {
  const byId = new Map(vm.folders.map((f) => [f.id, f]));
  const inTrash = vm.folder?.role === "trash";
  if (vm.items.length === 0) return vm.emptyText ? <p class="empty">{vm.emptyText}</p> : null;
  return (
    <>
      <form method="post" action="/mail/actions" class="message-form" id="actions-messages" data-message-form>
        <CsrfInput token={ctx.csrfToken} />
        <input type="hidden" name="retour" value={vm.back} />
        <fieldset class="toolbar">
          <legend class="visually-hidden">{t.actionsLabel}</legend>
          <button type="button" class="button-small" hidden data-select-all>
            {t.selectAll}
          </button>
          {MARK_ACTIONS.map(([value, label]) => (
            <button key={value} type="submit" name="action" value={value} class="button-small">
              {label}
            </button>
          ))}
          <MoveSelect folders={vm.folders} exclude={vm.folder?.id ?? null} id="destination" />
          <button type="submit" name="action" value="deplacer" class="button-small" data-move-button>
            {t.move}
          </button>
          <button type="submit" name="action" value="supprimer" class="button-small button-danger">
            {inTrash ? t.removeForGood : t.remove}
          </button>
          <JunkActions role={vm.folder?.role} notJunkLabel={t.notJunkSelected} />
        </fieldset>
        <ul class="message-list" aria-label={t.messagesLabel} data-message-list>
          {vm.items.map((m) => (
            <MessageRow key={m.id} m={m} folders={byId} showFolder={vm.folder === null} now={vm.now} />
          ))}
        </ul>
      </form>
      {vm.olderHref || vm.newestHref ? (
        <nav class="pagination" aria-label={t.paginationLabel}>
          <ul>
            {vm.newestHref ? (
              <li>
                <a href={vm.newestHref}>{t.newest}</a>
              </li>
            ) : null}
            {vm.olderHref ? (
              <li>
                <a href={vm.olderHref} rel="next">
                  {t.older}
                </a>
              </li>
            ) : null}
          </ul>
        </nav>
      ) : null}
    </>
  );
}

// ------------------------------------------------------------------------------------------------
// Pages

export interface FolderPageModel {
  readonly folder: Folder;
  readonly list: MessageListModel;
}

export function FolderPage({ shell, vm }: { shell: MailShell; vm: FolderPageModel }) {
  const name = folderLabel(vm.folder);
  return (
    <MailLayout shell={shell} title={name}>
      <p class="folder-summary">{t.folderSummary(vm.folder.total, vm.folder.unread)}</p>
      {vm.folder.role === "trash" && vm.folder.total > 0 ? (
        <p>
          <a href="/mail/corbeille/vider" class="button-secondary-link">
            {t.emptyTrash}
          </a>
        </p>
      ) : null}
      <MessageList ctx={shell.ctx} vm={vm.list} />
    </MailLayout>
  );
}

export function EmptyTrashPage({ shell, trash }: { shell: MailShell; trash: Folder }) {
  return (
    <MailLayout shell={shell} title={t.emptyTrashTitle}>
      <p>{t.emptyTrashConfirm(trash.total)}</p>
      {trash.total > 0 ? (
        <form method="post" action="/mail/corbeille/vider" class="form">
          <CsrfInput token={shell.ctx.csrfToken} />
          <button type="submit" class="button-primary button-danger">
            {t.emptyTrashSubmit}
          </button>
        </form>
      ) : null}
      <p>
        <a href={folderUrl(trash)}>{t.cancel}</a>
      </p>
    </MailLayout>
  );
}

/** The « Vous allez quitter la messagerie » page of one link of a message (its URL as `normalizeLink` gives it). */
export function leaveUrl(messageId: number, href: string): string {
  return `${messageUrl(messageId)}/lien?url=${encodeURIComponent(href)}`;
}

/**
 * Web addresses become links (opened without referrer); everything else stays text. A flagged
 * message's links go through « Vous allez quitter la messagerie » first.
 */
function TextBody({ text, guardedBy }: { text: string; guardedBy: number | null }) {
  const parts = splitTextLinks(text);
  return (
    <div class="message-text">
      {parts.map((part, i) => {
        if (i % 2 === 0) return part;
        if (guardedBy === null) {
          return (
            <a key={i} href={part} rel="noopener noreferrer nofollow">
              {part}
            </a>
          );
        }
        const href = normalizeLink(part);
        return href === null ? (
          part
        ) : (
          <a key={i} href={leaveUrl(guardedBy, href)} rel="nofollow">
            {part}
          </a>
        );
      })}
    </div>
  );
}

export interface ReadingModel {
  readonly message: MessageView;
  readonly folder: Folder | null;
  /** The HTML body's state: absent when the message has none. */
  readonly html?: { readonly frameSrc: string; readonly blocked: boolean; readonly allowed: boolean };
  readonly sandbox: string;
  readonly now: Date;
}

/** Répondre, Répondre à tous, Transférer (or, in Brouillons, Reprendre le brouillon): links to the compose page. */
function ReplyActions({ id, drafts }: { id: number; drafts: boolean }) {
  const c = fr.compose;
  const links: [string, string][] = drafts
    ? [[`brouillon=${id}`, c.resumeDraft]]
    : [
        [`repondre=${id}`, c.reply],
        [`repondre-a-tous=${id}`, c.replyAll],
        [`transferer=${id}`, c.forward],
        [`transferer-en-piece-jointe=${id}`, c.forwardAttached],
      ];
  return (
    <nav class="toolbar reply-actions" aria-label={c.replyActions}>
      <ul>
        {links.map(([query, label]) => (
          <li key={query}>
            <a href={`/mail/nouveau?${query}`} class="button-secondary-link">
              {label}
            </a>
          </li>
        ))}
      </ul>
    </nav>
  );
}

/**
 * What the reader must know about the sender before trusting or answering the message: what the
 * reception found (one list, most serious first), a domain that mixes alphabets, a display name
 * holding another address, answers going elsewhere.
 */
function SenderWarnings({ message: m }: { message: MessageView }) {
  const domain = m.sender?.domain;
  const address = m.sender ? senderFullText({ ...m.sender, name: "" }) : "";
  const nameHasAddress = m.sender?.nameHasAddress === true;
  const lineOf: Record<MessageView["warnings"][number], string> = {
    lookalike: t.lookalikeWarning(domain?.ascii ?? address, m.imitates ?? ""),
    unverified: t.unverifiedWarning,
    // A display name holding another address is said as such, in its place in the list.
    impersonation: nameHasAddress ? t.nameHasAddressWarning(address) : t.impersonationWarning(address),
    outside: t.outsideWarning,
    credentials: t.credentialsWarning,
  };
  const lines = m.warnings.map((w) => lineOf[w]);
  return (
    <>
      {lines.length > 0 ? (
        <section class="notice notice--warning inbound-warnings" aria-label={t.inboundWarningsLabel}>
          <ul>
            {lines.map((line) => (
              <li key={line}>{line}</li>
            ))}
          </ul>
        </section>
      ) : null}
      {domain?.mixedScripts ? (
        <p class="notice sender-warning">{t.mixedScriptsWarning(domain.unicode, domain.ascii)}</p>
      ) : null}
      {nameHasAddress && !m.warnings.includes("impersonation") ? (
        <p class="notice sender-warning">{t.nameHasAddressWarning(address)}</p>
      ) : null}
      {m.repliesGoTo.length > 0 ? (
        <p class="notice replies-elsewhere">{t.repliesGoTo(m.repliesGoTo.map(senderFullText).join(", "))}</p>
      ) : null}
    </>
  );
}

export function ReadingPage({ shell, vm }: { shell: MailShell; vm: ReadingModel }) {
  const m = vm.message;
  const subject = subjectText(m.subject);
  const back = vm.folder ? folderUrl(vm.folder) : "/mail";
  const attachments = m.attachments.filter((a) => !a.inline);
  const inTrash = vm.folder?.role === "trash";
  const headerRow = (label: string, value: ComponentChildren) => (
    <div class="header-row">
      <dt>{label}</dt>
      <dd>{value}</dd>
    </div>
  );
  return (
    <MailLayout shell={shell} title={subject}>
      <p class="back-link">
        <a href={back}>{t.backTo(vm.folder ? folderLabel(vm.folder) : t.roles.inbox)}</a>
      </p>
      <ReplyActions id={m.id} drafts={vm.folder?.role === "drafts"} />
      {m.from?.address && vm.folder?.role !== "drafts" && vm.folder?.role !== "sent" ? (
        <form method="post" action="/mail/contacts" class="inline-form add-contact">
          <CsrfInput token={shell.ctx.csrfToken} />
          <input type="hidden" name="name" value={m.from.name} />
          <input type="hidden" name="address" value={m.from.address} />
          <input type="hidden" name="retour" value={messageUrl(m.id)} />
          <button type="submit" class="button-small">
            {contactsFr.addFromMessage}
          </button>
        </form>
      ) : null}
      <form
        method="post"
        action="/mail/actions"
        class="toolbar message-actions"
        aria-label={t.messageActions}
        data-reading-form
      >
        <CsrfInput token={shell.ctx.csrfToken} />
        <input type="hidden" name="ids" value={String(m.id)} />
        <input type="hidden" name="message" value={String(m.id)} />
        <input type="hidden" name="retour" value={back} />
        <button type="submit" name="action" value="non-lu" class="button-small" data-shortcut="r">
          {t.markUnread}
        </button>
        {m.flags.flagged ? (
          <button type="submit" name="action" value="ne-plus-suivre" class="button-small" data-shortcut="f">
            {t.unflag}
          </button>
        ) : (
          <button type="submit" name="action" value="suivre" class="button-small" data-shortcut="f">
            {t.flag}
          </button>
        )}
        <MoveSelect folders={shell.folders} exclude={m.folderId} id="destination" />
        <button type="submit" name="action" value="deplacer" class="button-small">
          {t.move}
        </button>
        <button type="submit" name="action" value="supprimer" class="button-small button-danger" data-shortcut="Delete">
          {inTrash ? t.removeForGood : t.remove}
        </button>
        <JunkActions role={vm.folder?.role} notJunkLabel={t.notJunk} />
      </form>
      <h2 class="visually-hidden">{t.headersLabel}</h2>
      <dl class="message-headers">
        {headerRow(t.from, m.sender ? <span class="address">{senderFullText(m.sender)}</span> : t.unknownSender)}
        {m.toList.length > 0
          ? headerRow(t.to, <span class="address">{m.toList.map(mailboxFull).join(", ")}</span>)
          : null}
        {m.ccList.length > 0
          ? headerRow(t.cc, <span class="address">{m.ccList.map(mailboxFull).join(", ")}</span>)
          : null}
        {m.replyTo.length > 0
          ? headerRow(t.replyTo, <span class="address">{m.replyTo.map(mailboxFull).join(", ")}</span>)
          : null}
        {headerRow(t.date, <time dateTime={m.date.toISOString()}>{frenchDateTime(m.date)}</time>)}
        {headerRow(t.subject, subject)}
      </dl>
      <p class="message-source-link">
        <a href={`${messageUrl(m.id)}/source`}>{fr.source.link}</a>
      </p>
      <SenderWarnings message={m} />
      {vm.html ? (
        <>
          {vm.html.blocked && !vm.html.allowed ? (
            <div class="notice notice--info remote-notice">
              <p>{t.remoteBlocked}</p>
              <p>
                <a href={`${messageUrl(m.id)}?images=1`} class="button-secondary-link">
                  {t.showRemote}
                </a>
              </p>
            </div>
          ) : null}
          {vm.html.allowed ? <p class="hint">{t.remoteShown}</p> : null}
          <iframe class="message-frame" sandbox={vm.sandbox} src={vm.html.frameSrc} title={t.frameTitle} />
        </>
      ) : m.text !== null && m.text.trim() !== "" ? (
        <TextBody text={m.text} guardedBy={isFlagged(m.warnings) ? m.id : null} />
      ) : (
        <p class="empty">{t.noBody}</p>
      )}
      {attachments.length > 0 ? (
        <section aria-labelledby="pieces-jointes-titre" class="attachments">
          <h2 id="pieces-jointes-titre">{t.attachmentsTitle}</h2>
          <ul>
            {attachments.map((a) => (
              <li key={a.index}>
                <Icon kind="clip" />{" "}
                <a href={`${messageUrl(m.id)}/pieces-jointes/${a.index}`} download={a.filename}>
                  {t.attachmentLabel(a.filename, frenchSize(a.sizeBytes))}
                </a>
              </li>
            ))}
          </ul>
        </section>
      ) : null}
      {m.thread.length > 0 ? (
        <section aria-labelledby="conversation-titre" class="thread">
          <h2 id="conversation-titre">
            {t.threadTitle} <span class="thread-count">({t.threadCount(m.thread.length)})</span>
          </h2>
          <ol>
            {m.thread.map((item) => (
              <li key={item.id} class={item.flags.seen ? undefined : "message--unread"}>
                <a href={messageUrl(item.id)}>{subjectText(item.subject)}</a>
                {" — "}
                {senderListText(item.sender)}
                {", "}
                <time dateTime={item.date.toISOString()}>{frenchShortDate(item.date, vm.now)}</time>
                {item.flags.seen ? null : <span class="tag tag--unread"> {t.unread}</span>}
              </li>
            ))}
          </ol>
        </section>
      ) : null}
    </MailLayout>
  );
}

// Folder management

export interface ManageFoldersModel {
  readonly errors?: FieldErrors;
  readonly name?: string;
  readonly parentId?: number | null;
}

/** A folder's name, as the create and rename forms ask for it. */
function FolderNameField(p: { label: string; value: string; errors: readonly string[] | undefined }) {
  return <Field name="nom" {...p} hint={t.folderNameHint} required autocomplete="off" />;
}

export function ManageFoldersPage({ shell, vm }: { shell: MailShell; vm: ManageFoldersModel }) {
  const errors = vm.errors ?? {};
  const own = shell.folders.filter((f) => f.role === null);
  return (
    <MailLayout shell={shell} title={t.manageTitle} hasErrors={Object.keys(errors).length > 0}>
      <Section id="vos-dossiers" title={t.yourFolders}>
        <p class="hint">{t.specialNote}</p>
        {own.length === 0 ? (
          <p>{t.noUserFolders}</p>
        ) : (
          <ul class="manage-list">
            {own.map((f) => (
              <li key={f.id} class={`depth-${Math.min(f.depth, 6)}`}>
                <a href={folderUrl(f)} class="manage-name">
                  {f.name}
                </a>{" "}
                <span class="manage-count">({t.folderSummary(f.total, f.unread).replace(/\.$/, "")})</span>{" "}
                <span class="manage-actions">
                  <a href={`/mail/dossiers/${f.id}/renommer`} aria-label={t.renameOf(f.name)}>
                    {t.rename}
                  </a>{" "}
                  <a href={`/mail/dossiers/${f.id}/supprimer`} aria-label={t.deleteOf(f.name)}>
                    {t.remove}
                  </a>
                </span>
              </li>
            ))}
          </ul>
        )}
      </Section>
      <Section id="creer-dossier" title={t.createTitle}>
        <ErrorSummary errors={errors} labels={{ nom: t.folderName, parent: t.parent }} />
        <PostForm action="/mail/dossiers" token={shell.ctx.csrfToken} class="form">
          <FolderNameField label={t.folderName} value={vm.name ?? ""} errors={errors.nom} />
          <SelectField name="parent" label={t.parent} errors={errors.parent}>
            <option value="">{t.parentNone}</option>
            {shell.folders
              .filter((f) => f.role !== "trash")
              .map((f) => (
                <option key={f.id} value={String(f.id)} selected={vm.parentId === f.id}>
                  {folderOptionText(f)}
                </option>
              ))}
          </SelectField>
          <button type="submit" class="button-primary">
            {t.create}
          </button>
        </PostForm>
      </Section>
    </MailLayout>
  );
}

export function RenameFolderPage({
  shell,
  folder,
  name,
  errors = {},
}: {
  shell: MailShell;
  folder: Folder;
  name?: string;
  errors?: FieldErrors;
}) {
  const title = t.renameTitle(folderLabel(folder));
  return (
    <MailLayout shell={shell} title={title} hasErrors={Object.keys(errors).length > 0}>
      <ErrorSummary errors={errors} labels={{ nom: t.newName }} />
      {folder.role === null ? (
        <PostForm action={`/mail/dossiers/${folder.id}/renommer`} token={shell.ctx.csrfToken} class="form">
          <FolderNameField label={t.newName} value={name ?? folder.name} errors={errors.nom} />
          <button type="submit" class="button-primary">
            {t.renameSubmit}
          </button>
        </PostForm>
      ) : (
        <Notice kind="error">{fr.codes.FOLDER_PROTECTED}</Notice>
      )}
      <p>
        <a href="/mail/dossiers">{t.cancel}</a>
      </p>
    </MailLayout>
  );
}

export function DeleteFolderPage({
  shell,
  folder,
  subfolders,
  total,
}: {
  shell: MailShell;
  folder: Folder;
  subfolders: number;
  total: number;
}) {
  return (
    <MailLayout shell={shell} title={t.deleteTitle(folderLabel(folder))}>
      {folder.role === null ? (
        <>
          <p>{t.deleteConfirm(total, subfolders)}</p>
          <form method="post" action={`/mail/dossiers/${folder.id}/supprimer`} class="form">
            <CsrfInput token={shell.ctx.csrfToken} />
            <button type="submit" class="button-primary button-danger">
              {t.deleteSubmit}
            </button>
          </form>
        </>
      ) : (
        <Notice kind="error">{fr.codes.FOLDER_PROTECTED}</Notice>
      )}
      <p>
        <a href="/mail/dossiers">{t.cancel}</a>
      </p>
    </MailLayout>
  );
}

// Search

export interface SearchForm {
  readonly q: string;
  readonly de: string;
  readonly a: string;
  readonly objet: string;
  readonly du: string;
  readonly au: string;
  readonly pj: boolean;
  /** "" for every folder. */
  readonly dossier: string;
}

export interface SearchPageModel {
  readonly form: SearchForm;
  readonly errors?: FieldErrors;
  /** Absent when nothing was asked yet (or the form has errors). */
  readonly results?: MessageListModel;
}

export function SearchPage({ shell, vm }: { shell: MailShell; vm: SearchPageModel }) {
  const errors = vm.errors ?? {};
  const f = vm.form;
  const advancedOpen =
    f.de !== "" || f.a !== "" || f.objet !== "" || f.du !== "" || f.au !== "" || f.pj || f.dossier !== "";
  return (
    <MailLayout shell={shell} title={t.searchTitle} hasErrors={Object.keys(errors).length > 0} withQuickSearch={false}>
      <ErrorSummary errors={errors} labels={{ q: t.searchLabel, du: t.since, au: t.until, dossier: t.inFolder }} />
      {/* biome-ignore lint/a11y/useSemanticElements: role=search on the form is the widely supported landmark */}
      <form method="get" action="/mail/recherche" class="form search-form" role="search" novalidate>
        <Field name="q" label={t.searchLabel} value={f.q} hint={t.searchHint} errors={errors.q} autocomplete="off" />
        <details class="choice advanced-search" open={advancedOpen || Object.keys(errors).length > 0}>
          <summary>{t.advanced}</summary>
          <div class="choice-body form">
            <Field name="de" label={t.searchFrom} value={f.de} errors={errors.de} autocomplete="off" />
            <Field name="a" label={t.searchTo} value={f.a} errors={errors.a} autocomplete="off" />
            <Field name="objet" label={t.searchSubject} value={f.objet} errors={errors.objet} autocomplete="off" />
            <div class="date-range">
              <Field name="du" label={t.since} value={f.du} hint={t.dateHint} errors={errors.du} autocomplete="off" />
              <Field name="au" label={t.until} value={f.au} hint={t.dateHint} errors={errors.au} autocomplete="off" />
            </div>
            <div class="checkbox-field">
              <input type="checkbox" id="champ-pj" name="pj" value="1" checked={f.pj} />
              <label for="champ-pj">{t.withAttachments}</label>
            </div>
            <SelectField name="dossier" label={t.inFolder} errors={errors.dossier}>
              <option value="">{t.allFolders}</option>
              {shell.folders.map((folder) => (
                <option key={folder.id} value={String(folder.id)} selected={f.dossier === String(folder.id)}>
                  {folderOptionText(folder)}
                </option>
              ))}
            </SelectField>
          </div>
        </details>
        <button type="submit" class="button-primary">
          {t.searchSubmit}
        </button>
      </form>
      {vm.results ? (
        <section aria-labelledby="resultats-titre" class="results">
          <h2 id="resultats-titre">{t.resultsTitle}</h2>
          <p role="status">{t.resultsCount(vm.results.items.length, vm.results.olderHref !== null)}</p>
          <MessageList ctx={shell.ctx} vm={vm.results} />
        </section>
      ) : null}
    </MailLayout>
  );
}
