/**
 * What the console's security-key routes accept (`routes/console-keys.routes.tsx` and the sign-in's
 * and enrolment's key steps in `routes/console.routes.tsx`): the credential's JSON as the page
 * script posts it, a key's name, the second factor's code.
 */
import { Type } from "@sinclair/typebox";
import { Fields, Text } from "../forms.js";

/** The JSON of a WebAuthn credential (an attestation with its certificates is a few kB). */
const Credential = () => Text(16_000);

/** `purpose`: `register`, `sign-in` or `reauth`. */
export const Options = { body: Fields({ purpose: Text(10) }) };
/** A key added from the console: its name, the code when due, the credential. */
export const Add = { body: Fields({ name: Text(200), code: Text(64), credential: Credential() }) };
/** The enrolment with a key instead of TOTP. */
export const Enrol = { body: Fields({ name: Text(200), credential: Credential() }) };
/** The sign-in's key, or a sensitive action confirmed with a key. */
export const Assertion = { body: Fields({ credential: Credential() }) };
/** A key's id in the path: any text, an unknown one (or not a number) is a 404 like any missing page. */
const KeyParams = Type.Object({ id: Type.String({ maxLength: 40 }) });
export const KeyPage = { params: KeyParams };
export const Remove = { params: KeyParams, body: Fields({ code: Text(64) }) };
/** `/console/cles?fait=ajoutee|retiree&nom=…` */
export const List = { querystring: Fields({ fait: Text(20), nom: Text(200) }) };
