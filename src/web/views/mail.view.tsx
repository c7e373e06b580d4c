/**
 * The webmail behind the sign-in: folders with their unread counts and the quota,
 * message lists (one component for folders and search results), the reading view, folder
 * management, search, and the keyboard shortcuts' help. Every page works without JavaScript;
 * src/web/client/mail.ts adds the shortcuts, drag-and-drop and in-place updates.
 */
import type { ComponentChildren } from "preact";
import { isFlagged, normalizeLink, splitTextLinks } from "../../mail/deceptive-links.js";
import type {
  Attachment,
  DomainDisplay,
  Folder,
  FolderRole,
  Mailbox,
  MessageSummary,
  MessageView,
  Quota,
  SenderDisplay,
} from "../../mail/mail.types.js";
import { DEFAULT_DISPLAY, type DisplayPreferences } from "../../mail/settings.service.js";
import { contactsFr } from "../i18n/contacts.fr.js";
import { fr, frenchDateTime, frenchShortDate, frenchSize } from "../i18n/fr.js";
import { settingsFr } from "../i18n/settings.fr.js";
import { folderUrl, messageUrl, withParams } from "../urls.js";
import {
  CsrfInput,
  ErrorSummary,
  Field,
  type FieldErrors,
  Notice,
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

/** The icons of the mailbox, drawn once per page (`IconSprite`) and used by name. */
const ICON_PATHS = {
  flag: "M5 21V3h13l-3 4.5L18 12H7v9z",
  clip: "M16.5 6.5l-8 8a2.5 2.5 0 0 0 3.5 3.5l8.5-8.5a4.5 4.5 0 0 0-6.4-6.4L5.6 11.6a6.5 6.5 0 0 0 9.2 9.2l6.2-6.2",
  read: "M3 10l9-6 9 6v10H3zM3 10l9 6 9-6",
  unread: "M3 6h18v12H3zM3 6l9 7 9-7",
  unflag: "M5 21V3h13l-3 4.5L18 12H7M4 3l16 18",
  move: "M3 6h6l2 2h10v11H3zM12 13h6M15 10l3 3-3 3",
  trash: "M4 7h16M9 7V4h6v3M6 7l1 13h10l1-13M10 11v6M14 11v6",
  report: "M12 3l8 3v6c0 5-3.5 8-8 9-4.5-1-8-4-8-9V6zM12 8v5M12 16v.5",
  inbox: "M3 13l3-8h12l3 8v6H3zM3 13h5l1 3h6l1-3h5",
  menu: "M4 6h16M4 12h16M4 18h16",
  search: "M10.5 4a6.5 6.5 0 1 0 0 13 6.5 6.5 0 0 0 0-13zM15.5 15.5L21 21",
  logout: "M14 4h5v16h-5M10 8l-4 4 4 4M6 12h10",
  more: "M5 12h.01M12 12h.01M19 12h.01",
  reply: "M10 8V4l-7 7 7 7v-4c5 0 8.5 1.6 11 5-1-5-4-10-11-11z",
  replyAll: "M13 8V4l-7 7 7 7v-4c5 0 6.5 1.6 9 5-1-5-3-10-9-11zM8 4l-7 7 7 7",
  forward: "M14 8V4l7 7-7 7v-4c-5 0-8.5 1.6-11 5 1-5 4-10 11-11z",
  download: "M12 3v12M7 10l5 5 5-5M4 20h16",
  file: "M6 3h8l5 5v13H6zM14 3v5h5",
  back: "M15 5l-7 7 7 7",
  selectAll: "M4 4h16v16H4zM8 12l3 3 5-6",
} as const;
export type IconName = keyof typeof ICON_PATHS;

/** The page's icons, once: every `Icon` below points into it (`<use>`), so a list of 50 rows stays light. */
export function IconSprite() {
  return (
    <svg class="icon-sprite" aria-hidden="true" focusable="false">
      {Object.entries(ICON_PATHS).map(([name, d]) => (
        <symbol key={name} id={`i-${name}`} viewBox="0 0 24 24">
          <path
            d={d}
            fill={name === "flag" ? "currentColor" : "none"}
            stroke="currentColor"
            stroke-width={name === "more" ? "3.5" : "2"}
            stroke-linecap="round"
            stroke-linejoin="round"
          />
        </symbol>
      ))}
    </svg>
  );
}

export function Icon({ kind }: { kind: IconName }) {
  return (
    <svg class={`icon icon--${kind}`} width="16" height="16" aria-hidden="true" focusable="false">
      <use href={`#i-${kind}`} />
    </svg>
  );
}

// ------------------------------------------------------------------------------------------------
// The frame of every mail page: top bar (menu, search, account), folders, quota, heading, shortcuts.

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
  /** How the person chose to see the mailbox (Paramètres → Affichage). */
  readonly display?: DisplayPreferences;
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

function MailHeader({ shell, withQuickSearch }: { shell: MailShell; withQuickSearch: boolean }) {
  const { ctx, account } = shell;
  return (
    <div class="mail-header">
      <a href="#menu-dossiers" class="nav-toggle" data-nav-toggle aria-controls="menu-dossiers">
        <Icon kind="menu" /> <span>{t.openMenu}</span>
      </a>
      {withQuickSearch ? (
        // biome-ignore lint/a11y/useSemanticElements: role=search on the form is the widely supported landmark
        <form method="get" action="/mail/recherche" role="search" class="quick-search">
          <label for="recherche-rapide" class="visually-hidden">
            {t.searchLabel}
          </label>
          <input type="search" id="recherche-rapide" name="q" maxLength={200} />
          <button type="submit" class="icon-button" title={t.searchSubmit}>
            <Icon kind="search" />
            <span class="visually-hidden">{t.searchSubmit}</span>
          </button>
        </form>
      ) : null}
      <div class="account-bar">
        <p class="account-name">
          {t.signedInAs} <strong>{account.name}</strong> (<span class="address">{account.address}</span>)
        </p>
        <form method="post" action="/deconnexion" class="inline-form">
          <CsrfInput token={ctx.csrfToken} />
          <button type="submit" class="icon-button logout-button" title={t.logout}>
            <Icon kind="logout" />
            <span class="wide-text">{t.logout}</span>
          </button>
        </form>
      </div>
    </div>
  );
}

export function MailLayout({
  shell,
  title,
  heading,
  headingExtra,
  hasErrors,
  withQuickSearch = true,
  children,
}: {
  shell: MailShell;
  title: string;
  /** The h1 (the title when absent). */
  heading?: string;
  /** Beside the h1: the folder's counts, its own links. */
  headingExtra?: ComponentChildren;
  hasErrors?: boolean;
  withQuickSearch?: boolean;
  children: ComponentChildren;
}) {
  const { ctx, notice } = shell;
  const display = shell.display ?? DEFAULT_DISPLAY;
  return (
    <Layout
      title={title}
      ctx={ctx}
      hasErrors={hasErrors}
      bodyClass="mail-page"
      header={<MailHeader shell={shell} withQuickSearch={withQuickSearch} />}
    >
      <IconSprite />
      <div class={`mail-app density-${display.density}`} data-mail-app>
        <div class="mail-shell">
          <nav
            class="mail-nav"
            id="menu-dossiers"
            aria-labelledby="dossiers-titre"
            data-unread-one={`, ${t.unreadCount(1)}`}
            data-unread-many={`, ${t.unreadCount(2).replace("2", "{n}")}`}
          >
            <p class="nav-close-line">
              <a href="#contenu" class="nav-close" data-nav-close>
                <Icon kind="back" /> {t.closeMenu}
              </a>
            </p>
            <p class="compose-link">
              <a href="/mail/nouveau" class="button-link">
                {fr.compose.newMessage}
              </a>
            </p>
            <h2 id="dossiers-titre">{t.foldersTitle}</h2>
            <FolderTree folders={shell.folders} currentId={shell.currentFolderId ?? null} />
            <ul class="manage-links">
              <li>
                <a href="/mail/dossiers">{t.manageFolders}</a>
              </li>
              <li>
                <a href="/mail/contacts">{contactsFr.title}</a>
              </li>
              <li>
                <a href="/mail/parametres">{settingsFr.title}</a>
              </li>
            </ul>
            <QuotaMeter quota={shell.quota} />
          </nav>
          <div class="mail-content">
            <div class="content-head">
              <h1>{heading ?? title}</h1>
              {headingExtra}
            </div>
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
              data-opened={t.live.opened}
              data-read={t.live.read}
              data-unread={t.live.unread}
              data-flagged={t.live.flagged}
              data-unflagged={t.live.unflagged}
              data-removed={t.live.removed}
              data-failed={t.live.failed}
            />
            {children}
          </div>
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

/** A row of the list: a message, or (grouped by conversation) a conversation's newest message. */
export type ListItem = MessageSummary & { readonly threadCount?: number; readonly threadUnread?: number };

export interface MessageListModel {
  readonly items: readonly ListItem[];
  readonly folders: readonly Folder[];
  /** The folder listed (null for search results: each line then names its folder). */
  readonly folder: Folder | null;
  /** This page of the list (its cursor included): where the actions come back to. */
  readonly back: string;
  readonly olderHref: string | null;
  readonly newestHref: string | null;
  readonly emptyText: string;
  readonly now: Date;
  /** Rows open their message in the reading pane beside the list (else on a page of its own). */
  readonly pane?: boolean;
  /** The message open in the pane. */
  readonly openId?: number | null;
  readonly showSize?: boolean;
}

/** A row's link: the list with the message in the pane, or the reading page. */
export function rowHref(vm: Pick<MessageListModel, "pane" | "back">, id: number): string {
  return vm.pane ? withParams(vm.back, { lire: String(id) }) : messageUrl(id);
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
  href,
  open,
  showSize,
  first = false,
}: {
  m: ListItem;
  folders: ReadonlyMap<number, Folder>;
  showFolder: boolean;
  now: Date;
  href: string;
  open: boolean;
  showSize: boolean;
  /** The list's first row: named for Chromium's Element Timing (the page benchmark's "first row painted"). */
  first?: boolean;
}) {
  const folder = folders.get(m.folderId);
  const outgoing = folder?.role === "sent" || folder?.role === "drafts";
  const sender = senderParts(m.sender);
  const who = outgoing ? `${t.toPrefix}${m.to}` : senderListText(m.sender);
  const subject = subjectText(m.subject);
  const checkboxId = `message-${m.id}`;
  const count = m.threadCount ?? 1;
  // A conversation is unread while one of its messages is.
  const unread = (m.threadUnread ?? (m.flags.seen ? 0 : 1)) > 0;
  return (
    <li
      class={`message${unread ? " message--unread" : ""}${m.flags.flagged ? " message--flagged" : ""}${open ? " is-open" : ""}`}
      data-message-id={String(m.id)}
      data-folder-id={String(m.folderId)}
      data-seen={String(!unread)}
      data-flagged={String(m.flags.flagged)}
    >
      <span class="message-select">
        <input type="checkbox" name="ids" value={String(m.id)} id={checkboxId} />
        <label for={checkboxId}>
          <span class="visually-hidden">{t.select(subject, who)}</span>
        </label>
      </span>
      <a href={href} class="message-link" data-message-link aria-current={open ? "true" : undefined}>
        <span class="message-from">
          <span class="message-dot" aria-hidden="true" />
          <span class="visually-hidden" data-unread-tag hidden={!unread}>
            {t.unreadWords},{" "}
          </span>
          {!outgoing && sender.extra ? (
            <>
              <span class="sender-name">{sender.label}</span> <span class="sender-domain">{sender.extra}</span>
            </>
          ) : (
            <span class="sender-name">{who}</span>
          )}
          {count > 1 ? (
            <span class="message-count" title={t.conversationLabel(count, m.threadUnread ?? 0)}>
              <span aria-hidden="true">{count}</span>
              <span class="visually-hidden">{t.conversationLabel(count, m.threadUnread ?? 0)}</span>
            </span>
          ) : null}
        </span>
        <span class="message-summary" elementtiming={first ? "premiere-ligne" : undefined}>
          <WarningMarker warnings={m.warnings} />
          <span class="message-subject">{subject}</span>
          {m.preview ? <span class="message-preview"> — {m.preview}</span> : null}
        </span>
      </a>
      <span class="message-meta">
        {m.flags.answered ? (
          <span class="message-answered" title={t.answered}>
            <Icon kind="reply" />
            <span class="visually-hidden">{t.answered}</span>
          </span>
        ) : null}
        <span class="message-flag" data-flag-mark hidden={!m.flags.flagged} title={t.flagged}>
          <Icon kind="flag" />
          <span class="visually-hidden">{t.flagged}</span>
        </span>
        {m.hasAttachments ? (
          <span class="message-clip" title={t.hasAttachments}>
            <Icon kind="clip" />
            <span class="visually-hidden">{t.hasAttachments}</span>
          </span>
        ) : null}
        <time dateTime={m.date.toISOString()} title={frenchDateTime(m.date)}>
          {frenchShortDate(m.date, now)}
        </time>
        {showSize ? <span class="message-size">{frenchSize(m.sizeBytes)}</span> : null}
        {showFolder && folder ? <span class="message-folder">{t.folderOf(folderLabel(folder))}</span> : null}
      </span>
    </li>
  );
}

type ToolName = keyof typeof t.tools;

/** A toolbar button: an icon and its words (the words' end shown beside the icon on wide screens). */
function Tool({ value, tool, icon, extra }: { value: string; tool: ToolName; icon: IconName; extra?: string }) {
  const [hidden, shown] = t.tools[tool];
  return (
    <button
      type="submit"
      name="action"
      value={value}
      class={`tool${extra ? ` ${extra}` : ""}`}
      title={`${hidden}${shown}`}
      data-tool={value}
    >
      <Icon kind={icon} />
      <span class="tool-text">
        {hidden ? <span class="visually-hidden">{hidden}</span> : null}
        {shown}
      </span>
    </button>
  );
}

/**
 * « Déplacer vers »: a menu of the folders (a `<details>`: it opens without JavaScript), each a
 * submit button (`vers`) of the form it is in.
 */
function MoveMenu({ folders, exclude }: { folders: readonly Folder[]; exclude: number | null }) {
  return (
    <details class="menu move-menu" data-move-menu>
      <summary class="tool">
        <Icon kind="move" />
        <span class="tool-text">{t.moveMenu}</span>
      </summary>
      <ul class="menu-body">
        {folders
          .filter((f) => f.id !== exclude)
          .map((f) => (
            <li key={f.id}>
              <button type="submit" name="vers" value={String(f.id)} class={`menu-item depth-${Math.min(f.depth, 4)}`}>
                {folderLabel(f)}
              </button>
            </li>
          ))}
      </ul>
    </details>
  );
}

/**
 * « Ce message n'est pas indésirable » in Indésirables, and « Signaler un filoutage » wherever
 * received mail is (not in Brouillons or Envoyés).
 */
function junkActions(role: FolderRole | null | undefined): { notJunk: boolean; report: boolean } {
  return { notJunk: role === "junk", report: role !== "drafts" && role !== "sent" };
}

/**
 * The one toolbar of a list: it acts on the checked messages, or, when none is checked, on the
 * message open in the reading pane. It stays on screen while the list scrolls.
 */
function ListToolbar({ vm }: { vm: MessageListModel }) {
  const inTrash = vm.folder?.role === "trash";
  const junk = junkActions(vm.folder?.role);
  return (
    // biome-ignore lint/a11y/useSemanticElements: buttons and menus that stay on screen (sticky): a named group, not a fieldset
    <div class="toolbar list-toolbar" role="group" aria-label={t.actionsLabel}>
      <button type="button" class="tool" hidden data-select-all title={t.selectAll}>
        <Icon kind="selectAll" />
        <span class="tool-text">{t.selectAll}</span>
      </button>
      <Tool value="lu" tool="markRead" icon="read" />
      <Tool value="non-lu" tool="markUnread" icon="unread" />
      <Tool value="suivre" tool="flag" icon="flag" />
      <MoveMenu folders={vm.folders} exclude={vm.folder?.id ?? null} />
      <Tool value="supprimer" tool={inTrash ? "removeForGood" : "remove"} icon="trash" extra="tool--danger" />
      <details class="menu more-menu">
        <summary class="tool" title={t.moreListActions}>
          <Icon kind="more" />
          <span class="tool-text">{t.moreActions}</span>
          <span class="visually-hidden"> — {t.moreListActions}</span>
        </summary>
        <div class="menu-body">
          <Tool value="ne-plus-suivre" tool="unflag" icon="unflag" extra="menu-item" />
          {junk.report ? <Tool value="signaler" tool="report" icon="report" extra="menu-item" /> : null}
          {junk.notJunk ? <Tool value="pas-indesirable" tool="notJunk" icon="inbox" extra="menu-item" /> : null}
        </div>
      </details>
    </div>
  );
}

export function MessageList({ ctx, vm }: { ctx: PageContext; vm: MessageListModel }) {
  const byId = new Map(vm.folders.map((f) => [f.id, f]));
  if (vm.items.length === 0) return vm.emptyText ? <p class="empty">{vm.emptyText}</p> : null;
  return (
    <>
      <form method="post" action="/mail/actions" class="message-form" id="actions-messages" data-message-form>
        <CsrfInput token={ctx.csrfToken} />
        <input
          type="hidden"
          name="retour"
          value={vm.openId ? withParams(vm.back, { lire: String(vm.openId) }) : vm.back}
        />
        {vm.openId ? <input type="hidden" name="message" value={String(vm.openId)} /> : null}
        <ListToolbar vm={vm} />
        <ul class="message-list" aria-label={t.messagesLabel} data-message-list>
          {vm.items.map((m, i) => (
            <MessageRow
              key={m.id}
              m={m}
              folders={byId}
              showFolder={vm.folder === null}
              now={vm.now}
              href={rowHref(vm, m.id)}
              open={m.id === vm.openId}
              showSize={vm.showSize === true}
              first={i === 0}
            />
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
  /** The message open in the reading pane (wide screens: beside the list; narrow ones: in its place). */
  readonly reading?: ReadingModel | null;
}

/** A list and, when the pane is on, the reading pane beside it (empty until a message is chosen). */
function ListAndPane({
  shell,
  list,
  reading,
  before,
}: {
  shell: MailShell;
  list: MessageListModel;
  reading: ReadingModel | null | undefined;
  before?: ComponentChildren;
}) {
  const name = list.folder ? folderLabel(list.folder) : t.resultsTitle;
  return (
    <div
      class={`list-and-pane${list.pane ? " has-pane" : ""}${reading ? " is-reading" : ""}`}
      data-list-and-pane
      data-list-url={list.back}
    >
      <div class="list-column">
        {before}
        <MessageList ctx={shell.ctx} vm={list} />
      </div>
      {list.pane ? (
        <section
          class="reading-pane"
          id="volet"
          aria-label={t.readingPane}
          data-reading-pane
          data-empty={t.paneEmpty}
          tabIndex={-1}
        >
          {reading ? (
            <MessageReading
              shell={shell}
              vm={reading}
              level={2}
              back={list.back}
              backName={name}
              self={withParams(list.back, { lire: String(reading.message.id) })}
            />
          ) : (
            <p class="pane-empty">{t.paneEmpty}</p>
          )}
        </section>
      ) : null}
    </div>
  );
}

export function FolderPage({ shell, vm }: { shell: MailShell; vm: FolderPageModel }) {
  const name = folderLabel(vm.folder);
  const title = vm.reading ? `${subjectText(vm.reading.message.subject)} — ${name}` : name;
  return (
    <MailLayout
      shell={shell}
      title={title}
      heading={name}
      headingExtra={
        <>
          <p class="folder-summary">{t.folderSummary(vm.folder.total, vm.folder.unread)}</p>
          {vm.folder.role === "trash" && vm.folder.total > 0 ? (
            <p class="folder-extra">
              <a href="/mail/corbeille/vider">{t.emptyTrash}</a>
            </p>
          ) : null}
        </>
      }
    >
      <ListAndPane shell={shell} list={vm.list} reading={vm.reading} />
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

export interface ReadingModel {
  readonly message: MessageView;
  readonly folder: Folder | null;
  /** The HTML body's state: absent when the message has none. */
  readonly html?: { readonly frameSrc: string; readonly blocked: boolean; readonly allowed: boolean };
  readonly sandbox: string;
  readonly now: Date;
  /** Conversations grouped in the list: the thread is shown in full below the message. */
  readonly threadExpanded?: boolean;
}

/** Recipients: the first three, then « et 14 autres » that opens the rest. */
function Recipients({ list }: { list: readonly Mailbox[] }) {
  if (list.length <= 3) return <span class="address">{list.map(mailboxFull).join(", ")}</span>;
  return (
    <details class="recipients">
      <summary title={t.recipientsAll}>
        <span class="address">{list.slice(0, 3).map(mailboxFull).join(", ")}</span>{" "}
        <span class="recipients-more">{t.recipientsMore(list.length - 3)}</span>
      </summary>
      <span class="address">{list.slice(3).map(mailboxFull).join(", ")}</span>
    </details>
  );
}

/** What kind of file an attachment is, for its card's badge. */
function attachmentKind(contentType: string, filename: string): keyof typeof t.attachmentKinds {
  const type = contentType.toLowerCase();
  const ext = (/\.([a-z0-9]{1,5})$/i.exec(filename)?.[1] ?? "").toLowerCase();
  if (type.startsWith("image/")) return "image";
  if (type.startsWith("audio/")) return "audio";
  if (type.startsWith("video/")) return "video";
  if (type === "application/pdf" || ext === "pdf") return "pdf";
  if (type === "text/calendar" || ext === "ics") return "calendar";
  if (/spreadsheet|excel|csv/.test(type) || ["xls", "xlsx", "ods", "csv"].includes(ext)) return "sheet";
  if (/presentation|powerpoint/.test(type) || ["ppt", "pptx", "odp"].includes(ext)) return "slides";
  if (/word|opendocument\.text|rtf/.test(type) || ["doc", "docx", "odt", "rtf"].includes(ext)) return "doc";
  if (/zip|compressed|tar|gzip|rar/.test(type) || ["zip", "7z", "gz", "tar", "rar"].includes(ext)) return "archive";
  if (type.startsWith("text/")) return "text";
  return "other";
}

function AttachmentCards({ id, attachments, level }: { id: number; attachments: readonly Attachment[]; level: 2 | 3 }) {
  const H = level === 2 ? "h2" : "h3";
  return (
    <section aria-labelledby="pieces-jointes-titre" class="attachments">
      <H id="pieces-jointes-titre">{t.attachmentsTitle}</H>
      <ul class="attachment-cards">
        {attachments.map((a) => {
          const kind = attachmentKind(a.contentType, a.filename);
          return (
            <li key={a.index} class="attachment-card">
              <a href={`${messageUrl(id)}/pieces-jointes/${a.index}`} download={a.filename}>
                <span class={`attachment-kind attachment-kind--${kind}`} aria-hidden="true">
                  <Icon kind="file" />
                  {t.attachmentKinds[kind]}
                </span>
                <span class="attachment-name">{a.filename}</span>{" "}
                <span class="attachment-size">({frenchSize(a.sizeBytes)})</span>
              </a>
            </li>
          );
        })}
      </ul>
      {attachments.length > 1 ? (
        <p class="download-all">
          <a
            href={`${messageUrl(id)}/pieces-jointes/tout`}
            class="button-secondary-link"
            download
            aria-label={t.downloadAllLabel(attachments.length)}
          >
            <Icon kind="download" /> {t.downloadAll}
          </a>
        </p>
      ) : null}
    </section>
  );
}

/**
 * The open message's actions: Répondre, Répondre à tous, Transférer first (or, in Brouillons,
 * Reprendre le brouillon), everything else under « Plus ».
 */
function ReadingActions({
  shell,
  vm,
  self,
  back,
}: {
  shell: MailShell;
  vm: ReadingModel;
  /** Where this message is being read (the reading page, or the list with the pane). */
  self: string;
  /** Where to go once the message has left the folder. */
  back: string;
}) {
  const c = fr.compose;
  const m = vm.message;
  const role = vm.folder?.role;
  const drafts = role === "drafts";
  const junk = junkActions(role);
  const first: [string, string, IconName][] = drafts
    ? [[`brouillon=${m.id}`, c.resumeDraft, "reply"]]
    : [
        [`repondre=${m.id}`, c.reply, "reply"],
        [`repondre-a-tous=${m.id}`, c.replyAll, "replyAll"],
        [`transferer=${m.id}`, c.forward, "forward"],
      ];
  return (
    // biome-ignore lint/a11y/useSemanticElements: links and menus, not form fields: a named group, not a fieldset
    <div class="toolbar reading-actions" role="group" aria-label={t.messageActions}>
      {first.map(([query, label, icon]) => (
        <a key={query} href={`/mail/nouveau?${query}`} class="tool tool--primary">
          <Icon kind={icon} />
          <span class="tool-text">{label}</span>
        </a>
      ))}
      <details class="menu more-menu reading-more">
        <summary class="tool" title={t.messageActions}>
          <Icon kind="more" />
          <span class="tool-text">{t.moreActions}</span>
          <span class="visually-hidden"> — {t.messageActions}</span>
        </summary>
        <div class="menu-body">
          {drafts ? null : (
            <a href={`/mail/nouveau?transferer-en-piece-jointe=${m.id}`} class="menu-item">
              {c.forwardAttached}
            </a>
          )}
          <form method="post" action="/mail/actions" class="menu-form" data-reading-form>
            <CsrfInput token={shell.ctx.csrfToken} />
            <input type="hidden" name="ids" value={String(m.id)} />
            <input type="hidden" name="message" value={String(m.id)} />
            <input type="hidden" name="retour" value={self === messageUrl(m.id) ? back : self} />
            <button type="submit" name="action" value="non-lu" class="menu-item" data-shortcut="r">
              {t.markUnread}
            </button>
            {m.flags.flagged ? (
              <button type="submit" name="action" value="ne-plus-suivre" class="menu-item" data-shortcut="f">
                {t.unflag}
              </button>
            ) : (
              <button type="submit" name="action" value="suivre" class="menu-item" data-shortcut="f">
                {t.flag}
              </button>
            )}
            <button
              type="submit"
              name="action"
              value="supprimer"
              class="menu-item menu-item--danger"
              data-shortcut="Delete"
            >
              {role === "trash" ? t.removeForGood : t.remove}
            </button>
            {junk.notJunk ? (
              <button type="submit" name="action" value="pas-indesirable" class="menu-item">
                {t.notJunk}
              </button>
            ) : null}
            {junk.report ? (
              <button type="submit" name="action" value="signaler" class="menu-item">
                {t.reportPhishing}
              </button>
            ) : null}
            <fieldset class="menu-group">
              <legend>{t.moveMenu}</legend>
              {shell.folders
                .filter((f) => f.id !== m.folderId)
                .map((f) => (
                  <button
                    key={f.id}
                    type="submit"
                    name="vers"
                    value={String(f.id)}
                    class={`menu-item depth-${Math.min(f.depth, 4)}`}
                  >
                    {folderLabel(f)}
                  </button>
                ))}
            </fieldset>
          </form>
          {m.from?.address && !drafts && role !== "sent" ? (
            <form method="post" action="/mail/contacts" class="menu-form add-contact">
              <CsrfInput token={shell.ctx.csrfToken} />
              <input type="hidden" name="name" value={m.from.name} />
              <input type="hidden" name="address" value={m.from.address} />
              <input type="hidden" name="retour" value={self} />
              <button type="submit" class="menu-item">
                {contactsFr.addFromMessage}
              </button>
            </form>
          ) : null}
          <a href={`${messageUrl(m.id)}/source`} class="menu-item">
            {fr.source.link}
          </a>
        </div>
      </details>
    </div>
  );
}

/**
 * An open message: its subject, header block, what the reception found, the actions, the body, the
 * attachments and the conversation. The same in the reading pane (`level` 2) and on a page of its
 * own (`level` 1).
 */
export function MessageReading({
  shell,
  vm,
  level,
  back,
  backName,
  self,
}: {
  shell: MailShell;
  vm: ReadingModel;
  level: 1 | 2;
  /** The list this message is read from. */
  back: string;
  backName: string;
  self: string;
}) {
  const m = vm.message;
  const subject = subjectText(m.subject);
  const attachments = m.attachments.filter((a) => !a.inline);
  const Title = level === 1 ? "h1" : "h2";
  const Sub = level === 1 ? "h2" : "h3";
  const headerRow = (label: string, value: ComponentChildren) => (
    <div class="header-row">
      <dt>{label}</dt>
      <dd>{value}</dd>
    </div>
  );
  const inPane = level === 2;
  return (
    <article class="reading" aria-labelledby="message-titre" data-message-id={String(m.id)}>
      <p class="back-link">
        <a href={back} data-pane-close={inPane ? "" : undefined}>
          <Icon kind="back" /> {inPane ? t.backToList(backName) : t.backTo(backName)}
        </a>
      </p>
      {level === 1 ? null : (
        <Title id="message-titre" class="message-title" tabIndex={-1}>
          {subject}
        </Title>
      )}
      <Sub class="visually-hidden">{t.headersLabel}</Sub>
      <dl class="message-headers">
        {headerRow(t.from, m.sender ? <span class="address">{senderFullText(m.sender)}</span> : t.unknownSender)}
        {headerRow(t.date, <time dateTime={m.date.toISOString()}>{frenchDateTime(m.date)}</time>)}
        {m.toList.length > 0 ? headerRow(t.to, <Recipients list={m.toList} />) : null}
        {m.ccList.length > 0 ? headerRow(t.cc, <Recipients list={m.ccList} />) : null}
        {m.replyTo.length > 0
          ? headerRow(t.replyTo, <span class="address">{m.replyTo.map(mailboxFull).join(", ")}</span>)
          : null}
        {level === 1 ? headerRow(t.subject, subject) : null}
      </dl>
      <ReadingActions shell={shell} vm={vm} self={self} back={back} />
      <SenderWarnings message={m} />
      {vm.html ? (
        <>
          {vm.html.blocked && !vm.html.allowed ? (
            <div class="notice notice--info remote-notice">
              <p>{t.remoteBlocked}</p>
              <p>
                <a href={withParams(self, { images: "1" })} class="button-secondary-link">
                  {t.showRemote}
                </a>
              </p>
            </div>
          ) : null}
          {vm.html.allowed ? <p class="hint">{t.remoteShown}</p> : null}
          <iframe
            class="message-frame"
            sandbox={vm.sandbox}
            src={vm.html.frameSrc}
            title={t.frameTitle}
            data-fit-frame
          />
        </>
      ) : m.text !== null && m.text.trim() !== "" ? (
        <TextBody text={m.text} guardedBy={isFlagged(m.warnings) ? m.id : null} />
      ) : (
        <p class="empty">{t.noBody}</p>
      )}
      {attachments.length > 0 ? (
        <AttachmentCards id={m.id} attachments={attachments} level={level === 1 ? 2 : 3} />
      ) : null}
      {m.thread.length > 0 ? (
        <section aria-labelledby="conversation-titre" class={`thread${vm.threadExpanded ? " thread--expanded" : ""}`}>
          <Sub id="conversation-titre">
            {t.threadTitle} <span class="thread-count">({t.threadCount(m.thread.length)})</span>
          </Sub>
          <ol>
            {m.thread.map((item) => (
              <li key={item.id} class={item.flags.seen ? undefined : "message--unread"}>
                <a href={inPane ? withParams(back, { lire: String(item.id) }) : messageUrl(item.id)}>
                  {subjectText(item.subject)}
                </a>
                {" — "}
                {senderListText(item.sender)}
                {", "}
                <time dateTime={item.date.toISOString()}>{frenchShortDate(item.date, vm.now)}</time>
                {item.flags.seen ? null : <span class="tag tag--unread"> {t.unread}</span>}
                {vm.threadExpanded && item.preview ? <p class="thread-preview">{item.preview}</p> : null}
              </li>
            ))}
          </ol>
        </section>
      ) : null}
    </article>
  );
}

export function ReadingPage({ shell, vm }: { shell: MailShell; vm: ReadingModel }) {
  const subject = subjectText(vm.message.subject);
  const back = vm.folder ? folderUrl(vm.folder) : "/mail";
  const backName = vm.folder ? folderLabel(vm.folder) : t.roles.inbox;
  return (
    <MailLayout shell={shell} title={subject}>
      <MessageReading
        shell={shell}
        vm={vm}
        level={1}
        back={back}
        backName={backName}
        self={messageUrl(vm.message.id)}
      />
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
  /** A result open in the reading pane. */
  readonly reading?: ReadingModel | null;
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
          <ListAndPane
            shell={shell}
            list={vm.results}
            reading={vm.reading}
            before={
              <>
                <h2 id="resultats-titre">{t.resultsTitle}</h2>
                <p role="status">{t.resultsCount(vm.results.items.length, vm.results.olderHref !== null)}</p>
              </>
            }
          />
        </section>
      ) : null}
    </MailLayout>
  );
}
