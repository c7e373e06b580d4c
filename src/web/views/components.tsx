/** Form pieces that keep labels, hints and errors tied together (RGAA 11.1, 11.10, 11.11). */
import type { ComponentChildren } from "preact";
import { fr } from "../i18n/fr.js";

export type FieldErrors = Readonly<Record<string, readonly string[]>>;

export function CsrfInput({ token }: { token: string }) {
  return <input type="hidden" name="_csrf" value={token} />;
}

export interface FieldProps {
  readonly name: string;
  readonly label: string;
  readonly type?: "text" | "password" | "email";
  readonly value?: string;
  readonly hint?: ComponentChildren;
  readonly errors?: readonly string[];
  readonly autocomplete?: string;
  readonly required?: boolean;
  /** Password fields: add the show/hide button (enhanced by JavaScript). */
  readonly toggle?: boolean;
  /** Password fields: the strength meter target (enhanced by JavaScript). */
  readonly strength?: boolean;
  readonly inputMode?: "text" | "numeric";
}

/** The errors of one field, each announced as an error (RGAA 11.10). */
export function ErrorList({ id, errors }: { id: string; errors: readonly string[] }) {
  return (
    <ul class="field-errors" id={id}>
      {errors.map((e) => (
        <li key={e}>
          <span class="visually-hidden">{fr.errorPrefix}</span>
          {e}
        </li>
      ))}
    </ul>
  );
}

/** The ids that tie a field's control to its hint and errors: `champ-<name>`, `…-aide`, `…-erreur`. */
export function fieldIds(name: string, hint: unknown, errors: readonly string[] | undefined) {
  const id = `champ-${name}`;
  const hintId = hint ? `${id}-aide` : undefined;
  const errorId = errors && errors.length > 0 ? `${id}-erreur` : undefined;
  return { id, hintId, errorId, describedBy: [errorId, hintId].filter(Boolean).join(" ") || undefined };
}

/** A field's hint and its errors, under its label, with the ids its control points to. */
export function FieldHelp(p: {
  readonly ids: ReturnType<typeof fieldIds>;
  readonly hint?: ComponentChildren;
  readonly errors?: readonly string[] | undefined;
}) {
  return (
    <>
      {p.hint ? (
        <p class="hint" id={p.ids.hintId}>
          {p.hint}
        </p>
      ) : null}
      {p.ids.errorId && p.errors ? <ErrorList id={p.ids.errorId} errors={p.errors} /> : null}
    </>
  );
}

/** A labelled `<select>` with its errors tied to it; the options are the children. */
export function SelectField(p: {
  readonly name: string;
  readonly label: string;
  readonly errors?: readonly string[] | undefined;
  readonly children: ComponentChildren;
}) {
  const ids = fieldIds(p.name, undefined, p.errors);
  const { id, errorId } = ids;
  return (
    <div class={`field${errorId ? " field--error" : ""}`}>
      <label for={id}>{p.label}</label>
      <FieldHelp ids={ids} errors={p.errors} />
      <select id={id} name={p.name} aria-invalid={errorId ? "true" : undefined} aria-describedby={ids.describedBy}>
        {p.children}
      </select>
    </div>
  );
}

/** A labelled `<textarea>` with its hint and errors tied to it. */
export function TextArea(p: {
  readonly name: string;
  readonly label: string;
  readonly hint: string;
  readonly value: string;
  readonly errors?: readonly string[] | undefined;
  readonly maxLength?: number;
  readonly rows: number;
}) {
  const ids = fieldIds(p.name, p.hint, p.errors);
  const { id, errorId } = ids;
  return (
    <div class={`field${errorId ? " field--error" : ""}`}>
      <label for={id}>{p.label}</label>
      <FieldHelp ids={ids} hint={p.hint} errors={p.errors} />
      <textarea
        id={id}
        name={p.name}
        rows={p.rows}
        maxLength={p.maxLength}
        aria-invalid={errorId ? "true" : undefined}
        aria-describedby={ids.describedBy}
      >
        {p.value}
      </textarea>
    </div>
  );
}

/** The current password, typed to prove it is the holder (with the show/hide button). */
export function CurrentPasswordField(p: Pick<FieldProps, "name" | "label" | "hint" | "errors" | "required">) {
  return <Field {...p} type="password" autocomplete="current-password" toggle />;
}

export function Field(p: FieldProps) {
  const ids = fieldIds(p.name, p.hint, p.errors);
  const { id, errorId, describedBy } = ids;
  return (
    <div class={`field${errorId ? " field--error" : ""}`}>
      <label for={id}>
        {p.label}
        {p.required ? <span class="required"> ({fr.required})</span> : null}
      </label>
      <FieldHelp ids={ids} hint={p.hint} errors={p.errors} />
      <div class="input-row">
        <input
          id={id}
          name={p.name}
          type={p.type ?? "text"}
          value={p.type === "password" ? undefined : p.value}
          autocomplete={p.autocomplete}
          required={p.required}
          aria-required={p.required ? "true" : undefined}
          aria-invalid={errorId ? "true" : undefined}
          aria-describedby={describedBy}
          inputMode={p.inputMode}
          spellcheck={false}
          autocapitalize="none"
          maxLength={1024}
          data-strength={p.strength ? "" : undefined}
        />
        {p.toggle ? (
          <button
            type="button"
            class="toggle-password"
            data-password-toggle={id}
            data-label-show={fr.showPassword}
            data-label-hide={fr.hidePassword}
            aria-pressed="false"
            hidden
          >
            {fr.showPassword}
          </button>
        ) : null}
      </div>
      {p.strength ? <p class="strength" id={`${id}-robustesse`} aria-live="polite" hidden /> : null}
    </div>
  );
}

/** The list of errors at the top of a form, each a link to its field. */
export function ErrorSummary({ errors, labels }: { errors: FieldErrors; labels: Readonly<Record<string, string>> }) {
  const entries = Object.entries(errors).filter(([, list]) => list.length > 0);
  if (entries.length === 0) return null;
  return (
    <div class="error-summary" role="alert" tabIndex={-1} data-error-summary aria-labelledby="erreurs-titre">
      <h2 id="erreurs-titre">{fr.errorSummaryTitle}</h2>
      <ul>
        {entries.flatMap(([name, list]) =>
          list.map((message) => (
            <li key={`${name}-${message}`}>
              <a href={`#champ-${name}`}>{labels[name] ? `${labels[name]} : ${message}` : message}</a>
            </li>
          )),
        )}
      </ul>
    </div>
  );
}

export function Notice({
  kind,
  children,
}: {
  kind: "info" | "success" | "error" | "warning";
  children: ComponentChildren;
}) {
  return (
    <div class={`notice notice--${kind}`} role={kind === "error" ? "alert" : "status"}>
      {children}
    </div>
  );
}

/**
 * The ALTCHA proof-of-work widget, in a form that must carry a solved challenge (`challenge`: the
 * challenge's JSON; nothing when none is due). `noScriptNote`: say that it needs JavaScript.
 */
export function ChallengeField({ challenge, noScriptNote = true }: { challenge?: string; noScriptNote?: boolean }) {
  if (!challenge) return null;
  return (
    <div class="challenge">
      <p>{fr.login.challengeRequired}</p>
      <altcha-widget challenge={challenge} name="altcha" auto="onload" language="fr-fr" />
      {noScriptNote ? (
        <noscript>
          <p>{fr.login.challengeNoScript}</p>
        </noscript>
      ) : null}
    </div>
  );
}
