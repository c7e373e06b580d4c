/**
 * The console's « Clés de sécurité » (`/console/cles`): the person's keys with their name and last
 * use, a key added (the second factor typed again when not in the last 5 minutes, then the key's
 * ceremony: JavaScript needed), and a key removed from a page of its own (the second factor again).
 */
import type { SecurityKey } from "../../console/console.types.js";
import { consoleFr } from "../i18n/console.fr.js";
import { keysFr } from "../i18n/console-keys.fr.js";
import { frenchDateTime } from "../i18n/fr.js";
import { ErrorSummary, Field, type FieldErrors, Notice, PostForm } from "./components.js";
import { ConsoleLayout, type ConsoleUser, ReauthField } from "./console.view.js";
import { KeyForm } from "./console-key-parts.view.js";
import type { PageContext } from "./layout.js";

const k = keysFr;

function When({ at }: { at: string | null }) {
  if (!at) return <>{k.never}</>;
  return <time dateTime={at}>{frenchDateTime(new Date(at))}</time>;
}

export interface SecurityKeysModel {
  readonly keys: readonly SecurityKey[];
  readonly reauthNeeded: boolean;
  readonly name: string;
  readonly errors?: FieldErrors;
  /** A refused key or a throttle, at the top of the form. */
  readonly formError?: string;
  readonly notice?: string;
}

export function SecurityKeysPage({
  ctx,
  user,
  model,
}: {
  ctx: PageContext;
  user: ConsoleUser;
  model: SecurityKeysModel;
}) {
  const errors = model.errors ?? {};
  return (
    <ConsoleLayout
      ctx={ctx}
      title={k.title}
      user={user}
      hasErrors={Object.keys(errors).length > 0 || Boolean(model.formError)}
    >
      {model.notice ? <Notice kind="success">{model.notice}</Notice> : null}
      <p>{k.intro}</p>
      {model.keys.length === 0 ? (
        <p>{k.empty}</p>
      ) : (
        <div class="table-scroll">
          <table>
            <caption>{k.listCaption}</caption>
            <thead>
              <tr>
                <th scope="col">{k.colName}</th>
                <th scope="col">{k.colCreated}</th>
                <th scope="col">{k.colLastUsed}</th>
                <th scope="col">{k.removeShort}</th>
              </tr>
            </thead>
            <tbody>
              {model.keys.map((key) => (
                <tr key={key.id}>
                  <th scope="row">{key.name}</th>
                  <td>
                    <When at={key.createdAt} />
                  </td>
                  <td>
                    <When at={key.lastUsedAt} />
                  </td>
                  <td>
                    <a href={`/console/cles/${key.id}/retirer`}>{k.remove(key.name)}</a>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <section aria-labelledby="ajout-titre">
        <h2 id="ajout-titre">{k.addTitle}</h2>
        {model.formError ? <Notice kind="error">{model.formError}</Notice> : null}
        <ErrorSummary errors={errors} labels={{ name: k.name, code: consoleFr.code }} />
        <KeyForm purpose="register" action="/console/cles" token={ctx.csrfToken} submit={k.add}>
          <Field
            name="name"
            label={k.name}
            hint={k.nameHint}
            value={model.name}
            errors={errors.name}
            autocomplete="off"
            required
          />
          <ReauthField needed={model.reauthNeeded} errors={errors.code} />
        </KeyForm>
      </section>
      <p>
        <a href="/console">{k.back}</a>
      </p>
    </ConsoleLayout>
  );
}

export function RemoveKeyPage({
  ctx,
  user,
  securityKey,
  reauthNeeded,
  errors = {},
  formError,
}: {
  ctx: PageContext;
  user: ConsoleUser;
  securityKey: SecurityKey;
  reauthNeeded: boolean;
  errors?: FieldErrors;
  formError?: string;
}) {
  return (
    <ConsoleLayout
      ctx={ctx}
      title={k.remove(securityKey.name)}
      user={user}
      hasErrors={Object.keys(errors).length > 0 || Boolean(formError)}
    >
      {formError ? <Notice kind="error">{formError}</Notice> : null}
      <ErrorSummary errors={errors} labels={{ code: consoleFr.code }} />
      <PostForm action={`/console/cles/${securityKey.id}/retirer`} token={ctx.csrfToken} class="form">
        <ReauthField needed={reauthNeeded} errors={errors.code} />
        <button type="submit" class="button-primary">
          {k.removeShort}
        </button>
      </PostForm>
      <p>
        <a href="/console/cles">{k.title}</a>
      </p>
    </ConsoleLayout>
  );
}
