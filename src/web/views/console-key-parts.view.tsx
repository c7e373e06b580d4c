/**
 * The pieces of the console's pages that use a security key (WebAuthn), driven by
 * `client/webauthn.ts`: each is hidden until the script shows it (a key needs JavaScript), and a
 * note beside it says so to whoever has none. The texts the script shows are on the element.
 */
import type { ComponentChildren } from "preact";
import { createContext } from "preact";
import type { SecurityKeyPurpose } from "../../console/console.types.js";
import { keysFr } from "../i18n/console-keys.fr.js";
import { CsrfInput } from "./components.js";

const k = keysFr;

/** Whether the signed-in console user has a security key (set by the console's layout). */
export const SecurityKeysContext = createContext(false);

const messages = {
  "data-msg-waiting": k.waiting,
  "data-msg-cancelled": k.cancelled,
  "data-msg-failed": k.failed,
  "data-msg-unsupported": k.unsupported,
};

/** Said where a key can be used, for a browser without JavaScript (the script hides it). */
export function NeedsJavaScript() {
  return (
    <p class="hint" data-webauthn-nojs>
      {k.needsJs}
    </p>
  );
}

/**
 * A form whose submit button runs the key's ceremony first (`register`: create a credential;
 * `sign-in`: an assertion), then posts the credential's JSON in `credential` with the other fields.
 */
export function KeyForm({
  purpose,
  action,
  token,
  submit,
  children,
}: {
  purpose: Exclude<SecurityKeyPurpose, "reauth">;
  action: string;
  token: string;
  submit: string;
  children?: ComponentChildren;
}) {
  return (
    <>
      <form
        method="post"
        action={action}
        class="form webauthn-form"
        novalidate
        data-webauthn-form={purpose}
        hidden
        {...messages}
      >
        <CsrfInput token={token} />
        {children}
        <input type="hidden" name="credential" value="" />
        <button type="submit" class="button-primary">
          {submit}
        </button>
        <p class="webauthn-status" role="status" data-webauthn-status />
      </form>
      <NeedsJavaScript />
    </>
  );
}

/** In a sensitive action's form: « Utiliser une clé de sécurité » instead of the code. */
export function KeyReauth() {
  return (
    <div class="webauthn-reauth" data-webauthn-reauth hidden {...messages} data-msg-done={k.reauthDone}>
      <p>{k.reauthOr}</p>
      <button type="button" class="button-secondary">
        {k.useKey}
      </button>
      <p class="webauthn-status" role="status" data-webauthn-status />
    </div>
  );
}
