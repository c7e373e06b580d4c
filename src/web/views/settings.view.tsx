import { settingsFr as t } from "../i18n/settings.fr.js";
import type { MailClientSettings } from "../mail-clients.js";
import { MAIL_CLIENT_PATHS } from "../urls.js";
import { MailClientSection } from "./account.view.js";
import {
  CurrentPasswordField,
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

const LABELS = {
  signature: t.signature,
  du: t.awayStart,
  au: t.awayEnd,
  objet: t.awaySubject,
  message: t.awayText,
  transfert: t.forwardAddress,
  motDePasse: t.currentPassword,
};

/** The fields typed as text (shown again as typed). */
type TextName = Exclude<keyof typeof LABELS, "motDePasse">;

function Checkbox(p: { name: string; label: string; checked: boolean }) {
  return (
    <div class="checkbox-field">
      <input type="checkbox" id={`champ-${p.name}`} name={p.name} value="1" checked={p.checked} />
      <label for={`champ-${p.name}`}>{p.label}</label>
    </div>
  );
}

export function SettingsPage({
  shell,
  form,
  errors = {},
  mailClients,
}: {
  shell: MailShell;
  form: SettingsForm;
  errors?: FieldErrors;
  /** « Configurer un logiciel de messagerie », for the signed-in account. */
  mailClients?: { settings: MailClientSettings; username: string; address: string };
}) {
  const hasErrors = Object.values(errors).some((list) => list.length > 0);
  const bound = (name: TextName) => fieldOf(name, LABELS, form, errors);
  return (
    <MailLayout shell={shell} title={t.title} hasErrors={hasErrors}>
      <ErrorSummary errors={errors} labels={LABELS} />
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
      {mailClients ? <MailClientSection {...mailClients} profileHref={MAIL_CLIENT_PATHS.webmailAppleProfile} /> : null}
    </MailLayout>
  );
}
