/** What the security team's reports and quarantine accept (`routes/console-security.routes.tsx`). */
import { Type } from "@sinclair/typebox";
import { Fields, Text } from "../forms.js";

/** The list's filters and page (a domain too long is refused by the service, in French). */
export const Reports = {
  querystring: Fields({ du: Text(20), au: Text(20), domaine: Text(1000), page: Text(10) }),
};

/** A report's id: checked by the route (anything else is a 404). */
export const Report = { params: Type.Object({ id: Type.String({ maxLength: 20 }) }) };

/** The page of the quarantine by Message-ID or sender (`expediteur`), either filled in advance. */
export const QuarantinePage = { querystring: Fields({ messageId: Text(1000), expediteur: Text(320) }) };

/**
 * A quarantine or its release (`operation`: quarantaine | liberer) of every copy of a message, by
 * its Message-ID (or of every message from `sender`), with the reason and the second factor (when not typed in the last 5 minutes);
 * `report`: the report it was started from, to show again.
 */
export const Quarantine = {
  body: Fields({
    operation: Text(20),
    messageId: Text(1000),
    sender: Text(320),
    reason: Text(),
    code: Text(64),
    report: Text(20),
  }),
};
