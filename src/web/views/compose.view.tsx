/**
 * Writing a message: new message, reply, reply all, forward (inline or as an
 * attachment) and drafts. One form, posted as multipart/form-data so that files travel with it;
 * it works without JavaScript. src/web/client/compose.ts adds the upload progress and the
 * automatic draft saving every 30 s.
 */
import type { SenderDisplay } from "../../mail/mail.types.js";
import { fr, frenchSize } from "../i18n/fr.js";
import { CsrfInput, ErrorSummary, type FieldErrors, FieldHelp, fieldIds, Notice } from "./components.js";
import { MailLayout, type MailShell, senderFullText } from "./mail.view.js";

const c = fr.compose;

export type ComposeMode = keyof typeof fr.compose.titles;

/** What the form shows: the values typed (or prefilled) and the hidden links to other messages. */
export interface ComposeForm {
  readonly a: string;
  readonly cc: string;
  readonly cci: string;
  readonly objet: string;
  readonly message: string;
  /** The message answered (In-Reply-To / References). */
  readonly reponseA: number | null;
  /** The message forwarded as an attachment. */
  readonly transfertJoint: number | null;
  /** The draft being edited (replaced on save, removed on send). */
  readonly brouillon: number | null;
  /** The draft's attachments to keep (their index in the stored draft), "Conserver" checked. */
  readonly garder: readonly number[];
}

/** An attachment of the draft being edited, offered to keep. */
export interface DraftFile {
  readonly index: number;
  readonly filename: string;
  readonly sizeBytes: number;
}

export const EMPTY_FORM: ComposeForm = {
  a: "",
  cc: "",
  cci: "",
  objet: "",
  message: "",
  reponseA: null,
  transfertJoint: null,
  brouillon: null,
  garder: [],
};

export interface ComposeModel {
  readonly mode: ComposeMode;
  readonly form: ComposeForm;
  readonly errors?: FieldErrors;
  /** An error that belongs to no field (a sending limit, a full mailbox). */
  readonly formError?: string;
  /** Files were chosen but the form came back with an error: they must be chosen again. */
  readonly reattach?: boolean;
  /** The subject of the message forwarded as an attachment. */
  readonly attachedSubject?: string;
  /** A reply to a message whose Reply-To differs from its sender: where the answer goes (said above « À »). */
  readonly repliesGoTo?: readonly SenderDisplay[];
  /**
   * The formatted text to give back to the rich-text editor (sanitized by the send service): the
   * page's script opens the editor with it. Never in a submitted field: without JavaScript only the
   * plain text, which the person may edit, is sent.
   */
  readonly richHtml?: string;
  /** The attachments of the draft being edited (each kept unless "Conserver" is unchecked). */
  readonly draftFiles?: readonly DraftFile[];
  /** "12 Mo": the largest message accepted. */
  readonly maxSize: string;
  readonly maxFiles: number;
}

export const COMPOSE_LABELS = {
  a: c.to,
  cc: c.cc,
  cci: c.bcc,
  objet: c.subject,
  message: c.body,
  "pieces-jointes": c.attachments,
} as const;

/** A labelled field with its hint and errors tied to it (the components' Field caps at 1,024 characters). */
function ComposeField(p: {
  name: keyof typeof COMPOSE_LABELS;
  hint?: string | undefined;
  errors?: readonly string[] | undefined;
  value?: string;
  kind: "text" | "textarea" | "file";
  maxLength?: number;
  extra?: Record<string, string>;
}) {
  const ids = fieldIds(p.name, p.hint, p.errors);
  const { id, errorId, describedBy } = ids;
  const common = {
    id,
    name: p.name,
    "aria-invalid": errorId ? ("true" as const) : undefined,
    "aria-describedby": describedBy,
    ...(p.extra ?? {}),
  };
  return (
    <div class={`field compose-field compose-field--${p.kind}${errorId ? " field--error" : ""}`}>
      <label for={id}>{COMPOSE_LABELS[p.name]}</label>
      <FieldHelp ids={ids} hint={p.hint} errors={p.errors} />
      {p.kind === "textarea" ? (
        <textarea {...common} rows={16} maxLength={p.maxLength} spellcheck={true}>
          {p.value ?? ""}
        </textarea>
      ) : p.kind === "file" ? (
        <input {...common} type="file" multiple />
      ) : (
        <input
          {...common}
          type="text"
          value={p.value ?? ""}
          maxLength={p.maxLength}
          autocomplete="off"
          spellcheck={false}
          autocapitalize="none"
        />
      )}
    </div>
  );
}

/** The draft's files, each with its "Conserver" checkbox (posted as `garder=<index>`). */
function DraftFiles({ files, kept }: { files: readonly DraftFile[]; kept: readonly number[] }) {
  if (files.length === 0) return null;
  return (
    <fieldset class="draft-files">
      <legend>{c.draftFiles}</legend>
      <ul class="draft-files-list">
        {files.map((f) => {
          const id = `garder-${f.index}`;
          return (
            <li key={id}>
              <input type="checkbox" id={id} name="garder" value={String(f.index)} checked={kept.includes(f.index)} />
              <label for={id}>{c.keepFile(f.filename, frenchSize(f.sizeBytes))}</label>
            </li>
          );
        })}
      </ul>
    </fieldset>
  );
}

/**
 * The optional rich-text mode, shown by src/web/client/compose.ts only (hidden without JavaScript):
 * a toggle, a toolbar and a labelled editable region whose HTML goes in the hidden `html` field and
 * whose plain text goes in the Message field on every input.
 */
function RichEditor({ initial }: { initial: string | undefined }) {
  const tools = [
    ["bold", c.richBold],
    ["italic", c.richItalic],
    ["insertUnorderedList", c.richBullets],
    ["insertOrderedList", c.richNumbers],
    ["createLink", c.richLink],
  ] as const;
  return (
    <div class="rich" hidden data-rich {...(initial ? { "data-rich-initial": initial } : {})}>
      <button
        type="button"
        class="button-secondary rich-toggle"
        aria-pressed="false"
        aria-controls="editeur-message"
        data-rich-toggle
      >
        {c.richToggle}
      </button>
      <div class="field rich-editor" hidden data-rich-editor>
        <p class="rich-label" id="editeur-message-libelle">
          {c.richLabel}
        </p>
        <p class="hint" id="editeur-message-aide">
          {c.richHint}
        </p>
        <div class="rich-toolbar" role="toolbar" aria-label={c.richToolbar} aria-controls="editeur-message">
          {tools.map(([command, label]) => (
            <button
              type="button"
              class="rich-tool"
              data-command={command}
              key={command}
              {...(command === "bold" || command === "italic" ? { "aria-pressed": "false" } : {})}
              {...(command === "createLink" ? { "data-prompt": c.richLinkPrompt } : {})}
            >
              {label}
            </button>
          ))}
        </div>
        {/* biome-ignore lint/a11y/useSemanticElements: a textarea cannot hold formatting; contenteditable is the rich-text editor */}
        <div
          id="editeur-message"
          tabIndex={0}
          class="rich-area"
          contenteditable="true"
          role="textbox"
          aria-multiline="true"
          aria-labelledby="editeur-message-libelle"
          aria-describedby="editeur-message-aide"
          spellcheck={true}
          data-rich-area
        />
      </div>
      <input type="hidden" name="html" value="" data-rich-html />
    </div>
  );
}

function Hidden({ name, value }: { name: string; value: number | null }) {
  return value === null ? null : <input type="hidden" name={name} value={String(value)} />;
}

export function ComposePage({ shell, vm }: { shell: MailShell; vm: ComposeModel }) {
  const errors = vm.errors ?? {};
  const f = vm.form;
  const hasErrors = Object.keys(errors).length > 0 || vm.formError !== undefined;
  return (
    <MailLayout shell={shell} title={c.titles[vm.mode]} hasErrors={hasErrors} withQuickSearch={false}>
      <ErrorSummary errors={errors} labels={COMPOSE_LABELS} />
      {vm.formError ? <Notice kind="error">{vm.formError}</Notice> : null}
      <form
        method="post"
        action="/mail/nouveau"
        enctype="multipart/form-data"
        class="form compose-form"
        novalidate
        data-compose-form
        data-autosave-url="/mail/brouillons/enregistrer"
      >
        <CsrfInput token={shell.ctx.csrfToken} />
        <Hidden name="reponse-a" value={f.reponseA} />
        <Hidden name="transfert-joint" value={f.transfertJoint} />
        {/* Always present so that the automatic save can fill it in. */}
        <input type="hidden" name="brouillon" value={f.brouillon === null ? "" : String(f.brouillon)} data-draft-id />
        {vm.repliesGoTo && vm.repliesGoTo.length > 0 ? (
          <p class="notice replies-elsewhere">{fr.mail.repliesGoTo(vm.repliesGoTo.map(senderFullText).join(", "))}</p>
        ) : null}
        <ComposeField
          name="a"
          kind="text"
          value={f.a}
          hint={c.addressHint(shell.ctx.mailDomain)}
          errors={errors.a}
          maxLength={100_000}
        />
        <ComposeField name="cc" kind="text" value={f.cc} errors={errors.cc} maxLength={100_000} />
        <ComposeField name="cci" kind="text" value={f.cci} hint={c.bccHint} errors={errors.cci} maxLength={100_000} />
        <ComposeField name="objet" kind="text" value={f.objet} errors={errors.objet} maxLength={900} />
        <RichEditor initial={vm.richHtml} />
        <ComposeField name="message" kind="textarea" value={f.message} errors={errors.message} maxLength={500_000} />
        {vm.attachedSubject !== undefined ? (
          <p class="notice notice--info compose-attached">{c.forwardedAttached(vm.attachedSubject)}</p>
        ) : null}
        {vm.draftFiles ? <DraftFiles files={vm.draftFiles} kept={f.garder} /> : null}
        <ComposeField
          name="pieces-jointes"
          kind="file"
          hint={vm.reattach ? `${c.attachmentsHint(vm.maxSize)} ${c.reattach}` : c.attachmentsHint(vm.maxSize)}
          errors={errors["pieces-jointes"]}
          extra={{ "data-max-files": String(vm.maxFiles) }}
        />
        <div class="upload-progress" hidden data-upload-progress>
          <label for="progression-envoi">{c.progressLabel}</label>
          <progress id="progression-envoi" max={100} value={0} />
          <p class="hint" data-progress-text data-template={c.progressText("{p}")} data-failed={c.progressFailed} />
        </div>
        <div class="form-actions compose-actions">
          <button type="submit" name="action" value="envoyer" class="button-primary">
            {c.send}
          </button>
          <button type="submit" name="action" value="brouillon" class="button-secondary">
            {c.saveDraft}
          </button>
          <a href="/mail">{c.cancel}</a>
        </div>
        <p class="hint autosave-status" role="status" data-autosave-status data-failed={c.draftNotSaved} />
      </form>
    </MailLayout>
  );
}
