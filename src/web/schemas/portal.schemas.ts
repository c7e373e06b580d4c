/**
 * What the webmail's door accepts (`routes/portal.routes.tsx`), route by route: the sign-in page
 * and form, the forced password change, the strength meter's calls.
 */
import { Fields, Loose, Text } from "../forms.js";

/** The sign-in form (the webmail's and the account page's "Connexion"), with the ALTCHA payload. */
export const LoginBody = Fields({ username: Text(), password: Text(), altcha: Text(8192) });

/** A new password and its confirmation (forced change, recovery, reset link). */
export const NewPasswordBody = Fields({ newPassword: Text(), confirmation: Text() });

/** `/?deconnecte`, `/?expire`: looked at for their presence only. */
export const LoginPage = { querystring: Fields({ deconnecte: Loose(), expire: Loose() }) };
export const Login = { body: LoginBody };
export const ForcedChange = { body: NewPasswordBody };
/** The strength meter: the password being typed (nothing is stored). */
export const Evaluate = { body: Fields({ password: Text() }) };
