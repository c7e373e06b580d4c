/**
 * What the mail clients' configuration documents accept (`routes/mail-clients.routes.ts`): Thunderbird's
 * `?emailaddress=` (optional: the well-known address may be asked without it), and Outlook's
 * Autodiscover request, read as text (parsed by `mail-clients.ts`, never by an XML parser).
 */
import { Type } from "@sinclair/typebox";
import { Fields, OptionalText } from "../forms.js";
import { AUTODISCOVER_MAX_BYTES } from "../mail-clients.js";

export const Autoconfig = { querystring: Fields({ emailaddress: OptionalText(254) }) };
export const Autodiscover = { body: Type.String({ maxLength: AUTODISCOVER_MAX_BYTES }) };
