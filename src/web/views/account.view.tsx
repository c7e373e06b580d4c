/** The forced password change behind the sign-in (the mail pages are in mail.view.tsx). */
import { fr } from "../i18n/fr.js";
import {
  CurrentPasswordField,
  ErrorSummary,
  type FieldErrors,
  NewPasswordField,
  PostButton,
  PostForm,
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
