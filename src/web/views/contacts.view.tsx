/** The address book pages (Contacts): list, add, edit, delete, vCard import and export. */
import type { Contact } from "../../mail/contacts.service.js";
import { contactsFr as t } from "../i18n/contacts.fr.js";
import { CsrfInput, ErrorSummary, Field, type FieldErrors, PostForm, Section, TextArea } from "./components.js";
import { MailLayout, type MailShell } from "./mail.view.js";

export interface ContactForm {
  readonly name: string;
  readonly address: string;
}

export interface ContactsPageModel {
  readonly contacts: readonly Contact[];
  /** The add form as typed, with its errors (after a refused submission). */
  readonly form?: ContactForm;
  readonly errors?: FieldErrors;
  /** The import text as pasted, with its error. */
  readonly importText?: string;
}

const LABELS = { name: t.name, address: t.address, vcard: t.importText };

function displayName(c: Contact): string {
  return c.name || c.address;
}

/** Nom and Adresse électronique, with their hints and errors. */
function ContactFields({ form, errors }: { form: ContactForm; errors: FieldErrors }) {
  return (
    <>
      <Field name="name" label={t.name} value={form.name} hint={t.nameHint} errors={errors.name} autocomplete="off" />
      <Field
        name="address"
        label={t.address}
        type="email"
        value={form.address}
        hint={t.addressHint}
        errors={errors.address}
        required
        autocomplete="off"
      />
    </>
  );
}

export function ContactsPage({ shell, vm }: { shell: MailShell; vm: ContactsPageModel }) {
  const errors = vm.errors ?? {};
  const hasErrors = Object.values(errors).some((list) => list.length > 0);
  const csrf = shell.ctx.csrfToken;
  return (
    <MailLayout shell={shell} title={t.title} hasErrors={hasErrors}>
      <ErrorSummary errors={errors} labels={LABELS} />
      <p>{t.intro}</p>
      <Section
        id="contacts-liste"
        title={
          <>
            {t.listTitle} <span class="manage-count">({t.count(vm.contacts.length)})</span>
          </>
        }
      >
        {vm.contacts.length === 0 ? (
          <p>{t.empty}</p>
        ) : (
          <ul class="manage-list contact-list">
            {vm.contacts.map((c) => (
              <li key={c.id}>
                <span class="manage-name">{displayName(c)}</span>{" "}
                {c.name ? <span class="contact-address">&lt;{c.address}&gt;</span> : null}{" "}
                <span class="manage-actions">
                  <a href={`/mail/contacts/${c.id}/modifier`} aria-label={t.editOf(displayName(c))}>
                    {t.edit}
                  </a>{" "}
                  <form method="post" action={`/mail/contacts/${c.id}/supprimer`} class="inline-form">
                    <CsrfInput token={csrf} />
                    <button type="submit" class="button-link" aria-label={t.removeOf(displayName(c))}>
                      {t.remove}
                    </button>
                  </form>
                </span>
              </li>
            ))}
          </ul>
        )}
        {vm.contacts.length > 0 ? (
          <p>
            <a href="/mail/contacts/contacts.vcf" download="contacts.vcf">
              {t.exportLink}
            </a>
          </p>
        ) : null}
      </Section>
      <Section id="contacts-ajout" title={t.addTitle}>
        <PostForm action="/mail/contacts" token={csrf}>
          <ContactFields form={vm.form ?? { name: "", address: "" }} errors={errors} />
          <button type="submit" class="button-primary">
            {t.add}
          </button>
        </PostForm>
      </Section>
      <Section id="contacts-import" title={t.importTitle}>
        <form method="post" action="/mail/contacts/importer" data-vcard-import>
          <CsrfInput token={csrf} />
          <div class="field" data-vcard-file hidden>
            <label for="champ-vcard-fichier">{t.importFile}</label>
            <input type="file" id="champ-vcard-fichier" accept=".vcf,text/vcard" />
          </div>
          <TextArea
            name="vcard"
            label={t.importText}
            hint={t.importHint}
            value={vm.importText ?? ""}
            errors={errors.vcard}
            rows={6}
          />
          <button type="submit">{t.importButton}</button>
        </form>
      </Section>
    </MailLayout>
  );
}

export function EditContactPage({
  shell,
  contact,
  form,
  errors = {},
}: {
  shell: MailShell;
  contact: Contact;
  form?: ContactForm;
  errors?: FieldErrors;
}) {
  const hasErrors = Object.values(errors).some((list) => list.length > 0);
  return (
    <MailLayout shell={shell} title={t.editTitle(displayName(contact))} hasErrors={hasErrors}>
      <ErrorSummary errors={errors} labels={LABELS} />
      <PostForm action={`/mail/contacts/${contact.id}/modifier`} token={shell.ctx.csrfToken}>
        <ContactFields form={form ?? contact} errors={errors} />
        <button type="submit" class="button-primary">
          {t.save}
        </button>{" "}
        <a href="/mail/contacts">{t.cancel}</a>
      </PostForm>
    </MailLayout>
  );
}
