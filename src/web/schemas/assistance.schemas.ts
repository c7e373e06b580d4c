/**
 * What the Assistance accepts (`routes/assistance.routes.tsx`), route by route. The links' tokens
 * and the account ids come as the URL's wildcard: any text here, judged by the route (404, or
 * "lien non valable").
 */
import { Type } from "@sinclair/typebox";
import { Fields, Loose, Text } from "../forms.js";
import { LoginBody, NewPasswordBody } from "./portal.schemas.js";

/** What follows the route's prefix in the URL (`/assistance/reinitialiser/<token>`). */
const Wildcard = Type.Object({ "*": Type.String({ default: "" }) });
const code = Text(32);

/** `?section=personnel|externe`: the part of the page to open. */
export const Choice = { querystring: Fields({ section: Loose() }) };
export const External = { body: Fields({ identifier: Text() }) };

export const NumenPage = { querystring: Fields({ expire: Loose() }) };
export const NumenSignIn = {
  body: Fields({ numen: Text(), birthDate: Text(), accountType: Text(), altcha: Text(8192) }),
};
export const SignInCode = { body: Fields({ code }) };

/** `?modifie=<account id>` (`&transfert=desactive`) after a change. */
export const RecoveryAccounts = { querystring: Fields({ modifie: Loose(), transfert: Loose() }) };
export const RecoveryPasswordPage = { params: Wildcard };
export const RecoveryPassword = { params: Wildcard, body: NewPasswordBody };

export const AccountLoginPage = { querystring: Fields({ deconnecte: Loose() }) };
export const AccountLogin = { body: LoginBody };
/** `?ok=…`: the notice after a change, known values only. */
export const AccountPage = { querystring: Fields({ ok: Loose() }) };
export const ChangePassword = {
  body: Fields({ currentPassword: Text(), newPassword: Text(), confirmation: Text(), compromis: Text(5) }),
};
export const RecoveryEmail = { body: Fields({ email: Text(), recoveryPassword: Text() }) };
export const RemoveRecoveryEmail = { body: Fields({ removePassword: Text() }) };
export const ConfirmRecoveryEmail = { body: Fields({ code }) };
/** One of the account's sessions, by the hash shown on the page. */
export const CloseSession = { body: Fields({ session: Text(128) }) };

/** The reset link and the cancel link of a recovery address change. */
export const Link = { params: Wildcard };
export const Reset = { params: Wildcard, body: NewPasswordBody };
