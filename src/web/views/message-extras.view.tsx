/**
 * Pages around one message: « Vous allez quitter la messagerie », which the links of a message
 * whose sender warrants care go through (the real destination, its domain highlighted), and the
 * message's source (headers included), for the assistance. Plain pages: no JavaScript needed.
 */
import type { DestinationParts } from "../../mail/deceptive-links.js";
import { fr } from "../i18n/fr.js";
import { messageUrl } from "../urls.js";
import { Notice } from "./components.js";
import { MailLayout, type MailShell } from "./mail.view.js";

const t = fr.leave;
const s = fr.source;

export interface LeaveModel {
  readonly messageId: number;
  /** The link, as the message holds it (WHATWG serialization: punycode host). */
  readonly url: string;
  readonly parts: DestinationParts;
  /** The registrable domain as a person reads it (Unicode), when it differs from `parts.domain`. */
  readonly unicodeDomain: string | null;
  /** The message's sender warrants care (the banner of the reading view). */
  readonly flagged: boolean;
}

export function LeavePage({ shell, vm }: { shell: MailShell; vm: LeaveModel }) {
  const { parts } = vm;
  return (
    <MailLayout shell={shell} title={t.title} withQuickSearch={false}>
      {vm.flagged ? <Notice kind="warning">{t.flagged}</Notice> : null}
      <p>{t.intro}</p>
      <dl class="message-headers leave-destination">
        <div class="header-row">
          <dt>{t.domainLabel}</dt>
          <dd>
            <strong>
              <mark>{vm.unicodeDomain ?? parts.domain}</mark>
            </strong>
            {vm.unicodeDomain ? <> ({t.asciiForm(parts.domain)})</> : null}
          </dd>
        </div>
        <div class="header-row">
          <dt>{t.addressLabel}</dt>
          <dd>
            <code class="address">
              {parts.before}
              <mark>{parts.domain}</mark>
              {parts.after}
            </code>
          </dd>
        </div>
      </dl>
      <p>{t.advice}</p>
      <nav class="toolbar" aria-label={t.actionsLabel}>
        <ul>
          <li>
            <a href={messageUrl(vm.messageId)} class="button-link">
              {t.back}
            </a>
          </li>
          <li>
            <a href={vm.url} rel="noopener noreferrer" class="button-secondary-link">
              {t.continue}
            </a>
          </li>
        </ul>
      </nav>
    </MailLayout>
  );
}

/** A link that is not one of the message's own http(s) links: nothing to follow (400). */
export function LeaveRefusedPage({ shell, messageId }: { shell: MailShell; messageId: number }) {
  return (
    <MailLayout shell={shell} title={t.refusedTitle} withQuickSearch={false}>
      <Notice kind="error">{t.notInMessage}</Notice>
      <p>
        <a href={messageUrl(messageId)}>{t.back}</a>
      </p>
    </MailLayout>
  );
}

export interface SourceModel {
  readonly messageId: number;
  /** The message as text (all of it, or its beginning when `truncated`). */
  readonly text: string;
  /** Not valid UTF-8: decoded as ISO-8859-1. */
  readonly latin1: boolean;
  /** Sizes as a person reads them, when only the beginning is shown. */
  readonly truncated: { readonly shown: string; readonly total: string } | null;
  readonly downloadUrl: string;
}

export function SourcePage({ shell, vm }: { shell: MailShell; vm: SourceModel }) {
  return (
    <MailLayout shell={shell} title={s.title}>
      <p class="back-link">
        <a href={messageUrl(vm.messageId)}>{s.back}</a>
      </p>
      <p>{s.intro}</p>
      <p>
        <a href={vm.downloadUrl} download={`message-${vm.messageId}.eml`}>
          {s.download}
        </a>
      </p>
      {vm.latin1 ? <p class="hint">{s.latin1}</p> : null}
      {vm.truncated ? <Notice kind="info">{s.truncated(vm.truncated.shown, vm.truncated.total)}</Notice> : null}
      <h2 class="visually-hidden">{s.contentLabel}</h2>
      <pre class="message-text message-source">{vm.text}</pre>
    </MailLayout>
  );
}
