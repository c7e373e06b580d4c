import { settingsFr as t } from "../i18n/settings.fr.js";
import { CsrfInput, CurrentPasswordField, ErrorSummary, Field, type FieldErrors, TextArea } from "./components.js";
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
}: {
  shell: MailShell;
  form: SettingsForm;
  errors?: FieldErrors;
}) {
  const hasErrors = Object.values(errors).some((list) => list.length > 0);
  return (
    <MailLayout shell={shell} title={t.title} hasErrors={hasErrors}>
      <ErrorSummary errors={errors} labels={LABELS} />
      <p>{t.intro}</p>
      <form method="post" action="/mail/parametres" novalidate>
        <CsrfInput token={shell.ctx.csrfToken} />
        <section aria-labelledby="parametres-signature">
          <h2 id="parametres-signature">{t.signatureTitle}</h2>
          <TextArea
            name="signature"
            label={t.signature}
            hint={t.signatureHint}
            value={form.signature}
            errors={errors.signature}
            maxLength={2000}
            rows={4}
          />
        </section>
        <section aria-labelledby="parametres-absence">
          <h2 id="parametres-absence">{t.awayTitle}</h2>
          <p>{t.awayIntro}</p>
          <Checkbox name="absence" label={t.awayEnabled} checked={form.absence} />
          <Field name="du" label={t.awayStart} value={form.du} hint={t.dayHint} errors={errors.du} autocomplete="off" />
          <Field name="au" label={t.awayEnd} value={form.au} hint={t.dayHint} errors={errors.au} autocomplete="off" />
          <Field
            name="objet"
            label={t.awaySubject}
            value={form.objet}
            hint={t.awaySubjectHint}
            errors={errors.objet}
            autocomplete="off"
          />
          <TextArea
            name="message"
            label={t.awayText}
            hint={t.awayTextHint}
            value={form.message}
            errors={errors.message}
            maxLength={5000}
            rows={6}
          />
        </section>
        <section aria-labelledby="parametres-transfert">
          <h2 id="parametres-transfert">{t.forwardTitle}</h2>
          <p>{t.forwardIntro}</p>
          <Field
            name="transfert"
            label={t.forwardAddress}
            type="email"
            value={form.transfert}
            hint={t.forwardAddressHint}
            errors={errors.transfert}
            autocomplete="off"
          />
          <Checkbox name="copie" label={t.forwardKeepCopy} checked={form.copie} />
          <CurrentPasswordField
            name="motDePasse"
            label={t.currentPassword}
            hint={t.currentPasswordHint}
            errors={errors.motDePasse}
          />
        </section>
        <button type="submit" class="button-primary">
          {t.save}
        </button>
      </form>
    </MailLayout>
  );
}
