/**
 * The forced password change behind the sign-in, the password form the account page shares, and the
 * account page's « Configurer un logiciel de messagerie » (the mail pages are in mail.view.tsx).
 */
import { fr } from "../i18n/fr.js";
import type { MailClientSettings, MailServer } from "../mail-clients.js";
import { MAIL_CLIENT_PATHS } from "../urls.js";
import {
  CurrentPasswordField,
  ErrorSummary,
  type FieldErrors,
  NewPasswordField,
  Notice,
  PostButton,
  PostForm,
  Section,
  TextList,
} from "./components.js";
import { Layout, type PageContext } from "./layout.js";

export function PasswordRules({ min, max }: { min: number; max: number }) {
  return (
    <section class="rules" aria-labelledby="regles-titre">
      <h2 id="regles-titre">{fr.password.rulesTitle}</h2>
      <TextList items={fr.password.rules(min, max)} />
      <p>{fr.password.rulesNote}</p>
    </section>
  );
}

export interface PasswordChangeViewModel {
  readonly username: string;
  readonly errors?: FieldErrors;
  readonly min: number;
  readonly max: number;
  readonly forced: boolean;
}

export interface NewPasswordFormModel {
  /** Lets password managers file the new password under the right account. */
  readonly username: string;
  readonly errors?: FieldErrors;
  readonly min: number;
  readonly max: number;
  readonly action: string;
  /** A voluntary change also asks for the current password. */
  readonly askCurrent?: boolean;
  /** Offers « compte compromis » (forwarding turned off with the change). */
  readonly askCompromised?: boolean;
}

/** The rules, then the form: new password and its confirmation (and the current one if asked). */
export function NewPasswordForm({ ctx, vm }: { ctx: PageContext; vm: NewPasswordFormModel }) {
  const errors = vm.errors ?? {};
  return (
    <>
      <PasswordRules min={vm.min} max={vm.max} />
      <ErrorSummary
        errors={errors}
        labels={{
          currentPassword: fr.password.current,
          newPassword: fr.password.newPassword,
          confirmation: fr.password.confirmation,
        }}
      />
      <PostForm action={vm.action} token={ctx.csrfToken} class="form">
        <input type="text" name="username" value={vm.username} autocomplete="username" hidden readOnly />
        {vm.askCurrent ? (
          <CurrentPasswordField
            name="currentPassword"
            label={fr.password.current}
            errors={errors.currentPassword}
            required
          />
        ) : null}
        <NewPasswordField name="newPassword" label={fr.password.newPassword} errors={errors.newPassword} strength />
        <NewPasswordField name="confirmation" label={fr.password.confirmation} errors={errors.confirmation} />
        {vm.askCompromised ? (
          <div class="checkbox-field">
            <input
              type="checkbox"
              id="champ-compromis"
              name="compromis"
              value="1"
              aria-describedby="champ-compromis-aide"
            />
            <label for="champ-compromis">{fr.password.compromised}</label>
            <p class="hint" id="champ-compromis-aide">
              {fr.password.compromisedHint}
            </p>
          </div>
        ) : null}
        <button type="submit" class="button-primary">
          {fr.password.submit}
        </button>
      </PostForm>
    </>
  );
}

export function PasswordChangePage({ ctx, vm }: { ctx: PageContext; vm: PasswordChangeViewModel }) {
  const errors = vm.errors ?? {};
  return (
    <Layout title={fr.password.changeTitle} ctx={ctx} hasErrors={Object.keys(errors).length > 0}>
      <h1>{fr.password.changeTitle}</h1>
      {vm.forced ? <p>{fr.password.forcedIntro}</p> : null}
      <NewPasswordForm ctx={ctx} vm={{ ...vm, action: "/changer-mot-de-passe" }} />
      <PostButton action="/deconnexion" token={ctx.csrfToken}>
        {fr.mail.logout}
      </PostButton>
    </Layout>
  );
}

/**
 * Where a mail client connects, for the account's holder: Thunderbird and Outlook find it from the
 * address alone; the table is for the others (reception and sending side by side, one setting a row);
 * the Apple profile is a download.
 */
export function MailClientSection({
  settings,
  username,
  address,
  profileHref = MAIL_CLIENT_PATHS.appleProfile,
}: {
  settings: MailClientSettings;
  username: string;
  address: string;
  /** Where the profile downloads (the session of the page showing it). */
  profileHref?: string;
}) {
  const t = fr.mailClients;
  const [imap, ...otherImap] = settings.imap;
  const smtp = settings.smtp;
  const security = (server: MailServer) => t.securityNames[server.security];
  const rows: readonly (readonly [string, string | number, string | number])[] = [
    [t.server, imap.host, smtp.host],
    [t.port, imap.port, smtp.port],
    [t.security, security(imap), security(smtp)],
    [t.username, username, username],
    [t.password, t.passwordValue, t.passwordValue],
  ];
  return (
    <Section id="titre-messagerie" title={t.title}>
      <p>{t.automatic}</p>
      <p>{t.manual}</p>
      <div class="table-scroll">
        <table class="mail-client-settings">
          <caption class="visually-hidden">{t.caption}</caption>
          <thead>
            <tr>
              <th scope="col">{t.setting}</th>
              <th scope="col">{t.incoming}</th>
              <th scope="col">{t.outgoing}</th>
            </tr>
          </thead>
          <tbody>
            {rows.map(([label, incoming, outgoing]) => (
              <tr key={label}>
                <th scope="row">{label}</th>
                <td>{incoming}</td>
                <td>{outgoing}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {otherImap.map((server) => (
        <p class="hint" key={server.port}>
          {t.alternative(server.port, security(server))}
        </p>
      ))}
      <p class="hint">{t.usernameHint(address)}</p>
      {imap.security === "none" || smtp.security === "none" ? <Notice kind="warning">{t.noEncryption}</Notice> : null}
      <h3>{t.appleTitle}</h3>
      <p>
        <a href={profileHref}>{t.profileLink}</a>
      </p>
      <p class="hint">{t.profileHint}</p>
    </Section>
  );
}
