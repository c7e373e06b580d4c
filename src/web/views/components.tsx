/** Form pieces that keep labels, hints and errors tied together (RGAA 11.1, 11.10, 11.11). */
import type { ComponentChildren } from "preact";
import { fr } from "../i18n/fr.js";

export type FieldErrors = Readonly<Record<string, readonly string[]>>;

export function CsrfInput({ token }: { token: string }) {
  return <input type="hidden" name="_csrf" value={token} />;
}

/** A form posted with its CSRF token and checked by the server only (`novalidate`: its messages are ours). */
export function PostForm(p: {
  readonly action: string;
  readonly token: string;
  readonly class?: string;
  readonly children: ComponentChildren;
}) {
  return (
    <form method="post" action={p.action} class={p.class} novalidate>
      <CsrfInput token={p.token} />
      {p.children}
    </form>
  );
}

/** A form of one button that posts (a sign-out). */
export function PostButton(p: {
  readonly action: string;
  readonly token: string;
  readonly children: ComponentChildren;
}) {
  return (
    <form method="post" action={p.action} class="inline-form">
      <CsrfInput token={p.token} />
      <button type="submit" class="button-secondary">
        {p.children}
      </button>
    </form>
  );
}

/** A section named by its heading (`id`: the heading's, that the section points to). */
export function Section({
  id,
  title,
  children,
}: {
  id: string;
  title: ComponentChildren;
  children: ComponentChildren;
}) {
  return (
    <section aria-labelledby={id}>
      <h2 id={id}>{title}</h2>
      {children}
    </section>
  );
}

/** A plain list of texts. */
export function TextList({ items }: { items: readonly string[] }) {
  return (
    <ul>
      {items.map((item) => (
        <li key={item}>{item}</li>
      ))}
    </ul>
  );
}

/** A list of links, each `[href, text]`. */
export function LinkList({
  links,
  class: className,
}: {
  links: readonly (readonly [string, string])[];
  class?: string;
}) {
  return (
    <ul class={className}>
      {links.map(([href, text]) => (
        <li key={href}>
          <a href={href}>{text}</a>
        </li>
      ))}
    </ul>
  );
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

/** A field's name, label, value and errors, each found by its name (`value`: "" when there is none). */
export function fieldOf<N extends string>(
  name: N,
  labels: Readonly<Record<N, string>>,
  values: { readonly [K in N]?: string },
  errors: FieldErrors,
) {
  return { name, label: labels[name], value: values[name] ?? "", errors: errors[name] };
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

/** The account's name, as a sign-in asks for it (required). */
export function UsernameField(p: Pick<FieldProps, "name" | "label" | "value" | "hint" | "errors">) {
  return <Field {...p} autocomplete="username" required />;
}

/** A new password (or its confirmation), required, with the show/hide button. */
export function NewPasswordField(p: Pick<FieldProps, "name" | "label" | "errors" | "strength">) {
  return <Field {...p} type="password" autocomplete="new-password" required toggle />;
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

/** A sign-in form shown again: its errors, a message, and the challenge when one is due. */
export interface SignInFormModel {
  readonly errors?: FieldErrors;
  /** A message about the whole form (wrong credentials, throttled…). */
  readonly formError?: string;
  readonly info?: string;
  /** The ALTCHA challenge (JSON) when this client must solve one. */
  readonly challenge?: string;
}

/** The errors at the top of a form: the one about the whole form, or else the fields' (`ErrorSummary`). */
export function FormErrorSummary(p: {
  readonly formError: string | undefined;
  readonly errors: FieldErrors;
  readonly labels: Readonly<Record<string, string>>;
}) {
  return p.formError ? (
    <div class="error-summary" role="alert" tabIndex={-1} data-error-summary>
      <p>{p.formError}</p>
    </div>
  ) : (
    <ErrorSummary errors={p.errors} labels={p.labels} />
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
