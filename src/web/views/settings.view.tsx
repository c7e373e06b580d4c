import { settingsFr as t } from "../i18n/settings.fr.js";
import type { MailClientSettings } from "../mail-clients.js";
import { MAIL_CLIENT_PATHS } from "../urls.js";
import { MailClientSection } from "./account.view.js";
import {
  CurrentPasswordField,
  ErrorList,
  ErrorSummary,
  Field,
  type FieldErrors,
  fieldOf,
  PostForm,
  Section,
  TextArea,
} from "./components.js";
import { MailLayout, type MailShell } from "./mail.view.js";

/** The form as shown: the saved values, or the values typed when they were refused. */
export interface SettingsForm {
  readonly signature: string;
  readonly absence: boolean;
  readonly du: string;
  readonly au: string;
  readonly objet: string;
  readonly message: string;
  readonly transfert: string;
  readonly copie: boolean;
  /** Never shown again: always empty when the page is rendered. */
  readonly motDePasse: string;
}

/**
 * The « Affichage » form as shown: the saved preferences, or the values posted when they were
 * refused (`volet`: right | off, `densite`: comfortable | compact).
 */
export interface DisplayForm {
  readonly volet: string;
  readonly densite: string;
  readonly conversations: boolean;
  readonly taille: boolean;
}

const LABELS = {
  signature: t.signature,
  du: t.awayStart,
  au: t.awayEnd,
  objet: t.awaySubject,
  message: t.awayText,
  transfert: t.forwardAddress,
  motDePasse: t.currentPassword,
};

/** The « Affichage » form's fields, as the error summary names them. */
const DISPLAY_LABELS = {
  volet: t.readingPane,
  densite: t.density,
  conversations: t.groupByConversation,
  taille: t.showSize,
};

/** The fields typed as text (shown again as typed). */
type TextName = Exclude<keyof typeof LABELS, "motDePasse">;

function Checkbox(p: {
  name: string;
  label: string;
  checked: boolean;
  hint?: string;
  errors?: readonly string[] | undefined;
}) {
  const id = `champ-${p.name}`;
  const hintId = p.hint ? `${id}-aide` : undefined;
  const errorId = p.errors && p.errors.length > 0 ? `${id}-erreur` : undefined;
  return (
    <>
      <div class="checkbox-field">
        <input
          type="checkbox"
          id={id}
          name={p.name}
          value="1"
          checked={p.checked}
          aria-invalid={errorId ? "true" : undefined}
          aria-describedby={[errorId, hintId].filter(Boolean).join(" ") || undefined}
        />
        <label for={id}>{p.label}</label>
      </div>
      {p.hint ? (
        <p class="hint" id={hintId}>
          {p.hint}
        </p>
      ) : null}
      {errorId && p.errors ? <ErrorList id={errorId} errors={p.errors} /> : null}
    </>
  );
}

/**
 * Radio buttons in a fieldset named by its legend; its hint and errors described on the group.
 * The first button's id is `champ-<name>`, the error summary's link target.
 */
function ChoiceGroup(p: {
  readonly name: string;
  readonly legend: string;
  readonly hint?: string;
  readonly value: string;
  readonly choices: readonly (readonly [value: string, label: string])[];
  readonly errors?: readonly string[] | undefined;
}) {
  const hintId = p.hint ? `champ-${p.name}-aide` : undefined;
  const errorId = p.errors && p.errors.length > 0 ? `champ-${p.name}-erreur` : undefined;
  return (
    <fieldset
      class={`choice-group${errorId ? " choice-group--error" : ""}`}
      aria-describedby={[errorId, hintId].filter(Boolean).join(" ") || undefined}
    >
      <legend>{p.legend}</legend>
      {p.hint ? (
        <p class="hint" id={hintId}>
          {p.hint}
        </p>
      ) : null}
      {errorId && p.errors ? <ErrorList id={errorId} errors={p.errors} /> : null}
      {p.choices.map(([value, label], i) => {
        const id = i === 0 ? `champ-${p.name}` : `champ-${p.name}-${value}`;
        return (
          <div class="checkbox-field" key={value}>
            <input type="radio" id={id} name={p.name} value={value} checked={p.value === value} />
            <label for={id}>{label}</label>
          </div>
        );
      })}
    </fieldset>
  );
}

/** « Affichage »: a form of its own (posted to /mail/parametres/affichage), working without JavaScript. */
function DisplaySection({ form, errors, token }: { form: DisplayForm; errors: FieldErrors; token: string }) {
  return (
    <Section id="parametres-affichage" title={t.displayTitle}>
      <p>{t.displayIntro}</p>
      <PostForm action="/mail/parametres/affichage" token={token}>
        <ChoiceGroup
          name="volet"
          legend={t.readingPane}
          hint={t.readingPaneHint}
          value={form.volet}
          choices={[
            ["right", t.readingPaneRight],
            ["off", t.readingPaneOff],
          ]}
          errors={errors.volet}
        />
        <ChoiceGroup
          name="densite"
          legend={t.density}
          value={form.densite}
          choices={[
            ["comfortable", t.densityComfortable],
            ["compact", t.densityCompact],
          ]}
          errors={errors.densite}
        />
        <Checkbox
          name="conversations"
          label={t.groupByConversation}
          hint={t.groupByConversationHint}
          checked={form.conversations}
          errors={errors.conversations}
        />
        <Checkbox name="taille" label={t.showSize} checked={form.taille} errors={errors.taille} />
        <button type="submit" class="button-primary">
          {t.saveDisplay}
        </button>
      </PostForm>
    </Section>
  );
}

export function SettingsPage({
  shell,
  form,
  display,
  errors = {},
  mailClients,
}: {
  shell: MailShell;
  form: SettingsForm;
  /** The « Affichage » form (its own form on the same page). */
  display: DisplayForm;
  /** The refused fields of the form that was posted (either form: their names differ). */
  errors?: FieldErrors;
  /** « Configurer un logiciel de messagerie », for the signed-in account. */
  mailClients?: { settings: MailClientSettings; username: string; address: string };
}) {
  const hasErrors = Object.values(errors).some((list) => list.length > 0);
  const bound = (name: TextName) => fieldOf(name, LABELS, form, errors);
  return (
    <MailLayout shell={shell} title={t.title} hasErrors={hasErrors}>
      <ErrorSummary errors={errors} labels={{ ...LABELS, ...DISPLAY_LABELS }} />
      <p>{t.intro}</p>
      <PostForm action="/mail/parametres" token={shell.ctx.csrfToken}>
        <Section id="parametres-signature" title={t.signatureTitle}>
          <TextArea {...bound("signature")} hint={t.signatureHint} maxLength={2000} rows={4} />
        </Section>
        <Section id="parametres-absence" title={t.awayTitle}>
          <p>{t.awayIntro}</p>
          <Checkbox name="absence" label={t.awayEnabled} checked={form.absence} />
          <Field {...bound("du")} hint={t.dayHint} autocomplete="off" />
          <Field {...bound("au")} hint={t.dayHint} autocomplete="off" />
          <Field {...bound("objet")} hint={t.awaySubjectHint} autocomplete="off" />
          <TextArea {...bound("message")} hint={t.awayTextHint} maxLength={5000} rows={6} />
        </Section>
        <Section id="parametres-transfert" title={t.forwardTitle}>
          <p>{t.forwardIntro}</p>
          <Field {...bound("transfert")} type="email" hint={t.forwardAddressHint} autocomplete="off" />
          <Checkbox name="copie" label={t.forwardKeepCopy} checked={form.copie} />
          <CurrentPasswordField
            name="motDePasse"
            label={t.currentPassword}
            hint={t.currentPasswordHint}
            errors={errors.motDePasse}
          />
        </Section>
        <button type="submit" class="button-primary">
          {t.save}
        </button>
      </PostForm>
      <DisplaySection form={display} errors={errors} token={shell.ctx.csrfToken} />
      {mailClients ? <MailClientSection {...mailClients} profileHref={MAIL_CLIENT_PATHS.webmailAppleProfile} /> : null}
    </MailLayout>
  );
}
