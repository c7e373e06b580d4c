/**
 * What the console accepts (`routes/console.routes.tsx`), route by route: its sign-in, the second
 * factor's code, the home page's notice.
 */
import { Type } from "@sinclair/typebox";
import { Fields, Loose, Text } from "../forms.js";

/** `/console/connexion?deconnecte`: looked at for its presence only. */
export const SignInPage = { querystring: Fields({ deconnecte: Loose() }) };
export const SignIn = { body: Fields({ username: Text(), password: Text() }) };
/** A TOTP code or a recovery code (short: anything longer is no code). */
export const Code = { body: Fields({ code: Text(64) }) };
/** `?codes-restants=N` after a recovery code was used. */
export const Home = { querystring: Fields({ "codes-restants": Loose() }) };

/** The administration: a notice after a role was granted or revoked. */
export const Admin = { querystring: Fields({ fait: Loose(), compte: Loose(), role: Loose(), periode: Loose() }) };
/** A chart of the dashboard (`/console/admin/graphiques/:name.svg?periode=…&theme=sombre`). */
export const Chart = {
  params: Type.Object({ name: Type.String({ maxLength: 40 }) }),
  querystring: Fields({ periode: Loose(), theme: Loose() }),
};
/** Grant or revoke a role; `code`: the second factor, when not typed in the last 5 minutes. */
export const Roles = {
  body: Fields({ operation: Text(10), username: Text(256), role: Text(20), code: Text(64) }),
};
/** The audit trail's filters (the page and its CSV export). */
export const Audit = {
  querystring: Fields({
    acteur: Text(100),
    action: Text(60),
    compte: Text(256),
    ip: Text(64),
    du: Text(20),
    au: Text(20),
  }),
};
/** The helpdesk's search box (long texts are refused by the service, in French). */
export const PeopleSearch = { querystring: Fields({ q: Text(10_000) }) };
