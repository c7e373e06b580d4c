/** What the helpdesk's person card accepts (`routes/console-helpdesk.routes.tsx`). */
import { Type } from "@sinclair/typebox";
import { Fields, Loose, OptionalId, Text } from "../forms.js";

/** The person's id: checked by the route (anything else is a 404, as for whoever has no console session). */
const Person = Type.Object({ id: Type.String({ maxLength: 20 }) });

/** The card; `?fait=…&compte=…`: the notice after an action (PRG). */
export const Card = { params: Person, querystring: Fields({ fait: Loose(), compte: Loose() }) };

/** « Vérifier le NUMEN » / « Vérifier la date de naissance »: `what` says which. */
export const Verify = {
  params: Person,
  body: Fields({ what: Text(20), numen: Text(64), birthDate: Text(32) }),
};

/**
 * An action on one of the person's accounts (or on the person's NUMEN throttle: `account` empty),
 * with its reason; `code`: the second factor, for the sensitive ones (not typed in the last 5 minutes).
 */
export const Action = {
  params: Person,
  body: Fields({ action: Text(30), account: OptionalId(), reason: Text(), code: Text(64) }),
};
